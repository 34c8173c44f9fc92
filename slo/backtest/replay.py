"""Alerting rules replayed over history: one range query per rule, then Prometheus' alert states.

Prometheus evaluates an alerting rule at each tick of its group: the expression's result series
become *pending* alerts, a pending alert *fires* once it has been active for ``for``, and a firing
alert whose series vanished keeps firing until ``keep_firing_for`` has passed since it first went
missing (Prometheus 2.42 ``rules/alerting.go``). A range query with ``step`` = the group's interval
returns the expression's value at every tick, so :func:`states` can step through the same machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slo.backtest.evaluate import grid
from slo.backtest.plan import Alerting
from slo.report.client import PromClient

Interval = tuple[int, int | None, float]  # fired at, resolved at (None: still firing), peak value


def states(ticks: Sequence[int], active: Mapping[int, float], for_: int, keep_firing_for: int) -> list[Interval]:
    """When one alert series fired: ``[(fired_at, resolved_at | None, peak value while firing)]``.

    ``ticks`` are the group's evaluation instants in order; ``active`` maps a tick to the value the
    expression had there (no entry: no result). Mirrors Prometheus: a series that is active again
    after resolving starts a new pending alert; ``for: 0`` fires on its first tick.
    """
    out: list[Interval] = []
    state = "inactive"
    active_at = fired_at = 0
    keep_since: int | None = None
    peak = float("-inf")
    for t in ticks:
        value = active.get(t)
        if value is not None:
            keep_since = None
            if state == "inactive":
                state, active_at = "pending", t
            if state == "pending" and t - active_at >= for_:
                state, fired_at, peak = "firing", t, float("-inf")
            if state == "firing" and value == value:  # NaN never wins the peak
                peak = max(peak, value)
            continue
        if state == "firing" and keep_firing_for > 0:
            if keep_since is None:
                keep_since = t
            if t - keep_since < keep_firing_for:
                continue
        if state == "firing":
            out.append((fired_at, t, peak))
        state, keep_since = "inactive", None
    if state == "firing":
        out.append((fired_at, None, peak))
    return out


@dataclass(frozen=True)
class FiredAlert:
    """One alert that would have fired: its labels, when, and how bad it got."""

    alertname: str
    labels: Mapping[str, str]
    start: int
    end: int | None  # None: still firing when the window ends
    peak_value: float
    interval: int
    budget_spent: float | None = None
    extra: Mapping[str, str] = field(default_factory=dict)
    group: tuple[tuple[str, str], ...] = ()  # a grouped SLO's group labels (route=/search): one alert per group

    @property
    def service(self) -> str:
        return self.labels.get("service", "")

    @property
    def slo(self) -> str:
        return self.labels.get("slo", "")

    @property
    def tier(self) -> str:
        return self.labels.get("tier", "")

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def peak_burn_rate(self) -> float | None:
        """The alert's value at its worst; a burn rate for tiered (burn-rate) alerts only."""
        if not self.tier or self.peak_value != self.peak_value or self.peak_value == float("-inf"):
            return None
        return self.peak_value

    @property
    def key(self) -> tuple[str, str, str, str, str, tuple[tuple[str, str], ...]]:
        return (self.service, self.slo, self.alertname, self.tier, self.severity, self.group)


def _labels(metric: Mapping[str, str], rule: Alerting) -> dict[str, str]:
    out = {k: v for k, v in metric.items() if k != "__name__"}
    out.update(rule.labels)
    out["alertname"] = rule.alert
    return out


def replay(client: PromClient, rule: Alerting, start: int, end: int) -> list[FiredAlert]:
    """Every alert ``rule`` would have fired at its group's ticks in ``[start, end]``."""
    ticks = grid(start, end, rule.interval)
    if not ticks:
        return []
    answer = client.range(
        rule.expr, datetime.fromtimestamp(ticks[0], UTC), datetime.fromtimestamp(ticks[-1], UTC), rule.interval
    )
    fired: list[FiredAlert] = []
    for item in answer:
        active = {round(float(t)): float(v) for t, v in item["values"]}
        labels = _labels(item.get("metric", {}), rule)
        for began, ended, peak in states(ticks, active, rule.for_, rule.keep_firing_for):
            fired.append(FiredAlert(rule.alert, labels, began, ended, peak, rule.interval))
    return fired


def replay_all(
    rules: Iterable[Alerting],
    client_for: Callable[[Alerting], PromClient],
    start: int,
    end: int,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int = 2,
) -> list[FiredAlert]:
    """Replay every rule on the server that holds its inputs (``workers`` at a time); sorted by start."""
    todo = list(rules)
    out: list[FiredAlert] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(replay, client_for(rule), rule, start, end) for rule in todo]
        for n, future in enumerate(futures, 1):
            out.extend(future.result())
            if progress is not None:
                progress("alerts", n, len(todo))
    out.sort(key=lambda a: (a.start, a.key))
    return out
