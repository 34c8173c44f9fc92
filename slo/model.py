"""The SLO model every loader produces and every generator consumes.

Immutable dataclasses, validated on construction so an invalid model cannot exist: loaders turn a
``DefinitionError`` raised here into a located ``SpecError`` (file, line, YAML path).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slo.durations import Duration, parse_seconds
from slo.errors import DefinitionError
from slo.grouping import DEFAULT_MAX_GROUPS, GROUP_RESERVED_LABELS, slo_grouping  # noqa: F401 (re-exported)
from slo.selectors import Selector

# The burn-rate alerts' label naming the tier that fired; renamed when the user's own labels hold a `tier`.
TIER_LABEL = "tier"
RENAMED_TIER_LABEL = "slo_tier"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
WINDOW_PLACEHOLDER = "{{.window}}"


def check_name(kind: str, name: object) -> str:
    """Service and SLO names end up in file names, label values and rule names: keep them tame."""
    if not isinstance(name, str) or not NAME.match(name):
        raise DefinitionError(
            f"{kind} name {name!r} must start with a letter or digit and contain only letters, digits, "
            "'.', '_' or '-' (at most 128 characters)"
        )
    return name


def normalise_objective(value: object) -> float:
    """Accept 99.9 (percent) or 0.999 (fraction); reject what is out of range or ambiguous."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(f"must be a number such as 99.9 or 0.999, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise DefinitionError(f"must be a finite number, got {value!r}")
    if v <= 0:
        raise DefinitionError(f"must be > 0, got {value!r}")
    if v >= 100:
        raise DefinitionError(f"must be < 100 (a 100% objective leaves no error budget), got {value!r}")
    if v == 1:
        raise DefinitionError("1 is ambiguous (100% or 1%?): write 0.01 or 1.0 percent as 0.01")
    fraction = v if v < 1 else v / 100
    return round(fraction, 10)


