"""The alerting policy as data: the burn-rate tiers (Google SRE workbook, ch. 5) and the guard knobs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.periods import Period
from slo.model.values import check_name, freeze_labels

# The burn-rate alerts' label naming the tier that fired; renamed when the user's own labels hold a `tier`.
TIER_LABEL = "tier"
RENAMED_TIER_LABEL = "slo_tier"


@dataclass(frozen=True)
class BurnRateTier:
    """One row of the multi-window, multi-burn-rate table (Google SRE workbook, ch. 5)."""

    name: str
    severity: str
    long_window: Duration
    short_window: Duration
    budget_spent: float
    for_: Duration | None = None
    min_bad_events: int | None = None  # None: the policy's (slo.promql.guards.min_bad_events)

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

    The guard knobs (see :mod:`slo.promql.guards`): ``min_bad_events`` a tier needs in its long window
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
