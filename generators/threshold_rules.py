"""Prometheus alerting rules for a service's threshold ("symptom") alerts: ``rules/<service>.alerts.yml``.

One group per service. Each alert becomes one rule per level under the same alert name, labelled
``severity: warning`` and ``severity: critical``: above the critical level both fire, and the
generated Alertmanager inhibition (critical inhibits warning of the same alert, service and series)
leaves one notification. Kept apart from the SLO rule file so the SLO math and its tests do not
change when a threshold is tuned.
"""

from __future__ import annotations

from typing import Any

from generators.prometheus_rules import literal
from slo.model.service import Service
from slo.model.thresholds import ThresholdAlert
from slo.promql import thresholds as threshold_promql

INTERVAL = "30s"


def group_name(service: Service) -> str:
    return f"thresholds:{service.name}"


def labels(service: Service, alert: ThresholdAlert, severity: str) -> dict[str, str]:
    """The rule labels as Prometheus expands them (the series' ``by`` labels come on top)."""
    return {"service": service.name, **service.alert_labels(alert), "severity": severity}


def _words(alert: ThresholdAlert) -> str:
    return "above" if alert.comparison == ">" else "below"


def _series_text(alert: ThresholdAlert) -> str:
    """`` (pod={{ $labels.pod }}, …)`` naming the alert's series; label names are validated identifiers."""
    by = threshold_promql.series_labels(alert.expr)
    return " (" + ", ".join(f"{label}={{{{ $labels.{label} }}}}" for label in by) + ")" if by else ""


def annotations(service: Service, alert: ThresholdAlert, severity: str, level: float) -> dict[str, str]:
    """User text stays a template on purpose (``{{ $value }}``); text derived from the model is escaped."""
    level_text = alert.level_text(level)
    held = f" for {alert.for_}" if alert.for_ else ""
    summary = alert.summary or (
        f"{literal(service.name)}: {alert.name} {_words(alert)} {level_text}{_series_text(alert)}"
    )
    description = alert.description or (
        f"{literal(threshold_promql.describe(alert.expr))} is {threshold_promql.value_template(alert.expr)}, "
        f"{_words(alert)} the {severity} level of {level_text}{held}."
    )
    out = {"summary": summary, "description": description}
    runbook = alert.runbook_url or service.runbook_url
    if runbook:
        out["runbook_url"] = literal(runbook)
    if service.dashboard_url:
        out["dashboard_url"] = literal(service.dashboard_url)
    return out


def alert_rules(service: Service, alert: ThresholdAlert) -> list[dict[str, Any]]:
    """One rule per level, warning first."""
    rules = []
    for severity, level in alert.levels:
        rule: dict[str, Any] = {"alert": alert.name, "expr": threshold_promql.condition(alert, level)}
        if alert.for_:
            rule["for"] = str(alert.for_)
        rule["labels"] = {k: literal(v) for k, v in labels(service, alert, severity).items()}
        rule["annotations"] = annotations(service, alert, severity, level)
        rules.append(rule)
    return rules


def rule_file(service: Service) -> dict[str, Any] | None:
    """The rule file document for the service's threshold alerts; None when it has none."""
    if not service.alerts:
        return None
    rules = [rule for alert in service.alerts for rule in alert_rules(service, alert)]
    return {"groups": [{"name": group_name(service), "interval": INTERVAL, "rules": rules}]}
