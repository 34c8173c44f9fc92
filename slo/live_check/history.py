"""Was the objective achievable at all, given the history Prometheus holds?

Daily good and total counts (events, or slices for time-slice SLOs) over up to 90 days before
``at`` are summed over every window of the SLO's period length (the whole history when it is
shorter); the best of those windows is the best the service has done. An objective above it was
never met: e.g. 99.99% on a service that never had a month above 99.9%.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from slo import promql
from slo.live_check.findings import Finding
from slo.model.durations import Duration
from slo.model.service import SLO, Service
from slo.model.sli import TimeSliceSLI

DAY = 86400
MAX_DAYS = 90

RangeQuery = Callable[[str, datetime, datetime, int], list[dict]]


@dataclass(frozen=True)
class Day:
    end: float  # timestamp of the day's end
    bad: float
    total: float


def daily_queries(slo: SLO) -> tuple[str, str] | None:
    """(bad, total) per day ending at each step; None for SLIs that cannot be counted."""
    day = Duration(DAY)
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean:  # bad = the slices' error ratios summed
        ratio = promql.report_slice_ratio(slo)
        step = slo.sli.slice
        return f"sum_over_time(({ratio})[{day}:{step}])", f"count_over_time(({ratio})[{day}:{step}])"
    if isinstance(slo.sli, TimeSliceSLI):
        verdict = promql.report_slice_bad(slo)
        step = slo.sli.slice
        return f"sum_over_time(({verdict})[{day}:{step}])", f"count_over_time(({verdict})[{day}:{step}])"
    if not promql.has_events(slo):
        return None
    return promql.bad_events(slo, day, "increase"), promql.total_events(slo, day, "increase")


def _series(items: list[dict]) -> dict[float, float]:
    out: dict[float, float] = {}
    for item in items:
        for t, v in item.get("values", []):
            value = float(v)
            if value == value:  # not NaN
                out[float(t)] = out.get(float(t), 0.0) + value
    return out


def fetch_group_days(slo: SLO, query: RangeQuery, at: datetime) -> dict[str, list[Day]] | None:
    """The days with data per group (``route=/search``) of a grouped SLO; one entry ``""`` otherwise."""
    exprs = daily_queries(slo)
    if exprs is None:
        return None
    first = at - timedelta(days=MAX_DAYS - 1)
    bad_items, total_items = query(exprs[0], first, at, DAY), query(exprs[1], first, at, DAY)

    def group(item: dict) -> str:
        metric = item.get("metric", {})
        return ", ".join(f"{label}={metric.get(label, '')}" for label in slo.group_by)

    out: dict[str, list[Day]] = {}
    for key in sorted({group(i) for i in total_items} or {""}):
        bad = _series([i for i in bad_items if group(i) == key])
        total = _series([i for i in total_items if group(i) == key])
        out[key] = [Day(t, min(bad.get(t, 0.0), n), n) for t, n in sorted(total.items()) if n > 0]
    return out


def worst_group(slo: SLO, groups: dict[str, list[Day]]) -> tuple[str, list[Day]]:
    """The group whose best period-long window is the lowest (the one the objective is hardest for)."""
    period_days = slo.period.alerting_window.seconds // DAY

    def best(item: tuple[str, list[Day]]) -> float:
        found = best_window(item[1], period_days)
        return found[0] if found is not None else float("inf")

    return min(groups.items(), key=best)


def best_window(days: Sequence[Day], length: int) -> tuple[float, int] | None:
    """The best good ratio over ``length`` consecutive days with data, and the days it spans (pure)."""
    if not days:
        return None
    span = min(length, len(days))
    best = None
    for i in range(len(days) - span + 1):
        window = days[i : i + span]
        total = sum(d.total for d in window)
        if total <= 0:
            continue
        ratio = 1 - sum(d.bad for d in window) / total
        if best is None or ratio > best:
            best = ratio
    return None if best is None else (best, span)


def check_achievable(
    service: Service, slo: SLO, days: list[Day] | None, group: str = ""
) -> tuple[list[Finding], dict[str, object]]:
    """A warning when no window of the period's length in the history met the objective (``group``: the
    grouped SLO's worst group, named in the message)."""
    if days is None:
        return [], {}
    period_days = slo.period.alerting_window.seconds // DAY
    best = best_window(days, period_days)
    if best is None:
        return [], {"history_days": 0}
    ratio, span = best
    facts: dict[str, object] = {"history_days": len(days), "best_period_sli": ratio, "best_window_days": span}
    if ratio >= slo.objective:
        return [], facts
    unit = "slices" if slo.unit == "slices" else "events"
    window = f"{span}-day" if span == period_days else f"{span}-day (all the history there is)"
    return [
        Finding(
            "warning",
            "objective",
            f"{service.name}/{slo.name}",
            f"objective {slo.objective * 100:g}% was never met{f' by {group}' if group else ''} in {len(days)} days "
            f"of history: the best {window} window reached {ratio * 100:.4g}% good {unit}",
            f"lower the objective to what the service achieves (at most {ratio * 100:.4g}%) or improve the "
            "service first; a missed-from-day-one objective only produces budget alerts",
        )
    ], facts
