"""Seven days of traffic against each alerting tier: can a single error fire it?

Burn-rate tiers are ratios, so at low traffic one failed request can be a 14× burn: a page for a
single error at 3 a.m. From the hourly request counts of the last 7 days (the quietest hour and the
median hour) this module works out, per tier, how many requests its long window holds, how many bad
events fire it, whether one does, and — for time-slice SLOs — how many requests a slice holds and
whether one error fails a slice.

The low-traffic guard (a minimum of bad events per tier) lives in :mod:`slo.promql.guards`;
:func:`guard_min_bad_events` is the one place that asks it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from slo.live_check.findings import Finding
from slo.model.alert_policy import BurnRateTier
from slo.model.service import SLO, Service
from slo.model.sli import TimeSliceSLI

HOUR = 3600
DAYS = 7


@dataclass(frozen=True)
class Traffic:
    """Requests per hour over the last 7 days (hours with data only)."""

    hours: tuple[float, ...]
    expected_hours: int = DAYS * 24

    @property
    def quietest(self) -> float:
        return min(self.hours)

    @property
    def median(self) -> float:
        return float(statistics.median(self.hours))

    @property
    def missing_hours(self) -> int:
        return max(0, self.expected_hours - len(self.hours))


@dataclass(frozen=True)
class TierTraffic:
    """One tier at a given hourly traffic."""

    tier: str
    severity: str
    factor: float
    requests_long: float  # requests in the tier's long window at that traffic
    bad_to_fire: int  # bad events within the long window that fire the tier (long window; ratio > threshold)
    single_error_burn: float  # burn rate over the long window caused by one bad event
    single_error_fires: bool  # one bad event pushes the ratio over the threshold, guard aside
    guard_min_bad: int  # the low-traffic guard's minimum bad events (0: no guard)
    requests_per_slice: float | None = None  # time-slice SLOs

    @property
    def guarded(self) -> bool:
        """The guard keeps a single error from firing the tier."""
        return self.guard_min_bad > 1

    @property
    def blind(self) -> bool:
        """The long window holds fewer requests than the guard's bad events: even an outage is silent."""
        return self.guard_min_bad > 0 and self.requests_long < self.guard_min_bad


def guard_min_bad_events(slo: SLO, tier: BurnRateTier) -> int:
    """Minimum bad events the low-traffic guard requires in ``tier``'s long window (0: no guard).

    The one hook into :mod:`slo.promql.guards` (the generated rules' guard math); without that module, or
    without its ``min_bad_events``, the rules have no guard and 0 is returned.
    """
    try:
        from slo.promql import guards
    except ImportError:
        return 0
    fn: Callable[[SLO, BurnRateTier], int | None] | None = getattr(guards, "min_bad_events", None)
    if fn is None:
        return 0
    return int(fn(slo, tier) or 0)


def tier_traffic(slo: SLO, tier: BurnRateTier, per_hour: float) -> TierTraffic:
    """Tier figures at ``per_hour`` requests per hour (pure)."""
    factor = tier.factor(slo.period)
    budget = slo.error_budget
    threshold = factor * budget  # error ratio (or bad-slice share) the tier needs over both windows
    rate = per_hour / HOUR
    guard = guard_min_bad_events(slo, tier)
    # A slice mean weighs one error as 1/requests-per-slice for one slice: at steady traffic the same
    # burn as an event SLI, so it takes the event figures below.
    if isinstance(slo.sli, TimeSliceSLI) and not slo.sli.mean:
        slice_s = slo.sli.slice.seconds
        per_slice = rate * slice_s
        slice_limit = 1 - slo.sli.slice_target  # a slice is bad above this error ratio
        one_error_fails_slice = 1 / max(per_slice, 1.0) > slice_limit
        # One bad slice keeps the sliding slice bad for one slice length of evaluations.
        share_long = min(1.0, slice_s / tier.long_window.seconds)
        share_short = min(1.0, slice_s / tier.short_window.seconds)
        burn = share_long / budget if one_error_fails_slice else 0.0
        fires = one_error_fails_slice and share_long > threshold and share_short > threshold
        slices_long = tier.long_window.seconds / slice_s
        bad_slices = max(math.floor(threshold * slices_long) + 1, guard)
        return TierTraffic(
            tier.name, tier.severity, factor, rate * tier.long_window.seconds, bad_slices, burn, fires, guard, per_slice
        )
    requests = rate * tier.long_window.seconds
    burn = (1 / max(requests, 1.0)) / budget
    bad_to_fire = max(math.floor(threshold * requests) + 1, guard)
    return TierTraffic(tier.name, tier.severity, factor, requests, bad_to_fire, burn, burn > factor, guard)


