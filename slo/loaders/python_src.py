"""Python definition files: run the module, collect the ``Service`` objects it defines.

Discovery rule: every module-level name bound to a ``Service``, or to a list/tuple of them, in the
order they appear; and at most one module-level ``Routing`` (Alertmanager routing, see
:mod:`slo.model.routing`). The file runs with its own directory on ``sys.path`` so it may import helpers
beside it. Whatever the file raises becomes a located ``SpecError``.
"""

from __future__ import annotations

import runpy
import sys
import traceback
from pathlib import Path

from slo.model.errors import DefinitionError, Problem, SpecError
from slo.model.routing import Routing
from slo.model.service import Service


def _line_in(file: Path, tb: traceback.StackSummary) -> int | None:
    for frame in reversed(tb):
        if Path(frame.filename).resolve() == file.resolve():
            return frame.lineno
    return None


def load(path: Path) -> list[Service]:
    """The services a Python file defines; a file without any is an error."""
    services, _ = load_all(path)
    if not services:
        raise SpecError(
            Problem(str(path), None, "", "defines no Service at module level (assign service(...) to a name)")
        )
    return services


def load_all(path: Path) -> tuple[list[Service], Routing | None]:
    """The services and the routing a Python file defines; it must define at least one of them."""
    shown = str(path)
    directory = str(path.parent.resolve())
    added = directory not in sys.path
    if added:
        sys.path.insert(0, directory)
    try:
        namespace = runpy.run_path(str(path), run_name=f"slo_definitions_{path.stem}")
    except SyntaxError as exc:
        raise SpecError(Problem(shown, exc.lineno, "", f"Python syntax error: {exc.msg}")) from None
    except SystemExit as exc:
        raise SpecError(Problem(shown, None, "", f"the file called exit({exc.code!r})")) from None
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        line = _line_in(path, traceback.extract_tb(exc.__traceback__))
        where = f"{exc.path}: " if isinstance(exc, DefinitionError) and exc.path else ""
        message = exc.message if isinstance(exc, DefinitionError) else f"{type(exc).__name__}: {exc}"
        raise SpecError(Problem(shown, line, "", f"{where}{message}")) from None
    finally:
        if added and directory in sys.path:
            sys.path.remove(directory)
    services: list[Service] = []
    for value in namespace.values():
        if isinstance(value, Service):
            services.append(value)
        elif isinstance(value, list | tuple) and value and all(isinstance(v, Service) for v in value):
            services.extend(value)
    unique: list[Service] = []
    for s in services:
        if not any(s is u for u in unique):
            unique.append(s)
    routings: dict[str, Routing] = {}
    for name, value in namespace.items():
        if isinstance(value, Routing) and not any(value is r for r in routings.values()):
            routings[name] = value
    if len(routings) > 1:
        raise SpecError(
            Problem(shown, None, "", f"defines {len(routings)} Routing objects ({', '.join(routings)}): keep one")
        )
    if not unique and not routings:
        raise SpecError(
            Problem(
                shown,
                None,
                "",
                "defines no Service at module level (assign service(...) to a name; or routing(...) for routing)",
            )
        )
    return unique, next(iter(routings.values()), None)
