"""Plan, query and compute a report: the part of ``slo report`` that ``slo demo`` reuses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from slo.model.errors import Problem, SpecError
from slo.model.periods import CalendarMonth, CalendarWeek
from slo.model.service import SLO, Service
from slo.promql import NativeUnsupported
from slo.report import compute, groups, queries, server
from slo.report.client import PromClient, public_url
from slo.report.periods import ReportPeriod, step_for


def weekly(slos: list[tuple[Service, SLO]]) -> bool:
    """Whether every SLO has a calendar-week period: then the report's default period is the last week."""
    return bool(slos) and all(isinstance(s.period, CalendarWeek) for _, s in slos)


def default_timezone(slos: list[tuple[Service, SLO]]) -> str:
    """The SLOs' calendar time zone when they all agree on one, else UTC."""
    zones = {s.period.timezone for _, s in slos if isinstance(s.period, CalendarMonth | CalendarWeek)}
    return zones.pop() if len(zones) == 1 else "UTC"


def build(
    client: PromClient,
    slos: list[tuple[Service, SLO]],
    period: ReportPeriod,
    previous: ReportPeriod | None,
    concurrency: int,
    progress: bool,
    min_coverage: float = compute.MIN_COVERAGE,
    now: datetime | None = None,
) -> compute.Report:
    """Plan, query and compute every SLO; raises PrometheusUnavailable before anything is rendered.

    The server is probed first: counters are read over closed ranges, exact on Prometheus 2.x and 3.x,
    and VictoriaMetrics is asked for the same figures (see :class:`queries.Dialect`); a retention that
    does not reach back to the period's start becomes a note naming it.
    """
    info = server.detect(client)
    dialect = info.dialect()
    jobs: list[tuple[queries.Key, queries.Query]] = []
    for i, (service, slo) in enumerate(slos):
        try:
            jobs += [((i, name), q) for name, q in queries.plan(slo, period, dialect=dialect).items()]
            if previous is not None:
                plan = queries.plan(slo, previous, dialect=dialect).items()
                jobs += [((i, f"previous:{name}"), q) for name, q in plan]
        except NativeUnsupported as exc:
            raise SpecError(Problem(f"{service.name}/{slo.name}", None, "histogram_kind", str(exc))) from None
    results = _run_with_progress(client, jobs, concurrency, progress, len(slos))
    rows = []
    for i, (service, slo) in enumerate(slos):
        row = _row(service, slo, period, results, i, "")
        row.min_coverage = min_coverage
        if previous is not None:
            row.previous = _row(service, slo, previous, results, i, "previous:")
            row.previous.min_coverage = min_coverage
        rows.append(row)
    notes = server.retention_notes(info, [period] + ([previous] if previous is not None else []), now)
    if dialect.reads_as:
        notes.append(
            f"VictoriaMetrics: counters read as {dialect.reads_as} reads them (from the sample at the window's "
            f"start, extrapolated to its end), so slices and counts match {dialect.reads_as} on the same data"
        )
    return compute.Report(period, rows, previous, source=public_url(client.url), notes=notes, server=info.as_json())


def _row(service: Service, slo: SLO, period: ReportPeriod, results: dict, i: int, prefix: str) -> compute.Row:
    answers = {name: results.get((i, prefix + name)) for name in ("hourly", "slices", "totals")}
    if slo.group_by:
        return groups.grouped_row(slo, answers, lambda parts: _compute(service, slo, period, parts))
    return _compute(service, slo, period, answers)


def _compute(service: Service, slo: SLO, period: ReportPeriod, answers: Mapping[str, Any]) -> compute.Row:
    kind = queries.kind(slo)
    step = step_for(period)
    hourly = answers.get("hourly")
    if kind == "slice-mean":
        return compute.slice_mean(service, slo, period, answers.get("slices"))
    if kind == "slices":
        return compute.slices(service, slo, period, answers.get("slices"))
    if kind == "events":
        totals = answers.get("totals") or []
        return compute.events(service, slo, period, totals, hourly, step, queries.coverage_step(period))
    return compute.raw(service, slo, period, answers.get("totals") or [], hourly, step)


def _run_with_progress(
    client: PromClient, jobs: list, concurrency: int, progress: bool, slo_count: int
) -> dict[queries.Key, list]:
    if not progress:
        return queries.run(client, jobs, concurrency)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return queries.run(client, jobs, concurrency)
    columns = (TextColumn("querying {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{slo_count} SLO(s)", total=len(jobs))
        return queries.run(client, jobs, concurrency, on_done=lambda _key: bar.advance(task))


def incomplete_summary(result: compute.Report) -> str | None:
    """One line naming the SLOs whose answers were incomplete and why, or None when all were whole."""
    found: list[str] = []
    for row in result.rows:
        for r, when in ((row, ""), (row.previous, " (previous period)")):
            if r is not None and r.incomplete:
                found.append(f"{r.service}/{r.slo}{when}: {r.incomplete[0]}")
    if not found:
        return None
    shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    return f"incomplete answers for {len(found)} SLO(s): {shown}"
