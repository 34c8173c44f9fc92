"""Generated promtool scenarios for the alert guards (slo.promql.guards), one set per SLO.

They pin what makes an on-call trust a page: a blip at cold start fires nothing, sparse errors at
low traffic never page while a real incident at the same traffic does, a latency SLO without its
threshold bucket raises the misconfiguration alert and no burn page, the SLO's series vanishing
alerts in time (with and without staleness markers), and a burn oscillating around the threshold
pages once. Each case returns None when the SLO's numbers make it meaningless (and says why in
:func:`omitted`).
"""

from __future__ import annotations

import math
from typing import Any

from generators.prometheus_rules import ABSENT_ALERT, BUCKET_ALERT, BURN_ALERT
from generators.promtool_tests import Phase, _alerts, _case, _check, fastest_page, page_matcher
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, TimeSliceSLI
from slo.promql import guards

STEP = 15  # seconds: the seeds' scrape interval, for scenarios that need sub-minute failures
LOW_RATE = 1.0  # requests per second in the low-traffic scenarios (the figure)
BLIP_SHARE = 0.012  # a blip spends at most this share of the budget (the fast page needs 2%)
HISTORY = 120  # minutes of history before the cold-start blip


def _inner(slo: SLO) -> object:
    return slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli


def _is_slices(slo: SLO) -> bool:
    """Slices judged against a target; a slice mean spends its budget as events do (a failure's share)."""
    return isinstance(slo.sli, TimeSliceSLI) and not isinstance(slo.sli.inner, ProbeSLI) and not slo.sli.mean


def _any_firing(service: Service, slo: SLO, *, pages: bool = False, **labels: str) -> str:
    """1 when at least one matching alert fires (``pages``: a burn alert of a paging tier), else 0."""
    matchers = [Matcher("service", "=", service.name), Matcher("slo", "=", slo.name)]
    matchers += [Matcher("alertstate", "=", "firing")] + [Matcher(k, "=", v) for k, v in labels.items()]
    if pages:
        matchers.append(page_matcher(slo))
    return f"(count({Selector('ALERTS', tuple(matchers))}) > bool 0) or vector(0)"


def blip_samples(slo: SLO) -> int | None:
    """15 s samples of total failure that spend at most :data:`BLIP_SHARE` of the budget (None: not one).

    A sliced SLI turns one failed sample into about one bad slice (plus a minute of edge).
    """
    budget_seconds = slo.error_budget * slo.period.alerting_window.seconds
    if _is_slices(slo):
        assert isinstance(slo.sli, TimeSliceSLI)
        cost = slo.sli.slice.seconds
        return 1 if cost <= BLIP_SHARE * budget_seconds else None
    n = math.floor(BLIP_SHARE * budget_seconds / STEP)
    return min(n, 4) if n >= 1 else None


def cold_start_blip_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """2h of history, then a total failure worth ~1% of the budget: no page, no ticket."""
    n = blip_samples(slo)
    if n is None or slo.alerting is None or not slo.alerting.tiers:
        return None
    seconds = n * STEP
    phases = [Phase(HISTORY, 0.0), Phase(seconds / 60, 1.0), Phase(20, 0.0)]
    silent = _any_firing(service, slo, alertname=BURN_ALERT)
    checks = [_check(silent, HISTORY + m, 0) for m in (1, 2, 3, 5, 8, 12, 20)]
    share = seconds / (slo.error_budget * slo.period.alerting_window.seconds) * 100
    what = "sample (one bad slice)" if _is_slices(slo) else "s total failure"
    size = f"one failed {STEP}s {what}" if _is_slices(slo) else f"a {seconds}{what} ({share:.2g}% of the budget)"
    return _case(
        f"{service.name}/{slo.name}: cold start (2h of history), {size} fires no page and no ticket",
        slo,
        phases,
        STEP,
        checks,
    )


def sparse_errors_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """1 request/s and three single errors ten minutes apart: never a page.

    Three, not two: on Prometheus 3 (left-open ranges) a 5-minute slice sees an error one sample less, and two
    errors no longer page a 99% slice SLO even unguarded; three do on 2.x and 3.x alike, so the case keeps
    proving the low-traffic minimum on both."""
    if not guards.counts_events(slo) or not guards.pages(slo):
        return None
    one = 1 / (LOW_RATE * 60)  # one bad request in a one-minute sample
    phases = [
        Phase(20, 0.0, rate=LOW_RATE),
        Phase(1, one, rate=LOW_RATE),
        Phase(10, 0.0, rate=LOW_RATE),
        Phase(1, one, rate=LOW_RATE),
        Phase(10, 0.0, rate=LOW_RATE),
        Phase(1, one, rate=LOW_RATE),
        Phase(20, 0.0, rate=LOW_RATE),
    ]
    page = _any_firing(service, slo, pages=True)
    checks = [_check(page, m, 0) for m in (22, 26, 30, 33, 36, 40, 44, 47, 52, 58, 63)]
    return _case(
        f"{service.name}/{slo.name}: three isolated errors at {LOW_RATE:g} request/s never page",
        slo,
        phases,
        60,
        checks,
    )


