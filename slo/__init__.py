"""slo-toolkit: write SLOs once, generate rules, tests, routing, dashboards and reports."""

from slo.dsl import (
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
from slo.model import SLO, AlertPolicy, Service, tier

__all__ = [
    "SLO",
    "AlertPolicy",
    "Service",
    "availability",
    "error_rate",
    "latency",
    "not_equal",
    "not_regex",
    "policy",
    "ratio",
    "regex",
    "selector",
    "service",
    "tier",
    "uptime",
]
