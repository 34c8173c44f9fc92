"""The promtool test file of a service: the burn scenarios and the guard scenarios together.

Kept apart from :mod:`generators.promtool_tests` (scenario building blocks and burn cases) and
:mod:`generators.guard_tests` (guard cases, built from those blocks) so neither imports the other back.
"""

from __future__ import annotations

from typing import Any

from generators import guard_tests, prometheus_rules, promtool_tests
from slo.model import Service


def test_file(service: Service, rule_file: str) -> dict[str, Any]:
    """The promtool test document for one service: every generated scenario of every alerting SLO."""
    tests: list[dict[str, Any]] = []
    for slo in service.slos:
        if slo.alerting is None:
            continue
        try:
            candidates = [
                promtool_tests.outage_case(service, slo),
                promtool_tests.steady_case(service, slo, 20),
                promtool_tests.steady_case(service, slo, 0.9),
                promtool_tests.slice_burn_case(service, slo, 20),
                promtool_tests.below_slice_threshold_case(service, slo),
                promtool_tests.quiet_case(service, slo),
                *guard_tests.guard_cases(service, slo),
            ]
        except promtool_tests.Unsupported:
            continue
        tests.extend(c for c in candidates if c is not None)
    # Groups read each other's recordings at the same instant (the long windows the short ones, the alerts
    # both): promtool 2.x evaluates a file's groups in random order unless told (the scenarios flapped on
    # 2.42, ~1 run in 5), 3.x in file order. The order Prometheus loads them in, for every version.
    order = [group["name"] for group in prometheus_rules.rule_file(service)["groups"]]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": f"{promtool_tests.EVAL}s",
        "group_eval_order": order,
        "tests": tests,
    }
