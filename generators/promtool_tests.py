"""promtool unit tests generated for every SLO, from synthetic series.

Each SLO gets scenarios that pin the alerting behaviour users rely on: a total outage pages by
the expected time, a 10x burn pages, a 2x burn raises a ticket and never a page, a 0.9x burn
and zero traffic fire nothing, and a vanished metric fires the absent alert. Alerts are checked
through the ``ALERTS`` series so the tests assert labels exactly and stay independent of
annotation wording.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

from generators import synthetic
from generators.synthetic import Unsupported
from slo.model.alert_policy import BurnRateTier
from slo.model.durations import Duration
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, TimeSliceSLI
from slo.promql import guards

EVAL = 60  # seconds; coarser than the 30s rule interval, so a detection time that passes here holds live
RATE = 100.0  # synthetic requests per second


@dataclass(frozen=True)
class Phase:
    """``minutes`` of traffic with a fraction ``bad`` of failed events (None = no samples at all).

    ``rate`` is requests per second; ``stale`` starts a sample-less phase with a staleness marker
    (the target went away) instead of a silent gap (remote-write or federation).
    """

    minutes: float
    bad: float | None
    traffic: bool = True
    rate: float = 100.0
    stale: bool = False


def _samples(p: Phase, step: int) -> int:
    return round(p.minutes * 60 / step)


def _gap(n: int, stale: bool) -> str:
    if stale:
        return "stale" + (f" _x{n - 1}" if n > 1 else "")
    return f"_x{n}"


def page_matcher(slo: SLO) -> Matcher:
    """Matches the burn alerts of the SLO's paging tiers by their tier label.

    Not by ``severity``: an alert policy may relabel a page's severity (Sloth specs route on
    ``severity: pageteam``), while the tier label is always the toolkit's own.
    """
    assert slo.alerting is not None
    names = [t.name for t in slo.alerting.tiers if t.severity == "critical"]
    return Matcher(slo.alerting.tier_label, "=~", "|".join(re.escape(n) for n in names) or "^$")


def _alerts(service: Service, slo: SLO, *, pages: bool = False, **labels: str) -> str:
    matchers = [Matcher("service", "=", service.name), Matcher("slo", "=", slo.name)]
    matchers += [
        Matcher(slo.alerting.tier_label if k == "tier" and slo.alerting else k, "=", v) for k, v in labels.items()
    ]
    if pages:
        matchers.append(page_matcher(slo))
    return f"count({Selector('ALERTS', tuple(matchers))}) or vector(0)"


def _check(expr: str, minutes: float, value: int) -> dict[str, Any]:
    return {"expr": expr, "eval_time": f"{round(minutes * 60)}s", "exp_samples": [{"labels": "{}", "value": value}]}


def _inner(slo: SLO) -> Any:
    return slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli


def _event_amounts(phases: list[Phase], step: int) -> tuple[list[tuple[int, float, float]], str | None]:
    """(samples, events per sample, bad share) of each phase until the series stops, and the stop's text.

    The first phase has one sample more: the series' starting value at time 0."""
    amounts: list[tuple[int, float, float]] = []
    for i, p in enumerate(phases):
        n = _samples(p, step) + (1 if i == 0 else 0)
        if p.bad is None:
            return amounts, _gap(n, p.stale)
        amounts.append((n, p.rate * step if p.traffic else 0.0, p.bad))
    return amounts, None


