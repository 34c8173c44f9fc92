"""Grafana dashboards (JSON model, schemaVersion 39) built with grafanalib: one per service, plus an overview.

Every query reads the series the rule generator records (names from :mod:`slo.recorded`) or, for the
raw signals, PromQL from :mod:`slo.promql`; label values reach PromQL only through
:mod:`slo.selectors`. The data source is the dashboard variable ``$datasource`` (type prometheus), so
one file works against any Prometheus. Output is deterministic: the same model gives the same bytes.

Per service, each SLO gets a row:

* SLI over the period against the objective, error budget remaining (stat and history);
* burn rate per window with every alerting tier's threshold drawn at its factor, the current burn
  rate per window (bar gauge) and the SLO's firing alerts;
* the raw signals: request rate (all and bad), error or slow ratio, latency at the objective's
  quantile from the histogram, probe success;
* for time-slice SLOs, good and bad slices and the error ratio of each slice.

Threshold alerts get one row at the end, a time series per alert showing the alert's own expression
(from :mod:`slo.threshold_promql`) with its warning and critical levels as threshold lines.

Alerts of the SLO (``ALERTS{service, slo}``) are also drawn as annotations on its panels.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from grafanalib import core as g
from grafanalib._gen import DashboardEncoder

from generators import grafana_groups
from generators.grafana_panels import BUDGET_STEPS, DATASOURCE
from generators.grafana_panels import Layout as _Layout
from generators.grafana_panels import column as _column
from generators.grafana_panels import num as _num
from generators.grafana_panels import pct as _pct
from generators.grafana_panels import refs as _refs
from generators.grafana_panels import stat as _stat
from generators.grafana_panels import state_timeline as _state_timeline
from generators.grafana_panels import status_columns as _status_columns
from generators.grafana_panels import target as _target
from generators.grafana_panels import threshold_line as _threshold_line
from generators.grafana_panels import timeseries as _timeseries
from generators.yamlout import dump
from slo import promql, threshold_promql
from slo.durations import Duration
from slo.errors import DefinitionError
from slo.model import SLO, LatencySLI, ProbeSLI, RawRatioSLI, Service, ThresholdAlert, TimeSliceSLI
from slo.output import MARKER
from slo.recorded import (
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
from slo.selectors import Matcher, Selector, quote

SCHEMA_VERSION = 39
RATE = "$__rate_interval"
UID_LIMIT = 40
# Service dashboards are "slo-<name>"; a name starts with a letter or digit, so this cannot clash.
OVERVIEW_UID = "slo_overview"
OVERVIEW_FILE = "dashboards/overview.json"
PROVISIONING_FILE = "dashboards/provisioning/dashboards.yml"
PROVISIONED_PATH = "/var/lib/grafana/dashboards/slo-toolkit"
TAG = "slo-toolkit"
OVERVIEW_BURN_WINDOW = Duration.parse("1h")
DESCRIPTION = f"{MARKER}. Do not edit: change the SLO definitions and run `slo generate`."

# Tier lines by severity, the lowest factor of a severity first (critical wins a shared factor).
SEVERITY_COLOURS = {"warning": ("yellow", "orange"), "critical": ("red", "dark-red")}


# ---------------------------------------------------------------------------------------------
# Names and links


def dashboard_uid(service_name: str) -> str:
    """``slo-<name>``; names that are too long or hold characters a uid cannot get a hashed suffix."""
    base = f"slo-{service_name}"
    if len(base) <= UID_LIMIT and re.fullmatch(r"[A-Za-z0-9_-]+", base):
        return base
    digest = hashlib.sha256(service_name.encode("utf-8")).hexdigest()[:10]
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", base)[: UID_LIMIT - len(digest) - 1].rstrip("-")
    return f"{safe}-{digest}"


def _url(grafana_url: str | None, uid: str) -> str:
    return f"{(grafana_url or '').rstrip('/')}/d/{uid}"


def dashboard_url(grafana_url: str | None, service_name: str) -> str:
    """The URL of a service's dashboard (relative ``/d/<uid>`` without a Grafana URL)."""
    return _url(grafana_url, dashboard_uid(service_name))


def overview_url(grafana_url: str | None) -> str:
    """The URL of the overview dashboard."""
    return _url(grafana_url, OVERVIEW_UID)


def _to_dict(dashboard: g.Dashboard) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(dashboard.to_json_data(), cls=DashboardEncoder))
    return data


