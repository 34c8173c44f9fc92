"""Grouped SLOs (one SLI and error budget per route) on a real Prometheus.

Raw history for three routes is backfilled up to the present, then Prometheus evaluates the generated
rules live: the recorded per-route ratios must equal the truth (a route that never had an error has
ratio 0, not no series), the burn-rate page fires for the failing route only, and a grouped SLO with
more routes than its ``max_groups`` fails its rule group loudly.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generators.prometheus_rules import BURN_ALERT, GROUP_LIMIT_ALERT, rule_file
from slo.dsl import availability, regex, service
from slo.localstack import PrometheusServer, Series, backfill_openmetrics, check_rules, write_openmetrics, write_rules
from slo.model import Service
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


def _get(server: PrometheusServer, path: str) -> Any:
    with urllib.request.urlopen(f"{server.url}{path}", timeout=30) as resp:
        doc = json.load(resp)
    assert doc["status"] == "success", doc
    return doc["data"]


@pytest.fixture(scope="module")
def env(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("grouped-prometheus")
    end = int(time.time()) // STEP * STEP
    om = tmp / "history.om"
    write_openmetrics(history(end), om)
    backfill_openmetrics(om, tmp / "data", max_block="2h")
    doc = {"groups": [*rule_file(GROUPED)["groups"], *rule_file(LIMITED)["groups"]]}
    path = write_rules(doc, tmp / "shop.rules.yml")
    with PrometheusServer(tmp / "data", rule_files=[path], evaluation_interval="15s", max_runtime=600) as server:
        yield Env(server, doc, path)


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
