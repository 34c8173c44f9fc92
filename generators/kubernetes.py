"""prometheus-operator ``PrometheusRule`` objects wrapping the same rule groups."""

from __future__ import annotations

from typing import Any

from slo.model import Service


def prometheus_rule(service: Service, rule_file: dict[str, Any]) -> dict[str, Any]:
    """A PrometheusRule for ``service`` carrying ``rule_file``'s groups unchanged."""
    labels = {"app.kubernetes.io/managed-by": "slo-toolkit", "slo-toolkit/service": service.name}
    if service.team:
        labels["team"] = service.team
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": f"slo-{service.name}".lower(), "labels": labels},
        "spec": {"groups": rule_file["groups"]},
    }
