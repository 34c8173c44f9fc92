"""promtool unit tests for threshold alerts, generated from each alert's levels.

Per alert, synthetic series hold the measured value steady at three points: just short of the first
level (nothing fires, nothing pends), between the levels (the warning fires, the critical does not)
and beyond the critical level (both fire: two rules, one alert name; Alertmanager's inhibition keeps
one notification). Firing alerts are checked through ``ALERTS`` with their exact label sets, so
the tests pin ``service``, ``severity``, ``team`` and the series' grouping labels, not annotation
wording. Where the alert has a ``for``, a check one evaluation before it elapses proves it holds.

The series are found from the selectors themselves (:mod:`generators.synthetic`), so the tests
exercise the real matchers; an opaque PromQL expression cannot be synthesised and gets no tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from generators import synthetic, threshold_rules
from slo.model.selectors import Matcher, Selector
from slo.model.service import Service
from slo.model.thresholds import (
    CounterIncrease,
    HistogramQuantile,
    RateRatio,
    RawPromQL,
    ThresholdAlert,
    ThresholdExpr,
    Utilisation,
)

STEP = 60  # seconds between input samples, and the test's evaluation interval
RATE = 10.0  # synthetic events per second
LIMIT = 1000.0  # a synthetic resource limit (bytes, cores: any unit)


class Unsupported(Exception):
    """The alert's input series cannot be synthesised."""


# ---------------------------------------------------------------------------------------------
# Values around the levels


def probe_values(alert: ThresholdAlert) -> list[tuple[str, float, tuple[str, ...]]]:
    """``(what, value, severities that must fire)``: short of the first level, between, beyond the last.

    Margins are a quarter of the gap between the levels (or of the level itself), clamped to what
    the value can be (a subset ratio stays ≤ 1, counts and ratios stay ≥ 0).
    """
    sign = 1.0 if alert.comparison == ">" else -1.0
    ordered = sorted(alert.levels, key=lambda sl: sign * sl[1])
    (first_sev, first), (last_sev, last) = ordered[0], ordered[-1]
    gap = abs(last - first) or abs(first) or 1.0
    before = first - sign * 0.25 * min(gap, abs(first) or gap)
    beyond = last + sign * 0.25 * min(gap, abs(last) or gap)
    expr = alert.expr
    if expr.bounded:
        before = min(before, (first + 1) / 2) if sign < 0 else before
        beyond = min(beyond, (last + 1) / 2) if sign > 0 else beyond
    if expr.nonnegative:
        before = max(before, first / 2) if sign > 0 else before
        beyond = max(beyond, last / 2) if sign < 0 else beyond
    word = "below" if sign > 0 else "above"
    out = [(f"just {word} the {first_sev} level", before, ())]
    if len(ordered) == 2:
        out.append(("between the levels", (first + last) / 2, (first_sev,)))
    out.append((f"beyond the {last_sev} level", beyond, tuple(sev for sev, _ in alert.levels)))
    return out


# ---------------------------------------------------------------------------------------------
# Input series


def _window_seconds(expr: ThresholdExpr) -> int:
    """How long the expression needs steady input before it reads the steady value exactly."""
    if isinstance(expr, RateRatio | HistogramQuantile | CounterIncrease):
        return expr.window.seconds
    if isinstance(expr, Utilisation) and expr.rate is not None:
        return expr.rate.seconds
    return 0


def grouping_values(by: tuple[str, ...], selectors: list[Selector]) -> dict[str, str]:
    """One value per grouping label that every side's matchers accept (absent where they demand "")."""
    constrained = [m for s in selectors for m in s.matchers if m.label in by]
    solved = synthetic.solve(constrained)
    if solved is None:
        raise Unsupported(f"no values of {list(by)} satisfy every selector")
    out = {}
    for label in by:
        if label in solved:
            out[label] = solved[label]
        elif not any(m.label == label for m in constrained):
            out[label] = "a"
    return out


