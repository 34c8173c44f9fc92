"""The ``slo`` command line: validate, generate, test (and report).

Bad input exits 1 with ``file:line: path: message`` lines on stderr; a missing tool or an
unreachable server exits 2; nothing ever ends in a traceback.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from slo import config
from slo.errors import SpecError
from slo.loaders import Definitions, load

F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Turn the toolkit's errors into exit codes and one-line messages."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from slo.toolcheck import ToolMissing

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


def _definitions(sources: tuple[str, ...]) -> Definitions:
    return load(config.resolve_sources(sources))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="slo-toolkit", prog_name="slo")
def main() -> None:
    """Write SLOs once; generate Prometheus rules, tests, Alertmanager routing, dashboards and reports.

    With no SOURCE, commands use [tool.slo] sources from ./pyproject.toml, else slos.py, slos.yaml
    or slos/ in the current directory.
    """


@main.command()
@click.argument("sources", nargs=-1, type=click.Path())
@guarded
def validate(sources: tuple[str, ...]) -> None:
    """Check definitions: exit 0 when valid, 1 with one 'file:line: path: message' per problem."""
    from slo.checks import promtool_available, semantic, templates

    defs = _definitions(sources)
    problems, warnings = semantic(defs)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if any(templates(s) for svc in defs.services for s in svc.slos) and not promtool_available():
        click.echo("warning: promtool not found: opaque PromQL fragments were not parsed", err=True)
    if problems:
        raise SpecError(problems)
    count = sum(len(s.slos) for s in defs.services)
    click.echo(f"OK: {len(defs.services)} service(s), {count} SLO(s)")


def _artifacts(defs: Definitions, alertmanager_base: str | None = None) -> dict[str, str]:
    from generators.alertmanager import read_base
    from generators.bundle import artifacts

    settings = config.settings()
    path = alertmanager_base if alertmanager_base is not None else settings.alertmanager_base
    base = read_base(path) if path is not None and defs.routing is not None else None
    return artifacts(defs, base, settings.grafana_url)


def _routing_notes(defs: Definitions, alertmanager_base: str | None) -> list[str]:
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


_AM_BASE_HELP = (
    "Hand-written Alertmanager config to merge the generated routing into (default: [tool.slo] "
    "alertmanager_base); its routes, receivers, inhibit rules and templates are kept."
)


@main.command()
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output directory (default: [tool.slo] out, else .).",
)
@click.option("--check", is_flag=True, help="Write nothing; print a diff and exit 1 if the output would change.")
@click.option("--alertmanager-base", "am_base", type=click.Path(dir_okay=False), default=None, help=_AM_BASE_HELP)
@guarded
def generate(sources: tuple[str, ...], out: str | None, check: bool, am_base: str | None) -> None:
    """Write rules/, rules/tests/, rules/kubernetes/, alertmanager/ (and more) under --out."""
    from generators.bundle import notes
    from slo.output import diff, write_tree

    defs = _definitions(sources)
    files = _artifacts(defs, am_base)
    for note in notes(defs) + _routing_notes(defs, am_base):
        click.echo(f"note: {note}", err=True)
    target = Path(out if out is not None else config.settings().out)
    if check:
        text = diff(target, files)
        if text:
            click.echo(text, nl=False)
            click.echo(f"slo: generated files under {target} are out of date: run `slo generate`", err=True)
            sys.exit(1)
        click.echo(f"up to date: {len(files)} file(s) under {target}")
        return
    written, deleted = write_tree(target, files)
    for rel in written:
        click.echo(f"wrote {target / rel}")
    for rel in deleted:
        click.echo(f"removed stale {target / rel}")
    click.echo(f"{len(files)} file(s) generated, {len(written)} changed, {len(deleted)} removed")


@main.command("test")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Test the files already generated in DIR instead of generating afresh into a temporary directory.",
)
@click.option("--alertmanager-base", "am_base", type=click.Path(dir_okay=False), default=None, help=_AM_BASE_HELP)
@guarded
def test_command(sources: tuple[str, ...], out: str | None, am_base: str | None) -> None:
    """Run promtool check/test, amtool check-config and the route tests on the output; exit 1 on any failure."""
    from slo.output import write_tree
    from slo.toolcheck import check_alertmanager, check_rules

    if out is not None:
        results = check_rules(Path(out)) + check_alertmanager(Path(out))
        if not (Path(out) / "alertmanager" / "alertmanager.yml").is_file():
            click.echo(f"note: no {Path(out) / 'alertmanager' / 'alertmanager.yml'}: amtool checks skipped", err=True)
    else:
        defs = _definitions(sources)
        with tempfile.TemporaryDirectory(prefix="slo-test-") as tmp:
            write_tree(Path(tmp), _artifacts(defs, am_base))
            results = check_rules(Path(tmp)) + check_alertmanager(Path(tmp))
        if defs.routing is None:
            click.echo("note: no routing defined: no Alertmanager config to check with amtool", err=True)
    failed = [r for r in results if not r.ok]
    for r in results:
        click.echo(f"{'PASS' if r.ok else 'FAIL'}  {r.step:<22} {r.target}")
        if not r.ok:
            click.echo("\n".join("      " + line for line in r.output.splitlines()))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if not results:
        click.echo("slo: nothing to test: no generated files found", err=True)
        sys.exit(1)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("sources", nargs=-1, type=click.Path())
@click.option("--service", "service_name", metavar="NAME", help="Service to break (default: the first one).")
@click.option(
    "--history",
    default="month",
    show_default=True,
    help="Healthy history to backfill: a duration (at least 26h) or 'month' (since the 1st, at least 26h).",
)
@click.option("--timeout", default="5m", show_default=True, help="Give up waiting for the page after this long.")
@click.option("--keep", type=click.Path(file_okay=False), help="Keep the configs, data and logs in DIR.")
@click.option("--no-report", is_flag=True, help="Skip the month-to-date report at the end.")
@guarded
def demo(
    sources: tuple[str, ...], service_name: str | None, history: str, timeout: str, keep: str | None, no_report: bool
) -> None:
    """Break a service on purpose and watch the generated alerts page you, end to end.

    Starts Prometheus and Alertmanager on 127.0.0.1 with the generated rules and routing (receivers
    pointed at a local webhook), backfills healthy history, injects a total outage, and prints which
    receiver got what and how long detection took, then the month-to-date report. Needs the Debian
    packages prometheus and prometheus-alertmanager. Everything is stopped and removed at the end.
    """
    from slo import demo as demo_run
    from slo.durations import Duration

    defs = _definitions(sources)
    try:
        history_s = demo_run.month_to_date() if history == "month" else Duration.parse(history).seconds
        deadline = Duration.parse(timeout).seconds
    except ValueError as exc:
        raise SpecError(f"--history/--timeout: {exc}") from None
    history_s = max(history_s, demo_run.MIN_HISTORY)
    result = demo_run.run(
        defs,
        service_name=service_name,
        history=history_s,
        deadline=deadline,
        keep=Path(keep) if keep else None,
        with_report=not no_report,
        say=lambda line: click.echo(line, err=True),
    )
    click.echo(demo_run.summary(result))
    if result.report is not None:
        click.echo("\nmonth to date (synthetic history plus the outage; coverage says how much of the month has data):")
        click.echo(result.report, nl=False)
    if keep:
        click.echo(f"configs, data and logs kept in {keep}")
    if not result.detected:
        sys.exit(1)


def _register_report() -> None:
    # Imported here, after ``guarded`` exists, because the report command wraps itself with it.
    from slo.report.cli import report

    main.add_command(report)


_register_report()
