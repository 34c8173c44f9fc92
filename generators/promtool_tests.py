"""promtool unit tests generated for every SLO, from synthetic series.

Each SLO gets scenarios that pin the alerting behaviour users rely on: a total outage pages by
the expected time, a 10x burn pages, a 2x burn raises a ticket and never a page, a 0.9x burn
and zero traffic fire nothing, and a vanished metric fires the absent alert. Alerts are checked
through the ``ALERTS`` series so the tests assert labels exactly and stay independent of
annotation wording.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from generators import synthetic
from generators.prometheus_rules import ABSENT_ALERT
from generators.synthetic import Unsupported
from slo.model import SLO, BurnRateTier, ProbeSLI, Service, TimeSliceSLI
from slo.selectors import Matcher, Selector

EVAL = 60  # seconds; coarser than the 30s rule interval, so a detection time that passes here holds live
RATE = 100.0  # synthetic requests per second


@dataclass(frozen=True)
class Phase:
    """``minutes`` of traffic with a fraction ``bad`` of failed events (None = no samples at all)."""

    minutes: int
    bad: float | None
    traffic: bool = True


def _alerts(service: Service, slo: SLO, **labels: str) -> str:
    matchers = [Matcher("service", "=", service.name), Matcher("slo", "=", slo.name)]
    matchers += [Matcher(k, "=", v) for k, v in labels.items()]
    return f"count({Selector('ALERTS', tuple(matchers))}) or vector(0)"


def _check(expr: str, minutes: float, value: int) -> dict[str, Any]:
    return {"expr": expr, "eval_time": f"{round(minutes * 60)}s", "exp_samples": [{"labels": "{}", "value": value}]}


def _inner(slo: SLO) -> Any:
    return slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli


def input_series(slo: SLO, phases: list[Phase], step: int) -> list[dict[str, str]]:
    """Series for the phases, sampled every ``step`` seconds, that the SLO's selectors match."""
    per_sample = RATE * step
    parts = synthetic.sli_series(slo)
    if parts[0][0] == "probe":
        _, metric, labels = parts[0]
        segments: list[tuple[int, float | None]] = []
        for p in phases:
            n = p.minutes * 60 // step
            segments.append((n, None if p.bad is None else 0.0 if p.bad >= 0.5 else 1.0))
        segments[0] = (segments[0][0] + 1, segments[0][1])
        return [{"series": synthetic.series_text(metric, labels), "values": synthetic.gauge_values(segments)}]
    out = []
    for role, metric, labels in parts:
        counter: list[tuple[int, float]] = []
        missing_after = None
        for i, p in enumerate(phases):
            n = p.minutes * 60 // step + (1 if i == 0 else 0)
            if p.bad is None:
                missing_after = (len(counter), n)
                break
            total = per_sample if p.traffic else 0.0
            share = {"total": 1.0, "bad": p.bad, "good": 1.0 - p.bad}[role]
            counter.append((n, total * share))
        values = synthetic.counter_values(counter)
        if missing_after is not None:
            values += f" _x{missing_after[1]}"
        out.append({"series": synthetic.series_text(metric, labels), "values": values})
    return out


def fastest_page(slo: SLO) -> BurnRateTier | None:
    """The critical tier with the shortest long window that a total outage can trip."""
    assert slo.alerting is not None
    pages = [t for t in slo.alerting.tiers if t.severity == "critical" and t.factor(slo.period) * slo.error_budget < 1]
    return min(pages, key=lambda t: t.long_window) if pages else None


def _tier(slo: SLO, name: str) -> BurnRateTier | None:
    assert slo.alerting is not None
    return next((t for t in slo.alerting.tiers if t.name == name), None)


def _case(name: str, slo: SLO, phases: list[Phase], step: int, checks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": name,
        "interval": f"{step}s",
        "input_series": input_series(slo, phases, step),
        "promql_expr_test": checks,
    }


def detection_minutes(slo: SLO, tier: BurnRateTier) -> float:
    """Worst-case minutes from the start of a total outage to the tier's alert firing.

    The long window must hold factor × budget of bad time; add one rule evaluation, one scrape
    and the source window's edge, rounded up to whole evaluations, plus a minute of margin.
    """
    needed = tier.factor(slo.period) * slo.error_budget * tier.long_window.seconds
    return math.ceil(needed / EVAL) * EVAL / 60 + 1


