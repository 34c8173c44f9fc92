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
from slo.selectors import Selector

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


@dataclass(frozen=True)
class LatencySLI:
    """Occurrences from a histogram: good = requests at or under ``threshold`` seconds."""

    histogram: Selector
    threshold: float

    def __post_init__(self) -> None:
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


Period = Rolling | CalendarMonth


def parse_period(value: object, timezone: str | None = None) -> Period:
    """``30d``/``28d``/``7d`` → rolling; ``month`` → calendar month (optionally in ``timezone``)."""
    if value in ("month", "monthly", "calendar-month"):
        return CalendarMonth(timezone or "UTC")
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

    def __post_init__(self) -> None:
        check_name("tier", self.name)
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


def tier(name: str, severity: str, long: str, short: str, budget_spent: float, for_: str | None = None) -> BurnRateTier:
    """Compact constructor for policy tables."""
    return BurnRateTier(
        name,
        severity,
        Duration.parse(long),
        Duration.parse(short),
        budget_spent,
        Duration.parse(for_) if for_ else None,
    )


DEFAULT_TIERS: tuple[BurnRateTier, ...] = (
    tier("fast-page", "critical", "1h", "5m", 0.02),
    tier("slow-page", "critical", "6h", "30m", 0.05),
    tier("fast-ticket", "warning", "1d", "2h", 0.10),
    tier("slow-ticket", "warning", "3d", "6h", 0.10),
)


@dataclass(frozen=True)
class AlertPolicy:
    """Burn-rate tiers as data, plus the absent-metric and budget-exhausted alerts."""

    tiers: tuple[BurnRateTier, ...] = DEFAULT_TIERS
    absent_for: Duration = field(default_factory=lambda: Duration.parse("10m"))
    budget_exhausted: bool = False
    name: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    page_labels: tuple[tuple[str, str], ...] = ()
    ticket_labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "tiers", tuple(self.tiers))
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise DefinitionError(f"tier names must be unique, got {names}")
        if self.name is not None and not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", self.name):
            raise DefinitionError(f"alert name {self.name!r} must be a valid Prometheus alert name", "name")
        for attr in ("labels", "page_labels", "ticket_labels", "annotations"):
            value = getattr(self, attr)
            if isinstance(value, Mapping):
                if attr == "annotations":
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


DEFAULT_POLICY = AlertPolicy()


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

    def __post_init__(self) -> None:
        check_name("SLO", self.name)
        try:
            object.__setattr__(self, "objective", normalise_objective(self.objective))
        except DefinitionError as exc:
            raise exc.under("objective") from None
        if isinstance(self.labels, Mapping):
            object.__setattr__(self, "labels", freeze_labels(self.labels))
        reserved = {"service", "slo", "severity", "tier", "long_window", "short_window"} & {k for k, _ in self.labels}
        if reserved:
            raise DefinitionError(f"label(s) {sorted(reserved)} are set by the toolkit", "labels")
        if not isinstance(self.sli, RatioSLI | LatencySLI | TimeSliceSLI | RawRatioSLI):
            raise DefinitionError(f"unsupported SLI {type(self.sli).__name__}")

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

    def __post_init__(self) -> None:
        check_name("service", self.name)
        object.__setattr__(self, "slos", tuple(self.slos))
        if isinstance(self.labels, Mapping):
            object.__setattr__(self, "labels", freeze_labels(self.labels))
        if not self.slos:
            raise DefinitionError("a service needs at least one SLO", "slos")
        seen: set[str] = set()
        for i, s in enumerate(self.slos):
            if not isinstance(s, SLO):
                raise DefinitionError(f"expected an SLO, got {type(s).__name__}", f"slos[{i}]")
            if s.name in seen:
                raise DefinitionError(f"duplicate SLO name {s.name!r} in service {self.name!r}", f"slos[{i}].name")
            seen.add(s.name)

    def all_labels(self, slo: SLO) -> dict[str, str]:
        """Service labels, then SLO labels, then team: what every generated series and alert carries."""
        merged = dict(self.labels)
        if self.team:
            merged.setdefault("team", self.team)
        merged.update(dict(slo.labels))
        return merged
