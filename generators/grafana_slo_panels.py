"""The row of panels of one SLO on its service dashboard: headline, burn rate, raw signals, slices.

Every query reads the series the rule generator records (names from :mod:`slo.promql.recorded`) or, for the
raw signals, PromQL from :mod:`slo.promql`. The SLO's firing alerts are drawn as annotations on its panels.
"""

from __future__ import annotations

from typing import Any

from grafanalib import core as g

from generators import grafana_groups
from generators.grafana_panels import BUDGET_STEPS, DATASOURCE
from generators.grafana_panels import Layout as _Layout
from generators.grafana_panels import num as _num
from generators.grafana_panels import pct as _pct
from generators.grafana_panels import refs as _refs
from generators.grafana_panels import stat as _stat
from generators.grafana_panels import state_timeline as _state_timeline
from generators.grafana_panels import target as _target
from generators.grafana_panels import threshold_line as _threshold_line
from generators.grafana_panels import timeseries as _timeseries
from slo import promql
from slo.model.durations import Duration
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, RawRatioSLI, TimeSliceSLI
from slo.promql.recorded import (
    BUDGET_REMAINING,
    OBJECTIVE,
    SLI_PERIOD,
    SLICE_BAD,
    SLICE_ERROR,
    STANDARD_WINDOWS,
    burn_rate_name,
    identity,
    series,
)

RATE = "$__rate_interval"

# Tier lines by severity, the lowest factor of a severity first (critical wins a shared factor).
SEVERITY_COLOURS = {"warning": ("yellow", "orange"), "critical": ("red", "dark-red")}


def _recorded(name: str, service: Service, slo: SLO) -> str:
    return series(name, service, slo).render()


def alerts_selector(service: Service, slo: SLO) -> Selector:
    """The SLO's firing alerts, as Prometheus exposes them in ``ALERTS``."""
    return Selector("ALERTS", (*identity(service, slo), Matcher("alertstate", "=", "firing")))


def _burn_windows(slo: SLO) -> list[Duration]:
    if slo.alerting is None or not slo.alerting.tiers:
        return list(STANDARD_WINDOWS)
    found = {w for t in slo.alerting.tiers for w in (t.long_window, t.short_window)}
    return sorted(found)


def _burn_steps(slo: SLO) -> list[dict[str, Any]]:
    """Threshold steps at each tier's factor (coloured by severity), and at 1 (sustainable)."""
    by_value: dict[float, str] = {1.0: "yellow"}
    if slo.alerting is not None:
        for severity, palette in SEVERITY_COLOURS.items():
            factors = sorted({t.factor(slo.period) for t in slo.alerting.tiers if t.severity == severity})
            for i, factor in enumerate(factors):
                by_value[factor] = palette[min(i, len(palette) - 1)]
    return [{"color": "green", "value": None}] + [{"color": c, "value": v} for v, c in sorted(by_value.items())]


def _tiers_text(slo: SLO) -> str:
    if slo.alerting is None or not slo.alerting.tiers:
        return "Alerting is disabled for this SLO; the line at 1 is the sustainable burn rate."
    lines = [
        f"{t.name} ({t.severity}): {t.long_window} and {t.short_window} above {_num(t.factor(slo.period))}"
        for t in slo.alerting.tiers
    ]
    return (
        "Burn rate = error ratio / error budget; 1 spends exactly the budget over the period. "
        "A tier alerts when both its windows burn above its factor: " + "; ".join(lines) + "."
    )


# ---------------------------------------------------------------------------------------------
# Per-SLO panels


def _kind(slo: SLO) -> str:
    sli = slo.sli
    if isinstance(sli, TimeSliceSLI) and sli.mean:
        return f"mean good ratio of {sli.slice} slices"
    if isinstance(sli, TimeSliceSLI):
        return f"good {sli.slice} slices"
    if isinstance(sli, LatencySLI):
        return f"requests under {_num(sli.threshold)}s"
    return "good events"


def _headline(service: Service, slo: SLO) -> list[tuple[int, Any]]:
    period = slo.period.alerting_window
    sli = _recorded(SLI_PERIOD, service, slo)
    budget = _recorded(BUDGET_REMAINING, service, slo)
    objective = _recorded(OBJECTIVE, service, slo)
    what = "slices" if slo.unit == "slices" else "events"
    return [
        (
            4,
            _stat(
                f"SLI ({period})",
                sli,
                "percentunit",
                [{"color": "red", "value": None}, {"color": "green", "value": slo.objective}],
                f"Good {what} / all {what} over the last {period}; the objective is {_pct(slo.objective)}.",
                3,
            ),
        ),
        (
            4,
            _stat(
                "Error budget remaining",
                budget,
                "percentunit",
                BUDGET_STEPS,
                f"1 − (1 − SLI) / (1 − objective) over the last {period}: below 0 the objective is missed.",
                1,
            ),
        ),
        (
            8,
            _timeseries(
                "SLI vs objective",
                [_target(sli, "A", "SLI"), _target(objective, "B", "objective")],
                "percentunit",
                f"The SLI over the rolling {period} against the objective ({_pct(slo.objective)}).",
                overrides=[
                    {
                        "matcher": {"id": "byName", "options": "objective"},
                        "properties": [
                            {"id": "custom.lineStyle", "value": {"dash": [10, 10], "fill": "dash"}},
                            {"id": "color", "value": {"fixedColor": "red", "mode": "fixed"}},
                        ],
                    }
                ],
            ),
        ),
        (
            8,
            _timeseries(
                "Error budget over time",
                [_target(budget, "A", "budget remaining")],
                "percentunit",
                f"Share of the {period} error budget not yet spent.",
                thresholds=BUDGET_STEPS,
                thresholdsStyleMode="line+area",
                fillOpacity=10,
            ),
        ),
    ]


