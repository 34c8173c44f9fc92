"""Two versions' alerts side by side: which alerts a change adds, removes or moves.

Alerts of the two versions are matched by identity (service, SLO, alert name, tier, severity) and
overlapping firing spans; what is left unmatched was added (only in the new version) or removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from slo.backtest.replay import FiredAlert
from slo.model.service import SLO


@dataclass(frozen=True)
class Change:
    """``added`` / ``removed`` / ``changed`` (same alert, other times) / ``same``."""

    kind: str
    head: FiredAlert | None
    base: FiredAlert | None

    @property
    def alert(self) -> FiredAlert:
        found = self.head or self.base
        assert found is not None
        return found


def _overlap(a: FiredAlert, b: FiredAlert, end: int) -> bool:
    return a.start < (b.end if b.end is not None else end + 1) and b.start < (a.end if a.end is not None else end + 1)


def compare(head: Sequence[FiredAlert], base: Sequence[FiredAlert], end: int) -> list[Change]:
    """Every alert of both versions, paired where they are the same alert at overlapping times."""
    out: list[Change] = []
    pool = list(base)
    for a in head:
        match = next((b for b in pool if b.key == a.key and _overlap(a, b, end)), None)
        if match is None:
            out.append(Change("added", a, None))
            continue
        pool.remove(match)
        same = match.start == a.start and match.end == a.end
        out.append(Change("same" if same else "changed", a, match))
    out.extend(Change("removed", None, b) for b in pool)
    out.sort(key=lambda c: (c.alert.start, c.alert.key))
    return out


def is_page(alert: FiredAlert) -> bool:
    """Pages are ``critical`` (the severity the generated routing pages on); anything else is a ticket."""
    return alert.severity == "critical"


@dataclass(frozen=True)
class SloSummary:
    """Per SLO: pages and tickets in each version, and what changed in its definition."""

    service: str
    slo: str
    what: str
    pages: tuple[int, int]  # (base, head)
    tickets: tuple[int, int]


def _describe(head: SLO | None, base: SLO | None) -> str:
    if head is None:
        return "removed"
    if base is None:
        return "new"
    notes = []
    if head.objective != base.objective:
        notes.append(f"objective {base.objective * 100:g}% → {head.objective * 100:g}%")
    if head.period != base.period:
        notes.append(f"period {base.period} → {head.period}")
    if head.alerting != base.alerting:
        notes.append("alert policy changed")
    if head.sli != base.sli:
        notes.append("SLI changed")
    return ", ".join(notes) or "rules changed"


def summarise(
    changes: Sequence[Change],
    head_slos: Mapping[tuple[str, str], SLO],
    base_slos: Mapping[tuple[str, str], SLO],
    compared: set[tuple[str, str]],
) -> list[SloSummary]:
    """One line per compared SLO (those whose rules differ between the versions)."""
    out = []
    for key in sorted(compared):
        mine = [c for c in changes if (c.alert.service, c.alert.slo) == key]
        pages = (
            sum(1 for c in mine if c.base is not None and is_page(c.base)),
            sum(1 for c in mine if c.head is not None and is_page(c.head)),
        )
        tickets = (
            sum(1 for c in mine if c.base is not None and not is_page(c.base)),
            sum(1 for c in mine if c.head is not None and not is_page(c.head)),
        )
        out.append(SloSummary(key[0], key[1], _describe(head_slos.get(key), base_slos.get(key)), pages, tickets))
    return out
