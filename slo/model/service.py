"""The SLO and the service that owns it: what every loader produces and every generator consumes.

Immutable dataclasses, validated on construction so an invalid model cannot exist: loaders turn a
``DefinitionError`` raised here into a located ``SpecError`` (file, line, YAML path).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from slo.model.alert_policy import DEFAULT_POLICY, RENAMED_TIER_LABEL, TIER_LABEL, AlertPolicy
from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.grouping import DEFAULT_MAX_GROUPS, slo_grouping
from slo.model.periods import Period, Rolling
from slo.model.sli import SLI, LatencySLI, RatioSLI, RawRatioSLI, TimeSliceSLI
from slo.model.thresholds import ThresholdAlert
from slo.model.values import check_name, freeze_labels, normalise_objective


def keep_user_tier(slo: SLO, labels: Mapping[str, str]) -> SLO:
    """The SLO with its burn-rate alerts' tier label renamed when ``labels`` hold a ``tier`` of the user's
    (Sloth examples carry ``tier: "2"``): the user's label is never overwritten."""
    if slo.alerting is None or TIER_LABEL not in labels or slo.alerting.tier_label != TIER_LABEL:
        return slo
    return replace(slo, alerting=replace(slo.alerting, tier_label=RENAMED_TIER_LABEL))


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
