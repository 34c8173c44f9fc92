"""Threshold ("symptom") alerts in the Python DSL: typed expression shapes and the alert around them.

Kept apart from the SLO helpers of :mod:`slo.dsl.slos` because a threshold alert is its own model
(:mod:`slo.model.thresholds`) with its own rules; both share the DSL's label vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from slo.dsl.slos import Labels, label_names, selector
from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.selectors import Selector, parse_selector
from slo.model.thresholds import (
    CounterIncrease,
    HistogramQuantile,
    RateRatio,
    RawPromQL,
    ThresholdAlert,
    ThresholdExpr,
    Utilisation,
    parse_for,
    parse_level,
)


def _selector_arg(value: Selector | str, what: str) -> Selector:
    try:
        return parse_selector(value) if isinstance(value, str) else value
    except DefinitionError as exc:
        raise exc.under(what) from None


def rate_ratio(
    numerator: Selector | str,
    denominator: Selector | str,
    *,
    window: str = "5m",
    by: Iterable[str] = (),
) -> RateRatio:
    """``sum(rate(numerator)) / sum(rate(denominator))`` over ``window``, e.g. 5xx responses / all responses."""
    return RateRatio(
        _selector_arg(numerator, "numerator"),
        _selector_arg(denominator, "denominator"),
        Duration.parse(window),
        label_names(by),
    )


def histogram_quantile(
    histogram: str,
    quantile: float,
    *,
    labels: Labels | None = None,
    window: str = "5m",
    by: Iterable[str] = (),
) -> HistogramQuantile:
    """The ``quantile`` (95 or 0.95) of ``histogram``'s observations over ``window``: the p95 response time."""
    return HistogramQuantile(selector(histogram, labels), quantile, Duration.parse(window), label_names(by))


def utilisation(
    used: Selector | str | None = None,
    *,
    limit: Selector | str | None = None,
    free: Selector | str | None = None,
    rate: str | None = None,
    by: Iterable[str] = (),
) -> Utilisation:
    """``used / limit``, ``1 − free / limit`` or a single gauge; ``rate="5m"`` reads ``used`` as a counter (CPU)."""
    return Utilisation(
        _selector_arg(used, "used") if used is not None else None,
        _selector_arg(limit, "limit") if limit is not None else None,
        _selector_arg(free, "free") if free is not None else None,
        Duration.parse(rate) if rate is not None else None,
        label_names(by),
    )


def counter_increase(
    counter: str,
    *,
    window: str,
    labels: Labels | None = None,
    by: Iterable[str] = (),
) -> CounterIncrease:
    """How much ``counter`` grew over ``window``, e.g. container restarts in the last hour."""
    return CounterIncrease(selector(counter, labels), Duration.parse(window), label_names(by))


def raw_promql(expr: str, *, by: Iterable[str] = ()) -> RawPromQL:
    """An opaque PromQL expression (``slo validate`` parses it with promtool); ``by``: labels of its series."""
    return RawPromQL(expr, label_names(by))


def threshold(
    name: str,
    expr: ThresholdExpr,
    *,
    warning: float | str | None = None,
    critical: float | str | None = None,
    comparison: str = ">",
    for_: str | None = "5m",
    labels: Mapping[str, str] | None = None,
    summary: str = "",
    description: str = "",
    runbook_url: str | None = None,
) -> ThresholdAlert:
    """A threshold alert: fires ``warning`` and/or ``critical`` while ``expr`` is beyond the level for ``for_``.

    Levels are numbers, percentages of a ratio (``"2%"``) or times for a latency quantile (``"1.5s"``);
    ``comparison="<"`` alerts on values below the levels. Summary and description are alert templates
    (``{{ $value }}``, ``{{ $labels.pod }}``); by default they name the level and the value.
    """
    levels = {}
    for what, value in (("warning", warning), ("critical", critical)):
        try:
            levels[what] = parse_level(value, expr) if value is not None else None
        except DefinitionError as exc:
            raise exc.under(what) from None
    try:
        hold = parse_for(for_)
    except DefinitionError as exc:
        raise exc.under("for_") from None
    return ThresholdAlert(
        name=name,
        expr=expr,
        warning=levels["warning"],
        critical=levels["critical"],
        comparison=comparison,
        for_=hold,
        labels=labels or {},  # type: ignore[arg-type]
        summary=summary,
        description=description,
        runbook_url=runbook_url,
    )
