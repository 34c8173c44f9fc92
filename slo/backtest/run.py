"""The two commands' work, between the CLI and the engine: which rules, which window, which server.

``backtest`` backfills only the recordings the alerting rules read, from far enough before the
window that every window the alerts look at is full at its start (the rules' look-back), into a
scratch directory served by a local Prometheus; each alert expression then runs where its inputs
live (recorded series: the local server; raw series: the user's server).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generators.prometheus_rules import rule_file, window_ratio
from slo.backtest import plan as plans
from slo.backtest.evaluate import BackfillRun, Client, Progress, backfill, local_server
from slo.backtest.plan import Alerting
from slo.backtest.replay import FiredAlert, replay_all
from slo.loaders import Definitions
from slo.model.durations import Duration
from slo.model.service import SLO, Service
from slo.report.client import PromClient


def rule_docs(defs: Definitions) -> list[tuple[str, dict[str, Any]]]:
    """The generated SLO rule documents, one per service, as ``slo generate`` writes them."""
    return [(f"rules/{s.name}.rules.yml", rule_file(s)) for s in defs.services]


def slo_index(defs: Definitions) -> dict[tuple[str, str], tuple[Service, SLO]]:
    return {(s.name, o.name): (s, o) for s in defs.services for o in s.slos}


@dataclass(frozen=True)
class Window:
    """The replayed span ``[start, end]`` in Unix seconds."""

    start: int
    end: int


def group_names(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {str(g["name"]): g for g in doc["groups"]}


def changed_groups(
    head: Sequence[tuple[str, Mapping[str, Any]]], base: Sequence[tuple[str, Mapping[str, Any]]]
) -> set[str]:
    """Names of rule groups that differ between two versions (or exist in only one)."""
    a = {k: v for _, d in head for k, v in group_names(d).items()}
    b = {k: v for _, d in base for k, v in group_names(d).items()}
    return {k for k in a.keys() | b.keys() if a.get(k) != b.get(k)}


def slos_of(docs: Iterable[tuple[str, Mapping[str, Any]]], names: set[str]) -> set[tuple[str, str]]:
    """``(service, slo)`` of the rules in the groups ``names`` (from their labels)."""
    out = set()
    for _, d in docs:
        for g in d["groups"]:
            if g["name"] in names:
                for r in g["rules"]:
                    labels = r.get("labels") or {}
                    if "service" in labels and "slo" in labels:
                        out.add((str(labels["service"]), str(labels["slo"])))
    return out


def only_groups(docs: Iterable[tuple[str, Mapping[str, Any]]], names: set[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(o, {"groups": [g for g in d["groups"] if g["name"] in names]}) for o, d in docs]


def run_backfill(
    remote: Client,
    docs: Sequence[tuple[str, Mapping[str, Any]]],
    start: int,
    end: int,
    out_dir: Path,
    progress: Progress,
    workers: int = 2,
) -> BackfillRun:
    """Every recording rule of ``docs`` over ``[start, end]`` into blocks in ``out_dir``."""
    plan = plans.build(docs)
    with tempfile.TemporaryDirectory(prefix=".work-", dir=out_dir) as tmp:
        work = Path(tmp)
        raw = work / "raw"
        with local_server([out_dir, raw], work, plan.max_interval) as local:
            return backfill(remote, plan, start, end, out_dir, progress, local=local, raw_dir=raw, workers=workers)


def backtest(
    remote: Client,
    defs: Definitions,
    docs: Sequence[tuple[str, Mapping[str, Any]]],
    window: Window,
    progress: Progress,
    scratch: Path | None = None,
    warmup: int | None = None,
    workers: int = 2,
) -> list[FiredAlert]:
    """Every alert the rules of ``docs`` would have fired in ``window``, with budget spent.

    ``warmup`` (seconds of history evaluated before the window) defaults to the longest look-back of
    the alerts, so every window they read is full at the window's start.
    """
    plan = plans.build(docs)
    alerts = plan.alerts
    needed = plan.needed_by(alerts)
    recorded = {r.record for r in plan.recordings}
    if warmup is None:
        warmup = max([a.lookback for a in alerts if a.recorded_inputs] + [0])
    first = window.start - warmup
    extra: dict[str, int] = {}
    for a in alerts:
        if a.mixed:
            for text, reach in a.raw_selectors.items():
                extra[text] = max(extra.get(text, 0), reach)
    with tempfile.TemporaryDirectory(prefix="slo-backtest-", dir=scratch) as tmp:
        work = Path(tmp)
        blocks, raw = work / "blocks", work / "raw"
        blocks.mkdir()
        with local_server([blocks, raw], work, plan.max_interval) as local:
            if needed.recordings:
                backfill(
                    remote,
                    needed,
                    first,
                    window.end,
                    blocks,
                    progress,
                    local=local,
                    raw_dir=raw,
                    extra_raw=extra,
                    workers=workers,
                )
                client = local()
            else:
                client = remote

            def where(rule: Alerting) -> PromClient:
                return client if rule.recorded_inputs else remote

            fired = replay_all(alerts, where, window.start, window.end, progress, workers)
            index = slo_index(defs)
            return [_with_budget(a, index, client, remote, recorded, window) for a in fired]


def _with_budget(
    alert: FiredAlert,
    index: Mapping[tuple[str, str], tuple[Service, SLO]],
    local: PromClient,
    remote: PromClient,
    recorded: set[str],
    window: Window,
) -> FiredAlert:
    """Budget spent while firing: error ratio over the firing span × span / period ÷ error budget.

    The ratio is the SLO's own window expression (the one the rules record), evaluated at the end of
    the span on the server holding its inputs.
    """
    found = index.get((alert.service, alert.slo))
    if found is None:
        return alert
    service, slo = found
    group = tuple((label, alert.labels.get(label, "")) for label in slo.group_by)
    alert = replace(alert, group=group)
    end = alert.end if alert.end is not None else window.end
    span = end - alert.start
    if span <= 0:
        span = alert.interval
    expr = window_ratio(service, slo, Duration(span))
    ins = plans.inputs(expr, f"{service.name}/{slo.name}: budget")
    client = local if ins.names and set(ins.names) <= recorded else remote
    answer = client.instant(expr, datetime.fromtimestamp(end, UTC))
    # a grouped SLO's ratio has one series per group: the alert's own group's
    values = [
        float(item["value"][1]) for item in answer if all(item.get("metric", {}).get(k, "") == v for k, v in group)
    ]
    if not values or values[0] != values[0]:
        return alert
    period = slo.period.alerting_window.seconds
    return replace(alert, budget_spent=values[0] * span / period / slo.error_budget)
