"""slo-toolkit: write SLOs once, generate rules, tests, routing, dashboards and reports."""

from slo.dsl.routing import email, msteamsv2, opsgenie, pagerduty, routing, service_route, slack, team_route, webhook
from slo.dsl.slos import (
    availability,
    error_rate,
    latency,
    not_equal,
    not_regex,
    policy,
    ratio,
    regex,
    selector,
    service,
    uptime,
)
from slo.dsl.thresholds import counter_increase, histogram_quantile, rate_ratio, raw_promql, threshold, utilisation
from slo.model.alert_policy import AlertPolicy, tier
from slo.model.service import SLO, Service

__all__ = [
    "SLO",
    "AlertPolicy",
    "Service",
    "availability",
    "counter_increase",
    "email",
    "error_rate",
    "histogram_quantile",
    "latency",
    "msteamsv2",
    "not_equal",
    "not_regex",
    "opsgenie",
    "pagerduty",
    "policy",
    "rate_ratio",
    "ratio",
    "raw_promql",
    "regex",
    "routing",
    "selector",
    "service",
    "service_route",
    "slack",
    "team_route",
    "threshold",
    "tier",
    "uptime",
    "utilisation",
    "webhook",
]
