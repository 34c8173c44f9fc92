"""Generated promtool tests for rules evaluated with a rule-group ``query_offset``.

A group with ``query_offset: D`` evaluated at time T reads the data of T − D and stamps what it
writes (recorded series, ``ALERTS``) at T − D. promtool test rules does the same, so a scenario's
``promql_expr_test`` checks keep their times: the series the rules record for time T are the ones they
recorded without the offset, only written D later (an alert is sent D later). What changes is that
promtool must evaluate D past the last check, or the last records would not exist yet: each test gets
a final check at that time. ``alert_rule_test`` checks, which read the rules' state at the evaluation
itself, are moved by D. With D not a multiple of the test's evaluation interval the interval becomes
their greatest common divisor (30s for 1m and 30s), so an evaluation at T + D exists for every check.
Pure: a test document in, a test document out.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from slo.model.durations import Duration


def _seconds(text: str) -> int:
    return 0 if text.strip("0") in ("s", "m", "h", "") else Duration.parse(text).seconds


def delayed(doc: dict[str, Any], offset: Duration | None) -> dict[str, Any]:
    """``doc`` (a promtool test file) for rules whose groups have ``query_offset: offset``."""
    if offset is None:
        return doc
    out = copy.deepcopy(doc)
    step = Duration.parse(out.get("evaluation_interval", "1m")).seconds
    if offset.seconds % step:  # evaluate on a grid holding T + D for every check time T
        out["evaluation_interval"] = f"{math.gcd(step, offset.seconds)}s"
    extra = offset.seconds
    for test in out["tests"]:
        for check in test.get("alert_rule_test", ()):
            check["eval_time"] = f"{_seconds(check['eval_time']) + offset.seconds}s"
        times = [_seconds(c["eval_time"]) for key in ("promql_expr_test", "alert_rule_test") for c in test.get(key, ())]
        if not times:
            continue
        test.setdefault("promql_expr_test", []).append(
            # evaluates the rules until the records stamped at the last check exist
            {"expr": "vector(1)", "eval_time": f"{max(times) + extra}s", "exp_samples": [{"labels": "{}", "value": 1}]}
        )
        if "name" in test:
            test["name"] += f" (query_offset {offset}: recorded and sent {offset} later)"
    return out
