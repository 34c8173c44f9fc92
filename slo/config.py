"""Project defaults read from ``[tool.slo]`` in ./pyproject.toml.

``sources`` names the definitions used when a command gets no SOURCE; ``out`` the output
directory; ``alertmanager_base`` a hand-written Alertmanager config the generated routing is merged
into. Without the table the defaults are ``slos.py``/``slos.yaml``/``slos/`` in the current
directory, whichever exists.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from slo.errors import Problem, SpecError

FALLBACK_SOURCES = ("slos.py", "slos.yaml", "slos.yml", "slos")


@dataclass(frozen=True)
class Settings:
    sources: tuple[str, ...]
    out: str = "."
    grafana_url: str | None = None
    alertmanager_base: str | None = None


def settings(cwd: Path | None = None) -> Settings:
    """Read ``[tool.slo]``; fall back to conventional file names."""
    base = cwd or Path.cwd()
    pyproject = base / "pyproject.toml"
    table: dict[str, object] = {}
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("slo", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SpecError(Problem(str(pyproject), None, "tool.slo", f"cannot read: {exc}")) from None
    sources = table.get("sources")
    if sources is not None and (not isinstance(sources, list) or not all(isinstance(s, str) for s in sources)):
        raise SpecError(Problem(str(pyproject), None, "tool.slo.sources", "must be a list of paths"))
    if not sources:
        sources = [name for name in FALLBACK_SOURCES if (base / name).exists()]
    out = table.get("out", ".")
    grafana = table.get("grafana_url")
    am_base = table.get("alertmanager_base")
    if am_base is not None and (not isinstance(am_base, str) or not am_base):
        raise SpecError(Problem(str(pyproject), None, "tool.slo.alertmanager_base", "must be a file path"))
    if am_base is not None and not Path(am_base).is_absolute():
        am_base = str(base / am_base) if cwd is not None else am_base
    return Settings(tuple(str(s) for s in sources), str(out), str(grafana) if grafana else None, am_base or None)


def resolve_sources(given: tuple[str, ...]) -> tuple[str, ...]:
    """The SOURCE arguments, or the project's defaults, or a clear error."""
    if given:
        return given
    found = settings().sources
    if not found:
        raise SpecError(
            Problem(
                "<command line>",
                None,
                "",
                "no SOURCE given and no default found: pass files or directories, add [tool.slo] sources "
                "to pyproject.toml, or create slos.py / slos.yaml",
            )
        )
    return found
