"""``slo explain``: the words and numbers match the model and the generated rules."""

from __future__ import annotations

import json

from click.testing import CliRunner

from generators.prometheus_rules import rule_file
from slo import availability, error_rate, latency, policy, regex, service, uptime
from slo.cli import main
from slo.explain import explain, render
from slo.promql import guards
from tests.conftest import EXAMPLE


def test_example_explained_in_words() -> None:
    result = CliRunner().invoke(main, ["explain", str(EXAMPLE / "slos.py")])
    assert result.exit_code == 0, result.output
    text = result.output
    # the seeds' uptime SLO: 43.2 minutes of budget, failed time, a total outage pages within 2 minutes
    assert "ai-assistant/uptime: 99.9% over month" in text
    assert "43.2 minutes per 30d" in text
    assert "Burn windows measure failed probe time" in text
    assert "fast-page (critical, pages): fires when the share of failed probe time exceeds 1.44% over 1h" in text
    assert "A total outage fires it after about 1.7 min." in text
    # the 95% latency SLO: the burn-rate math makes the fast page slow, and says so
    assert "fires when the share of bad events exceeds 72% over 1h and over 5m" in text
    assert "needs at least 10 bad events in 1h" in text
    assert "Hint: latency threshold 0.2s is not a default bucket" in text
    assert "SLOMetricAbsent fires (critical) within 4.5 min" in text


def test_numbers_are_the_rules_numbers() -> None:
    svc = service(
        "s",
        availability("a", 99.95, "req_total", errors={"code": regex("5..")}, alerting=policy(min_bad_events=25)),
        uptime("u", 99.5, "probe_success", alerting=policy(absent_severity="warning", keep_firing_for=None)),
        error_rate("e", 99, "req_total", errors={"code": "500"}, below="1%"),
        latency("l", 99, "h", under="250ms", alerting=None),
    )
    docs = {d["slo"]: d for _, d in explain([svc])}
    alerts = {
        (r["labels"]["slo"], r["labels"].get("tier", r["alert"])): r
        for g in rule_file(svc)["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    for name in ("a", "u", "e"):
        for t in docs[name]["tiers"]:
            rule = alerts[(name, t["tier"])]
            assert f"> {t['factor']:g}\n" in rule["expr"]
            assert (f">= {t['min_bad_events']}" in rule["expr"]) == (t["min_bad_events"] > 0)
            assert rule.get("keep_firing_for") == t["keep_firing_for"]
            assert ("clamp_max(" in rule["expr"]) == t["cold_start_scaled"]  # the coverage factor
    assert docs["a"]["tiers"][0]["min_bad_events"] == 25
    assert docs["u"]["tiers"][0]["min_bad_events"] == 0, "probes count no events"
    assert docs["u"]["blind"]["severity"] == "warning" == alerts[("u", "SLOMetricAbsent")]["labels"]["severity"]
    assert docs["a"]["blind"]["severity"] == "critical"
    assert docs["u"]["budget"]["minutes"] == 216  # 0.5% of 30 days
    assert docs["a"]["budget"]["events_per_million"] == 500
    assert docs["l"]["alerting"] is False and "tiers" not in docs["l"]
    tier = svc.slos[0].alerting.tiers[0]
    assert docs["a"]["tiers"][0]["total_outage_minutes"] == guards.total_outage_minutes(svc.slos[0], tier)
    assert "Alerting is disabled" in render(explain([svc]))


def test_json_format() -> None:
    result = CliRunner().invoke(main, ["explain", str(EXAMPLE / "slos.py"), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [s["slo"] for s in doc["slos"]] == ["uptime", "api-latency", "error-rate", "search-latency"]
    fast = doc["slos"][0]["tiers"][0]
    assert fast["tier"] == "fast-page" and fast["total_outage_minutes"] <= 2


def test_bad_source_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: [\n")
    result = CliRunner().invoke(main, ["explain", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output and "Traceback" not in result.output


def test_query_offset_delays_every_page_by_it(tmp_path, monkeypatch) -> None:
    """[tool.slo.rule_groups] query_offset: the rules read data that much later, so explain adds it."""
    monkeypatch.chdir(tmp_path)
    plain = json.loads(CliRunner().invoke(main, ["explain", str(EXAMPLE / "slos.py"), "--format", "json"]).stdout)
    (tmp_path / "pyproject.toml").write_text('[tool.slo.rule_groups]\nquery_offset = "90s"\n')
    delayed = CliRunner().invoke(main, ["explain", str(EXAMPLE / "slos.py"), "--format", "json"])
    assert delayed.exit_code == 0, delayed.stderr
    doc = json.loads(delayed.stdout)
    for before, after in zip(plain["slos"], doc["slos"], strict=True):
        assert before["query_offset"] is None and after["query_offset"] == "1m30s"
        for t0, t1 in zip(before["tiers"], after["tiers"], strict=True):
            assert t1["total_outage_minutes"] == t0["total_outage_minutes"]  # the data needed is the same
            if t0["total_outage_minutes"] is not None:
                assert t1["total_outage_minutes_sent"] == t0["total_outage_minutes"] + 1.5
    text = CliRunner().invoke(main, ["explain", str(EXAMPLE / "slos.py")]).stdout
    assert "read 1.5 min late by the rule groups' query_offset" in text