def _burn(service: Service, slo: SLO) -> list[tuple[int, Any]]:
    windows = _burn_windows(slo)
    steps = _burn_steps(slo)
    refs = _refs(len(windows))
    exprs = [(_recorded(burn_rate_name(w), service, slo), str(w)) for w in windows]
    history = _timeseries(
        "Burn rate",
        [_target(e, r, legend) for (e, legend), r in zip(exprs, refs, strict=True)],
        "suffix:x",
        _tiers_text(slo),
        thresholds=steps,
        thresholdsStyleMode="dashed",
        axisSoftMin=0,
    )
    now = g.BarGauge(
        title="Burn rate now",
        description=_tiers_text(slo),
        dataSource=dict(DATASOURCE),
        targets=[_target(e, r, legend, instant=True) for (e, legend), r in zip(exprs, refs, strict=True)],
        thresholds=steps,
        displayMode=g.GAUGE_DISPLAY_MODE_BASIC,
        orientation=g.ORIENTATION_HORIZONTAL,
        min=0,
        max=None,
        format="suffix:x",
        decimals=2,
        maxDataPoints=None,
        extraJson={
            "fieldConfig": {
                "defaults": {
                    "color": {"mode": "thresholds"},
                    "decimals": 2,
                    "min": 0,
                    "thresholds": {"mode": "absolute"},
                    "unit": "suffix:x",
                },
                "overrides": [],
            },
            "options": {
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "showUnfilled": True,
                "valueMode": "color",
            },
        },
    )
    alerts = _state_timeline(
        "Firing alerts",
        [_target(alerts_selector(service, slo).render(), "A", "{{alertname}} {{severity}} {{tier}}")],
        [{"type": "value", "options": {"1": {"color": "red", "index": 0, "text": "firing"}}}],
        "The SLO's alerts in state firing (burn-rate tiers, missing metrics, exhausted budget).",
    )
    return [(12, history), (6, now), (6, alerts)]


def _occurrence_sli(slo: SLO) -> LatencySLI | None:
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    return sli if isinstance(sli, LatencySLI) else None


def _allowed_ratio(slo: SLO) -> float:
    """The error ratio the signal is judged against: the budget, or a slice's threshold."""
    return promql.slice_threshold(slo) if _judges_slices(slo) else slo.error_budget


def _judges_slices(slo: SLO) -> bool:
    """Whether each slice is judged good or bad against a slice target (not a slice mean)."""
    return isinstance(slo.sli, TimeSliceSLI) and not slo.sli.mean


def _signals(slo: SLO) -> list[tuple[int, Any]]:
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, ProbeSLI):
        target = slo.sli.slice_target if _judges_slices(slo) else slo.objective
        return [
            (
                24,
                _timeseries(
                    "Probe success",
                    [_target(promql.probe_success_ratio(slo, RATE), "A", "success")],
                    "percentunit",
                    f"Share of successful probes; a slice is good at {_pct(target)} or more.",
                    thresholds=[{"color": "red", "value": None}, {"color": "green", "value": target}],
                    thresholdsStyleMode="dashed",
                ),
            )
        ]
    ratio_title = "Slow request ratio" if isinstance(sli, LatencySLI) else "Error ratio"
    allowed = _allowed_ratio(slo)
    ratio = _timeseries(
        ratio_title,
        [_target(promql.error_ratio(slo, RATE), "A", "bad / all")],
        "percentunit",
        f"Bad events / all events, straight from the source series; the line is {_pct(allowed)} "
        + ("(a slice above it is bad)." if _judges_slices(slo) else "(the error budget)."),
        thresholds=_threshold_line(allowed),
        thresholdsStyleMode="dashed",
    )
    if isinstance(slo.sli, RawRatioSLI):
        return [(24, ratio)]
    bad, total = promql.event_rates(slo, RATE)
    rate = _timeseries(
        "Request rate",
        [_target(total, "A", "all"), _target(bad, "B", "slow" if isinstance(sli, LatencySLI) else "failed")],
        "reqps",
        "Events per second counted by the SLI: all of them, and the bad ones.",
    )
    latency = _occurrence_sli(slo)
    if latency is None:
        return [(12, rate), (12, ratio)]
    quantile = slo.sli.slice_target if _judges_slices(slo) and slo.sli.slice_target < 1 else slo.objective
    name = f"p{quantile * 100:.10g}"
    p = _timeseries(
        f"Latency {name}",
        [_target(promql.latency_quantile(slo, quantile, RATE), "A", name)],
        "s",
        f"The {name} latency estimated from the histogram buckets; the line is the SLO threshold "
        f"({_num(latency.threshold)}s).",
        thresholds=_threshold_line(latency.threshold),
        thresholdsStyleMode="dashed",
    )
    return [(8, rate), (8, ratio), (8, p)]


