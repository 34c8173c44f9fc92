"""The promtool test file of a service: the burn scenarios and the guard scenarios together.

Kept apart from :mod:`generators.promtool_tests` (scenario building blocks and burn cases) and
:mod:`generators.guard_tests` (guard cases, built from those blocks) so neither imports the other back.
"""

from __future__ import annotations

from typing import Any

from generators import group_tests, guard_tests, promtool_tests
from generators.prometheus_rules import slo_groups
from slo.model.service import Service


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
                *promtool_tests.native_input_cases(service, slo),
                *guard_tests.guard_cases(service, slo),
                group_tests.one_group_burns_case(service, slo),
            ]
        except promtool_tests.Unsupported:
            continue
        tests.extend(c for c in candidates if c is not None)
    # promtool evaluates rule groups in an unspecified order at each instant unless told: a long-window
    # group read before the base group of the same instant saw one sample fewer, and the cold-start
    # coverage factor built from those counts made a ticket fire in about one run of ten. Each SLO's
    # groups in the order their records depend on (base rates and pages first, long windows after).
    order = [group["name"] for slo in service.slos for group in slo_groups(service, slo)]
    return {
        "rule_files": [rule_file],
        "evaluation_interval": f"{promtool_tests.EVAL}s",
        "group_eval_order": order,
        "tests": tests,
    }
