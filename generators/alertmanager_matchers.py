"""Alertmanager matchers for the generated routes and inhibition rules: quoting, the SLO alert names.

One place renders a matcher (``label="value"``, escaped as Alertmanager's parser reads it), so the
routes, the inhibition rules and the subtree markers never paste user strings together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from generators import prometheus_rules
from slo.loaders import Definitions

FIXED_ALERTS = (
    prometheus_rules.ABSENT_ALERT,
    prometheus_rules.BUCKET_ALERT,
    prometheus_rules.EXHAUSTED_ALERT,
)


def quote(value: str) -> str:
    """A label value as a double-quoted Alertmanager matcher value."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def matcher(label: str, value: str, op: str = "=") -> str:
    return f"{label}{op}{quote(value)}"


def burn_alert_names(defs: Definitions) -> list[str]:
    """``SLOErrorBudgetBurn`` plus any alert name an SLO's policy sets instead."""
    custom = {
        slo.alerting.name
        for service in defs.services
        for slo in service.slos
        if slo.alerting is not None and slo.alerting.name
    }
    return [prometheus_rules.BURN_ALERT, *sorted(custom - {prometheus_rules.BURN_ALERT})]


def threshold_alert_names(defs: Definitions, both_levels: bool = False) -> list[str]:
    """The names of the services' threshold alerts (only those with both levels if ``both_levels``)."""
    names = {
        alert.name
        for service in defs.services
        for alert in service.alerts
        if not both_levels or (alert.warning is not None and alert.critical is not None)
    }
    return sorted(names)


def alert_names(defs: Definitions) -> list[str]:
    """Every SLO alert name the rule generator can write for these definitions (burn-rate names first)."""
    grouped = any(slo.group_by for service in defs.services for slo in service.slos)
    return [*burn_alert_names(defs), *FIXED_ALERTS, *([prometheus_rules.GROUP_LIMIT_ALERT] if grouped else [])]


def one_of(label: str, values: list[str]) -> str:
    return matcher(label, values[0]) if len(values) == 1 else matcher(label, "|".join(values), "=~")


def subtree_matcher(defs: Definitions) -> str:
    """The matcher that marks (and selects the alerts of) the generated SLO subtree."""
    return matcher("alertname", "|".join(alert_names(defs)), "=~")


def service_matcher(services: Iterable[str]) -> str:
    """``service="a"`` or ``service=~"a|b"``: only these definitions' services, never another team's.

    Alert names such as ``SLOErrorBudgetBurn``, ``SLOMetricAbsent`` (Pyrra writes one too) or
    ``HighErrorRate`` are common; in a shared Alertmanager a subtree matched by name alone would
    capture every other generator's and team's alerts of that name.
    """
    names = sorted(set(services))
    if len(names) == 1:
        return matcher("service", names[0])
    return matcher("service", "|".join(re.escape(n) for n in names), "=~")
