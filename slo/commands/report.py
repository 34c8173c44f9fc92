"""``slo report``: one calendar month, ISO week (or span) of SLIs and error budgets from Prometheus.

The work is in :mod:`slo.report.run` and its siblings. Bad input exits 1 (via
:func:`slo.commands.common.guarded`); an unreachable or failing Prometheus exits 2 with one line on stderr and
writes nothing: the output is rendered completely before the file is (atomically, mode 0600)
replaced. So does an answer that is incomplete (server warnings, Thanos/VictoriaMetrics partial
responses, a part of the query missing), unless ``--allow-partial`` asks for the report anyway
with those SLOs flagged: a compliance figure is either right or absent. ``--fail-on STATUS`` exits
4 after writing the report when an SLO has that status (a CI job that must not pass silently).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from slo.commands.common import guarded
from slo.commands.connection import prometheus_options
from slo.loaders import Definitions, load
from slo.project import config
from slo.report.client import Connection, PromClient, PrometheusUnavailable
from slo.report.compute import MIN_COVERAGE, STATUSES, Report
from slo.report.periods import resolve, zone
from slo.report.render import FORMATS, render
from slo.report.run import build, default_timezone, incomplete_summary, weekly

FAIL_EXIT = 4  # an SLO has a status that --fail-on names (1: bad input, 2: server unreachable, 3: internal)


@click.command("report")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--month",
    metavar="YYYY-MM",
    help="Calendar month to report (default: the last complete month; the last complete week when every SLO "
    "has a calendar-week period).",
)
@click.option("--week", metavar="YYYY-Www", help="ISO calendar week to report, Monday to Monday (e.g. 2026-W49).")
@click.option("--start", metavar="T", help="Span start: ISO 8601 date or date-time (with --end; end exclusive).")
@click.option("--end", metavar="T", help="Span end (exclusive).")
@click.option(
    "--timezone",
    metavar="TZ",
    help="IANA time zone of months, weeks and days (default: the SLOs' calendar zone if they share one, else UTC).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of stdout.")
@click.option("--compare-previous", is_flag=True, help="Add the previous period's SLI and error budget for each SLO.")
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="Queries in flight.")
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Report even when the server flags answers as partial (warnings); those SLOs are marked incomplete.",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 1),
    default=MIN_COVERAGE,
    show_default=True,
    help="Share of the period that must have data for an SLO to be judged; below it: insufficient-data.",
)
@click.option(
    "--fail-on",
    "fail_on",
    multiple=True,
    type=click.Choice(STATUSES),
    metavar="STATUS",
    help=f"Exit {FAIL_EXIT} (after writing the report) when any SLO has this status (repeatable): "
    + ", ".join(STATUSES)
    + ".",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr.")
@prometheus_options
@guarded
def report(
    sources: tuple[str, ...],
    conn: Connection,
    month: str | None,
    week: str | None,
    start: str | None,
    end: str | None,
    timezone: str | None,
    fmt: str,
    output: str | None,
    compare_previous: bool,
    concurrency: int,
    allow_partial: bool,
    min_coverage: float,
    fail_on: tuple[str, ...],
    quiet: bool,
) -> None:
    """SLI, error budget, worst day and coverage of every SLO over a calendar month or week, from Prometheus.

    Occurrence SLIs use increase() over the exact period at its end; time slices are evaluated
    once each by a range query stepping slice by slice from the period's start. An SLO without
    data is reported as "no data", never as compliant.
    """
    defs: Definitions = load(config.resolve_sources(sources))
    slos = [(service, slo) for service in defs.services for slo in service.slos]
    tz = timezone or default_timezone(slos)
    zone(tz)
    period = resolve(month, start, end, tz, week=week, weekly=weekly(slos))
    previous = period.previous() if compare_previous else None
    try:
        with PromClient(conn) as client:
            result = build(client, slos, period, previous, concurrency, not quiet, min_coverage)
    except PrometheusUnavailable as exc:
        click.echo(f"slo: report: {exc}", err=True)
        sys.exit(2)
    problem = incomplete_summary(result)
    if problem and not allow_partial:
        click.echo(
            f"slo: report: {problem}; nothing written (rerun when the server is healthy, or pass --allow-partial "
            "to report with those SLOs marked incomplete)",
            err=True,
        )
        sys.exit(2)
    if problem:
        click.echo(f"slo: report: warning: {problem}", err=True)
    if output:
        from slo.project.output import remove_stale_temps, write_atomic

        target = Path(output)
        remove_stale_temps(target.parent, name=target.name)
        write_atomic(target, render(result, fmt), mode=0o600)
        click.echo(f"wrote {output} ({fmt}, {len(result.rows)} SLO(s), {period.label})", err=True)
    else:
        color = fmt == "table" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        click.echo(render(result, fmt, color=color), nl=False)
    failing = failed(result, fail_on)
    if failing:
        click.echo(f"slo: report: --fail-on: {failing}", err=True)
        sys.exit(FAIL_EXIT)


def failed(result: Report, fail_on: tuple[str, ...]) -> str | None:
    """Which SLOs have a status named by ``--fail-on``, as one line; None when none has."""
    hits = [f"{row.service}/{row.slo} is {row.status}" for row in result.rows if row.status in fail_on]
    if not hits:
        return None
    shown = ", ".join(hits[:5]) + (f" and {len(hits) - 5} more" if len(hits) > 5 else "")
    return f"{len(hits)} SLO(s) with a status to fail on: {shown}"