def _slices(service: Service, slo: SLO) -> list[tuple[int, Any]]:
    assert isinstance(slo.sli, TimeSliceSLI)
    threshold = promql.slice_threshold(slo)
    good_bad = _state_timeline(
        f"Slices ({slo.sli.slice})",
        [_target(_recorded(SLICE_BAD, service, slo), "A", "slice")],
        [
            {
                "type": "value",
                "options": {
                    "0": {"color": "green", "index": 0, "text": "good"},
                    "1": {"color": "red", "index": 1, "text": "bad"},
                },
            }
        ],
        f"Each {slo.sli.slice} slice is good when its error ratio is at most {_pct(threshold)}.",
    )
    error = _timeseries(
        "Slice error ratio",
        [_target(_recorded(SLICE_ERROR, service, slo), "A", "slice error ratio")],
        "percentunit",
        f"The error ratio within the slice ending at each instant; above {_pct(threshold)} the slice is bad.",
        thresholds=_threshold_line(threshold),
        thresholdsStyleMode="dashed",
    )
    return [(12, good_bad), (12, error)]


def _slice_mean(service: Service, slo: SLO) -> list[tuple[int, Any]]:
    """A slice mean: the recorded slice error ratio, whose time average is every window's error ratio."""
    assert isinstance(slo.sli, TimeSliceSLI)
    error = _timeseries(
        "Slice error ratio",
        [_target(_recorded(SLICE_ERROR, service, slo), "A", "slice error ratio")],
        "percentunit",
        f"The error ratio within the {slo.sli.slice} slice ending at each instant (no value without events); "
        f"the SLI is 1 − its mean over the period's slices, every slice weighing the same. The line is the error "
        f"budget ({_pct(slo.error_budget)}).",
        thresholds=_threshold_line(slo.error_budget),
        thresholdsStyleMode="dashed",
    )
    return [(24, error)]


def _slice_panels(service: Service, slo: SLO) -> list[tuple[int, Any]]:
    """The slices row: good/bad slices and their error ratio, or a slice mean's recorded ratio."""
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean:
        return _slice_mean(service, slo)
    return _slices(service, slo)


def _annotation(service: Service, slo: SLO, panel_ids: list[int]) -> dict[str, Any]:
    return {
        "datasource": dict(DATASOURCE),
        "enable": True,
        "expr": alerts_selector(service, slo).render(),
        "filter": {"exclude": False, "ids": sorted(panel_ids)},
        "hide": False,
        "iconColor": "red",
        "name": f"Alerts: {slo.name}",
        "step": "60s",
        "tagKeys": "severity,tier",
        "textFormat": "{{severity}} {{tier}} {{long_window}}/{{short_window}}",
        "titleFormat": "{{alertname}} ({{slo}})",
        "useValueForTime": False,
    }


def slo_rows(layout: _Layout, service: Service, slo: SLO) -> dict[str, Any]:
    """Add the SLO's row to ``layout``; returns the annotation of its alerts on those panels."""
    layout.row(
        f"{slo.name}: {_pct(slo.objective)} {_kind(slo)} over {slo.period}",
        slo.description,
    )
    if not slo.group_by:
        ids = layout.line(6, *_headline(service, slo))
        ids += layout.line(8, *_burn(service, slo))
        ids += layout.line(8, *_signals(slo))
        if isinstance(slo.sli, TimeSliceSLI):
            ids += layout.line(7, *_slice_panels(service, slo))
        return _annotation(service, slo, ids)
    # grouped: one row per group first, then the usual panels with a line per group
    height, table = grafana_groups.group_table(service, slo)
    layout.line(height, (24, table))
    ids = layout.line(6, *grafana_groups.with_group_legends(slo, _headline(service, slo)))
    ids += layout.line(8, *grafana_groups.with_group_legends(slo, _burn(service, slo)))
    ids += layout.line(8, *grafana_groups.with_group_legends(slo, _signals(slo)))
    if isinstance(slo.sli, TimeSliceSLI):
        ids += layout.line(7, *grafana_groups.with_group_legends(slo, _slice_panels(service, slo)))
    return _annotation(service, slo, ids)