def input_series(slo: SLO, phases: list[Phase], step: int, extra: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Series for the phases, sampled every ``step`` seconds, that the SLO's selectors match.

    ``extra`` labels go on every series (one group of a grouped SLO, e.g. ``route="a"``).
    """
    parts = [(role, metric, {**labels, **(extra or {})}) for role, metric, labels in synthetic.sli_series(slo)]
    if parts[0][0] == "probe":
        _, metric, labels = parts[0]
        segments: list[tuple[int, float | None]] = []
        gap = None
        for p in phases:
            if p.bad is None:
                gap = _gap(_samples(p, step), p.stale)
                break
            segments.append((_samples(p, step), 0.0 if p.bad >= 0.5 else 1.0))
        segments[0] = (segments[0][0] + 1, segments[0][1])
        values = synthetic.gauge_values(segments) + (f" {gap}" if gap else "")
        return [{"series": synthetic.series_text(metric, labels), "values": values}]
    if parts[0][0] == "histogram":  # a native histogram: fast and slow requests in one series
        _, metric, labels = parts[0]
        sli = _inner(slo)
        amounts, gap = _event_amounts(phases, step)
        histogram = [(n, total * (1.0 - bad), total * bad) for n, total, bad in amounts]
        values = synthetic.native_values(histogram, sli.threshold) + (f" {gap}" if gap else "")
        return [{"series": synthetic.series_text(metric, labels), "values": values}]
    out = []
    amounts, gap = _event_amounts(phases, step)
    for role, metric, labels in parts:
        share = {"total": lambda bad: 1.0, "bad": lambda bad: bad, "good": lambda bad: 1.0 - bad}[role]
        counter = [(n, total * share(bad)) for n, total, bad in amounts]
        values = synthetic.counter_values(counter)
        if gap is not None:
            values += f" {gap}"
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


def sample_step(slo: SLO, step: int) -> int:
    """``step``, or 15s where a counter slice would hold fewer than two samples of it.

    rate() over a slice needs two samples in it; Prometheus 3's left-open ranges see one sample per
    minute in a one-minute slice sampled every minute, so such a slice would never be recorded.
    """
    sli = slo.sli
    if isinstance(sli, TimeSliceSLI) and not isinstance(sli.inner, ProbeSLI) and sli.slice.seconds < 2 * step:
        return 15
    return step


def _case(name: str, slo: SLO, phases: list[Phase], step: int, checks: list[dict[str, Any]]) -> dict[str, Any]:
    step = sample_step(slo, step)
    return {
        "name": name,
        "interval": f"{step}s",
        "input_series": input_series(slo, phases, step),
        "promql_expr_test": checks,
    }


def native_input_cases(service: Service, slo: SLO) -> list[dict[str, Any]]:
    """``histogram_kind: auto``: the outage and the 0.9× burn again, fed a native histogram instead.

    The other scenarios feed classic series (auto's classic branch); these prove its native branch.
    """
    sli = _inner(slo)
    if not isinstance(sli, LatencySLI) or sli.histogram_kind != "auto":
        return []
    native = dataclasses.replace(sli, histogram_kind="native")
    wrapped = dataclasses.replace(slo.sli, inner=native) if isinstance(slo.sli, TimeSliceSLI) else native
    fed = dataclasses.replace(slo, sli=wrapped)
    cases = []
    for case in (outage_case(service, fed), steady_case(service, fed, 0.9)):
        if case is not None:
            cases.append({**case, "name": f"{case['name']} (native histogram input)"})
    return cases


def detection_minutes(slo: SLO, tier: BurnRateTier) -> float:
    """Worst-case minutes from the start of a total outage to the tier's alert firing.

    The long window must hold factor × budget of bad time; add one rule evaluation, one scrape
    and the source window's edge, rounded up to whole evaluations, plus a minute of margin.
    """
    needed = tier.factor(slo.period) * slo.error_budget * tier.long_window.seconds
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean and not isinstance(slo.sli.inner, ProbeSLI):
        # the recorded slice ratio ramps up over one slice (slo.promql.guards.slice_mean_outage_seconds), read from
        # rate() over counters sampled every 15s: one more sample interval
        needed = guards.slice_mean_outage_seconds(slo, needed) + 15
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
            _check(_alerts(service, slo, pages=True), history, 0),
            _check(page, history + detect, 1),
        ],
    )


def long_burn_seen(slo: SLO, tier: BurnRateTier, burn: float, minutes: float) -> float:
    """The long window's burn a steady ``burn`` shows ``minutes`` after the series began.

    A window read from the source sees the ratio of the data it holds; a derived one is scaled by
    its coverage (slo.promql.guards.coverage): missing history counts as healthy.
    """
    if tier.long_window in guards.raw_windows(slo):
        return burn
    return burn * min(1.0, minutes / tier.long_window.minutes)


def steady_case(service: Service, slo: SLO, burn: float) -> dict[str, Any] | None:
    """Constant traffic burning the budget ``burn`` times the sustainable rate, from a cold start."""
    bad = burn * slo.error_budget
    sli = slo.sli
    if bad >= 1 or (isinstance(sli, TimeSliceSLI) and (not sli.mean or isinstance(sli.inner, ProbeSLI))):
        return None  # steady errors make every slice of a good-slices SLO good or every one bad; probes are 0/1
    assert slo.alerting is not None
    minutes = 30
    phases = [Phase(minutes, bad)]
    times = [10, 20, 30]
    checks: list[dict[str, Any]] = []

    def seen(t: BurnRateTier, m: float) -> float:
        return min(long_burn_seen(slo, t, burn, m), burn)

    firing = [t for t in slo.alerting.tiers if t.factor(slo.period) < seen(t, minutes - 2) * 0.95]
    silent = [t for t in slo.alerting.tiers if t.factor(slo.period) > seen(t, minutes + 1) * 1.05]
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
    name = f"{service.name}/{slo.name}: a {burn:g}x burn for {minutes} minutes {verdict}"
    return _case(name, slo, phases, 60, checks)


BURST = 1  # minutes of total failure per burst in a slice burn scenario
MAX_PERIOD = 200  # minutes between bursts; beyond it the scenario would make promtool slow
SLACK = 0.5  # minutes of uncertainty at each end of a bad stretch (30s rule evaluation)


def _burst(sli: TimeSliceSLI) -> int:
    """Minutes per burst: probes alert on failed time, so their bursts must be longer to be spaced out."""
    return 2 * BURST if isinstance(sli.inner, ProbeSLI) else BURST


def _bad_stretch(sli: TimeSliceSLI) -> tuple[float, float]:
    """When a burst at minute 0 makes slices bad, nominally (minutes, sampled every minute).

    Failures show at the next sample (minute 1 to BURST). A probe slice (t - slice, t] is bad while
    it holds a failed sample; a rate() over counters needs both samples around an increase inside
    the slice, so it sees the burst one minute less.
    """
    length = sli.slice.minutes
    if isinstance(sli.inner, ProbeSLI):
        return 1.0, _burst(sli) + 1.0  # probe tiers alert on failed time (slo.promql.guards), not on bad slices
    return 1.0, BURST + length - 1


def _bad_minutes(bursts: list[float], stretch: tuple[float, float], start: float, end: float, slack: float) -> float:
    """Minutes of bad slices within [start, end], each stretch widened (> 0) or narrowed (< 0) by
    ``slack`` at both ends for rule-evaluation and sampling edges."""
    total = 0.0
    for b in bursts:
        lo, hi = b + stretch[0] - slack, b + stretch[1] + slack
        total += max(0.0, min(hi, end) - max(lo, start))
    return total


def slice_burn_case(service: Service, slo: SLO, burn: float) -> dict[str, Any] | None:
    """Bursts of failure spaced so that bad slices are ``burn`` times the budget's share.

    A slice SLO cannot burn uniformly below one slice: a burst of one minute makes about
    ``slice + 1`` minutes of slices bad. Bursts are spaced by ``period`` minutes; for every tier the
    share of bad time in its long and short windows is bounded at each check (a minute of slack at
    each edge of each bad stretch), and a tier is asserted only where the bounds settle it — firing
    when both windows are surely above its factor, silent when one surely is below.
    """
    sli = slo.sli
    if not isinstance(sli, TimeSliceSLI) or slo.alerting is None or isinstance(sli.inner, ProbeSLI) or sli.mean:
        # a slice mean burns steadily (steady_case); probe tiers alert on failed time: the outage, blip and
        # flap cases cover them
        return None
    stretch = _bad_stretch(sli)
    bad = stretch[1] - stretch[0]
    if bad <= 0:
        return None  # a one-minute slice over counters sampled every minute sees nothing
    share = burn * slo.error_budget
    period = round(bad / share)
    if period > MAX_PERIOD or period < 2 * (stretch[1] + 2):
        return None
    cycles = 4
    total = period * cycles
    bursts = [period * i + period / 2 for i in range(cycles)]
    first_sample = 2.0  # slice records start once rate() has two samples

    def bounds(t: float, window: Duration, scaled: bool = False) -> tuple[float, float]:
        start = max(first_sample, t - window.minutes)
        span = max(t - start, window.minutes) if scaled else t - start  # coverage: missing time is healthy
        lo = _bad_minutes(bursts, stretch, start, t, -SLACK) / (span + 1)
        hi = _bad_minutes(bursts, stretch, start, t, SLACK) / max(span - 1, 1)
        return lo, hi

    def derived(tier: BurnRateTier) -> bool:
        return tier.long_window not in guards.raw_windows(slo)

    # Checks: right after the last burst's bad stretch (short windows hold it), and just before it.
    after = bursts[-1] + stretch[1] + 1
    before = bursts[-1] - 1
    checks: list[dict[str, Any]] = []
    firing, silent = [], []
    for tier in slo.alerting.tiers:
        threshold = tier.factor(slo.period) * slo.error_budget
        wait = tier.for_.minutes if tier.for_ else 0.0
        fires = all(
            min(bounds(t, tier.long_window, derived(tier))[0], bounds(t, tier.short_window)[0]) > threshold
            for t in (after - wait, after)
        )
        quiet = {
            t: bounds(t, tier.long_window, derived(tier))[1] < threshold or bounds(t, tier.short_window)[1] < threshold
            for t in (before, after)
        }
        if fires and after - wait > bursts[-1] + 1:
            firing.append(tier)
            checks.append(_check(_alerts(service, slo, tier=tier.name, alertstate="firing"), after, 1))
        elif all(quiet.values()):
            silent.append(tier)
            checks.extend(_check(_alerts(service, slo, tier=tier.name), t, 0) for t in quiet)
    if not firing:
        return None
    phases: list[Phase] = []
    cursor = 0.0
    for b in bursts:
        phases += [Phase(round(b - cursor), 0.0), Phase(_burst(sli), 1.0)]
        cursor = b + _burst(sli)
    phases.append(Phase(round(total - cursor), 0.0))
    pages = any(t.severity == "critical" for t in firing)
    critical = [t for t in slo.alerting.tiers if t.severity == "critical"]
    never_page = bool(critical) and all(t in silent for t in critical)
    verdict = "pages" if pages else "raises a ticket and never a page" if never_page else "raises a ticket"
    what = f"a {burn:g}x burn ({_burst(sli)}-minute failures every {period} minutes)"
    return _case(f"{service.name}/{slo.name}: {what} {verdict}", slo, phases, 60, checks)


def quiet_case(service: Service, slo: SLO) -> dict[str, Any]:
    """Zero traffic (counters present, flat) or a healthy probe: nothing fires, nothing pends."""
    phases = [Phase(30, 0.0, traffic=False)]
    what = "a probe that always succeeds" if isinstance(_inner(slo), ProbeSLI) else "zero traffic"
    checks = [_check(_alerts(service, slo), m, 0) for m in (10, 20, 30)]
    return _case(f"{service.name}/{slo.name}: {what} fires nothing", slo, phases, 60, checks)


def below_slice_threshold_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """Errors steadily at half the slice threshold never make a slice bad."""
    if not isinstance(slo.sli, TimeSliceSLI) or isinstance(slo.sli.inner, ProbeSLI) or slo.sli.mean:
        return None
    share = (1 - slo.sli.slice_target) / 2
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
