"""What every ``slo`` command shares: turning errors into exit codes, loading the definitions.

Command modules import this, never :mod:`slo.cli`, so the command group and the commands do not
import each other.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from slo.loaders import Definitions, load
from slo.model.errors import SpecError
from slo.project import config

F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Turn the toolkit's errors into exit codes and one-line messages."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from slo.tools.toolcheck import ToolMissing

        try:
            return func(*args, **kwargs)
        except SpecError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        except ToolMissing as exc:
            click.echo(f"slo: {exc}", err=True)
            sys.exit(2)
        except OSError as exc:
            click.echo(f"slo: {exc.filename or ''}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        except Exception as exc:
            if os.environ.get("SLO_DEBUG"):
                raise
            click.echo(f"slo: internal error: {type(exc).__name__}: {exc} (set SLO_DEBUG=1 for details)", err=True)
            sys.exit(3)

    return wrapper  # type: ignore[return-value]


def definitions(sources: tuple[str, ...]) -> Definitions:
    """Load SOURCE arguments, or the project's default definitions when there are none.

    What a loader ignored on purpose (e.g. OpenSLO alert objects) is printed as a warning on stderr.
    """
    defs = load(config.resolve_sources(sources), config.default_period())
    for warning in defs.warnings:
        click.echo(f"warning: {warning}", err=True)
    return defs


def artifacts(defs: Definitions, alertmanager_base: str | None = None) -> dict[str, str]:
    """Every generated file as {relative path: text}, with [tool.slo] settings applied."""
    from generators.alertmanager import read_base
    from generators.bundle import artifacts

    settings = config.settings()
    target_problems(defs, settings)
    path = alertmanager_base if alertmanager_base is not None else settings.alertmanager_base
    base = read_base(path) if path is not None and defs.routing is not None else None
    return artifacts(
        defs,
        base,
        settings.grafana_url,
        alertmanager_version=settings.alertmanager_version,
        kubernetes_meta=settings.kubernetes,
        sloth_compat=config.sloth_compat(),
        prometheus_version=settings.prometheus_version,
        rule_groups=settings.rule_groups,
    )


def target_problems(defs: Definitions, settings: config.Settings | None = None) -> None:
    """Refuse what the target Prometheus ([tool.slo] prometheus_version) cannot load, e.g. UTF-8 names on 2.x."""
    from generators.rule_compat import PrometheusTarget, grouping_problems, histogram_problems, name_problems

    chosen = settings or config.settings()
    target = PrometheusTarget.parse(chosen.prometheus_version)
    problems = name_problems(defs, target) + histogram_problems(defs, target) + grouping_problems(defs, target)
    if problems:
        raise SpecError(problems)


def routing_notes(defs: Definitions, alertmanager_base: str | None) -> list[str]:
    """Notes about routing worth printing after a generate."""
    from generators.alertmanager import unmatched_routes

    if defs.routing is None:
        notes = [
            "no routing defined: alertmanager/ not generated (define routing(...) in Python or a top-level "
            "'routing:' block in YAML; see the README, 'Alertmanager routing')"
        ]
        path = alertmanager_base if alertmanager_base is not None else config.settings().alertmanager_base
        if path is not None:
            notes.append(f"the Alertmanager base config {path} is not used without routing")
        return notes
    return unmatched_routes(defs)


AM_BASE_HELP = (
    "Hand-written Alertmanager config to merge the generated routing into (default: [tool.slo] "
    "alertmanager_base); its routes, receivers, inhibit rules and templates are kept."
)
