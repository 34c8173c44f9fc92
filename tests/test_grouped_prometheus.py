"""Grouped SLOs (one SLI and error budget per route) on a real Prometheus.

Raw history for three routes is backfilled up to the present, then Prometheus evaluates the generated
rules live: the recorded per-route ratios must equal the truth (a route that never had an error has
ratio 0, not no series), the burn-rate page fires for the failing route only, and a grouped SLO with
more routes than its ``max_groups`` fails its rule group loudly.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generators.prometheus_rules import BURN_ALERT, GROUP_LIMIT_ALERT, rule_file
from slo.dsl.slos import availability, regex, service
from slo.local.metrics_text import Series, write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics, check_rules, write_rules
from slo.model.service import Service
from tests.conftest import Backend

pytestmark = pytest.mark.integration

STEP = 15
HISTORY = 2 * 3600
PER_STEP = 40  # requests per 15 s on each route
# route -> share of 5xx; /pay never fails and has no 5xx series at all
ROUTES = {"/pay": 0.0, "/cart": 0.005, "/search": 0.2}

GROUPED: Service = service(
    "shop",
    availability(
        "availability",
        99,
        "http_requests_total",
        errors={"code": regex("5..")},
        labels={"job": "shop"},
        group_by=["route"],
    ),
)
# The same SLI allowed two groups only: three routes exceed the rule-group limit.
LIMITED: Service = service(
    "limited",
    availability(
        "availability",
        99,
        "http_requests_total",
        errors={"code": regex("5..")},
        labels={"job": "shop"},
        group_by=["route"],
        max_groups=2,
    ),
)


def history(end: int) -> list[Series]:
    """Counters every 15 s over the last two hours, ending at ``end``: exact per-route error shares."""
    out = []
    times = list(range(end - HISTORY, end + 1, STEP))
    for route, share in ROUTES.items():
        bad_per_step = round(PER_STEP * share * 10) / 10  # 0.2 or 8 bad per 15 s (counters may be fractional)
        ok = [(float(t), i * (PER_STEP - bad_per_step)) for i, t in enumerate(times)]
        out.append(Series("http_requests_total", {"job": "shop", "route": route, "code": "200"}, ok))
        if share:
            bad = [(float(t), i * bad_per_step) for i, t in enumerate(times)]
            out.append(Series("http_requests_total", {"job": "shop", "route": route, "code": "500"}, bad))
    return out


@dataclass
class Env:
    server: PrometheusServer
    rules: dict[str, Any]
    rules_path: Path
    end: int  # the last backfilled sample
    tmp: Path


def _get(server: PrometheusServer, path: str) -> Any:
    with urllib.request.urlopen(f"{server.url}{path}", timeout=30) as resp:
        doc = json.load(resp)
    assert doc["status"] == "success", doc
    return doc["data"]


@pytest.fixture(scope="module")
def env(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("grouped-prometheus")
    end = int(time.time()) // 60 * 60
    om = tmp / "history.om"
    write_openmetrics(history(end), om)
    backfill_openmetrics(om, tmp / "data", max_block="2h")
    doc = {"groups": [*rule_file(GROUPED)["groups"], *rule_file(LIMITED)["groups"]]}
    path = write_rules(doc, tmp / "shop.rules.yml")
    with PrometheusServer(tmp / "data", rule_files=[path], evaluation_interval="15s", max_runtime=600) as server:
        yield Env(server, doc, path, end, tmp)


def _wait_for(check: Any, timeout: float = 150) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(2)


def test_grouped_rules_pass_promtool_check(env: Env) -> None:
    check_rules(env.rules_path)
    assert {g["limit"] for g in env.rules["groups"]} == {100, 2}


def test_recorded_ratios_are_per_route_and_equal_the_truth(env: Env) -> None:
    def ratios() -> dict[str, float]:
        found = env.server.query('slo:sli_error:ratio_rate1h{service="shop"}', time.time())
        return {labels["route"]: value for labels, value in found} if len(found) == len(ROUTES) else {}

    got = _wait_for(ratios)
    assert got, "no per-route 1h error ratios recorded"
    for route, share in ROUTES.items():
        assert got[route] == pytest.approx(share, abs=1e-9), (route, got)
    # every slo:* series of the route keeps the group label, the 5m base rates too
    bad = env.server.query('slo:sli_bad:rate5m{service="shop"}', time.time())
    assert sorted(labels["route"] for labels, _ in bad) == sorted(ROUTES)
    assert {v for labels, v in bad if labels["route"] == "/pay"} == {0.0}  # zero-filled, not missing


def test_page_fires_for_the_failing_route_only(env: Env) -> None:
    def firing() -> list[dict[str, Any]]:
        alerts = _get(env.server, "/api/v1/alerts")["alerts"]
        return [
            a
            for a in alerts
            if a["labels"]["alertname"] == BURN_ALERT and a["labels"]["service"] == "shop" and a["state"] == "firing"
        ]

    fired = _wait_for(firing)
    assert fired, "the fast page never fired"
    time.sleep(20)  # another evaluation or two: nothing else may join
    fired = firing()
    assert {a["labels"]["route"] for a in fired} == {"/search"}, fired
    assert {a["labels"]["tier"] for a in fired} == {"fast-page"}
    [page] = fired
    assert "(route=/search)" in page["annotations"]["summary"]
    assert "Error budget remaining: " in page["annotations"]["description"]
    # the budget read back at alert time is the route's own (the long group may not have recorded it yet)
    rule = next(r for g in env.rules["groups"] for r in g["rules"] if r.get("alert") == BURN_ALERT)
    assert "route='%s'}\" $labels.service $labels.slo $labels.route" in rule["annotations"]["description"]


def test_more_groups_than_max_groups_fail_the_rule_group(env: Env) -> None:
    def failing() -> list[dict[str, Any]]:
        groups = _get(env.server, "/api/v1/rules")["groups"]
        [limited] = [g for g in groups if g["name"] == "slo:limited:availability"]
        return [r for r in limited["rules"] if r["health"] == "err"]

    bad = _wait_for(failing)
    assert bad, "the limited group never failed"
    records = {r["name"]: r["lastError"] for r in bad if r["type"] == "recording"}
    assert "slo:sli_total:rate5m" in records, records
    assert "exceeded limit of 2 with 3 series" in records["slo:sli_total:rate5m"], records
    # nothing is recorded for the over-limit SLO, so its burn alerts cannot fire: the limit alert says why
    assert env.server.query('slo:sli_total:rate5m{service="limited"}', time.time()) == []
    value = env.server.query(
        next(
            r["expr"]
            for g in env.rules["groups"]
            for r in g["rules"]
            if r.get("alert") == GROUP_LIMIT_ALERT and r["labels"]["service"] == "limited"
        ),
        time.time(),
    )
    assert [v for _, v in value] == [3.0]
    alerts = _get(env.server, "/api/v1/alerts")["alerts"]
    assert any(a["labels"]["alertname"] == GROUP_LIMIT_ALERT and a["labels"]["service"] == "limited" for a in alerts), (
        alerts
    )  # pending: it fires after absent_for (4m)
    # the SLO within its limit is unaffected
    groups = _get(env.server, "/api/v1/rules")["groups"]
    shop = [r for g in groups if g["name"].startswith("slo:shop:") for r in g["rules"]]
    assert shop and all(r["health"] != "err" for r in shop), [r for r in shop if r["health"] == "err"]


SLOS_PY = """\
from slo import availability, regex, service

