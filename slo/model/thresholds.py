"""Threshold ("symptom") alerts of a service: a measured value against a warning and a critical level.

Part of the model (:mod:`slo.model`): immutable, validated on
construction. The value comes from a typed expression shape (or an opaque PromQL expression); label
values reach PromQL only through selectors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from slo.model.durations import Duration, parse_seconds
from slo.model.errors import DefinitionError
from slo.model.selectors import Selector
from slo.model.values import freeze_labels, normalise_objective

ALERT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Alert names the SLO rules use: a threshold alert of the same name would be routed and inhibited as one.
RESERVED_ALERT_NAMES = frozenset(
    {
        "SLOErrorBudgetBurn",
        "SLOMetricAbsent",
        "SLOLatencyBucketMissing",
        "SLOErrorBudgetExhausted",
        "SLOGroupLimitExceeded",
    }
)
# Labels the toolkit sets on a threshold alert (or Prometheus/Alertmanager does).
THRESHOLD_RESERVED_LABELS = frozenset({"alertname", "alertstate", "service", "severity", "slo"})
COMPARISONS = (">", "<")
DEFAULT_FOR = Duration.parse("5m")
_PERCENT = re.compile(r"^(-?\d+(?:\.\d+)?)\s*%$")
_TIME = re.compile(r"^-?\d+(?:\.\d+)?(?:ms|s|m)$")
_ZERO_DURATION = re.compile(r"^0+[wdhms]$")


def grouping(by: object, what: str = "by") -> tuple[str, ...]:
    """Labels an expression keeps (``sum by (...)``): each one alert series; order as given."""
    if isinstance(by, str) or not isinstance(by, list | tuple):
        raise DefinitionError(f"must be a list of label names, got {by!r}", what)
    out: list[str] = []
    for label in by:
        if not isinstance(label, str) or not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", label) or label.startswith("__"):
            raise DefinitionError(f"{label!r} is not a valid Prometheus label name", what)
        if label in THRESHOLD_RESERVED_LABELS:
            raise DefinitionError(f"{label!r} is set by the toolkit and cannot be a grouping label", what)
        if label in out:
            raise DefinitionError(f"label {label!r} is listed twice", what)
        out.append(label)
    return tuple(out)


def _selector(value: object, what: str) -> Selector:
    if not isinstance(value, Selector):
        raise DefinitionError(f"expected a selector (metric and labels), got {value!r}", what)
    return value


def _window(value: object, what: str) -> Duration:
    try:
        return Duration.parse(value)  # type: ignore[arg-type]
    except DefinitionError as exc:
        raise exc.under(what) from None


@dataclass(frozen=True)
class RateRatio:
    """rate(numerator) / rate(denominator) over ``window``, summed by ``by`` (e.g. 5xx / all requests).

    Zero traffic gives no sample rather than NaN; a missing numerator series counts as zero.
    """

    numerator: Selector
    denominator: Selector
    window: Duration = field(default_factory=lambda: Duration.parse("5m"))
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _selector(self.numerator, "numerator")
        _selector(self.denominator, "denominator")
        object.__setattr__(self, "window", _window(self.window, "window"))
        object.__setattr__(self, "by", grouping(self.by))
        if self.numerator == self.denominator:
            raise DefinitionError("numerator and denominator are the same series: the ratio would always be 1")

    @property
    def bounded(self) -> bool:
        """Numerator series are a subset of the denominator's (same metric, more matchers): ratio ≤ 1."""
        return self.numerator.metric == self.denominator.metric and set(self.denominator.matchers) <= set(
            self.numerator.matchers
        )

    unit = "ratio"
    nonnegative = True


@dataclass(frozen=True)
class HistogramQuantile:
    """The ``quantile`` of a histogram's observations over ``window`` (e.g. p95 latency), per ``by`` group."""

    histogram: Selector
    quantile: float
    window: Duration = field(default_factory=lambda: Duration.parse("5m"))
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _selector(self.histogram, "histogram")
        for suffix in ("_bucket", "_count", "_sum"):
            if self.histogram.metric.endswith(suffix):
                raise DefinitionError(
                    f"give the histogram's base name without {suffix!r}: {self.histogram.metric[: -len(suffix)]!r}",
                    "histogram",
                )
        if any(m.label == "le" for m in self.histogram.matchers):
            raise DefinitionError("do not match 'le': the quantile is computed over all buckets", "labels")
        try:
            object.__setattr__(self, "quantile", normalise_objective(self.quantile))
        except DefinitionError as exc:
            raise DefinitionError(f"quantile {exc.message}", "quantile") from None
        object.__setattr__(self, "window", _window(self.window, "window"))
        object.__setattr__(self, "by", grouping(self.by))
        if "le" in self.by:
            raise DefinitionError("'le' is consumed by histogram_quantile and cannot be a grouping label", "by")

    @property
    def bucket(self) -> Selector:
        return self.histogram.with_metric(self.histogram.metric + "_bucket")

    @property
    def unit(self) -> str:
        """``seconds`` for a ``*_seconds`` histogram (levels may be written as ``1.5s``), else a plain value."""
        return "seconds" if self.histogram.metric.endswith("_seconds") else "value"

    bounded = False
    nonnegative = True


