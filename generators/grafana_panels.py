"""grafanalib building blocks shared by the dashboards: queries, panels, table columns and the grid layout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attr
from grafanalib import core as g

DATASOURCE: dict[str, str] = {"type": "prometheus", "uid": "${datasource}"}
# Error budget remaining: red when spent (objective missed), yellow when under a quarter is left.
BUDGET_STEPS: list[dict[str, Any]] = [
    {"color": "red", "value": None},
    {"color": "yellow", "value": 0},
    {"color": "green", "value": 0.25},
]


# ---------------------------------------------------------------------------------------------
# grafanalib pieces


@attr.s
class PromTarget(g.Target):
    """A Prometheus query in the current model: says whether it is a range or an instant query."""

    def to_json_data(self) -> dict[str, Any]:
        data = super().to_json_data()
        data.update({"editorMode": "code", "range": not self.instant})
        return data


def target(expr: str, ref: str, legend: str = "", *, instant: bool = False, table: bool = False) -> PromTarget:
    """A query; ``table`` ones (instant, one row per series) feed the SLO tables."""
    return PromTarget(
        expr=expr,
        refId=ref,
        legendFormat=legend,
        instant=instant or table,
        format="table" if table else "time_series",
        intervalFactor=1,
        datasource=dict(DATASOURCE),
    )


def refs(n: int) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [letters[i] if i < 26 else f"Q{i}" for i in range(n)]


def pct(value: float) -> str:
    return f"{value * 100:.10g}%"


def num(value: float) -> str:
    return f"{value:.12g}"


def threshold_line(value: float, colour: str = "red") -> list[dict[str, Any]]:
    return [{"color": "green", "value": None}, {"color": colour, "value": value}]


def timeseries(title: str, targets: list[PromTarget], unit: str, description: str = "", **kw: Any) -> g.TimeSeries:
    kw.setdefault("thresholds", [{"color": "green", "value": None}])
    kw.setdefault("legendDisplayMode", "list")
    kw.setdefault("tooltipMode", "multi")
    return g.TimeSeries(
        title=title,
        description=description,
        dataSource=dict(DATASOURCE),
        targets=targets,
        unit=unit,
        maxDataPoints=None,
        **kw,
    )


def stat(title: str, expr: str, unit: str, steps: list[dict[str, Any]], description: str, decimals: int) -> g.Stat:
    return g.Stat(
        title=title,
        description=description,
        dataSource=dict(DATASOURCE),
        targets=[target(expr, "A", instant=True)],
        format=unit,
        decimals=decimals,
        thresholds=steps,
        color={"mode": "thresholds"},
        colorMode="value",
        graphMode="none",
        reduceCalc="lastNotNull",
        noValue="no data",
        maxDataPoints=None,
    )


def state_timeline(title: str, targets: list[PromTarget], mappings: list[dict[str, Any]], description: str) -> Any:
    return g.StateTimeline(
        title=title,
        description=description,
        dataSource=dict(DATASOURCE),
        targets=targets,
        mappings=mappings,
        thresholds=[{"color": "green", "value": None}],
        mergeValues=True,
        showValue="never",
        maxDataPoints=None,
    )


class Layout:
    """Places panels on Grafana's 24-column grid, line by line, and numbers them."""

    def __init__(self) -> None:
        self.panels: list[Any] = []
        self.y = 0
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def row(self, title: str, description: str = "") -> None:
        row = g.RowPanel(
            title=title,
            description=description or None,
            dataSource=dict(DATASOURCE),
            gridPos=g.GridPos(h=1, w=24, x=0, y=self.y),
            id=self._id(),
        )
        self.panels.append(row)
        self.y += 1

    def line(self, height: int, *placed: tuple[int, Any]) -> list[int]:
        """Panels side by side, each ``(width, panel)``; returns their ids."""
        x, ids = 0, []
        for width, panel in placed:
            if x + width > 24:
                raise ValueError(f"panels wider than the grid: {x} + {width} > 24")
            pid = self._id()
            self.panels.append(attr.evolve(panel, gridPos=g.GridPos(h=height, w=width, x=x, y=self.y), id=pid))
            ids.append(pid)
            x += width
        self.y += height
        return ids


def column(name: str, title: str, props: list[dict[str, Any]]) -> dict[str, Any]:
    return {"matcher": {"id": "byName", "options": name}, "properties": [{"id": "displayName", "value": title}, *props]}


def coloured(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": "thresholds", "value": {"mode": "absolute", "steps": steps}},
        {"id": "color", "value": {"mode": "thresholds"}},
        {"id": "custom.cellOptions", "value": {"type": "color-background"}},
        {"id": "custom.displayMode", "value": "color-background"},
    ]


def status_columns(
    refs: Sequence[str], sli_title: str, burn_window: object, fast_factors: Sequence[float]
) -> list[dict[str, Any]]:
    """The SLI, budget-remaining, burn-rate and firing-alert columns of a status table (``refs`` in that
    order): the overview and a grouped SLO's per-group table colour them alike. The burn rate turns red
    at the smallest fast-page factor over ``burn_window``."""
    burn_steps: list[dict[str, Any]] = [{"color": "green", "value": None}, {"color": "yellow", "value": 1}]
    if fast_factors and min(fast_factors) > 1:
        burn_steps.append({"color": "red", "value": min(fast_factors)})
    sli, budget, burn, firing = refs
    return [
        column(f"Value #{sli}", sli_title, [{"id": "unit", "value": "percentunit"}, {"id": "decimals", "value": 3}]),
        column(
            f"Value #{budget}",
            "Budget remaining",
            [{"id": "unit", "value": "percentunit"}, {"id": "decimals", "value": 1}, *coloured(BUDGET_STEPS)],
        ),
        column(
            f"Value #{burn}",
            f"Burn rate ({burn_window})",
            [{"id": "unit", "value": "suffix:x"}, {"id": "decimals", "value": 2}, *coloured(burn_steps)],
        ),
        column(
            f"Value #{firing}",
            "Firing alerts",
            [
                {"id": "decimals", "value": 0},
                *coloured([{"color": "green", "value": None}, {"color": "red", "value": 1}]),
            ],
        ),
    ]


def merged_table(
    title: str,
    description: str,
    exprs: Sequence[str],
    ids: Sequence[str],
    overrides: list[dict[str, Any]],
    sort_by: Sequence[str],
    column_order: Mapping[str, int],
) -> g.Table:
    """A table of instant queries merged into one row per label set (the overview, a grouped SLO's groups):
    the columns in ``column_order``, time hidden, sorted by the named columns."""
    return g.Table(
        title=title,
        description=description,
        dataSource=dict(DATASOURCE),
        targets=[target(e, r, table=True) for e, r in zip(exprs, ids, strict=True)],
        overrides=overrides,
        sortBy=[g.TableSortByField(displayName=name) for name in sort_by],
        filterable=True,
        thresholds=[{"color": "text", "value": None}],
        maxDataPoints=None,
        transformations=[
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {"excludeByName": {"Time": True}, "indexByName": dict(column_order), "renameByName": {}},
            },
        ],
    )