shop = service(
    "shop",
    availability("availability", 99, "http_requests_total", errors={"code": regex("5..")}, labels={"job": "shop"},
                 group_by=["route"]),
)
"""


def _report_args(env: Env, url: str) -> list[str]:
    from datetime import UTC, datetime

    source = env.tmp / "slos.py"
    source.write_text(SLOS_PY, encoding="utf-8")
    start, end = (datetime.fromtimestamp(t, UTC).isoformat() for t in (env.end - 3600, env.end))
    return [str(source), "--prometheus", url, "--start", start, "--end", end, "-q"]


def _json_report(args: list[str]) -> dict[str, Any]:
    from click.testing import CliRunner

    from slo.commands.report import report

    result = CliRunner().invoke(report, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_report_gives_each_route_its_true_numbers_and_the_slo_its_worst(env: Env) -> None:
    from click.testing import CliRunner

    from slo.commands.report import report

    args = _report_args(env, env.server.url)
    doc = _json_report(args)
    [slo] = doc["slos"]
    assert doc["summary"][0]["text"].startswith("BREACHED (1): shop/availability (worst: route=/search) missed 99%")
    steps = 3600 // STEP
    truth = {route: (steps * PER_STEP, steps * round(PER_STEP * share * 10) / 10) for route, share in ROUTES.items()}
    groups = {g["labels"]["route"]: g for g in slo["groups"]}
    assert sorted(groups) == sorted(ROUTES)
    for route, (total, bad) in truth.items():
        group = groups[route]
        # closed ranges read 1 ms more than the hour: counts are extrapolated by 1/3,600,000 (as for any SLO)
        assert group["total"] == pytest.approx(total, rel=1e-6), (route, group)
        assert group["good"] == pytest.approx(total - bad, rel=1e-6), (route, group)
        assert group["sli"] == pytest.approx(1 - bad / total, abs=1e-12), (route, group)
        assert group["error_budget_remaining"] == pytest.approx(1 - (bad / total) / 0.01, abs=1e-9), (route, group)
        assert group["coverage"] == pytest.approx(1.0)
    assert {r: g["status"] for r, g in groups.items()} == {"/pay": "ok", "/cart": "ok", "/search": "breached"}
    # the SLO's own keys are its worst group's
    assert slo["worst_group"] == {"route": "/search"}
    assert slo["status"] == "breached" and slo["compliant"] is False
    assert slo["sli"] == groups["/search"]["sli"] and slo["total"] == groups["/search"]["total"]
    for fmt in ("table", "markdown", "csv", "html"):
        shown = CliRunner().invoke(report, [*args, "--format", fmt])
        assert shown.exit_code == 0, shown.output
        text = shown.stdout.replace("&quot;", '"')
        if fmt == "csv":
            text = "\n".join(r["slo"] + "," + r["status"] for r in csv.DictReader(io.StringIO(shown.stdout)))
            assert 'availability{route="/search"},breached' in text and 'availability{route="/pay"},ok' in text
        for route in ROUTES:
            assert f'availability{{route="{route}"}}' in text, (fmt, text[:3000])


def test_the_dashboards_group_table_gives_one_row_per_route(env: Env) -> None:
    from generators.grafana import service_dashboard

    board = service_dashboard(GROUPED, None)
    [table] = [p for p in board["panels"] if p.get("type") == "table" and p["title"].startswith("Per route")]
    sli_expr, budget_expr, burn_expr, firing_expr = (t["expr"] for t in table["targets"])

    def per_route(expr: str) -> dict[str, float]:
        found = env.server.query(expr, time.time())
        return {labels["route"]: value for labels, value in found} if len(found) == len(ROUTES) else {}

    sli = _wait_for(lambda: per_route(sli_expr))  # the long (1m) group records the period's SLI
    assert sli, f"no per-route rows from {sli_expr}"
    for route, share in ROUTES.items():
        assert sli[route] == pytest.approx(1 - share, abs=1e-9), (route, sli)
    budget = per_route(budget_expr)
    assert budget["/search"] < 0 < budget["/cart"] < budget["/pay"] == pytest.approx(1.0)
    burn = per_route(burn_expr)
    assert burn["/search"] == pytest.approx(20.0) and burn["/pay"] == 0.0
    firing = _wait_for(lambda: per_route(firing_expr) if per_route(firing_expr).get("/search") else {})
    assert firing == {"/pay": 0.0, "/cart": 0.0, "/search": 1.0}


def test_backtest_replays_one_alert_per_route_with_its_own_budget(env: Env) -> None:
    from datetime import UTC, datetime

    from click.testing import CliRunner

    from slo.commands.backtest import backtest

    source = env.tmp / "backtest-slos.py"
    source.write_text(SLOS_PY, encoding="utf-8")
    start, end = (datetime.fromtimestamp(t, UTC).isoformat() for t in (env.end - 3600, env.end))
    args = [str(source), "--prometheus", env.server.url, "--start", start, "--end", end, "-q", "--format", "json"]
    result = CliRunner().invoke(backtest, args)
    assert result.exit_code == 0, result.output
    alerts = [a for a in json.loads(result.stdout)["alerts"] if a["alertname"] == BURN_ALERT]
    assert alerts and {a["labels"]["route"] for a in alerts} == {"/search"}, alerts
    assert {a["group"]["route"] for a in alerts} == {"/search"}
    fast = [a for a in alerts if a["tier"] == "fast-page"]
    assert fast, alerts
    # the budget spent is /search's own (20% errors), not another route's series
    for alert in fast:
        span = (datetime.fromisoformat(alert["end"] or end) - datetime.fromisoformat(alert["start"])).total_seconds()
        expected = 0.2 * span / (30 * 86400) / 0.01
        assert alert["budget_spent"] == pytest.approx(expected, rel=0.05), alert


def test_check_names_the_group_that_fires(env: Env) -> None:
    from click.testing import CliRunner

    from slo.cli import main

    def paged() -> bool:
        alerts = _get(env.server, "/api/v1/alerts")["alerts"]
        return any(a["labels"]["alertname"] == BURN_ALERT and a["state"] == "firing" for a in alerts)

    assert _wait_for(paged), "the page never fired"
    source = env.tmp / "check-slos.py"
    source.write_text(SLOS_PY, encoding="utf-8")
    result = CliRunner().invoke(main, ["check", str(source), "--prometheus", env.server.url])
    assert result.exit_code == 1, result.output  # a live page is a finding
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    firing = [line for line in result.output.splitlines() if " firing " in line and "SLOErrorBudgetBurn" in line]
    assert firing and all("route=/search" in line for line in firing), result.output
    # achievability is judged on the worst route, and says which (/search: 80% good events)
    assert "objective 99% was never met by route=/search in 1 days of history" in result.output, result.output
    assert "reached 80% good events" in result.output, result.output


def test_check_reports_the_rule_group_over_its_limit(env: Env) -> None:
    from click.testing import CliRunner

    from slo.cli import main

    assert _wait_for(lambda: env.server.query(f"ALERTS{{alertname={GROUP_LIMIT_ALERT!r}}}", time.time()))
    source = env.tmp / "limited-slos.py"
    source.write_text(
        SLOS_PY.replace('"shop"', '"limited"')
        .replace("shop =", "limited =")
        .replace('group_by=["route"]', 'group_by=["route"], max_groups=2'),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["check", str(source), "--prometheus", env.server.url])
    assert result.exit_code == 1, result.output
    assert "exceeded limit of 2 with 3 series" in result.output, result.output
    assert GROUP_LIMIT_ALERT in result.output, result.output  # pending (or firing after absent_for)


def test_victoriametrics_gives_the_same_per_route_figures(env: Env) -> None:
    from tests.vmserver import VictoriaMetrics

    with VictoriaMetrics(env.tmp / "vm") as vm:
        vm.import_series(history(env.end))
        on_vm = _json_report(_report_args(env, vm.url))
    on_prometheus = _json_report(_report_args(env, env.server.url))
    [vm_slo], [prom_slo] = on_vm["slos"], on_prometheus["slos"]
    assert vm_slo["worst_group"] == prom_slo["worst_group"] == {"route": "/search"}
    for vm_group, prom_group in zip(vm_slo["groups"], prom_slo["groups"], strict=True):
        assert vm_group["labels"] == prom_group["labels"]
        for key in ("sli", "error_budget_remaining", "good", "total", "coverage"):
            assert vm_group[key] == pytest.approx(prom_group[key], rel=1e-9, abs=1e-12), (key, vm_group, prom_group)
        assert vm_group["status"] == prom_group["status"]