@dataclass(frozen=True)
class Utilisation:
    """How full something is: ``used / limit``, ``1 − free / limit``, or a single gauge ``used``.

    With ``rate``, ``used`` is a counter of usage seconds (``container_cpu_usage_seconds_total``)
    whose per-second rate over that window is the usage (cores). Summed by ``by`` on both sides; a
    single gauge is reduced with ``max by``, so the fullest series decides.
    """

    used: Selector | None = None
    limit: Selector | None = None
    free: Selector | None = None
    rate: Duration | None = None
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.used is None) == (self.free is None):
            raise DefinitionError("give exactly one of 'used' or 'free'")
        for attr in ("used", "limit", "free"):
            if getattr(self, attr) is not None:
                _selector(getattr(self, attr), attr)
        if self.free is not None and self.limit is None:
            raise DefinitionError("'free' needs 'limit' (utilisation = 1 − free / limit)", "free")
        if self.rate is not None:
            if self.used is None:
                raise DefinitionError("'rate' applies to a 'used' counter, not to 'free'", "rate")
            object.__setattr__(self, "rate", _window(self.rate, "rate"))
        if self.limit is not None and self.limit in (self.used, self.free):
            raise DefinitionError("the limit is the same series as the usage", "limit")
        object.__setattr__(self, "by", grouping(self.by))

    @property
    def bounded(self) -> bool:
        """A share of a limit: levels are fractions of it."""
        return self.limit is not None

    @property
    def unit(self) -> str:
        return "ratio" if self.limit is not None else "value"

    @property
    def nonnegative(self) -> bool:
        return self.limit is not None or self.rate is not None


@dataclass(frozen=True)
class CounterIncrease:
    """How much a counter grew over ``window`` (e.g. container restarts in the last hour), per ``by`` group."""

    counter: Selector
    window: Duration
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _selector(self.counter, "counter")
        object.__setattr__(self, "window", _window(self.window, "window"))
        object.__setattr__(self, "by", grouping(self.by))

    unit = "count"
    bounded = False
    nonnegative = True


@dataclass(frozen=True)
class RawPromQL:
    """An opaque PromQL expression (checked with promtool by ``slo validate``); ``by`` names the labels
    that tell its series apart, so a critical alert inhibits only the warning of the same series."""

    expr: str
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise DefinitionError("PromQL expression must be a non-empty string", "expr")
        object.__setattr__(self, "by", grouping(self.by))

    unit = "value"
    bounded = False
    nonnegative = False


ThresholdExpr = RateRatio | HistogramQuantile | Utilisation | CounterIncrease | RawPromQL


