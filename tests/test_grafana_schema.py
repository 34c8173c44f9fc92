"""Generated Grafana dashboards against a JSON Schema of the dashboard model, plus what a schema cannot say."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from generators import grafana
from slo import availability, latency, policy, ratio, regex, selector, service, tier, uptime
from slo.loaders import load
from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.periods import Rolling
from slo.model.service import SLO
from slo.model.sli import PromQLTemplate, RatioSLI, RawRatioSLI
from slo.project.output import MARKER
from tests.conftest import DATA, EXAMPLE

SCHEMA = json.loads((DATA / "grafana-dashboard.schema.json").read_text(encoding="utf-8"))
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

SHAPES = (
    load([EXAMPLE / "slos.py"]).services[0],
    service(
        "shapes",
        availability(
            "avail-28d", 99.5, "requests_total", errors={"code": regex("5..|429")}, labels={"job": "shop"}, period="28d"
        ),
        ratio(
            "good-total",
            99,
            good=selector("jobs_processed_total", {"queue": "mail", "result": "ok"}),
            total=selector("jobs_processed_total", {"queue": "mail"}),
        ),
        ratio("separate-metrics", 99.9, bad="payment_failures_total", total="payment_attempts_total"),
        latency(
            "checkout-p99",
            99,
            "checkout_duration_seconds",
            under="500ms",
            slice="5m",
            slice_target=95,
            period="month",
            timezone="Europe/Berlin",
        ),
        uptime("probe", 99.5, "up", labels={"job": "shop"}),
        availability(
            "custom-policy",
            99.9,
            "requests_total",
            errors={"code": regex("5..")},
            labels={"job": "search"},
            alerting=policy(
                tiers=[tier("page", "critical", "1h", "5m", 0.02), tier("ticket", "warning", "1d", "2h", 0.1)],
                budget_exhausted=True,
            ),
        ),
        availability("silent", 99, "requests_total", errors={"code": "500"}, labels={"job": "silent"}, alerting=None),
        SLO(
            "raw-ratio",
            99,
            RawRatioSLI(
                PromQLTemplate('sum(rate(x_total{code=~"5.."}[{{.window}}])) / sum(rate(x_total[{{.window}}]))')
            ),
            Rolling(Duration.parse("7d")),
        ),
        SLO(
            "template-events",
            99,
            RatioSLI(
                total=PromQLTemplate("sum(rate(y_total[{{.window}}]))"),
                bad=PromQLTemplate('sum(rate(y_total{code="500"}[{{.window}}]))'),
            ),
        ),
        team="shop",
        runbook_url="https://runbooks.example.com/shop",
    ),
    service(
        "hostile.name",
        availability("quote", 99, "requests_total", errors={"code": "500"}, labels={"job": 'a"} or vector(1) #\\'}),
    ),
    service("a-very-long-service-name-that-does-not-fit-into-a-grafana-uid", uptime("up", 99)),
    load([DATA / "grouped" / "checkout.yaml"]).services[0],  # grouped SLOs of every kind
)


def _files(grafana_url: str | None = "https://grafana.example.com/") -> dict[str, str]:
    return grafana.dashboards(SHAPES, grafana_url)


def _dashboards() -> dict[str, dict[str, Any]]:
    return {path: json.loads(text) for path, text in _files().items() if path.endswith(".json")}


def _panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _datasource_refs(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "datasource":
                yield f"{where}/{key}", item
            else:
                yield from _datasource_refs(item, f"{where}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _datasource_refs(item, f"{where}[{i}]")


DASHBOARDS = _dashboards()


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", sorted(DASHBOARDS))
def test_dashboard_matches_the_schema(path: str) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(DASHBOARDS[path])]
    assert not errors, "\n".join(errors[:20])


def test_schema_rejects_what_grafana_would_misread() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = DASHBOARDS["dashboards/ai-assistant.json"]

    def broken(change: Any) -> bool:
        doc = json.loads(json.dumps(good))
        change(doc)
        return not validator.is_valid(doc)

    visual = next(i for i, p in enumerate(good["panels"]) if p["type"] == "timeseries")
    assert broken(lambda d: d["panels"][visual].update(datasource="Prometheus"))
    assert broken(lambda d: d["panels"][visual]["targets"][0].update(datasource="Prometheus"))
    assert broken(lambda d: d["panels"][visual]["gridPos"].update(x=20, w=8))
    assert broken(lambda d: d["panels"][visual].update(type="graph"))
    assert broken(lambda d: d["panels"][visual]["targets"][0].pop("refId"))
    assert broken(lambda d: d.update(uid="x" * 41))
    assert broken(lambda d: d["templating"].update(list=[]))
    assert broken(lambda d: d["annotations"]["list"][0].update(datasource=None))


@pytest.mark.parametrize("path", sorted(DASHBOARDS))
def test_ids_refids_and_datasources(path: str) -> None:
    doc = DASHBOARDS[path]
    panels = list(_panels(doc["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids in {path}"
    for panel in panels:
        refs = [t["refId"] for t in panel.get("targets", [])]
        assert len(refs) == len(set(refs)), f"{path}: panel {panel['title']!r} repeats a refId"
        if panel["type"] != "row":
            assert panel["datasource"] == DATASOURCE
    refs = list(_datasource_refs(doc))
    assert refs
    for where, ref in refs:
        if where.startswith("/templating"):
            continue  # the variable itself
        assert ref == DATASOURCE, f"{path}{where}: {ref!r}"
    variables = {v["name"]: v for v in doc["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert doc["schemaVersion"] >= 39
    annotation_ids = {i for a in doc["annotations"]["list"] for i in a.get("filter", {}).get("ids", [])}
    assert annotation_ids <= set(ids)


@pytest.mark.parametrize("path", sorted(DASHBOARDS))
def test_grid_positions_do_not_overlap(path: str) -> None:
    boxes = [(p["title"], p["gridPos"]) for p in DASHBOARDS[path]["panels"]]
    for i, (title_a, a) in enumerate(boxes):
        assert a["x"] + a["w"] <= 24
        for title_b, b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["w"] <= b["x"]
                or b["x"] + b["w"] <= a["x"]
                or a["y"] + a["h"] <= b["y"]
                or b["y"] + b["h"] <= a["y"]
            )
            assert apart, f"{path}: {title_a!r} {a} overlaps {title_b!r} {b}"


def test_uids_are_unique_stable_and_short() -> None:
    uids = [d["uid"] for d in DASHBOARDS.values()]
    assert len(uids) == len(set(uids))
    assert all(len(u) <= 40 for u in uids)
    assert grafana.dashboard_uid("ai-assistant") == "slo-ai-assistant"
    long = grafana.dashboard_uid(SHAPES[3].name)
    assert long.startswith("slo-a-very-long") and 30 <= len(long) <= 40
    assert long == grafana.dashboard_uid(SHAPES[3].name)
    assert grafana.dashboard_uid("a.b") != grafana.dashboard_uid("a-b")
    assert grafana.dashboard_uid(SHAPES[3].name + "x") != long
    assert DASHBOARDS["dashboards/ai-assistant.json"]["uid"] == "slo-ai-assistant"
    assert grafana.dashboard_url("https://g.example.com/", "ai-assistant") == "https://g.example.com/d/slo-ai-assistant"
    assert grafana.dashboard_url(None, "ai-assistant") == "/d/slo-ai-assistant"


def test_output_is_deterministic_marked_and_provisioned() -> None:
    files = _files()
    assert files == _files()
    assert set(files) == {
        "dashboards/ai-assistant.json",
        "dashboards/shapes.json",
        "dashboards/hostile.name.json",
        f"dashboards/{SHAPES[3].name}.json",
        "dashboards/checkout.json",
        "dashboards/overview.json",
        "dashboards/provisioning/dashboards.yml",
    }
    for path, text in files.items():
        assert text.endswith("\n") and not text.endswith("\n\n")
        assert MARKER in text[:4096], f"{path}: the generated-file marker must be near the top"
        if path.endswith(".json"):
            doc = json.loads(text)
            assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
            first, *rest = list(doc)
            assert first == "description"
            assert rest == sorted(rest)
    provider = yaml.safe_load(files["dashboards/provisioning/dashboards.yml"])
    assert provider["apiVersion"] == 1
    (entry,) = provider["providers"]
    assert entry["type"] == "file" and entry["options"]["path"]


def test_overview_lists_every_slo_and_links_every_service() -> None:
    overview = DASHBOARDS["dashboards/overview.json"]
    (table,) = overview["panels"]
    assert table["type"] == "table"
    exprs = " ".join(t["expr"] for t in table["targets"])
    for svc in SHAPES:
        assert grafana.dashboard_uid(svc.name) in exprs
    links = {link["url"] for link in overview["links"]}
    assert links == {f"https://grafana.example.com/d/{grafana.dashboard_uid(s.name)}" for s in SHAPES}
    names = {o["matcher"]["options"]: o for o in table["fieldConfig"]["overrides"]}
    (data_link,) = next(p["value"] for p in names["service"]["properties"] if p["id"] == "links")
    assert data_link["url"].startswith("https://grafana.example.com/d/${__data.fields.dashboard}")
    budget = next(o for o in names.values() if {"id": "displayName", "value": "Budget remaining"} in o["properties"])
    steps = next(p["value"]["steps"] for p in budget["properties"] if p["id"] == "thresholds")
    assert [s["color"] for s in steps] == ["red", "yellow", "green"]


def _panel(doc: dict[str, Any], row_prefix: str, title: str) -> dict[str, Any]:
    current = None
    for panel in doc["panels"]:
        if panel["type"] == "row":
            current = panel["title"]
        elif current and current.startswith(row_prefix) and panel["title"] == title:
            return panel
    raise AssertionError(f"no panel {title!r} in row {row_prefix!r}")


@pytest.mark.parametrize(
    ("slo", "factors"),
    [
        ("avail-28d:", [0.933333, 1, 2.8, 5.6, 13.44]),  # and 1: the sustainable rate
        ("good-total:", [1, 3, 6, 14.4]),
        ("custom-policy:", [1, 3, 14.4]),
        ("silent:", [1]),
    ],
)
def test_burn_rate_thresholds_sit_at_the_tier_factors(slo: str, factors: list[float]) -> None:
    doc = DASHBOARDS["dashboards/shapes.json"]
    for title in ("Burn rate", "Burn rate now"):
        steps = _panel(doc, slo, title)["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [s["value"] for s in steps[1:]] == pytest.approx(factors)
    history = _panel(doc, slo, "Burn rate")
    assert history["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] != "off"


def test_each_slo_row_shows_its_signals() -> None:
    doc = DASHBOARDS["dashboards/ai-assistant.json"]
    p95 = _panel(doc, "api-latency:", "Latency p95")["targets"][0]["expr"]
    assert p95.startswith("histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{")
    assert "$__rate_interval" in p95
    slices = _panel(doc, "error-rate:", "Slices (5m)")
    assert slices["targets"][0]["expr"] == 'slo:slice_bad:bool{service="ai-assistant",slo="error-rate"}'
    _panel(doc, "uptime:", "Probe success")
    alerts = _panel(doc, "uptime:", "Firing alerts")["targets"][0]["expr"]
    assert alerts == 'ALERTS{alertstate="firing",service="ai-assistant",slo="uptime"}'
    annotations = {a["name"]: a for a in doc["annotations"]["list"]}
    assert set(annotations) == {f"Alerts: {s.name}" for s in SHAPES[0].slos}
    assert annotations["Alerts: uptime"]["expr"] == alerts
    stat = _panel(doc, "api-latency:", "SLI (30d)")
    assert stat["fieldConfig"]["defaults"]["thresholds"]["steps"][1] == {"color": "green", "value": 0.95}


def test_label_values_are_quoted_not_pasted() -> None:
    doc = DASHBOARDS["dashboards/hostile.name.json"]
    exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]
    assert any('job="a\\"} or vector(1) #\\\\"' in e for e in exprs)
    assert not any('job="a"}' in e for e in exprs)
    assert any('service="hostile.name"' in e for e in exprs)


def test_a_service_named_overview_is_refused() -> None:
    with pytest.raises(DefinitionError, match="overview"):
        grafana.dashboards([service("overview", uptime("up", 99))], None)


def test_committed_schema_file_is_formatted() -> None:
    path = Path(DATA / "grafana-dashboard.schema.json")
    assert path.read_text(encoding="utf-8") == json.dumps(SCHEMA, indent=2) + "\n"


def test_a_grouped_slo_leads_with_a_table_of_its_groups() -> None:
    board = DASHBOARDS["dashboards/checkout.json"]
    panels = list(_panels(board["panels"]))
    tables = [p for p in panels if p["type"] == "table" and p["title"].startswith("Per route")]
    assert len(tables) == 3  # availability, latency, error-slices (uptime is per instance)
    exprs = [t["expr"] for t in tables[0]["targets"]]
    assert exprs[0] == 'max by (route) (slo:sli:ratio_period{service="checkout",slo="availability"})'
    assert exprs[1] == 'max by (route) (slo:error_budget_remaining:ratio{service="checkout",slo="availability"})'
    assert exprs[3].startswith('count by (route) (ALERTS{alertstate="firing",service="checkout",slo="availability"})')
    assert "max_groups" in tables[0]["description"] and "50 groups" in tables[0]["description"]
    # the SLO's other panels name the group of each line; the objective stays one line
    legends = {t.get("legendFormat") for p in panels for t in p.get("targets", [])}
    assert "SLI {{route}}" in legends and "objective" in legends and "SLI {{instance}}" in legends
    # the summary table shows each SLO's worst group
    [summary] = [p for p in panels if p["type"] == "table" and p["title"] == "SLOs"]
    assert 'min by (service, slo) (slo:error_budget_remaining:ratio{service="checkout"})' in [
        t["expr"] for t in summary["targets"]
    ]
