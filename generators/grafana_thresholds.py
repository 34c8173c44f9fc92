"""The threshold-alert row of a service dashboard: each alert's own expression against its levels.

The expression comes from :mod:`slo.promql.thresholds`, the same text the alerting rule evaluates.
"""

from __future__ import annotations

from typing import Any

from grafanalib import core as g

from generators.grafana_panels import Layout as _Layout
from generators.grafana_panels import target as _target
from generators.grafana_panels import timeseries as _timeseries
from slo.model.service import Service
from slo.model.thresholds import ThresholdAlert
from slo.promql import thresholds as threshold_promql


def _level_steps(alert: ThresholdAlert) -> list[dict[str, Any]]:
    """Grafana threshold steps at the levels: green where quiet, orange past warning, red past critical.

    Steps colour everything above their value, so for ``<`` alerts the base colour is the worst one.
    """
    colours = {"warning": "orange", "critical": "red"}
    levels = sorted(alert.levels, key=lambda sl: sl[1])
    if alert.comparison == ">":
        return [{"color": "green", "value": None}] + [{"color": colours[sev], "value": v} for sev, v in levels]
    # below the lowest level is worst; each level upwards hands over to the next-better colour
    better = [colours[sev] for sev, _ in levels[1:]] + ["green"]
    return [{"color": colours[levels[0][0]], "value": None}] + [
        {"color": colour, "value": v} for (_, v), colour in zip(levels, better, strict=True)
    ]


def _threshold_panel(alert: ThresholdAlert) -> g.TimeSeries:
    by = threshold_promql.series_labels(alert.expr)
    legend = " ".join("{{" + label + "}}" for label in by) or alert.name
    words = "above" if alert.comparison == ">" else "below"
    levels = ", ".join(f"{sev} {words} {alert.level_text(v)}" for sev, v in alert.levels)
    held = f", once held for {alert.for_}" if alert.for_ else ""
    return _timeseries(
        alert.name,
        [_target(threshold_promql.expression(alert.expr), "A", legend)],
        threshold_promql.grafana_unit(alert.expr),
        f"The expression of the {alert.name} alert; it fires {levels}{held}.",
        thresholds=_level_steps(alert),
        thresholdsStyleMode="line+area",
    )


def threshold_rows(layout: _Layout, service: Service) -> None:
    """Add the row of the service's threshold alerts to ``layout`` (nothing without any)."""
    if not service.alerts:
        return
    layout.row("Threshold alerts", "Symptom alerts defined next to the SLOs: each value against its levels.")
    panels = [_threshold_panel(a) for a in service.alerts]
    for i in range(0, len(panels), 2):
        layout.line(8, *((12, p) for p in panels[i : i + 2]))