def incident_share(slo: SLO) -> float:
    """The error share of the low-traffic incident: the issue's 5%, more when the SLO needs it to page."""
    tier = fastest_page(slo)
    assert tier is not None
    need = guards.threshold(slo, tier) * 5
    if _is_slices(slo):
        assert isinstance(slo.sli, TimeSliceSLI)
        need = 5 * (1 - slo.sli.target)
    return min(1.0, max(0.05, need))


def incident_page_minutes(slo: SLO, share: float) -> float | None:
    """Upper bound on minutes from the incident's start to a page at :data:`LOW_RATE`."""
    tier = fastest_page(slo)
    if tier is None:
        return None
    theta = guards.threshold(slo, tier)
    window = tier.long_window.minutes
    # slices turn bad from the first failed sample; event windows fill at the incident's share
    needed = theta * window + 2 if _is_slices(slo) else theta * window / share + 2
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean:  # the slice ratio ramps up over one slice
        needed += slo.sli.slice.minutes
    events = guards.min_bad_events(slo, tier) / (LOW_RATE * share * 60) + 2
    return math.ceil(max(needed, events)) + 1


def low_traffic_incident_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """The same low traffic with a real incident (5% errors for 20 minutes): it pages in time."""
    if not guards.counts_events(slo) or fastest_page(slo) is None:
        return None
    share = incident_share(slo)
    minutes = incident_page_minutes(slo, share)
    if minutes is None or minutes > 60:
        return None
    duration = max(20, math.ceil(minutes) + 2)
    history = 20
    phases = [Phase(history, 0.0, rate=LOW_RATE), Phase(duration, share, rate=LOW_RATE), Phase(2, 0.0, rate=LOW_RATE)]
    page = _any_firing(service, slo, pages=True)
    return _case(
        f"{service.name}/{slo.name}: a low-traffic incident ({LOW_RATE:g} request/s, {share * 100:g}% errors "
        f"for {duration} minutes) pages within {minutes:g} minutes",
        slo,
        phases,
        60,
        [_check(page, history - 1, 0), _check(page, history + minutes, 1)],
    )


def _missing_bucket_series(slo: SLO) -> list[dict[str, str]]:
    """A histogram with boundaries at half and twice the threshold, none at it; all requests fast."""
    from generators import synthetic

    sli = _inner(slo)
    assert isinstance(sli, LatencySLI)
    base = synthetic.solve(list(sli.histogram.matchers))
    if base is None:
        raise synthetic.Unsupported("cannot find label values matching the histogram selector")
    per = 100.0 * 60
    counter = synthetic.counter_values([(31, per)])
    out = [{"series": synthetic.series_text(sli.count.metric, base), "values": counter}]
    for le in (f"{sli.threshold / 2:g}", f"{sli.threshold * 2:g}", "+Inf"):
        out.append({"series": synthetic.series_text(sli.bucket.metric, {**base, "le": le}), "values": counter})
    return out


def missing_bucket_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """No bucket at the threshold: SLOLatencyBucketMissing within 15 minutes, never a burn alert."""
    from slo import promql

    sli = _inner(slo)
    if not isinstance(sli, LatencySLI) or not sli.reads_classic or slo.alerting is None:
        return None  # a native histogram has no missing bucket
    severity = guards.absent_severity(slo)
    missing = _any_firing(service, slo, alertname=BUCKET_ALERT, severity=severity)
    burn = f"count(ALERTS{{service={_q(service.name)},slo={_q(slo.name)},alertname={_q(BURN_ALERT)}}}) or vector(0)"
    fire = math.ceil(guards.BUCKET_FOR.minutes) + 2
    checks = [_check(burn, m, 0) for m in (2, 5, 10, 15, 30)]
    checks += [_check(missing, 1, 0), _check(missing, fire, 1)]
    for side, value in (("below", sli.threshold / 2), ("above", sli.threshold * 2)):
        checks.append(
            {
                "expr": promql.nearest_boundary(slo, side),
                "eval_time": "10m",
                "exp_samples": [{"labels": "{}", "value": float(f"{value:g}")}],
            }
        )
    return {
        "name": (
            f"{service.name}/{slo.name}: no bucket at {sli.threshold:g}s: {BUCKET_ALERT} ({severity}) within "
            f"{fire} minutes naming {sli.threshold / 2:g}s and {sli.threshold * 2:g}s, and no burn alert"
        ),
        "interval": "60s",
        "input_series": _missing_bucket_series(slo),
        "promql_expr_test": checks,
    }


def _q(value: str) -> str:
    from slo.model.selectors import quote

    return quote(value)


