"""Names and windows of the recorded SLO series, shared by the rules and the dashboards.

Naming follows Prometheus' ``level:metric:operations`` convention; every series carries the
``service`` and ``slo`` labels, so one name serves all SLOs.
"""

from __future__ import annotations

from slo.model.durations import Duration
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service

BAD_RATE = "slo:sli_bad:rate5m"
TOTAL_RATE = "slo:sli_total:rate5m"
SLICE_BAD = "slo:slice_bad:bool"
SLICE_ERROR = "slo:slice_error:ratio"
OBJECTIVE = "slo:objective:ratio"
ERROR_BUDGET = "slo:error_budget:ratio"
BUDGET_REMAINING = "slo:error_budget_remaining:ratio"
SLI_PERIOD = "slo:sli:ratio_period"
PERIOD_SECONDS = "slo:period:seconds"
PROBE_FAILED = "slo:probe_failed:ratio_rate5m"  # probe SLIs: share of failed probe time (alerting windows)

BASE_WINDOW = Duration.parse("5m")
STANDARD_WINDOWS = tuple(Duration.parse(w) for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d"))
FAST_GROUP_LIMIT = Duration.parse("6h")


def error_ratio_name(window: Duration) -> str:
    return f"slo:sli_error:ratio_rate{window}"


def burn_rate_name(window: Duration) -> str:
    return f"slo:burn_rate:rate{window}"


def identity(service: Service, slo: SLO) -> tuple[Matcher, ...]:
    """The matchers that pick one SLO's recorded series."""
    return (Matcher("service", "=", service.name), Matcher("slo", "=", slo.name))


def series(name: str, service: Service, slo: SLO) -> Selector:
    """The selector of one recorded series of one SLO."""
    return Selector(name, identity(service, slo))


def windows(slo: SLO) -> tuple[Duration, ...]:
    """Every window recorded for an SLO: the standard set, the policy's windows and the period."""
    found = set(STANDARD_WINDOWS) | {slo.period.alerting_window}
    if slo.alerting is not None:
        for t in slo.alerting.tiers:
            found |= {t.long_window, t.short_window}
    return tuple(sorted(found))
