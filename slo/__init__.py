"""slo-toolkit: write SLOs once, generate rules, tests, routing, dashboards and reports."""

from slo.dsl import (
    availability,
    email,
    error_rate,
    latency,
    not_equal,
    not_regex,
    opsgenie,
    pagerduty,
    policy,
    ratio,
    regex,
    routing,
    selector,
    service,
    service_route,
    slack,
    team_route,
    uptime,
    webhook,
)
from slo.model import SLO, AlertPolicy, Service, tier

# Note: ``slo.routing`` is the DSL function above; the routing model lives in the module of the
# same name, imported as ``from slo.routing import Routing``.

__all__ = [
    "SLO",
    "AlertPolicy",
    "Service",
    "availability",
    "email",
    "error_rate",
    "latency",
    "not_equal",
    "not_regex",
    "opsgenie",
    "pagerduty",
    "policy",
    "ratio",
    "regex",
    "routing",
    "selector",
    "service",
    "service_route",
    "slack",
    "team_route",
    "tier",
    "uptime",
    "webhook",
]
