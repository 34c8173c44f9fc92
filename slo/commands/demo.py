"""``slo demo``: a local Prometheus and Alertmanager, a synthetic outage, the page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slo.commands.common import definitions, guarded
from slo.model.errors import SpecError


@click.command()
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
    from slo.local import demo as demo_run
    from slo.model.durations import Duration

    defs = definitions(sources)
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
