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

from slo.durations import Duration
from slo.errors import DefinitionError
from slo.grouping import DEFAULT_MAX_GROUPS, GROUP_RESERVED_LABELS, slo_grouping  # noqa: F401 (re-exported)
from slo.selectors import Selector
from slo.threshold_model import (  # noqa: F401 (re-exported: the model's public names live here)
    ALERT_NAME,
    COMPARISONS,
    DEFAULT_FOR,
    RESERVED_ALERT_NAMES,
    THRESHOLD_RESERVED_LABELS,
    CounterIncrease,
    HistogramQuantile,
    RateRatio,
    RawPromQL,
    ThresholdAlert,
    ThresholdExpr,
    Utilisation,
    grouping,
    parse_for,
    parse_level,
)
from slo.values import NAME, check_name, freeze_labels, normalise_fraction, normalise_objective  # noqa: F401

# The burn-rate alerts' label naming the tier that fired; renamed when the user's own labels hold a `tier`.
TIER_LABEL = "tier"
RENAMED_TIER_LABEL = "slo_tier"
WINDOW_PLACEHOLDER = "{{.window}}"


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
    """The period cut into slices of ``slice`` length, in one of two modes.

    - good slices (``mean=False``, OpenSLO ``Timeslices``): a slice is good when its good ratio is at
      least ``target``; the SLI is good slices / slices with data.
    - slice mean (``mean=True``, OpenSLO ``RatioTimeslices``): the SLI is the mean of the slices' good
      ratios; every slice with events weighs the same, whatever its traffic. There is no ``target``.
    """

    inner: RatioSLI | LatencySLI | ProbeSLI
    slice: Duration
    target: float | None = None
    mean: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.inner, RatioSLI | LatencySLI | ProbeSLI):
            raise DefinitionError("a time-slice SLI wraps a ratio, latency or probe SLI")
        if self.slice.seconds < 60 or self.slice.seconds % 60:
            raise DefinitionError(f"slice length must be whole minutes, at least 1m, got {self.slice}")
        if not isinstance(self.mean, bool):
            raise DefinitionError(f"mean must be true or false, got {self.mean!r}")
        if self.mean:
            if self.target is not None:
                raise DefinitionError(
                    "a slice-mean SLI averages the slices' good ratios: it has no slice target (drop the target, "
                    "or drop mean to count good slices)"
                )
            return
        if self.target is None:
            raise DefinitionError("a time-slice SLI needs a slice target: the good ratio a slice must reach")
        object.__setattr__(self, "target", normalise_fraction(self.target, "slice target"))

    @property
    def slice_target(self) -> float:
        """The good ratio a slice must reach (good-slices mode only)."""
        if self.target is None:
            raise TypeError("a slice-mean SLI has no slice target")
        return self.target


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


def is_slice_mean(sli: object) -> bool:
    """Whether an SLI is a slice mean (OpenSLO ``RatioTimeslices``): the mean of its slices' good ratios."""
    return isinstance(sli, TimeSliceSLI) and sli.mean