def _labels(
    selector: Selector, grouped: dict[str, str], by: tuple[str, ...], forbidden: Selector | None = None
) -> dict[str, str]:
    """Labels matching ``selector`` (and, if given, not ``forbidden``) with the grouping values."""
    required = [m for m in selector.matchers if m.label not in by]
    avoid: list[Matcher] | None = None
    if forbidden is not None:
        avoid = [m for m in forbidden.matchers if m.label not in by]
        if not avoid:
            raise Unsupported(f"cannot tell {forbidden} apart from {selector} outside the grouping labels")
    solved = synthetic.solve(required, avoid)
    if solved is None:
        raise Unsupported(f"cannot find label values for {selector}")
    labels = {**solved, **grouped}
    if not synthetic.matches(selector, selector.metric, labels):
        raise Unsupported(f"cannot find label values for {selector}")
    if forbidden is not None and synthetic.matches(forbidden, forbidden.metric, labels):
        raise Unsupported(f"cannot find series of {selector} outside {forbidden}")
    return labels


def _counter(metric: str, labels: dict[str, str], per_second: float, samples: int) -> dict[str, str]:
    if per_second < 0:
        raise Unsupported("a counter cannot fall")
    values = synthetic.counter_values([(samples, per_second * STEP)])
    return {"series": synthetic.series_text(metric, labels), "values": values}


def _gauge(metric: str, labels: dict[str, str], value: float, samples: int) -> dict[str, str]:
    return {"series": synthetic.series_text(metric, labels), "values": synthetic.gauge_values([(samples, value)])}


