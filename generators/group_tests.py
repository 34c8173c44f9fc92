"""Generated promtool tests for grouped SLOs: one group burns, the other does not.

A grouped SLO (``group_by``) has one SLI and error budget per group, so a total outage of one group
must page for that group only, with the group's labels on the alert, while the healthy group beside
it (same SLO, same rules) fires nothing.
"""

from __future__ import annotations

import math
from typing import Any

from generators import promtool_tests, synthetic
from generators.promtool_tests import Phase, Unsupported
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service
from slo.model.sli import TimeSliceSLI

BURNING, HEALTHY = "burning", "healthy"


def _selectors(slo: SLO) -> list[Selector]:
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    return [v for v in vars(sli).values() if isinstance(v, Selector)]


def group_values(slo: SLO) -> tuple[dict[str, str], dict[str, str]]:
    """Labels of a burning and a healthy group that every selector of the SLI still matches."""
    matchers = [m for s in _selectors(slo) for m in s.matchers]
    burning, healthy = {}, {}
    for label in slo.group_by:
        on_label = [m for m in matchers if m.label == label]
        values = []
        for candidate in (BURNING, HEALTHY, "a", "b", "0", "1", "/a", "/b"):
            if all(synthetic.satisfies(m, candidate) for m in on_label):
                values.append(candidate)
        if len(values) < 2:
            raise Unsupported(f"cannot find two values of grouping label {label!r} that the selectors match")
        burning[label], healthy[label] = values[0], values[1]
    return burning, healthy


def _alerts(service: Service, slo: SLO, group: dict[str, str], **labels: str) -> str:
    matchers = [Matcher("service", "=", service.name), Matcher("slo", "=", slo.name)]
    matchers += [Matcher(k, "=", v) for k, v in group.items()]
    assert slo.alerting is not None
    matchers += [Matcher(slo.alerting.tier_label if k == "tier" else k, "=", v) for k, v in labels.items()]
    return f"count({Selector('ALERTS', tuple(matchers))}) or vector(0)"


def _check(expr: str, minutes: float, value: int) -> dict[str, Any]:
    return {"expr": expr, "eval_time": f"{round(minutes * 60)}s", "exp_samples": [{"labels": "{}", "value": value}]}


def one_group_burns_case(service: Service, slo: SLO) -> dict[str, Any] | None:
    """Two groups: one in a total outage pages (its own labels on the alert), the healthy one fires nothing."""
    if not slo.group_by or slo.alerting is None:
        return None
    tier = promtool_tests.fastest_page(slo)
    if tier is None:
        return None
    burning, healthy = group_values(slo)
    detect = promtool_tests.detection_minutes(slo, tier)
    history = max(60, round(tier.long_window.minutes))
    outage = [Phase(history, 0.0), Phase(math.ceil(detect) + 10, 1.0)]
    fine = [Phase(history + math.ceil(detect) + 10, 0.0)]
    series = [
        *promtool_tests.input_series(slo, outage, 15, burning),
        *promtool_tests.input_series(slo, fine, 15, healthy),
    ]
    end = history + detect
    checks = [
        _check(_alerts(service, slo, burning), history, 0),
        _check(_alerts(service, slo, burning, tier=tier.name, alertstate="firing"), end, 1),
        _check(_alerts(service, slo, healthy), end, 0),
        _check(_alerts(service, slo, healthy), end + 9, 0),
    ]
    shown = ", ".join(f"{k}={v}" for k, v in burning.items())
    return {
        "name": f"{service.name}/{slo.name}: a total outage of group {shown} fires {tier.name} for that group only",
        "interval": "15s",
        "input_series": series,
        "promql_expr_test": checks,
    }