def parse_level(value: object, expr: ThresholdExpr) -> float:
    """A level as a number, a percentage (``"2%"``, ratio shapes) or a time (``"1.5s"``, latency)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DefinitionError(f"must be a number, a percentage such as '2%' or a time such as '1.5s', got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        percent = _PERCENT.match(text)
        if percent:
            if expr.unit != "ratio" and not isinstance(expr, RawPromQL):
                raise DefinitionError(
                    f"{value!r}: a percentage only fits a ratio (rate_ratio, utilisation with a limit)"
                )
            return round(float(percent.group(1)) / 100, 12)
        if _TIME.match(text):
            if expr.unit != "seconds" and not isinstance(expr, RawPromQL):
                raise DefinitionError(f"{value!r}: a time only fits a quantile of a *_seconds histogram")
            negative = text.startswith("-")
            seconds = parse_seconds(text.lstrip("-"))
            return -seconds if negative else seconds
        raise DefinitionError(f"{value!r} is not a number, a percentage such as '2%' or a time such as '1.5s'")
    if not math.isfinite(float(value)):
        raise DefinitionError(f"must be a finite number, got {value!r}")
    return float(value)


def parse_for(value: object) -> Duration | None:
    """How long the condition must hold before the alert fires; ``None`` or ``0s`` fire at once."""
    if value is None or (isinstance(value, str) and _ZERO_DURATION.match(value)):
        return None
    return Duration.parse(value)  # type: ignore[arg-type]


def _level_text(value: float, expr: ThresholdExpr) -> str:
    if expr.unit == "ratio":
        return f"{value * 100:.10g}%"
    if expr.unit == "seconds":
        return f"{value:.10g}s"
    return f"{value:.10g}"


@dataclass(frozen=True)
class ThresholdAlert:
    """A symptom alert: ``expr`` compared with a warning and/or a critical level.

    Each level becomes its own Prometheus alert (``severity`` warning or critical) under the same
    alert name; above the critical level both fire and Alertmanager's inhibition keeps only the page.
    """

    name: str
    expr: ThresholdExpr
    warning: float | None = None
    critical: float | None = None
    comparison: str = ">"
    for_: Duration | None = DEFAULT_FOR
    labels: tuple[tuple[str, str], ...] = ()
    summary: str = ""
    description: str = ""
    runbook_url: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not ALERT_NAME.match(self.name):
            raise DefinitionError(
                f"alert name {self.name!r} must start with a letter or '_' and contain only letters, digits and '_' "
                "(e.g. HighErrorRate)",
                "name",
            )
        if self.name in RESERVED_ALERT_NAMES:
            raise DefinitionError(f"alert name {self.name!r} is used by the SLO rules", "name")
        if not isinstance(self.expr, RateRatio | HistogramQuantile | Utilisation | CounterIncrease | RawPromQL):
            raise DefinitionError(f"unsupported threshold expression {type(self.expr).__name__}")
        if self.comparison not in COMPARISONS:
            raise DefinitionError(f"must be '>' or '<', got {self.comparison!r}", "comparison")
        if self.for_ is not None and not isinstance(self.for_, Duration):
            raise DefinitionError(f"expected a duration, got {self.for_!r}", "for")
        self._check_levels()
        if isinstance(self.labels, Mapping):
            object.__setattr__(self, "labels", freeze_labels(self.labels))
        reserved = THRESHOLD_RESERVED_LABELS & {k for k, _ in self.labels}
        if reserved:
            raise DefinitionError(f"label(s) {sorted(reserved)} are set by the toolkit", "labels")
        grouped = set(self.expr.by) & {k for k, _ in self.labels}
        if grouped:
            raise DefinitionError(
                f"label(s) {sorted(grouped)} would overwrite the expression's grouping label(s) of the same name",
                "labels",
            )
        for attr in ("summary", "description"):
            if not isinstance(getattr(self, attr), str):
                raise DefinitionError(f"must be a string, got {getattr(self, attr)!r}", attr)
        if self.runbook_url is not None and (not isinstance(self.runbook_url, str) or not self.runbook_url.strip()):
            raise DefinitionError(f"must be a non-empty string, got {self.runbook_url!r}", "runbook_url")

    def _check_levels(self) -> None:
        if self.warning is None and self.critical is None:
            raise DefinitionError("give a warning and/or a critical level")
        for attr in ("warning", "critical"):
            value = getattr(self, attr)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise DefinitionError(f"must be a finite number, got {value!r}", attr)
            object.__setattr__(self, attr, float(value))
            self._check_reachable(attr, float(value))
        w, c = self.warning, self.critical
        if w is not None and c is not None:
            text_w, text_c = _level_text(w, self.expr), _level_text(c, self.expr)
            if self.comparison == ">" and not w < c:
                raise DefinitionError(
                    f"the warning level ({text_w}) must be below the critical level ({text_c}) when alerting on "
                    "values above them (comparison '>')",
                    "warning",
                )
            if self.comparison == "<" and not w > c:
                raise DefinitionError(
                    f"the warning level ({text_w}) must be above the critical level ({text_c}) when alerting on "
                    "values below them (comparison '<')",
                    "warning",
                )

    def _check_reachable(self, attr: str, value: float) -> None:
        """Refuse levels the value can never cross (a ratio above 1, a count below 0): likely a unit slip."""
        text = _level_text(value, self.expr)
        if self.expr.bounded:
            if self.comparison == ">" and value >= 1:
                hint = f" (write '{value:g}%' or {value / 100:g} for {value:g} percent)" if value > 1 else ""
                raise DefinitionError(
                    f"a ratio of a subset to its whole never exceeds 100%, so a level of {text} can never fire{hint}",
                    attr,
                )
            if self.comparison == "<" and value <= 0:
                raise DefinitionError(f"a ratio is never below 0, so a level of {text} can never fire", attr)
        if self.expr.nonnegative:
            if self.comparison == "<" and value <= 0:
                raise DefinitionError(f"the value is never negative, so a level of {text} can never fire", attr)
            if self.comparison == ">" and value < 0:
                raise DefinitionError(f"the value is never negative, so a level of {text} always fires", attr)

    @property
    def levels(self) -> tuple[tuple[str, float], ...]:
        """``(severity, level)`` for each level given, warning first."""
        out = []
        if self.warning is not None:
            out.append(("warning", self.warning))
        if self.critical is not None:
            out.append(("critical", self.critical))
        return tuple(out)

    def level_text(self, value: float) -> str:
        """A level as the user would write it: ``2%``, ``1.5s``, ``5``."""
        return _level_text(value, self.expr)
