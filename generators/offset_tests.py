"""Generated promtool tests for rules evaluated with a rule-group ``query_offset``.

A group with ``query_offset: D`` evaluated at time T reads the data of T − D, so everything its rules
produce (alerts, recorded series) happens D later than without the offset. promtool test rules honours
the field, so the generated scenarios are moved: every ``eval_time`` is delayed by D rounded up to whole
steps of the test's evaluation interval (an evaluation then reads data at most one step later than the
scenario was written for, as a live Prometheus evaluating between scrapes does). The scenario names say
so. Pure: a test document in, a test document out.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from slo.durations import Duration


def delay(offset: Duration, evaluation_interval: Duration) -> Duration:
    """The offset rounded up to whole evaluation steps."""
    step = evaluation_interval.seconds
    return Duration(math.ceil(offset.seconds / step) * step)


def _seconds(text: str) -> int:
    return 0 if text.strip("0") in ("s", "m", "h", "") else Duration.parse(text).seconds


def delayed(doc: dict[str, Any], offset: Duration | None) -> dict[str, Any]:
    """``doc`` (a promtool test file) with every check moved by the groups' query offset."""
    if offset is None:
        return doc
    out = copy.deepcopy(doc)
    shift = delay(offset, Duration.parse(out.get("evaluation_interval", "1m"))).seconds
    for test in out["tests"]:
        for key in ("promql_expr_test", "alert_rule_test"):
            for check in test.get(key, ()):
                check["eval_time"] = f"{_seconds(check['eval_time']) + shift}s"
        if "name" in test:
            test["name"] += f" (checks delayed {Duration(shift)} for query_offset {offset})"
    return out