def _dashboard(
    title: str,
    uid: str,
    layout: _Layout,
    *,
    tags: list[str],
    links: list[g.DashboardLink],
    annotations: list[dict[str, Any]],
    time_from: str,
) -> dict[str, Any]:
    datasource = g.Template(
        name="datasource",
        query="prometheus",
        type="datasource",
        label="Data source",
        refresh=g.REFRESH_ON_DASHBOARD_LOAD,
        regex="",
    )
    dashboard = g.Dashboard(
        title=title,
        uid=uid,
        description=DESCRIPTION,
        tags=tags,
        panels=layout.panels,
        links=links,
        annotations=g.Annotations(list=annotations),
        templating=g.Templating(list=[datasource]),
        time=g.Time(time_from, "now"),
        timezone="utc",
        refresh="1m",
        schemaVersion=SCHEMA_VERSION,
        graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
        editable=True,
    )
    return _to_dict(dashboard)


# ---------------------------------------------------------------------------------------------
# Queries over recorded series (names from slo.recorded, labels from the model)


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


def _slo_rows(layout: _Layout, service: Service, slo: SLO) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------------------------
# Threshold alerts: the alert's own expression, with its levels drawn as threshold lines


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


def _threshold_rows(layout: _Layout, service: Service) -> None:
    if not service.alerts:
        return
    layout.row("Threshold alerts", "Symptom alerts defined next to the SLOs: each value against its levels.")
    panels = [_threshold_panel(a) for a in service.alerts]
    for i in range(0, len(panels), 2):
        layout.line(8, *((12, p) for p in panels[i : i + 2]))


# ---------------------------------------------------------------------------------------------
# The SLO table (overview, and the head of each service dashboard)


def _services_matcher(services: Sequence[Service]) -> Matcher:
    if len(services) == 1:
        return Matcher("service", "=", services[0].name)
    return Matcher("service", "=~", "|".join(re.escape(s.name) for s in services))


def _by_slo(metric: str, matcher: Matcher, op: str = "max") -> str:
    """One value per SLO: ``min`` for an SLI or budget shows a grouped SLO's worst group (one series otherwise)."""
    return f"{op} by (service, slo) ({Selector(metric, (matcher,)).render()})"


def _objective_with_uid(services: Sequence[Service]) -> str:
    """The objectives, each carrying its service dashboard's uid in a ``dashboard`` label for links."""
    parts = [
        f"label_replace({_by_slo(OBJECTIVE, Matcher('service', '=', s.name))}, "
        f"{quote('dashboard')}, {quote(dashboard_uid(s.name))}, {quote('service')}, {quote('.*')})"
        for s in services
    ]
    return " or ".join(parts)


def _slo_table(services: Sequence[Service], grafana_url: str | None, title: str, description: str) -> g.Table:
    matcher = _services_matcher(services)
    firing = Selector("ALERTS", (Matcher("alertstate", "=", "firing"), matcher)).render()
    exprs = [
        _objective_with_uid(services),
        _by_slo(SLI_PERIOD, matcher, "min"),
        _by_slo(BUDGET_REMAINING, matcher, "min"),
        _by_slo(burn_rate_name(OVERVIEW_BURN_WINDOW), matcher),
        f"count by (service, slo) ({firing}) or (0 * {_by_slo(OBJECTIVE, matcher)})",
    ]
    refs = _refs(len(exprs))
    fast = [
        t.factor(s.period)
        for svc in services
        for s in svc.slos
        if s.alerting is not None
        for t in s.alerting.tiers
        if t.long_window == OVERVIEW_BURN_WINDOW
    ]
    link = {
        "targetBlank": False,
        "title": "Open the service's SLO dashboard",
        "url": _url(grafana_url, "${__data.fields.dashboard}") + "?${__url_time_range}",
    }
    overrides = [
        _column("service", "Service", [{"id": "links", "value": [link]}]),
        _column("slo", "SLO", [{"id": "links", "value": [link]}]),
        # not renamed: the links read it as ${__data.fields.dashboard}
        {"matcher": {"id": "byName", "options": "dashboard"}, "properties": [{"id": "custom.hidden", "value": True}]},
        _column(
            f"Value #{refs[0]}", "Objective", [{"id": "unit", "value": "percentunit"}, {"id": "decimals", "value": 2}]
        ),
        *_status_columns(refs[1:], "SLI", OVERVIEW_BURN_WINDOW, fast),
    ]
    return g.Table(
        title=title,
        description=description,
        dataSource=dict(DATASOURCE),
        targets=[_target(e, r, table=True) for e, r in zip(exprs, refs, strict=True)],
        overrides=overrides,
        sortBy=[g.TableSortByField(displayName="Service"), g.TableSortByField(displayName="SLO")],
        filterable=True,
        thresholds=[{"color": "text", "value": None}],
        maxDataPoints=None,
        transformations=[
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {
                    "excludeByName": {"Time": True},
                    "indexByName": {
                        "service": 0,
                        "slo": 1,
                        **{f"Value #{r}": i + 2 for i, r in enumerate(refs)},
                        "dashboard": len(refs) + 2,
                    },
                    "renameByName": {},
                },
            },
        ],
    )


