"""Dashboard panels of a grouped SLO (``group_by``): a table with one row per group, and group legends.

A grouped SLO records one SLI, error budget and burn rate per group (e.g. per route); its row on the
service dashboard leads with a table of every group, worst budget first, so the group that is
burning is the first line. The SLO's other panels draw one line per group, legends naming it.
"""

from __future__ import annotations

from typing import Any

import attr
from grafanalib import core as g

from generators.grafana_panels import merged_table, refs, status_columns
from slo.model.durations import Duration
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service
from slo.promql.recorded import BUDGET_REMAINING, SLI_PERIOD, burn_rate_name, identity, series

BURN_WINDOW = Duration.parse("1h")
MAX_ROWS_SHOWN = 20  # the table scrolls beyond this many groups


def group_legend(slo: SLO, legend: str) -> str:
    """``legend`` followed by the group's labels, e.g. ``SLI {{route}}``."""
    return " ".join([legend, *(f"{{{{{label}}}}}" for label in slo.group_by)]).strip()


def with_group_legends(slo: SLO, placed: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    """Panels whose per-group series say which group they are (the objective, one series, is left alone)."""
    out = []
    for width, panel in placed:
        targets = getattr(panel, "targets", None)
        if targets:
            renamed = [
                attr.evolve(t, legendFormat=group_legend(slo, t.legendFormat))
                if t.legendFormat not in ("objective",)
                else t
                for t in targets
            ]
            panel = attr.evolve(panel, targets=renamed)
        out.append((width, panel))
    return out


def _per_group(op: str, name: str, service: Service, slo: SLO) -> str:
    return f"{op} by ({', '.join(slo.group_by)}) ({series(name, service, slo).render()})"


def group_table(service: Service, slo: SLO) -> tuple[int, g.Table]:
    """(height, table): SLI, budget remaining, 1h burn rate and firing alerts of every group."""
    firing = Selector("ALERTS", (Matcher("alertstate", "=", "firing"), *identity(service, slo))).render()
    by = ", ".join(slo.group_by)
    exprs = [
        _per_group("max", SLI_PERIOD, service, slo),
        _per_group("max", BUDGET_REMAINING, service, slo),
        _per_group("max", burn_rate_name(BURN_WINDOW), service, slo),
        f"count by ({by}) ({firing}) or (0 * {_per_group('max', SLI_PERIOD, service, slo)})",
    ]
    ids = refs(len(exprs))
    fast = [t.factor(slo.period) for t in (slo.alerting.tiers if slo.alerting else ()) if t.long_window == BURN_WINDOW]
    period = slo.period.alerting_window
    overrides = status_columns(ids, f"SLI ({period})", BURN_WINDOW, fast)
    description = (
        f"One SLI and error budget per value of {by} (the SLO is grouped): each group's SLI and budget over "
        f"{period}, its burn rate over the last {BURN_WINDOW} and its firing alerts. At most "
        f"{slo.max_groups} groups are recorded (max_groups); beyond it the rules fail and "
        "SLOGroupLimitExceeded fires."
    )
    order = {
        **{label: i for i, label in enumerate(slo.group_by)},
        **{f"Value #{r}": len(slo.group_by) + i for i, r in enumerate(ids)},
    }
    table = merged_table(
        f"Per {by}: worst budget first", description, exprs, ids, overrides, ("Budget remaining",), order
    )
    return 3 + min(MAX_ROWS_SHOWN, max(3, slo.max_groups)) // 2, table