def blind_cases(service: Service, slo: SLO) -> list[dict[str, Any]]:
    """The total series vanish, with staleness markers (target gone) and without (a silent gap)."""
    if slo.alerting is None:
        return []
    from slo import promql

    if promql.total_selector(slo) is None:
        return []
    present = 10
    wait = math.ceil(slo.alerting.absent_for.minutes)
    severity = guards.absent_severity(slo)
    absent = _any_firing(service, slo, alertname=ABSENT_ALERT, severity=severity)
    out = []
    for stale in (True, False):
        lookback = 0 if stale else math.ceil(guards.LOOKBACK.minutes) + 1
        fire = present + 1 + lookback + wait
        phases = [Phase(present, 0.0), Phase(lookback + wait + 10, None, stale=stale)]
        how = "the target goes away (staleness markers)" if stale else "samples stop without staleness markers"
        out.append(
            _case(
                f"{service.name}/{slo.name}: {how}: {ABSENT_ALERT} ({severity}) fires within {fire - present} minutes",
                slo,
                phases,
                60,
                [
                    _check(absent, present, 0),
                    _check(absent, fire - 1 if stale else present + 2, 0),
                    _check(absent, fire, 1),
                ],
            )
        )
    return out


def no_errors_yet_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """Healthy traffic whose bad-events series does not exist yet (no error so far): nothing fires."""
    from generators import synthetic
    from generators.promtool_tests import input_series

    if slo.alerting is None or not guards.counts_events(slo):
        return None
    roles = [role for role, _, _ in synthetic.sli_series(slo)]
    if "bad" not in roles:
        return None
    series = input_series(slo, [Phase(30, 0.0)], 60)
    kept = [s for s, role in zip(series, roles, strict=True) if role != "bad"]
    nothing = f"count(ALERTS{{service={_q(service.name)},slo={_q(slo.name)}}}) or vector(0)"
    return {
        "name": f"{service.name}/{slo.name}: no error yet (the bad-events series does not exist): nothing fires",
        "interval": "60s",
        "input_series": kept,
        "promql_expr_test": [_check(nothing, m, 0) for m in (5, 15, 30)],
    }


def flap_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """A burn that dips below the threshold between bursts keeps one page firing (keep_firing_for)."""
    tier = fastest_page(slo)
    if tier is None or slo.alerting is None:
        return None
    keep = guards.keep_firing_for(slo, tier)
    if keep is None:
        return None
    theta = guards.threshold(slo, tier)
    window = tier.long_window.minutes
    first = math.ceil(2 * theta * window) + 2  # long window well above the threshold
    gap = min(tier.short_window.minutes + 2, keep.minutes - 1)  # the short window clears, keep holds
    burst = 2
    cycles = 3
    if first + cycles * (gap + burst) > window or gap < 1:  # the first burst stays in the long window
        return None
    history = 20
    phases = [Phase(history, 0.0), Phase(first, 1.0)]
    for _ in range(cycles):
        phases += [Phase(gap, 0.0), Phase(burst, 1.0)]
    end = history + first + cycles * (gap + burst)
    phases.append(Phase(2, 0.0))
    page = _alerts(service, slo, tier=tier.name, alertstate="firing")
    fired = history + first
    checks = [_check(page, m, 1) for m in range(int(fired), int(end) + 1)]
    return _case(
        f"{service.name}/{slo.name}: a burn oscillating around the {tier.name} threshold pages once "
        f"(keep_firing_for {keep})",
        slo,
        phases,
        60,
        checks,
    )


def no_repage_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """Probe SLIs: after an outage, one failed probe while the long window still holds it pages no more."""
    tier = fastest_page(slo)
    if tier is None or guards.min_failed_probes(slo, tier) < 2:
        return None
    keep = guards.keep_firing_for(slo, tier)
    theta = guards.threshold(slo, tier)
    first = math.ceil(2 * theta * tier.long_window.minutes) + 2
    quiet = math.ceil((keep.minutes if keep else 0) + tier.short_window.minutes) + 3
    if first + quiet + 10 > tier.long_window.minutes:
        return None
    history = 20
    blip = history + first + quiet
    phases = [Phase(history, 0.0), Phase(first, 1.0), Phase(quiet, 0.0), Phase(STEP / 60, 1.0), Phase(10, 0.0)]
    page = _alerts(service, slo, tier=tier.name, alertstate="firing")
    checks = [_check(page, history + first, 1), _check(page, blip - 1, 0)]
    checks += [_check(page, blip + m, 0) for m in (1, 2, 3, 5, 8)]
    return _case(
        f"{service.name}/{slo.name}: after an outage has paged and cleared, one failed probe does not page again",
        slo,
        phases,
        STEP,
        checks,
    )


def guard_cases(service: Service, slo: SLO) -> list[dict[str, Any] | None]:
    """Every guard scenario for one SLO (None where a case does not apply)."""
    return [
        cold_start_blip_case(service, slo),
        sparse_errors_case(service, slo),
        low_traffic_incident_case(service, slo),
        missing_bucket_case(service, slo),
        flap_case(service, slo),
        *blind_cases(service, slo),
        no_errors_yet_case(service, slo),
        no_repage_case(service, slo),
    ]