def outage_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    tier = fastest_page(slo)
    if tier is None:
        return None
    detect = detection_minutes(slo, tier)
    history = max(60, round(tier.long_window.minutes))
    phases = [Phase(history, 0.0), Phase(math.ceil(detect) + 10, 1.0)]
    page = _alerts(service, slo, tier=tier.name, alertstate="firing")
    return _case(
        f"{service.name}/{slo.name}: a total outage fires {tier.name} within {detect:g} minutes",
        slo,
        phases,
        15,
        [
            _check(_alerts(service, slo, severity="critical"), history, 0),
            _check(page, history + detect, 1),
        ],
    )


def steady_case(service: Service, slo: SLO, burn: float) -> dict[str, Any] | None:
    """Constant traffic burning the budget ``burn`` times the sustainable rate."""
    bad = burn * slo.error_budget
    if bad >= 1 or isinstance(slo.sli, TimeSliceSLI):
        return None
    assert slo.alerting is not None
    minutes = 30
    phases = [Phase(minutes, bad)]
    times = [10, 20, 30]
    checks: list[dict[str, Any]] = []
    firing = [t for t in slo.alerting.tiers if t.factor(slo.period) < burn * 0.95]
    silent = [t for t in slo.alerting.tiers if t.factor(slo.period) > burn * 1.05]
    for t in silent:
        checks.extend(_check(_alerts(service, slo, tier=t.name), m, 0) for m in times)
    for t in firing:
        checks.append(_check(_alerts(service, slo, tier=t.name, alertstate="firing"), minutes, 1))
    if not checks:
        return None
    verdict = (
        "fires nothing"
        if not firing
        else "pages"
        if any(t.severity == "critical" for t in firing)
        else "raises a ticket and never a page"
    )
    return _case(f"{service.name}/{slo.name}: a {burn:g}x burn {verdict}", slo, phases, 60, checks)


def quiet_case(service: Service, slo: SLO) -> dict[str, Any]:
    """Zero traffic (counters present, flat) or a healthy probe: nothing fires, nothing pends."""
    phases = [Phase(30, 0.0, traffic=False)]
    what = "a probe that always succeeds" if isinstance(_inner(slo), ProbeSLI) else "zero traffic"
    checks = [_check(_alerts(service, slo), m, 0) for m in (10, 20, 30)]
    return _case(f"{service.name}/{slo.name}: {what} fires nothing", slo, phases, 60, checks)


def below_slice_threshold_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """Errors steadily at half the slice threshold never make a slice bad."""
    if not isinstance(slo.sli, TimeSliceSLI) or isinstance(slo.sli.inner, ProbeSLI):
        return None
    share = (1 - slo.sli.target) / 2
    if share <= 0:
        return None
    checks = [_check(_alerts(service, slo), m, 0) for m in (10, 20, 30)]
    return _case(
        f"{service.name}/{slo.name}: errors at half the slice threshold fire nothing",
        slo,
        [Phase(30, share)],
        60,
        checks,
    )


def absent_case(service: Service, slo: SLO) -> dict[str, Any]:
    """The source series stop: the absent alert fires after lookback (5m) + ``for``."""
    assert slo.alerting is not None
    present = 10
    wait = slo.alerting.absent_for.minutes
    phases = [Phase(present, 0.0), Phase(int(5 + wait + 10), None)]
    absent = _alerts(service, slo, alertname=ABSENT_ALERT, alertstate="firing")
    return _case(
        f"{service.name}/{slo.name}: the absent alert fires when the metric disappears",
        slo,
        phases,
        60,
        [_check(absent, present + 1, 0), _check(absent, present + 5 + wait + 2, 1)],
    )


def test_file(service: Service, rule_file: str) -> dict[str, Any]:
    """The promtool test document for one service; SLOs that cannot be synthesised are listed."""
    tests: list[dict[str, Any]] = []
    for slo in service.slos:
        if slo.alerting is None:
            continue
        try:
            candidates = [
                outage_case(service, slo),
                steady_case(service, slo, 10),
                steady_case(service, slo, 2),
                steady_case(service, slo, 0.9),
                below_slice_threshold_case(service, slo),
                quiet_case(service, slo),
            ]
            if slo.alerting.tiers or slo.alerting.absent_for:
                candidates.append(absent_case(service, slo))
        except Unsupported:
            continue
        tests.extend(c for c in candidates if c is not None)
    return {"rule_files": [rule_file], "evaluation_interval": f"{EVAL}s", "tests": tests}


def skipped(service: Service) -> list[tuple[str, str]]:
    """SLOs without generated tests, and why (so the CLI can say so)."""
    out = []
    for slo in service.slos:
        if slo.alerting is None:
            out.append((slo.name, "alerting is disabled"))
            continue
        try:
            input_series(slo, [Phase(1, 0.0)], 60)
        except Unsupported as exc:
            out.append((slo.name, str(exc)))
    return out