def _table_height(n_slos: int) -> int:
    return min(max(5, 3 + n_slos), 24)


# ---------------------------------------------------------------------------------------------
# Public API


def service_dashboard(service: Service, grafana_url: str | None) -> dict[str, Any]:
    """The dashboard of one service: a summary table, then one row per SLO."""
    layout = _Layout()
    layout.row(f"{service.name}: SLO summary", service.description)
    layout.line(
        _table_height(len(service.slos)),
        (
            24,
            _slo_table(
                [service],
                grafana_url,
                "SLOs",
                "Objective, SLI and error budget over each SLO's period, burn rate over the last hour, firing alerts.",
            ),
        ),
    )
    annotations = [_slo_rows(layout, service, slo) for slo in service.slos]
    _threshold_rows(layout, service)
    links = [g.DashboardLink(type="link", title="SLO overview", uri=overview_url(grafana_url), icon="dashboard")]
    if service.runbook_url:
        links.append(
            g.DashboardLink(type="link", title="Runbook", uri=service.runbook_url, targetBlank=True, keepTime=False)
        )
    tags = [TAG, f"service:{service.name}"] + ([f"team:{service.team}"] if service.team else [])
    return _dashboard(
        f"SLOs / {service.name}",
        dashboard_uid(service.name),
        layout,
        tags=tags,
        links=links,
        annotations=annotations,
        time_from="now-7d",
    )


def overview_dashboard(services: Sequence[Service], grafana_url: str | None) -> dict[str, Any]:
    """One table of every SLO of every service, linking to each service's dashboard."""
    if not services:
        raise ValueError("an overview needs at least one service")
    layout = _Layout()
    n = sum(len(s.slos) for s in services)
    layout.line(
        _table_height(n),
        (
            24,
            _slo_table(
                services,
                grafana_url,
                "All SLOs",
                "Every SLO of every service: objective, SLI and error budget over its period, burn rate over the "
                "last hour and firing alerts. Click a service or SLO for its dashboard.",
            ),
        ),
    )
    links = [
        g.DashboardLink(type="link", title=f"SLOs / {s.name}", uri=dashboard_url(grafana_url, s.name), icon="dashboard")
        for s in sorted(services, key=lambda s: s.name)
    ]
    return _dashboard(
        "SLOs / overview",
        OVERVIEW_UID,
        layout,
        tags=[TAG],
        links=links,
        annotations=[],
        time_from="now-24h",
    )


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE


def render(dashboard: dict[str, Any]) -> str:
    """Deterministic JSON text: keys sorted, the description (generated-file marker) first.

    orjson, because the standard library's encoder falls back to pure Python when indenting, which
    made JSON the largest cost of generating a thousand SLOs (about 40%).
    """
    body = {k: v for k, v in dashboard.items() if k != "description"}
    head = '{\n  "description": ' + orjson.dumps(dashboard.get("description", DESCRIPTION)).decode()
    if not body:
        return head + "\n}\n"
    return head + ",\n" + orjson.dumps(body, option=_JSON_OPTIONS).decode()[2:]


def provisioning(path: str = PROVISIONED_PATH) -> dict[str, Any]:
    """A Grafana file provider for the generated dashboards (mount ``dashboards/`` at ``path``)."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": TAG,
                "orgId": 1,
                "folder": "SLOs",
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": path, "foldersFromFilesStructure": False},
            }
        ],
    }


def dashboards(
    services: Sequence[Service], grafana_url: str | None = None, rendered: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``{relative path: text}``: one dashboard per service, the overview and the provisioning file.

    ``rendered`` holds service dashboards already rendered (by name), e.g. in worker processes.
    """
    files: dict[str, str] = {}
    uids = {OVERVIEW_UID: "the overview"}
    for service in services:
        path = f"dashboards/{service.name}.json"
        uid = dashboard_uid(service.name)
        if path == OVERVIEW_FILE or path in files:
            raise DefinitionError(f"service name {service.name!r} clashes with another dashboard file ({path})")
        if uid in uids:
            raise DefinitionError(f"service {service.name!r}: dashboard uid {uid!r} is already used by {uids[uid]}")
        uids[uid] = f"service {service.name!r}"
        done = rendered.get(service.name) if rendered is not None else None
        files[path] = done if done is not None else render(service_dashboard(service, grafana_url))
    files[OVERVIEW_FILE] = render(overview_dashboard(services, grafana_url))
    head = (
        f"{MARKER}. Do not edit: change the SLO definitions and run `slo generate`.\n"
        f"Copy or mount the dashboards/ directory at {PROVISIONED_PATH} (or change options.path),\n"
        "and this file into Grafana's provisioning/dashboards/."
    )
    files[PROVISIONING_FILE] = dump(provisioning(), head)
    return dict(sorted(files.items()))
