"""Grafana dashboards (JSON model, schemaVersion 39) built with grafanalib: one per service, plus an overview.

Every query reads the series the rule generator records (names from :mod:`slo.promql.recorded`) or, for the
raw signals, PromQL from :mod:`slo.promql`; label values reach PromQL only through
:mod:`slo.model.selectors`. The data source is the dashboard variable ``$datasource`` (type prometheus), so
one file works against any Prometheus. Output is deterministic: the same model gives the same bytes.

Per service: the SLO table (:mod:`generators.grafana_table`), then one row per SLO
(:mod:`generators.grafana_slo_panels`; grouped SLOs add :mod:`generators.grafana_groups`), then the
threshold alerts (:mod:`generators.grafana_thresholds`). The overview is the SLO table of every service.
Uids and URLs live in :mod:`generators.grafana_links`, panel primitives in :mod:`generators.grafana_panels`;
this module assembles the dashboards, renders their JSON and writes the provisioning file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from grafanalib import core as g
from grafanalib._gen import DashboardEncoder

from generators import grafana_slo_panels, grafana_table, grafana_thresholds
from generators.grafana_links import OVERVIEW_UID, dashboard_uid, dashboard_url, overview_url
from generators.grafana_panels import Layout as _Layout
from generators.yamlout import dump
from slo.model.errors import DefinitionError
from slo.model.service import Service
from slo.project.output import MARKER

SCHEMA_VERSION = 39
OVERVIEW_FILE = "dashboards/overview.json"
PROVISIONING_FILE = "dashboards/provisioning/dashboards.yml"
PROVISIONED_PATH = "/var/lib/grafana/dashboards/slo-toolkit"
TAG = "slo-toolkit"
DESCRIPTION = f"{MARKER}. Do not edit: change the SLO definitions and run `slo generate`."


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
# Public API


def service_dashboard(service: Service, grafana_url: str | None) -> dict[str, Any]:
    """The dashboard of one service: a summary table, then one row per SLO."""
    layout = _Layout()
    layout.row(f"{service.name}: SLO summary", service.description)
    layout.line(
        grafana_table.table_height(len(service.slos)),
        (
            24,
            grafana_table.slo_table(
                [service],
                grafana_url,
                "SLOs",
                "Objective, SLI and error budget over each SLO's period, burn rate over the last hour, firing alerts.",
            ),
        ),
    )
    annotations = [grafana_slo_panels.slo_rows(layout, service, slo) for slo in service.slos]
    grafana_thresholds.threshold_rows(layout, service)
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
        grafana_table.table_height(n),
        (
            24,
            grafana_table.slo_table(
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
