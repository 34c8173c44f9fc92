"""The PromQL of threshold alerts, written once: rules, generated tests and dashboards all call it.

Pure functions, model in, PromQL text out. User values reach the text only as selectors rendered
by :mod:`slo.model.selectors`; grouping labels are validated label names. An opaque expression
(:class:`RawPromQL`) is parenthesised, never spliced into anything else.
"""

from __future__ import annotations

from slo.model.thresholds import (
    CounterIncrease,
    HistogramQuantile,
    RateRatio,
    RawPromQL,
    ThresholdAlert,
    ThresholdExpr,
    Utilisation,
)
from slo.promql import guarded_ratio


def _num(value: float) -> str:
    """A PromQL number literal without float noise (0.02, 1.5, 5)."""
    return f"{value:.12g}"


def _aggregate(op: str, inner: str, by: tuple[str, ...]) -> str:
    """``sum(x)`` or ``sum by (a, b) (x)``: one series per group of the validated label names."""
    return f"{op} by ({', '.join(by)}) ({inner})" if by else f"{op}({inner})"


def _sum(inner: str, by: tuple[str, ...]) -> str:
    return _aggregate("sum", inner, by)


def expression(expr: ThresholdExpr) -> str:
    """The measured value: one series per ``by`` group (one series in all without ``by``)."""
    if isinstance(expr, RateRatio):
        numerator = _sum(f"rate({expr.numerator.render()}[{expr.window}])", expr.by)
        denominator = _sum(f"rate({expr.denominator.render()}[{expr.window}])", expr.by)
        # No numerator series (no 5xx ever exported) is a ratio of 0, not "no data".
        return guarded_ratio(f"({numerator} or {denominator} * 0)", denominator)
    if isinstance(expr, HistogramQuantile):
        buckets = _sum(f"rate({expr.bucket.render()}[{expr.window}])", ("le", *expr.by))
        return f"histogram_quantile({_num(expr.quantile)}, {buckets})"
    if isinstance(expr, Utilisation):
        if expr.used is not None:
            used = expr.used.render()
            if expr.rate is not None:
                usage = _sum(f"rate({used}[{expr.rate}])", expr.by)
            elif expr.limit is not None:
                usage = _sum(used, expr.by)
            else:
                return _aggregate("max", used, expr.by)
            if expr.limit is None:
                return usage
            return guarded_ratio(usage, _sum(expr.limit.render(), expr.by))
        assert expr.free is not None and expr.limit is not None
        return f"1 - {guarded_ratio(_sum(expr.free.render(), expr.by), _sum(expr.limit.render(), expr.by))}"
    if isinstance(expr, CounterIncrease):
        return _sum(f"increase({expr.counter.render()}[{expr.window}])", expr.by)
    if isinstance(expr, RawPromQL):
        return f"({expr.expr.strip()})"
    raise TypeError(f"unsupported threshold expression {type(expr).__name__}")


def condition(alert: ThresholdAlert, level: float) -> str:
    """The alert expression for one level: the value where it crosses ``level``.

    Comparison operators bind more loosely than every arithmetic operator and than the
    parenthesised opaque expression, so no extra parentheses are needed.
    """
    return f"{expression(alert.expr)} {alert.comparison} {_num(level)}"


def series_labels(expr: ThresholdExpr) -> tuple[str, ...]:
    """Labels that tell the expression's series apart (one alert per combination)."""
    return expr.by


GRAFANA_UNITS = {"ratio": "percentunit", "seconds": "s", "count": "short", "value": "short"}


def grafana_unit(expr: ThresholdExpr) -> str:
    """The Grafana unit id for the measured value."""
    return GRAFANA_UNITS[expr.unit]


def value_template(expr: ThresholdExpr) -> str:
    """``$value`` formatted for an alert annotation in the expression's unit."""
    if expr.unit == "ratio":
        return "{{ $value | humanizePercentage }}"
    if expr.unit == "seconds":
        return "{{ $value | humanizeDuration }}"
    return "{{ $value | humanize }}"


def describe(expr: ThresholdExpr) -> str:
    """What the expression measures, in words (selectors included, as rendered)."""
    if isinstance(expr, RateRatio):
        return f"The rate of {expr.numerator} relative to {expr.denominator} over {expr.window}"
    if isinstance(expr, HistogramQuantile):
        return f"The p{expr.quantile * 100:.10g} of {expr.histogram.metric} over {expr.window}"
    if isinstance(expr, Utilisation):
        if expr.used is not None:
            used = f"rate({expr.used}) over {expr.rate}" if expr.rate is not None else str(expr.used)
            return f"The usage {used} relative to {expr.limit}" if expr.limit is not None else f"The value of {used}"
        return f"The used share of {expr.limit} ({expr.free} free)"
    if isinstance(expr, CounterIncrease):
        return f"The increase of {expr.counter} over {expr.window}"
    return "The value of the alert's PromQL expression"