def input_series(expr: ThresholdExpr, value: float, samples: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Series holding the expression at ``value``, and the grouping labels of the resulting alert series."""
    if isinstance(expr, RawPromQL):
        raise Unsupported("an opaque PromQL expression cannot be synthesised")
    by = expr.by
    if isinstance(expr, RateRatio):
        num, den = expr.numerator, expr.denominator
        grouped = grouping_values(by, [num, den])
        inside = _labels(num, grouped, by)
        if num.metric == den.metric and synthetic.matches(den, num.metric, inside):
            # The numerator's series count in the denominator too: split the traffic.
            if not 0 <= value <= 1:
                raise Unsupported(f"a subset ratio cannot be {value}")
            outside = _labels(den, grouped, by, forbidden=num)
            series = [
                _counter(num.metric, inside, RATE * value, samples),
                _counter(den.metric, outside, RATE * (1 - value), samples),
            ]
        else:
            other = _labels(den, grouped, by, forbidden=num if num.metric == den.metric else None)
            series = [
                _counter(num.metric, inside, RATE * value, samples),
                _counter(den.metric, other, RATE, samples),
            ]
        return series, grouped
    if isinstance(expr, HistogramQuantile):
        if value <= 0:
            raise Unsupported("a quantile at or below 0 cannot be synthesised")
        grouped = grouping_values(by, [expr.histogram])
        base = _labels(expr.histogram, grouped, by)
        # All observations in one bucket (0, B]: histogram_quantile interpolates q·B, so B = value / q.
        upper = value / expr.quantile
        bucket = expr.bucket.metric
        series = [
            _counter(bucket, {**base, "le": repr(upper)}, RATE, samples),
            _counter(bucket, {**base, "le": "+Inf"}, RATE, samples),
        ]
        return series, grouped
    if isinstance(expr, Utilisation):
        sides = [s for s in (expr.used, expr.free, expr.limit) if s is not None]
        grouped = grouping_values(by, sides)
        series = []
        if expr.limit is not None:
            series.append(_gauge(expr.limit.metric, _labels(expr.limit, grouped, by), LIMIT, samples))
        scale = LIMIT if expr.limit is not None else 1.0
        if expr.free is not None:
            series.append(_gauge(expr.free.metric, _labels(expr.free, grouped, by), (1 - value) * scale, samples))
        elif expr.used is not None and expr.rate is not None:
            series.append(_counter(expr.used.metric, _labels(expr.used, grouped, by), value * scale, samples))
        elif expr.used is not None:
            series.append(_gauge(expr.used.metric, _labels(expr.used, grouped, by), value * scale, samples))
        return series, grouped
    if isinstance(expr, CounterIncrease):
        grouped = grouping_values(by, [expr.counter])
        labels = _labels(expr.counter, grouped, by)
        return [_counter(expr.counter.metric, labels, value / expr.window.seconds, samples)], grouped
    raise Unsupported(f"unsupported expression {type(expr).__name__}")


# ---------------------------------------------------------------------------------------------
# Test cases


def _alerts_selector(service: Service, alert: ThresholdAlert, **extra: str) -> str:
    matchers = [Matcher("alertname", "=", alert.name), Matcher("service", "=", service.name)]
    matchers += [Matcher(k, "=", v) for k, v in extra.items()]
    return Selector("ALERTS", tuple(matchers)).render()


def _check(expr: str, seconds: int, samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {"expr": expr, "eval_time": f"{seconds}s", "exp_samples": samples}


def expected_labels(
    service: Service,
    alert: ThresholdAlert,
    severity: str,
    grouped: dict[str, str],
    group_labels: Mapping[str, str] | None = None,
) -> str:
    """The exact label set of the firing alert, as promtool prints it (rule-group labels between the
    series' and the rule's own)."""
    labels = {
        **grouped,
        **(group_labels or {}),
        **threshold_rules.labels(service, alert, severity),
        "alertname": alert.name,
        "alertstate": "firing",
    }
    return synthetic.series_text("ALERTS", labels)


def alert_cases(
    service: Service, alert: ThresholdAlert, group_labels: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The generated test cases of one alert (raises :class:`Unsupported`)."""
    hold = alert.for_.seconds if alert.for_ else 0
    window = math.ceil(_window_seconds(alert.expr) / STEP) * STEP
    settled = window + hold + 2 * STEP  # the window is full, then the condition has held for `for`
    samples = settled // STEP + 1
    cases = []
    for what, value, firing in probe_values(alert):
        series, grouped = input_series(alert.expr, value, samples)
        value_text = alert.level_text(value)
        any_state = _alerts_selector(service, alert)
        if not firing:
            # Mid-way only without a window: a window still filling reads low, which a '<' alert may catch.
            times = {settled} if window else {settled // 2, settled}
            checks = [_check(any_state, t, []) for t in sorted(times)]
            verdict = "fires nothing"
        else:
            fired = [
                {"labels": expected_labels(service, alert, sev, grouped, group_labels), "value": 1} for sev in firing
            ]
            checks = [_check(_alerts_selector(service, alert, alertstate="firing"), settled, fired)]
            silent = [sev for sev, _ in alert.levels if sev not in firing]
            checks += [_check(_alerts_selector(service, alert, severity=sev), settled, []) for sev in silent]
            if hold > STEP:
                # One evaluation before `for` has elapsed since the series began, nothing can fire yet.
                checks.insert(0, _check(_alerts_selector(service, alert, alertstate="firing"), hold - STEP, []))
            verdict = "fires " + " and ".join(firing)
        cases.append(
            {
                "name": f"{service.name}/{alert.name}: {value_text} ({what}) {verdict}",
                "interval": f"{STEP}s",
                "input_series": series,
                "promql_expr_test": checks,
            }
        )
    return cases


def test_file(service: Service, rule_file: str, group_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The promtool test document for a service's threshold alerts (alerts that cannot be synthesised skipped);
    ``group_labels``: the labels ``[tool.slo.rule_groups]`` adds to every alert."""
    tests: list[dict[str, Any]] = []
    for alert in service.alerts:
        try:
            tests.extend(alert_cases(service, alert, group_labels))
        except Unsupported:
            continue
    return {"rule_files": [rule_file], "evaluation_interval": f"{STEP}s", "tests": tests}


def skipped(service: Service) -> list[tuple[str, str]]:
    """Threshold alerts without generated tests, and why."""
    out = []
    for alert in service.alerts:
        try:
            alert_cases(service, alert)
        except Unsupported as exc:
            out.append((alert.name, str(exc)))
    return out