def _n(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def check_traffic(service: Service, slo: SLO, traffic: Traffic | None) -> tuple[list[Finding], dict[str, object]]:
    """Findings for tiers a single error can fire at the quietest hour; the traffic figures."""
    subject = f"{service.name}/{slo.name}"
    if traffic is None or not traffic.hours:
        return [
            Finding(
                "warning",
                "traffic",
                subject,
                f"no traffic in the last {DAYS} days: the SLO cannot be measured and its alerts cannot fire",
                "check the selectors (see the selector findings) and that the service is scraped",
            )
        ], {"traffic": None}
    facts: dict[str, object] = {
        "traffic": {
            "quietest_hour": traffic.quietest,
            "median_hour": traffic.median,
            "hours_with_data": len(traffic.hours),
            "hours_expected": traffic.expected_hours,
        },
        "tiers": {},
    }
    findings: list[Finding] = []
    if slo.alerting is None:
        return findings, facts
    tiers: dict[str, object] = {}
    for tier in slo.alerting.tiers:
        quiet = tier_traffic(slo, tier, traffic.quietest)
        median = tier_traffic(slo, tier, traffic.median)
        tiers[tier.name] = {
            "factor": quiet.factor,
            "requests_long_window_quietest": quiet.requests_long,
            "requests_long_window_median": median.requests_long,
            "bad_events_to_fire_quietest": quiet.bad_to_fire,
            "bad_events_to_fire_median": median.bad_to_fire,
            "single_error_burn_quietest": quiet.single_error_burn,
            "single_error_fires_quietest": quiet.single_error_fires,
            "single_error_fires_median": median.single_error_fires,
            "guard_min_bad_events": quiet.guard_min_bad,
            "requests_per_slice_quietest": quiet.requests_per_slice,
            "requests_per_slice_median": median.requests_per_slice,
        }
        label = f"{tier.name} ({tier.severity})"
        if quiet.blind:
            findings.append(
                Finding(
                    "warning",
                    "traffic",
                    subject,
                    f"{label}: the {tier.long_window} window holds ~{_n(quiet.requests_long)} requests at the quietest "
                    f"hour ({_n(traffic.quietest)}/h), fewer than the {quiet.guard_min_bad} bad events the low-traffic "
                    "guard needs: then even a total outage does not fire this tier",
                    "lower the tier's min_bad_events for this service, add a probe SLO that fires on time failed, "
                    "or measure it together with a busier service",
                )
            )
            continue
        if not quiet.single_error_fires:
            continue
        when = "even at the median hour" if median.single_error_fires else "at the quietest hour"
        if isinstance(slo.sli, TimeSliceSLI) and not slo.sli.mean:
            what = (
                f"a single error fails a {slo.sli.slice} slice (it holds ~{_n(quiet.requests_per_slice or 0)} "
                f"requests {when}; one error is more than {(1 - slo.sli.slice_target) * 100:g}%) and one bad slice "
                f"burns "
                f"{quiet.single_error_burn:.3g}x over {tier.long_window} (tier factor {_n(quiet.factor)})"
            )
        else:
            what = (
                f"a single error burns {quiet.single_error_burn:.3g}x (tier factor {_n(quiet.factor)}): the "
                f"{tier.long_window} window holds ~{_n(quiet.requests_long)} requests {when} "
                f"({_n(traffic.quietest)}/h at the quietest hour, {_n(traffic.median)}/h median)"
            )
        if quiet.guarded:
            findings.append(
                Finding(
                    "info",
                    "traffic",
                    subject,
                    f"{label}: {what}; the low-traffic guard needs {quiet.guard_min_bad} bad events, so one error "
                    "does not fire it",
                )
            )
            continue
        findings.append(
            Finding(
                "warning",
                "traffic",
                subject,
                f"{label}: {what}, so one failed request fires it",
                "require a minimum of bad events per tier (low-traffic guard), use longer windows, or measure "
                "this service together with a busier one",
            )
        )
    facts["tiers"] = tiers
    return findings, facts
