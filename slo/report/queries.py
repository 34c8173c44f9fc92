"""Which queries one SLO needs for one period, and running them (concurrently, with progress).

All PromQL comes from :mod:`slo.promql`; this module only decides the instants: instant queries at
the period's end, range queries stepping from the period's start so every step (hour or slice) is
evaluated exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slo import promql
from slo.model.durations import Duration
from slo.model.service import SLO
from slo.model.sli import LatencySLI, PromQLTemplate, RatioSLI, RawRatioSLI, TimeSliceSLI
from slo.report.client import PromClient
from slo.report.periods import ReportPeriod, step_for

COVERAGE_STEP = 300  # coverage of occurrence SLOs is counted in 5-minute steps


@dataclass(frozen=True)
class Instant:
    expr: str
    at: datetime


@dataclass(frozen=True)
class Range:
    expr: str
    first: datetime
    last: datetime
    step: int


Query = Instant | Range


def kind(slo: SLO) -> str:
    """``events`` (ratio/latency occurrences), ``slices`` (time slices), ``slice-mean`` (the mean of the
    slices' ratios) or ``raw`` (opaque ratio)."""
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean:
        return "slice-mean"
    if isinstance(slo.sli, TimeSliceSLI):
        return "slices"
    if isinstance(slo.sli, RatioSLI | LatencySLI):
        return "events"
    if isinstance(slo.sli, RawRatioSLI):
        return "raw"
    raise TypeError(f"unsupported SLI {type(slo.sli).__name__}")


def coverage_step(period: ReportPeriod) -> int:
    return min(COVERAGE_STEP, step_for(period))


@dataclass(frozen=True)
class Dialect:
    """How counters are read on the server: ``increase`` over ``[D]`` is Prometheus' own meaning.

    VictoriaMetrics' ``increase`` also uses the sample before the window (so a slice next to a
    scrape gap gains increments Prometheus does not see) and its ``increase_prometheus`` does not
    extrapolate to the window's edges; :func:`slo.promql.extrapolated_increase` rebuilds
    Prometheus' figure from rollups VictoriaMetrics has. Ranges are read closed (the sample at the
    window's start is the base) on every engine and version, so a period's or a slice's increments
    are counted exactly; Prometheus 3's left-open ``[D]`` would estimate the first scrape interval.
    Opaque PromQL templates keep their own functions.
    """

    increase: str = "increase"
    slice_fn: str = "rate"  # within one slice only the ratio matters: rate's equals increase's
    reads_as: str | None = None  # whose figures a foreign engine is asked for, e.g. "Prometheus"


# Counters are read over closed ranges everywhere (see promql.INCREASE_CLOSED): exact increments of the
# period on Prometheus 2.x and 3.x alike, and the same figures from VictoriaMetrics.
PROMETHEUS = Dialect(promql.INCREASE_CLOSED, promql.RATE_CLOSED)
VICTORIAMETRICS = Dialect(promql.EXTRAPOLATED_INCREASE_CLOSED, promql.EXTRAPOLATED_INCREASE_CLOSED, "Prometheus")


def _has_template(slo: SLO) -> bool:
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, RatioSLI):
        return any(isinstance(s, PromQLTemplate) for s in (sli.total, sli.good, sli.bad))
    return isinstance(sli, RawRatioSLI)


def plan(slo: SLO, period: ReportPeriod, detail: bool = True, dialect: Dialect = PROMETHEUS) -> dict[str, Query]:
    """The queries for ``slo`` over ``period``; ``detail`` adds the hourly breakdown (days, coverage, chart)."""
    k = kind(slo)
    if _has_template(slo):
        dialect = PROMETHEUS
    span = period.duration
    if k == "slice-mean":
        return _slice_mean_plan(slo, period, dialect)
    if k == "slices":
        assert isinstance(slo.sli, TimeSliceSLI)
        size = slo.sli.slice.seconds
        count = period.seconds // size
        if count == 0:
            return {}
        first = period.start + timedelta(seconds=size)
        last = period.start + timedelta(seconds=size * count)
        return {"slices": Range(promql.report_slice_bad(slo, dialect.slice_fn), first, last, size)}
    queries: dict[str, Query] = {}
    step = step_for(period)
    step_d = Duration(step)
    first = period.start + timedelta(seconds=step)
    if k == "events":
        fn = dialect.increase
        totals = {"total": promql.total_events(slo, span, fn), "bad": promql.bad_events(slo, span, fn)}
        queries["totals"] = Instant(promql.tagged(totals), period.end)
        if detail:
            cov = coverage_step(period)
            hourly = {
                "total": promql.total_events(slo, step_d, fn),
                "bad": promql.bad_events(slo, step_d, fn),
                "covered": promql.steps_with_data(promql.events_presence(slo, Duration(cov)), step_d, Duration(cov)),
            }
            queries["hourly"] = Range(promql.tagged(hourly), first, period.end, step)
    else:
        queries["totals"] = Instant(promql.tagged({"error_ratio": promql.error_ratio(slo, span)}), period.end)
        if detail:
            queries["hourly"] = Range(
                promql.tagged({"error_ratio": promql.error_ratio(slo, step_d)}), first, period.end, step
            )
    return queries


def _slice_mean_plan(slo: SLO, period: ReportPeriod, dialect: Dialect) -> dict[str, Query]:
    """Each aligned slice once: its error ratio (none without events) and whether its series had data."""
    assert isinstance(slo.sli, TimeSliceSLI)
    size = slo.sli.slice.seconds
    count = period.seconds // size
    if count == 0:
        return {}
    parts = {"error_ratio": promql.report_slice_ratio(slo, dialect.slice_fn), "present": promql.slice_presence(slo)}
    first = period.start + timedelta(seconds=size)
    last = period.start + timedelta(seconds=size * count)
    return {"slices": Range(promql.tagged(parts), first, last, size)}


Key = tuple[int, str]


def run(
    client: PromClient,
    jobs: Sequence[tuple[Key, Query]],
    concurrency: int = 4,
    on_done: Callable[[Key], None] | None = None,
) -> dict[Key, list[dict[str, Any]]]:
    """Run every query; the first failure cancels what has not started and is re-raised."""

    def one(query: Query) -> list[dict[str, Any]]:
        if isinstance(query, Instant):
            return client.instant(query.expr, query.at)
        return client.range(query.expr, query.first, query.last, query.step)

    results: dict[Key, list[dict[str, Any]]] = {}
    if concurrency <= 1:
        for key, query in jobs:
            results[key] = one(query)
            if on_done:
                on_done(key)
        return results
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="slo-report") as pool:
        futures: dict[Future[list[dict[str, Any]]], Key] = {pool.submit(one, q): key for key, q in jobs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                exc = future.exception()
                if exc is not None:
                    for other in pending:
                        other.cancel()
                    raise exc
                results[futures[future]] = future.result()
                if on_done:
                    on_done(futures[future])
    return results