def normalise_fraction(value: object, what: str) -> float:
    """A ratio in (0, 1], e.g. a time-slice target; percent form accepted as for objectives."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise DefinitionError(f"{what} must be a finite number, got {value!r}")
    v = float(value)
    if v in (1, 100):  # every event in the slice good: 1.0 or 100 (%)
        return 1.0
    if not 0 < v < 100:
        raise DefinitionError(f"{what} must be a fraction in (0, 1] or a percentage in (0, 100], got {value!r}")
    return normalise_objective(v)


def freeze_labels(labels: Mapping[str, str] | None, what: str = "labels") -> tuple[tuple[str, str], ...]:
    """Labels as a sorted tuple of pairs: hashable, comparable, deterministic to render."""
    out = []
    for key, value in (labels or {}).items():
        if not isinstance(key, str) or not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", key) or key.startswith("__"):
            raise DefinitionError(f"{key!r} is not a valid Prometheus label name", what)
        if not isinstance(value, str):
            raise DefinitionError(f"label {key!r} must be a string, got {value!r}", what)
        out.append((key, value))
    return tuple(sorted(out))


# ---------------------------------------------------------------------------------------------
# Event sources and SLIs


@dataclass(frozen=True)
class PromQLTemplate:
    """A user-written PromQL expression, kept opaque; ``{{.window}}`` is replaced by a range."""

    expr: str

    def __post_init__(self) -> None:
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise DefinitionError("PromQL expression must be a non-empty string")
        if WINDOW_PLACEHOLDER not in self.expr:
            raise DefinitionError(
                f"PromQL expression must contain {WINDOW_PLACEHOLDER} where the rate window goes: {self.expr!r}"
            )

    def render(self, window: Duration | str) -> str:
        return self.expr.replace(WINDOW_PLACEHOLDER, str(window))


EventSource = Selector | PromQLTemplate


@dataclass(frozen=True)
class RatioSLI:
    """Occurrences from counters: good/total or bad/total events."""

    total: EventSource
    good: EventSource | None = None
    bad: EventSource | None = None

    def __post_init__(self) -> None:
        if (self.good is None) == (self.bad is None):
            raise DefinitionError("a ratio SLI needs exactly one of 'good' or 'bad' besides 'total'")
        if (self.good or self.bad) == self.total:
            raise DefinitionError("the good/bad events and the total events are the same series")


# How a latency SLI's histogram is stored: ``classic`` (``_bucket``/``_count`` series, the default),
# ``native`` (one native histogram series under the base name: exponential buckets, or custom buckets
# (NHCB) from Prometheus' classic-to-native conversion), ``auto`` (native where a series has it, else
# classic; never both for one series). Native and auto need Prometheus 3.8 (stable native histograms).
HISTOGRAM_KINDS = ("classic", "native", "auto")


@dataclass(frozen=True)
class LatencySLI:
    """Occurrences from a histogram: good = requests at or under ``threshold`` seconds."""

    histogram: Selector
    threshold: float
    histogram_kind: str = "classic"  # see HISTOGRAM_KINDS

    def __post_init__(self) -> None:
        if self.histogram_kind not in HISTOGRAM_KINDS:
            raise DefinitionError(
                f"histogram kind must be one of {', '.join(HISTOGRAM_KINDS)}, got {self.histogram_kind!r}"
            )
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t <= 0:
            raise DefinitionError(f"latency threshold must be a positive number of seconds, got {t!r}")
        object.__setattr__(self, "threshold", float(t))
        for suffix in ("_bucket", "_count", "_sum"):
            if self.histogram.metric.endswith(suffix):
                raise DefinitionError(
                    f"give the histogram's base name without {suffix!r}: {self.histogram.metric[: -len(suffix)]!r}"
                )
        if any(m.label == "le" for m in self.histogram.matchers):
            raise DefinitionError("do not match 'le' yourself: it is derived from the threshold")

    @property
    def bucket(self) -> Selector:
        return self.histogram.with_metric(self.histogram.metric + "_bucket")

    @property
    def count(self) -> Selector:
        return self.histogram.with_metric(self.histogram.metric + "_count")

    @property
    def reads_classic(self) -> bool:
        """Whether the rules read classic ``_bucket``/``_count`` series (kinds ``classic`` and ``auto``)."""
        return self.histogram_kind != "native"

    @property
    def reads_native(self) -> bool:
        """Whether the rules read native (exponential or NHCB) series under the base name."""
        return self.histogram_kind != "classic"


@dataclass(frozen=True)
class ProbeSLI:
    """A 0/1 gauge such as ``probe_success`` or ``up``; only meaningful sliced over time."""

    selector: Selector


@dataclass(frozen=True)
class RawRatioSLI:
    """An opaque error-ratio expression (Sloth's raw SLI); cannot be event-weighted across windows."""

    error_ratio: PromQLTemplate


@dataclass(frozen=True)
class TimeSliceSLI:
    """The period cut into slices; a slice is good when its good ratio is at least ``target``."""

    inner: RatioSLI | LatencySLI | ProbeSLI
    slice: Duration
    target: float

    def __post_init__(self) -> None:
        if not isinstance(self.inner, RatioSLI | LatencySLI | ProbeSLI):
            raise DefinitionError("a time-slice SLI wraps a ratio, latency or probe SLI")
        if self.slice.seconds < 60 or self.slice.seconds % 60:
            raise DefinitionError(f"slice length must be whole minutes, at least 1m, got {self.slice}")
        object.__setattr__(self, "target", normalise_fraction(self.target, "slice target"))


SLI = RatioSLI | LatencySLI | TimeSliceSLI | RawRatioSLI


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Rolling:
    """A rolling window such as the last 30 days."""

    window: Duration

    def __post_init__(self) -> None:
        if self.window.seconds < 86400 or self.window.seconds % 86400:
            raise DefinitionError(f"a rolling period must be whole days (e.g. 7d, 28d, 30d), got {self.window}")

    @property
    def alerting_window(self) -> Duration:
        return self.window

    def __str__(self) -> str:
        return str(self.window)


@dataclass(frozen=True)
class CalendarMonth:
    """A calendar month in a time zone; alerting and dashboards approximate it as 30 days."""

    timezone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise DefinitionError(
                f"unknown time zone {self.timezone!r} (use an IANA name such as Europe/Berlin)"
            ) from None

    @property
    def alerting_window(self) -> Duration:
        return Duration(30 * 86400)

    def __str__(self) -> str:
        return "month" if self.timezone == "UTC" else f"month ({self.timezone})"


@dataclass(frozen=True)
class CalendarWeek:
    """An ISO calendar week (Monday 00:00 to Monday 00:00) in a time zone; 7 days for alerting."""

    timezone: str = "UTC"

    def __post_init__(self) -> None:
        CalendarMonth(self.timezone)  # the same time-zone check

    @property
    def alerting_window(self) -> Duration:
        return Duration(7 * 86400)

    def __str__(self) -> str:
        return "week" if self.timezone == "UTC" else f"week ({self.timezone})"


Period = Rolling | CalendarMonth | CalendarWeek


def parse_period(value: object, timezone: str | None = None) -> Period:
    """``30d``/``28d``/``7d`` → rolling; ``month``/``week`` → calendar month/week (optionally in ``timezone``)."""
    if value in ("month", "monthly", "calendar-month"):
        return CalendarMonth(timezone or "UTC")
    if value in ("week", "weekly", "calendar-week"):
        return CalendarWeek(timezone or "UTC")
    if timezone is not None:
        raise DefinitionError("a time zone only applies to a calendar period ('month')")
    if not isinstance(value, str | Duration):
        raise DefinitionError(f"period must be a rolling window such as '30d' or 'month', got {value!r}")
    return Rolling(Duration.parse(value))


# ---------------------------------------------------------------------------------------------
# Alerting policy


@dataclass(frozen=True)
class BurnRateTier:
    """One row of the multi-window, multi-burn-rate table (Google SRE workbook, ch. 5)."""

    name: str
    severity: str
    long_window: Duration
    short_window: Duration
    budget_spent: float
    for_: Duration | None = None
    min_bad_events: int | None = None  # None: the policy's (slo.guards.min_bad_events)

    def __post_init__(self) -> None:
        check_name("tier", self.name)
        _check_min_bad_events(self.min_bad_events, allow_none=True)
        if self.severity not in ("critical", "warning"):
            raise DefinitionError(f"severity must be 'critical' or 'warning', got {self.severity!r}")
        if self.short_window >= self.long_window:
            raise DefinitionError(
                f"short window {self.short_window} must be shorter than long window {self.long_window}"
            )
        b = self.budget_spent
        if isinstance(b, bool) or not isinstance(b, int | float) or not 0 < b <= 1:
            raise DefinitionError(f"budget spent must be a fraction in (0, 1], got {b!r}")

    def factor(self, period: Period) -> float:
        """Burn-rate threshold: spending ``budget_spent`` of the budget within the long window.

        Nine significant digits keep rule text readable (14.4, not 14.400000000000002) without
        losing precision on small factors such as 0.2333….
        """
        return float(f"{self.budget_spent * period.alerting_window.seconds / self.long_window.seconds:.9g}")


def _check_min_bad_events(value: object, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DefinitionError(f"min_bad_events must be a whole number >= 0, got {value!r}", "min_bad_events")


def tier(
    name: str,
    severity: str,
    long: str,
    short: str,
    budget_spent: float,
    for_: str | None = None,
    min_bad_events: int | None = None,
) -> BurnRateTier:
    """Compact constructor for policy tables."""
    return BurnRateTier(
        name,
        severity,
        Duration.parse(long),
        Duration.parse(short),
        budget_spent,
        Duration.parse(for_) if for_ else None,
        min_bad_events,
    )


DEFAULT_TIERS: tuple[BurnRateTier, ...] = (
    tier("fast-page", "critical", "1h", "5m", 0.02),
    tier("slow-page", "critical", "6h", "30m", 0.05),
    tier("fast-ticket", "warning", "1d", "2h", 0.10),
    tier("slow-ticket", "warning", "3d", "6h", 0.10),
)


@dataclass(frozen=True)
class AlertPolicy:
    """Burn-rate tiers as data, plus the absent-metric and budget-exhausted alerts.

    The guard knobs (see :mod:`slo.guards`): ``min_bad_events`` a tier needs in its long window
    (low traffic), ``keep_firing_for`` on burn alerts (flap control; None disables),
    ``absent_severity`` of the blind-SLO alert (None: critical when a tier pages).
    """

    tiers: tuple[BurnRateTier, ...] = DEFAULT_TIERS
    absent_for: Duration = field(default_factory=lambda: Duration.parse("4m"))
    budget_exhausted: bool = False
    name: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    page_labels: tuple[tuple[str, str], ...] = ()
    ticket_labels: tuple[tuple[str, str], ...] = ()
    page_annotations: tuple[tuple[str, str], ...] = ()
    ticket_annotations: tuple[tuple[str, str], ...] = ()
    min_bad_events: int = 10
    keep_firing_for: Duration | None = field(default_factory=lambda: Duration.parse("10m"))
    absent_severity: str | None = None
    tier_label: str = TIER_LABEL

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        if self.tier_label not in (TIER_LABEL, RENAMED_TIER_LABEL):
            raise DefinitionError(f"tier_label must be {TIER_LABEL!r} or {RENAMED_TIER_LABEL!r}", "tier_label")
        _check_min_bad_events(self.min_bad_events)
        if self.absent_severity not in (None, "critical", "warning"):
            raise DefinitionError(
                f"absent_severity must be 'critical' or 'warning', got {self.absent_severity!r}", "absent_severity"
            )
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise DefinitionError(f"tier names must be unique, got {names}")
        if self.name is not None and not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", self.name):
            raise DefinitionError(f"alert name {self.name!r} must be a valid Prometheus alert name", "name")
        for attr in ("labels", "page_labels", "ticket_labels", "annotations", "page_annotations", "ticket_annotations"):
            value = getattr(self, attr)
            if isinstance(value, Mapping):
                if attr.endswith("annotations"):
                    frozen = tuple(sorted((str(k), str(v)) for k, v in value.items()))
                else:
                    frozen = freeze_labels(value, attr)
                object.__setattr__(self, attr, frozen)

    def without(self, *names: str) -> AlertPolicy:
        """The same policy with some tiers disabled."""
        unknown = set(names) - {t.name for t in self.tiers}
        if unknown:
            raise DefinitionError(f"unknown tier(s) {sorted(unknown)}; tiers are {[t.name for t in self.tiers]}")
        return replace(self, tiers=tuple(t for t in self.tiers if t.name not in names))

    def severity_labels(self, severity: str) -> dict[str, str]:
        """Extra labels for pages (critical) or tickets (warning), e.g. from a Sloth spec."""
        return dict(self.page_labels if severity == "critical" else self.ticket_labels)

    def severity_annotations(self, severity: str) -> dict[str, str]:
        """Annotations for pages or tickets only (Sloth's per-alert annotations), over the shared ones."""
        return dict(self.page_annotations if severity == "critical" else self.ticket_annotations)


DEFAULT_POLICY = AlertPolicy()


def keep_user_tier(slo: SLO, labels: Mapping[str, str]) -> SLO:
    """The SLO with its burn-rate alerts' tier label renamed when ``labels`` hold a ``tier`` of the user's
    (Sloth examples carry ``tier: "2"``): the user's label is never overwritten."""
    if slo.alerting is None or TIER_LABEL not in labels or slo.alerting.tier_label != TIER_LABEL:
        return slo
    return replace(slo, alerting=replace(slo.alerting, tier_label=RENAMED_TIER_LABEL))


# ---------------------------------------------------------------------------------------------
# Threshold ("symptom") alerts: a measured value against a warning and a critical level, defined
# next to the SLOs of a service. The value comes from a typed expression shape (or an opaque
# PromQL expression); label values reach PromQL only through selectors.

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


# ---------------------------------------------------------------------------------------------
# SLO and Service


@dataclass(frozen=True)
class SLO:
    """An objective over an SLI and a period; ``alerting=None`` disables alerts for it."""

    name: str
    objective: float
    sli: SLI
    period: Period = field(default_factory=lambda: Rolling(Duration.parse("30d")))
    description: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    alerting: AlertPolicy | None = DEFAULT_POLICY
    group_by: tuple[str, ...] = ()
    max_groups: int = DEFAULT_MAX_GROUPS

    def __post_init__(self) -> None:
        check_name("SLO", self.name)
        try:
            object.__setattr__(self, "objective", normalise_objective(self.objective))
        except DefinitionError as exc:
            raise exc.under("objective") from None
        if isinstance(self.labels, Mapping):
            object.__setattr__(self, "labels", freeze_labels(self.labels))
        reserved = {"service", "slo", "severity", RENAMED_TIER_LABEL, "long_window", "short_window"}
        clash = reserved & {k for k, _ in self.labels}
        if clash:
            raise DefinitionError(f"label(s) {sorted(clash)} are set by the toolkit", "labels")
        if self.alerting is not None and TIER_LABEL in dict(self.labels) and self.alerting.tier_label == TIER_LABEL:
            object.__setattr__(self, "alerting", replace(self.alerting, tier_label=RENAMED_TIER_LABEL))
        if not isinstance(self.sli, RatioSLI | LatencySLI | TimeSliceSLI | RawRatioSLI):
            raise DefinitionError(f"unsupported SLI {type(self.sli).__name__}")
        object.__setattr__(
            self, "group_by", slo_grouping(self.group_by, self.labels, opaque=isinstance(self.sli, RawRatioSLI))
        )
        if isinstance(self.max_groups, bool) or not isinstance(self.max_groups, int) or self.max_groups < 1:
            raise DefinitionError(f"must be a whole number >= 1, got {self.max_groups!r}", "max_groups")

    @property
    def grouped(self) -> bool:
        """One SLI and error budget per value of the ``group_by`` labels (e.g. per route)."""
        return bool(self.group_by)

    @property
    def error_budget(self) -> float:
        return round(1 - self.objective, 12)

    @property
    def unit(self) -> str:
        return "slices" if isinstance(self.sli, TimeSliceSLI) else "events"


@dataclass(frozen=True)
class Service:
    """An owner of SLOs; its name keys the generated files and the ``service`` label."""

    name: str
    slos: tuple[SLO, ...]
    team: str | None = None
    owner: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    runbook_url: str | None = None
    dashboard_url: str | None = None
    description: str = ""
    alerts: tuple[ThresholdAlert, ...] = ()

    def __post_init__(self) -> None:
        check_name("service", self.name)
        object.__setattr__(self, "slos", tuple(self.slos))
        object.__setattr__(self, "alerts", tuple(self.alerts))
        if isinstance(self.labels, Mapping):
            object.__setattr__(self, "labels", freeze_labels(self.labels))
        if not self.slos:
            raise DefinitionError("a service needs at least one SLO", "slos")
        if any(k == RENAMED_TIER_LABEL for k, _ in self.labels):
            raise DefinitionError(f"label {RENAMED_TIER_LABEL!r} is set by the toolkit", "labels")
        if TIER_LABEL in dict(self.labels):
            object.__setattr__(self, "slos", tuple(keep_user_tier(s, dict(self.labels)) for s in self.slos))
        seen: set[str] = set()
        for i, s in enumerate(self.slos):
            if not isinstance(s, SLO):
                raise DefinitionError(f"expected an SLO, got {type(s).__name__}", f"slos[{i}]")
            fixed = set(dict(self.labels)) | ({"team"} if self.team else set())
            clash = sorted(fixed & set(s.group_by))
            if clash:
                raise DefinitionError(
                    f"grouping label(s) {clash} are also labels of service {self.name!r}: "
                    "the service label would overwrite every group's value",
                    f"slos[{i}].group_by",
                )
            if s.name in seen:
                raise DefinitionError(f"duplicate SLO name {s.name!r} in service {self.name!r}", f"slos[{i}].name")
            seen.add(s.name)
        policy_names = {s.alerting.name for s in self.slos if s.alerting is not None and s.alerting.name}
        names: set[str] = set()
        for i, a in enumerate(self.alerts):
            if not isinstance(a, ThresholdAlert):
                raise DefinitionError(f"expected a threshold alert, got {type(a).__name__}", f"alerts[{i}]")
            if a.name in names:
                raise DefinitionError(f"duplicate alert name {a.name!r} in service {self.name!r}", f"alerts[{i}].name")
            if a.name in policy_names:
                raise DefinitionError(
                    f"alert name {a.name!r} is the burn-rate alert name of an SLO", f"alerts[{i}].name"
                )
            names.add(a.name)

    def alert_labels(self, alert: ThresholdAlert) -> dict[str, str]:
        """Service labels, then team, then the alert's own labels: what a threshold alert carries."""
        merged = dict(self.labels)
        if self.team:
            merged.setdefault("team", self.team)
        merged.update(dict(alert.labels))
        return merged

    def all_labels(self, slo: SLO) -> dict[str, str]:
        """Service labels, then SLO labels, then team: what every generated series and alert carries."""
        merged = dict(self.labels)
        if self.team:
            merged.setdefault("team", self.team)
        merged.update(dict(slo.labels))
        return merged
