"""Rule documents read as data: which recording rules feed which, in what order, from how far back.

Nothing here knows what the generator writes today. Every expression is parsed with
``promql-parser``; a rule's inputs are the metric names of its selectors. A name recorded by some
rule of the document is *recorded*, any other name is *raw* (lives on the user's server). That
gives each recording rule a level (raw inputs only: 1; else one more than its deepest recorded
input) and a look-back (how much earlier history its value at ``t`` reads), and each alert the
recordings it needs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import promql_parser

from slo.model.errors import SpecError
from slo.model.selectors import quote

LOOKBACK_DELTA = 300  # Prometheus' default staleness look-back: an instant selector reads 5m back


def _seconds(value: Any) -> int:
    if isinstance(value, timedelta):
        return math.ceil(value.total_seconds())
    return 0


def parse_duration(text: Any, where: str) -> int:
    """A Prometheus duration (``30s``, ``1h30m``, ``1d``) in seconds; 0 for none."""
    if text is None or text == "":
        return 0
    try:
        return _seconds(promql_parser.parse_duration(str(text)))
    except Exception:
        raise SpecError(f"{where}: {text!r} is not a Prometheus duration") from None


@dataclass(frozen=True)
class Inputs:
    """What an expression reads: metric names and selectors, each with the longest history behind ``t``."""

    names: Mapping[str, int]
    nameless: bool = False  # a selector without a metric name (reads anything)
    selectors: Mapping[str, tuple[str, int]] = field(default_factory=dict)  # text -> (metric name, reach)


def _selector_text(node: Any, name: str) -> str:
    """A vector selector rendered with proper quoting (the parser's own printer drops escapes)."""
    parts = []
    for m in node.matchers.matchers:
        if m.name == "__name__":
            continue
        op = {"Equal": "=", "NotEqual": "!=", "Re": "=~", "NotRe": "!~"}[str(m.op).rsplit(".", 1)[-1]]
        parts.append(f"{m.name}{op}{quote(m.value)}")
    return name + "{" + ",".join(sorted(parts)) + "}"


def inputs(expr: str, where: str) -> Inputs:
    """The metric names ``expr`` selects and how far back each is read (range + offset + subquery)."""
    try:
        tree = promql_parser.parse(expr)
    except Exception as exc:
        raise SpecError(f"{where}: PromQL does not parse: {' '.join(str(exc).split())}") from None
    found: dict[str, int] = {}
    selectors: dict[str, tuple[str, int]] = {}
    nameless = False

    def visit(node: Any, outer: int) -> None:
        nonlocal nameless
        kind = type(node).__name__
        if kind == "VectorSelector":
            name = node.name
            if name is None:
                for m in node.matchers.matchers:
                    if m.name == "__name__" and str(m.op).endswith("Equal") and "Not" not in str(m.op):
                        name = m.value
            back = outer + _seconds(node.offset) + LOOKBACK_DELTA
            if name is None:
                nameless = True
            else:
                found[name] = max(found.get(name, 0), back)
                text = _selector_text(node, name)
                selectors[text] = (name, max(selectors.get(text, (name, 0))[1], back))
            return
        if kind == "MatrixSelector":
            vs = node.vector_selector
            visit_selector_range(vs, outer + _seconds(node.range))
            return
        if kind == "SubqueryExpr":
            visit(node.expr, outer + _seconds(node.range) + _seconds(node.offset))
            return
        for attr in ("lhs", "rhs", "expr", "param"):
            child = getattr(node, attr, None)
            if child is not None and hasattr(child, "prettify"):
                visit(child, outer)
        for child in getattr(node, "args", None) or ():
            visit(child, outer)

    def visit_selector_range(vs: Any, back: int) -> None:
        # A range selector reads exactly its range (plus offset), no staleness look-back.
        visit(vs, back - LOOKBACK_DELTA)

    visit(tree, 0)
    return Inputs(found, nameless, selectors)


@dataclass(frozen=True)
class Recording:
    """One recording rule with its place in the evaluation order."""

    group: str
    interval: int
    record: str
    expr: str
    labels: Mapping[str, str]
    raw_inputs: frozenset[str]
    recorded_inputs: frozenset[str]
    level: int
    lookback: int  # seconds of raw history behind t that its value at t depends on
    raw_selectors: Mapping[str, int] = field(default_factory=dict)  # selector text -> reach

    @property
    def mixed(self) -> bool:
        """Reads raw and recorded series: evaluated locally over a copy of the raw series."""
        return bool(self.raw_inputs and self.recorded_inputs)


@dataclass(frozen=True)
class Alerting:
    """One alerting rule, with ``for``/``keep_firing_for`` read from the rule itself."""

    group: str
    interval: int
    alert: str
    expr: str
    labels: Mapping[str, str]
    for_: int
    keep_firing_for: int
    raw_inputs: frozenset[str]
    recorded_inputs: frozenset[str]
    lookback: int
    raw_selectors: Mapping[str, int] = field(default_factory=dict)

    @property
    def mixed(self) -> bool:
        return bool(self.raw_inputs and self.recorded_inputs)


@dataclass(frozen=True)
class RulePlan:
    """Every rule of one or more documents, recordings ordered by level."""

    recordings: tuple[Recording, ...]
    alerts: tuple[Alerting, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def levels(self) -> list[list[Recording]]:
        """Recordings grouped by level, level 1 first."""
        top = max((r.level for r in self.recordings), default=0)
        return [[r for r in self.recordings if r.level == n] for n in range(1, top + 1)]

    def needed_by(self, alerts: Iterable[Alerting]) -> RulePlan:
        """Only the recordings ``alerts`` read, directly or through other recordings."""
        by_name: dict[str, list[Recording]] = {}
        for r in self.recordings:
            by_name.setdefault(r.record, []).append(r)
        wanted: set[str] = set()
        todo = [n for a in alerts for n in a.recorded_inputs]
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            wanted.add(name)
            todo.extend(n for r in by_name.get(name, ()) for n in r.recorded_inputs)
        kept = tuple(r for r in self.recordings if r.record in wanted)
        return RulePlan(kept, tuple(alerts), self.problems)

    @property
    def max_interval(self) -> int:
        return max([r.interval for r in self.recordings] + [a.interval for a in self.alerts] + [1])


def _rules(doc: Mapping[str, Any], origin: str, default_interval: int) -> Iterable[tuple[str, int, dict[str, Any]]]:
    groups = doc.get("groups") if isinstance(doc, Mapping) else None
    if not isinstance(groups, list):
        raise SpecError(f"{origin}: not a Prometheus rule document (no 'groups' list)")
    for i, group in enumerate(groups):
        if not isinstance(group, Mapping) or not isinstance(group.get("rules"), list):
            raise SpecError(f"{origin}: groups[{i}]: a group needs 'name' and a 'rules' list")
        name = str(group.get("name", f"groups[{i}]"))
        interval = parse_duration(group.get("interval"), f"{origin}: group {name}: interval") or default_interval
        for rule in group["rules"]:
            yield name, interval, dict(rule)


def build(docs: Iterable[tuple[str, Mapping[str, Any]]], default_interval: int = 60) -> RulePlan:
    """Analyse rule documents ``[(origin, doc)]``; raises :class:`SpecError` on a cycle or bad PromQL."""
    raw_rules: list[tuple[str, int, dict[str, Any], Inputs]] = []
    for origin, doc in docs:
        for group, interval, rule in _rules(doc, origin, default_interval):
            what = rule.get("record") or rule.get("alert")
            raw_rules.append((group, interval, rule, inputs(str(rule.get("expr", "")), f"{group}: {what}")))
    recorded_names = {str(r["record"]) for _, _, r, _ in raw_rules if r.get("record")}
    by_name: dict[str, list[tuple[str, Inputs]]] = {}
    for group, _, rule, ins in raw_rules:
        if rule.get("record"):
            by_name.setdefault(str(rule["record"]), []).append((group, ins))

    level: dict[str, int] = {}
    back: dict[str, int] = {}
    visiting: set[str] = set()

    def rule_depth(ins: Inputs) -> tuple[int, int]:
        """Level and look-back of one rule: after, and reaching behind, everything it reads."""
        lv, lb = 1, 0
        for dep, reach in ins.names.items():
            if dep in recorded_names:
                dl, db = resolve(dep)
                lv, lb = max(lv, dl + 1), max(lb, reach + db)
            else:
                lb = max(lb, reach)
        return lv, lb

    def resolve(name: str) -> tuple[int, int]:
        """A recorded name is ready once every rule recording it is (names are shared by SLOs)."""
        if name in level:
            return level[name], back[name]
        if name in visiting:
            raise SpecError(f"recording rules read each other in a cycle through {name}")
        visiting.add(name)
        depths = [rule_depth(ins) for _, ins in by_name[name]]
        visiting.discard(name)
        level[name], back[name] = max(d[0] for d in depths), max(d[1] for d in depths)
        return level[name], back[name]

    recordings: list[Recording] = []
    alerts: list[Alerting] = []
    problems: list[str] = []
    for group, interval, rule, ins in raw_rules:
        recorded = frozenset(n for n in ins.names if n in recorded_names)
        raw = frozenset(n for n in ins.names if n not in recorded_names)
        lv, reach = rule_depth(ins)
        labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
        sels = {text: reach for text, (name, reach) in ins.selectors.items() if name in raw}
        what = rule.get("record") or rule.get("alert")
        if recorded and ins.nameless:
            problems.append(f"{group}: {what} reads recorded series and a selector without a metric name")
        if rule.get("record"):
            recordings.append(
                Recording(
                    group, interval, str(rule["record"]), str(rule["expr"]), labels, raw, recorded, lv, reach, sels
                )
            )
        elif rule.get("alert"):
            where = f"{group}: {rule['alert']}"
            alerts.append(
                Alerting(
                    group,
                    interval,
                    str(rule["alert"]),
                    str(rule["expr"]),
                    labels,
                    parse_duration(rule.get("for"), f"{where}: for"),
                    parse_duration(rule.get("keep_firing_for"), f"{where}: keep_firing_for"),
                    raw,
                    recorded,
                    reach,
                    sels,
                )
            )
    recordings.sort(key=lambda r: r.level)
    return RulePlan(tuple(recordings), tuple(alerts), tuple(problems))
