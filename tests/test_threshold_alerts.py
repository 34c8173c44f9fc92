"""Threshold ("symptom") alerts: model, YAML/Python equivalence, generated rules and tests run by promtool,
routing checked by amtool, the example's rules firing in a real Prometheus, and a real Alertmanager
delivering them with each critical level inhibiting the warning of the same alert and series.

The live test backfills hand-written cAdvisor, kube-state-metrics, node-exporter and HTTP series (not
the generator's own synthetic series, so a bug shared by the generated tests and their data cannot
hide) and starts Prometheus and Alertmanager on 127.0.0.1 with the generated rule file and config.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from generators import alertmanager as am
from generators import threshold_rules, threshold_tests
from generators.bundle import artifacts, notes
from generators.prometheus_rules import ABSENT_ALERT, BUCKET_ALERT, BURN_ALERT, EXHAUSTED_ALERT, GROUP_LIMIT_ALERT
from generators.yamlout import dump
from slo import (
    availability,
    counter_increase,
    histogram_quantile,
    not_equal,
    pagerduty,
    rate_ratio,
    raw_promql,
    regex,
    routing,
    selector,
    service,
    slack,
    team_route,
    threshold,
    utilisation,
    webhook,
)
from slo.loaders import Definitions, load
from slo.local.alertmanager import AlertmanagerServer, WebhookReceiver
from slo.local.metrics_text import Series, write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics
from slo.model.errors import DefinitionError
from slo.model.thresholds import RESERVED_ALERT_NAMES, CounterIncrease, HistogramQuantile, RateRatio, Utilisation
from slo.promql import thresholds as tp
from slo.tools.toolcheck import check_alertmanager, check_rules
from tests.conftest import EXAMPLE, Backend, require
from tests.helpers import amtool_routes, write_artifacts

HOSTILE = '"} or vector(1) #'


def _defs(*services: Any, routing_: Any = None) -> Definitions:
    return Definitions(tuple(services), tuple((s.name, "test") for s in services), routing_, "test")


def _example() -> Any:
    (svc,) = load([EXAMPLE / "slos.py"]).services
    return svc


# ---------------------------------------------------------------------------------------------
# The seeds' table in the example


SEEDS_TABLE = {
    # alert: (shape, warning, critical, metrics the expression reads)
    "HighErrorRate": (RateRatio, 0.02, 0.05, {"http_requests_total"}),
    "HighResponseTime": (HistogramQuantile, 1.5, 3.0, {"http_request_duration_seconds_bucket"}),
    "HighCPUUsage": (
        Utilisation,
        0.7,
        0.85,
        {"container_cpu_usage_seconds_total", "kube_pod_container_resource_limits"},
    ),
    "HighMemoryUsage": (
        Utilisation,
        0.8,
        0.9,
        {"container_memory_working_set_bytes", "kube_pod_container_resource_limits"},
    ),
    "HighDiskUsage": (Utilisation, 0.8, 0.9, {"node_filesystem_avail_bytes", "node_filesystem_size_bytes"}),
    "PodCrashLooping": (CounterIncrease, 2.0, 5.0, {"kube_pod_container_status_restarts_total"}),
}


def test_example_maps_every_row_of_the_seeds_table_in_python_and_yaml() -> None:
    py, yml = load([EXAMPLE / "slos.py"]).services, load([EXAMPLE / "slos.yaml"]).services
    assert py == yml, "slos.py and slos.yaml must define the same threshold alerts"
    alerts = {a.name: a for a in py[0].alerts}
    assert set(alerts) == set(SEEDS_TABLE)
    for name, (shape, warning, critical, metrics) in SEEDS_TABLE.items():
        alert = alerts[name]
        assert isinstance(alert.expr, shape), name
        assert (alert.warning, alert.critical, alert.comparison) == (warning, critical, ">"), name
        assert str(alert.for_) == "5m", name
        expr = tp.expression(alert.expr)
        assert set(re.findall(r"[a-z_]+(?=\{)", expr)) == metrics, expr
    assert alerts["HighCPUUsage"].expr.rate is not None  # a counter of CPU seconds, read as a rate
    assert alerts["HighDiskUsage"].expr.free is not None  # used share = 1 − avail / size
    assert str(alerts["PodCrashLooping"].expr.window) == "1h"  # the seed's increase(...[1h])


def test_reserved_alert_names_are_the_slo_rule_names() -> None:
    assert {BURN_ALERT, ABSENT_ALERT, BUCKET_ALERT, EXHAUSTED_ALERT, GROUP_LIMIT_ALERT} == RESERVED_ALERT_NAMES


def test_committed_example_output_holds_the_threshold_files() -> None:
    root = EXAMPLE.parent.parent
    files = artifacts(load([EXAMPLE / "slos.py"]))
    for rel in ("rules/ai-assistant.alerts.yml", "rules/tests/ai-assistant.alerts.test.yml"):
        assert rel in files
        assert (root / rel).is_file(), f"{rel} missing: run `slo generate`"
    kube = yaml.safe_load(files["rules/kubernetes/ai-assistant.yaml"])
    assert "thresholds:ai-assistant" in [g["name"] for g in kube["spec"]["groups"]]


# ---------------------------------------------------------------------------------------------
# Generated rules and their promtool tests


def test_each_level_is_a_rule_with_service_severity_and_team() -> None:
    doc = threshold_rules.rule_file(_example())
    assert doc is not None
    (group,) = doc["groups"]
    assert group["name"] == "thresholds:ai-assistant"
    rules = group["rules"]
    assert len(rules) == 12
    for rule in rules:
        assert set(rule["labels"]) == {"service", "team", "severity"}
        assert rule["labels"]["service"] == "ai-assistant" and rule["labels"]["team"] == "sre"
        assert rule["for"] == "5m"
        assert rule["annotations"]["runbook_url"] == "https://runbooks.your-company.com/ai-assistant"
    by_name: dict[str, dict[str, str]] = {}
    for rule in rules:
        by_name.setdefault(rule["alert"], {})[rule["labels"]["severity"]] = rule["expr"]
    assert by_name["HighErrorRate"]["warning"].endswith(" > 0.02")
    assert by_name["HighErrorRate"]["critical"].endswith(" > 0.05")
    assert by_name["HighResponseTime"]["critical"].startswith("histogram_quantile(0.95, sum by (le) (rate(")
    assert by_name["PodCrashLooping"]["critical"] == (
        "sum by (namespace, pod, container) "
        '(increase(kube_pod_container_status_restarts_total{namespace="ai-assistant-prod"}[1h])) > 5'
    )
    # one PromQL, written once: the dashboards draw exactly the expression the rules compare
    dashboard = json.loads(artifacts(load([EXAMPLE / "slos.py"]))["dashboards/ai-assistant.json"])
    panels = {p["title"]: p for p in dashboard["panels"]}
    assert "Threshold alerts" in panels and panels["Threshold alerts"]["type"] == "row"
    for alert in _example().alerts:
        panel = panels[alert.name]
        assert panel["targets"][0]["expr"] == tp.expression(alert.expr)
        for severity, level in alert.levels:
            assert by_name[alert.name][severity] == f"{tp.expression(alert.expr)} > {level:.12g}"
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert [s["value"] for s in steps] == [None, alert.warning, alert.critical]
        assert [s["color"] for s in steps] == ["green", "orange", "red"]


def test_example_threshold_rules_pass_promtool_check_and_generated_tests(tmp_path: Path, promtool: str) -> None:
    files = artifacts(load([EXAMPLE / "slos.py"]))
    out = tmp_path / "out"
    for rel in ("rules/ai-assistant.alerts.yml", "rules/tests/ai-assistant.alerts.test.yml"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(files[rel], encoding="utf-8")
    # what `slo test` runs: promtool check rules on the alert rules, promtool test rules on their tests
    results = check_rules(out)
    assert [(r.step, r.target, r.ok) for r in results] == [
        ("promtool check rules", "rules/ai-assistant.alerts.yml", True),
        ("promtool test rules", "rules/tests/ai-assistant.alerts.test.yml", True),
    ], "\n".join(r.output for r in results)
    assert "SUCCESS: 12 rules found" in results[0].output
    doc = yaml.safe_load((out / "rules/tests/ai-assistant.alerts.test.yml").read_text())
    names = [t["name"] for t in doc["tests"]]
    assert len(names) == 18  # three levels' worth of cases per alert
    assert "ai-assistant/HighErrorRate: 1.5% (just below the warning level) fires nothing" in names
    assert "ai-assistant/HighErrorRate: 3.5% (between the levels) fires warning" in names
    assert "ai-assistant/HighErrorRate: 5.75% (beyond the critical level) fires warning and critical" in names
    assert "ai-assistant/PodCrashLooping: 3.5 (between the levels) fires warning" in names


def test_generated_tests_fail_when_a_rule_is_wrong(tmp_path: Path, promtool: str) -> None:
    """The generated tests pin the levels, the severities and `for`: each mutation is caught."""
    out = write_artifacts(tmp_path, load([EXAMPLE / "slos.py"]))
    rules = out / "rules/ai-assistant.alerts.yml"
    original = rules.read_text()
    mutations = {
        "warning level": original.replace(") > 0) > 0.02\n", ") > 0) > 0.04\n", 1),
        "severity": original.replace("severity: critical", "severity: warning", 1),
        "for": original.replace("for: 5m", "for: 1m"),
        "grouping": original.replace("sum by (namespace, pod, container) (increase", "sum by (pod) (increase"),
    }

    def run(text: str) -> subprocess.CompletedProcess[str]:
        path = out / "rules" / f"mutant-{abs(hash(text))}.alerts.yml"
        path.write_text(text)
        tests = out / "rules/tests" / f"{path.stem}.test.yml"
        doc = yaml.safe_load((out / "rules/tests/ai-assistant.alerts.test.yml").read_text())
        doc["rule_files"] = [f"../{path.name}"]
        tests.write_text(dump(doc))
        return subprocess.run(
            [promtool, "test", "rules", tests.name], cwd=tests.parent, capture_output=True, text=True, timeout=120
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(mutations, pool.map(run, mutations.values()), strict=True))
    for what, done in runs.items():
        assert mutations[what] != original, what
        assert done.returncode != 0, f"a wrong {what} passed the generated tests"


VARIED = service(
    "varied",
    availability("availability", 99.9, "requests_total", errors={"code": regex("5..")}, labels={"job": "shop"}),
    team="shop",
    labels={"env": "prod"},
    alerts=[
        # two different counters, per job; a critical level only, no `for`
        threshold(
            "PaymentFailures",
            rate_ratio("payment_failures_total", 'payment_attempts_total{job=~"pay.*"}', window="10m", by=["job"]),
            critical="1%",
            for_=None,
        ),
        # a subset ratio per route, with hostile label values in the selector and a template in a label
        threshold(
            "HighErrorRatio",
            rate_ratio(
                selector("requests_total", {"job": HOSTILE, "code": regex("5..")}),
                selector("requests_total", {"job": HOSTILE}),
                by=["route"],
            ),
            warning="1%",
            critical="10%",
            labels={"note": "{{ end }}"},
            runbook_url="https://runbooks.example.com/errors",
        ),
        # p99 of a histogram that is not in seconds
        threshold(
            "LargeResponses",
            histogram_quantile("response_size_bytes", 0.99, labels={"job": "shop"}, by=["route"]),
            warning=1e6,
            critical=5e6,
            for_="2m",
        ),
        # a share of a limit alerting *below* its levels: available replicas of the desired ones
        threshold(
            "ReplicasUnavailable",
            utilisation(
                selector("kube_deployment_status_replicas_available", {"namespace": "shop"}),
                limit=selector("kube_deployment_spec_replicas", {"namespace": "shop"}),
                by=["namespace", "deployment"],
            ),
            comparison="<",
            warning="80%",
            critical="50%",
        ),
        # a single gauge (max over series) and a counter read as a rate (cores)
        threshold("QueueBacklog", utilisation(selector("queue_depth", {"queue": "mail"})), warning=100, critical=1000),
        threshold(
            "ProcessCPU",
            utilisation("process_cpu_seconds_total", rate="5m", by=["instance"]),
            warning=0.8,
            critical=1.5,
            for_="0s",
        ),
        # more than zero events is already a warning; below a count with "<"
        threshold("OOMKills", counter_increase("oom_kills_total", window="15m"), warning=0),
        threshold(
            "FewLogins",
            counter_increase("logins_total", labels={"result": not_equal("fail")}, window="30m"),
            comparison="<",
            critical=10,
        ),
        # the escape hatch: opaque PromQL, parsed by promtool, no generated tests
        threshold("FewTargets", raw_promql('count(up{job="shop"} == 1)'), comparison="<", warning=3, critical=1),
    ],
)

VARIED_YAML = """\
apiVersion: slo-toolkit/v1
services:
  - name: varied
    team: shop
    labels: {env: prod}
    slos:
      - name: availability
        objective: 99.9
        sli:
          ratio:
            bad: {metric: requests_total, labels: {job: shop, code: {regex: "5.."}}}
            total: {metric: requests_total, labels: {job: shop}}
    alerts:
      - name: PaymentFailures
        rate_ratio:
          numerator: payment_failures_total
          denominator: 'payment_attempts_total{job=~"pay.*"}'
          window: 10m
          by: [job]
        critical: 1%
        for: 0s
      - name: HighErrorRatio
        rate_ratio:
          numerator: {metric: requests_total, labels: {job: '"} or vector(1) #', code: {regex: "5.."}}}
          denominator: {metric: requests_total, labels: {job: '"} or vector(1) #'}}
          by: [route]
        warning: 1%
        critical: 10%
        labels: {note: "{{ end }}"}
        runbook_url: https://runbooks.example.com/errors
      - name: LargeResponses
        histogram_quantile: {histogram: response_size_bytes, labels: {job: shop}, quantile: 0.99, by: [route]}
        warning: 1000000
        critical: 5000000
        for: 2m
      - name: ReplicasUnavailable
        utilisation:
          used: {metric: kube_deployment_status_replicas_available, labels: {namespace: shop}}
          limit: {metric: kube_deployment_spec_replicas, labels: {namespace: shop}}
          by: [namespace, deployment]
        comparison: "<"
        warning: 80%
        critical: 50%
      - name: QueueBacklog
        utilisation: {used: {metric: queue_depth, labels: {queue: mail}}}
        warning: 100
        critical: 1000
      - name: ProcessCPU
        utilisation: {used: process_cpu_seconds_total, rate: 5m, by: [instance]}
        warning: 0.8
        critical: 1.5
        for: 0s
      - name: OOMKills
        counter_increase: {counter: oom_kills_total, window: 15m}
        warning: 0
      - name: FewLogins
        counter_increase: {counter: {metric: logins_total, labels: {result: {not: fail}}}, window: 30m}
        comparison: "<"
        critical: 10
      - name: FewTargets
        raw_promql: {expr: 'count(up{job="shop"} == 1)'}
        comparison: "<"
        warning: 3
        critical: 1
"""


def test_varied_shapes_read_the_same_from_yaml_and_python(tmp_path: Path) -> None:
    spec = tmp_path / "varied.yaml"
    spec.write_text(VARIED_YAML, encoding="utf-8")
    (from_yaml,) = load([spec]).services
    assert from_yaml == VARIED


def test_varied_shapes_pass_promtool_check_and_generated_tests(tmp_path: Path, promtool: str) -> None:
    defs = _defs(VARIED)
    out = write_artifacts(tmp_path, defs)
    failed = [f"{r.step} {r.target}\n{r.output}" for r in check_rules(out) if not r.ok]
    assert not failed, "\n".join(failed)
    doc = yaml.safe_load((out / "rules/tests/varied.alerts.test.yml").read_text())
    names = [t["name"] for t in doc["tests"]]
    tested = {n.split(":")[0].split("/")[1] for n in names}
    assert tested == {a.name for a in VARIED.alerts} - {"FewTargets"}
    # a single level gives two cases (short of it, beyond it); two levels give three
    assert sum(1 for n in names if n.startswith("varied/PaymentFailures:")) == 2
    assert sum(1 for n in names if n.startswith("varied/ReplicasUnavailable:")) == 3
    assert "varied/ReplicasUnavailable: 42.5% (beyond the critical level) fires warning and critical" in names
    assert "varied/OOMKills: 0 (just below the warning level) fires nothing" in names
    assert "varied/FewLogins: 12.5 (just above the critical level) fires nothing" in names
    assert threshold_tests.skipped(VARIED) == [("FewTargets", "an opaque PromQL expression cannot be synthesised")]
    assert any("threshold alert varied/FewTargets" in n for n in notes(defs))


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def test_label_values_stay_inside_string_literals_and_templates_are_escaped() -> None:
    doc = threshold_rules.rule_file(VARIED)
    assert doc is not None
    rules = [r for r in doc["groups"][0]["rules"] if r["alert"] == "HighErrorRatio"]
    for rule in rules:
        assert '"\\"} or vector(1) #"' in rule["expr"]
        outside = _STRING.sub('""', rule["expr"])
        assert "vector(1)" not in outside and "#" not in outside
        assert rule["labels"]["note"] == '{{ "{{" }} end {{ "}}" }}'  # expands to the literal text
        assert rule["labels"]["env"] == "prod"


def test_raw_promql_and_templates_are_checked_by_slo_validate(backend: Backend, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from slo.cli import main

    spec = tmp_path / "slos.yaml"
    spec.write_text(VARIED_YAML, encoding="utf-8")
    assert CliRunner().invoke(main, ["validate", str(spec)]).exit_code == 0
    broken = VARIED_YAML.replace('count(up{job="shop"} == 1)\'', 'count(up{job="shop"} == 1\'').replace(
        "critical: 1000\n", 'critical: 1000\n        summary: "{{ $value "\n'
    )
    spec.write_text(broken, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(spec)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(f"{spec}: varied/QueueBacklog: promtool rejects the alert's PromQL or templates: ")
    assert "unclosed action" in lines[0]
    assert lines[1].startswith(f"{spec}: varied/FewTargets: promtool rejects the alert's PromQL or templates: ")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: threshold("X", counter_increase("a_total", window="1h"), warning=5, critical=2), "must be below"),
        (
            lambda: threshold("X", counter_increase("a_total", window="1h"), comparison="<", warning=2, critical=5),
            "must be above",
        ),
        (lambda: threshold("X", counter_increase("a_total", window="1h")), "give a warning and/or a critical"),
        (lambda: threshold("X", counter_increase("a_total", window="1h"), warning="2%"), "only fits a ratio"),
        (lambda: threshold("X", counter_increase("a_total", window="1h"), warning=-1), "always fires"),
        (lambda: threshold("bad-name", counter_increase("a_total", window="1h"), warning=1), "alert name"),
        (lambda: threshold("SLOMetricAbsent", counter_increase("a_total", window="1h"), warning=1), "SLO rules"),
        (lambda: threshold("X", counter_increase("a_total", window="1h"), warning=1, for_="5 min"), "not a duration"),
        (lambda: counter_increase("a_total", window="1h", by=["severity"]), "set by the toolkit"),
        (lambda: counter_increase("a_total", window="1h", by=["pod", "pod"]), "listed twice"),
        (lambda: histogram_quantile("h_seconds", 95, by=["le"]), "'le'"),
        (lambda: utilisation(free="a"), "'free' needs 'limit'"),
        (lambda: rate_ratio("a_total", "a_total"), "same series"),
        (
            lambda: threshold(
                "X", counter_increase("a_total", window="1h", by=["pod"]), warning=1, labels={"pod": "x"}
            ),
            "overwrite",
        ),
    ],
)
def test_bad_threshold_definitions_are_refused(call: Any, message: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        call()


def test_duplicate_names_in_a_service_are_refused() -> None:
    alert = threshold("X", counter_increase("a_total", window="1h"), warning=1)
    with pytest.raises(DefinitionError, match="duplicate alert name 'X'"):
        service("s", availability("a", 99, "r_total", errors={"code": "500"}), alerts=[alert, alert])


# ---------------------------------------------------------------------------------------------
# Alertmanager: routing of the new severities, and the critical level inhibiting the warning


def test_example_routing_sends_critical_to_the_pager_and_warning_to_chat(tmp_path: Path, amtool: str) -> None:
    defs = load([EXAMPLE / "slos.py"])
    out = write_artifacts(tmp_path, defs)
    results = check_alertmanager(out)
    failed = [f"{r.target}\n{r.output}" for r in results if not r.ok]
    assert not failed, "\n".join(failed)
    threshold_cases = [r for r in results if "threshold alert" in r.target]
    assert len(threshold_cases) == 12  # six alerts × two severities, each verified by amtool
    config = out / am.CONFIG
    for alert in SEEDS_TABLE:
        labels = {"alertname": alert, "service": "ai-assistant", "team": "sre", "pod": "backend-1"}
        assert amtool_routes(amtool, config, {**labels, "severity": "critical"}) == "pagerduty"
        assert amtool_routes(amtool, config, {**labels, "severity": "warning"}) == "slack"


SHOP_ROUTING = routing(
    pagerduty("pagerduty", routing_key_file="/etc/am/pd"),
    slack("slack", api_url_file="/etc/am/slack", channel="#alerts"),
    pagerduty("shop-pager", routing_key_file="/etc/am/shop-pd"),
    slack("shop-chat", api_url_file="/etc/am/shop-slack", channel="#shop"),
    critical="pagerduty",
    warning="slack",
    routes=[team_route("shop", critical="shop-pager", warning="shop-chat")],
)


def test_team_routes_apply_to_threshold_alerts_and_a_merged_base_keeps_its_own(tmp_path: Path, amtool: str) -> None:
    defs = _defs(VARIED, routing_=SHOP_ROUTING)
    out = write_artifacts(tmp_path / "standalone", defs)
    assert all(r.ok for r in check_alertmanager(out))
    config = out / am.CONFIG
    ours = {"alertname": "HighErrorRatio", "service": "varied", "team": "shop", "env": "prod"}
    assert amtool_routes(amtool, config, {**ours, "severity": "critical"}) == "shop-pager"
    assert amtool_routes(amtool, config, {**ours, "severity": "warning"}) == "shop-chat"

    # A hand-written config routes another service's alert of the same name: the merge must not take it.
    base = tmp_path / "base.yml"
    base.write_text(
        yaml.safe_dump(
            {
                "route": {
                    "receiver": "ops",
                    "routes": [{"matchers": ['alertname="HighErrorRatio"', 'service="legacy"'], "receiver": "legacy"}],
                },
                "receivers": [{"name": "ops"}, {"name": "legacy"}],
            }
        )
    )
    merged = am.merge(am.read_base(base), SHOP_ROUTING, defs)
    config = tmp_path / "merged.yml"
    config.write_text(yaml.safe_dump(merged))
    subprocess.run([amtool, "check-config", str(config)], check=True, capture_output=True, timeout=60)
    theirs = {"alertname": "HighErrorRatio", "service": "legacy", "team": "shop", "severity": "critical"}
    assert amtool_routes(amtool, config, theirs) == "legacy"
    assert amtool_routes(amtool, config, {**ours, "severity": "critical"}) == "shop-pager"
    # merging again replaces both generated subtrees instead of stacking them
    again = am.merge(am.BaseConfig("merged.yml", merged), SHOP_ROUTING, defs)
    assert again["route"]["routes"] == merged["route"]["routes"]


def test_inhibition_is_per_alert_and_series() -> None:
    rules = am.inhibit_rules(SHOP_ROUTING, _defs(VARIED, routing_=SHOP_ROUTING))
    (levels,) = [r for r in rules if "equal" in r and "alertname" in r["equal"]]
    # alerts with both levels only (PaymentFailures, OOMKills and FewLogins have one)
    names = 'alertname=~"FewTargets|HighErrorRatio|LargeResponses|ProcessCPU|QueueBacklog|ReplicasUnavailable"'
    assert levels["source_matchers"] == [names, 'severity="critical"']
    assert levels["target_matchers"] == [names, 'severity="warning"']
    assert levels["equal"] == ["alertname", "service", "deployment", "instance", "job", "namespace", "route"]


# ---------------------------------------------------------------------------------------------
# The example's threshold rules in a real Prometheus, alerts delivered by a real Alertmanager

STEP = 15.0
HISTORY = 70 * 60.0  # more than the 1h restart window
NS = "ai-assistant-prod"
API = {"job": "ai-assistant-backend", "instance": "backend-1:8000", "endpoint": "/api/chat", "method": "POST"}
BUCKETS = ("0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")
# The two service-wide alerts at each level: (5xx share, cumulative share of requests per bucket).
LEVELS: dict[str, tuple[float, tuple[float, ...]]] = {
    # p95 in (0.5, 1]: 0.5 + 0.5·(0.95 − 0.9)/(0.97 − 0.9) ≈ 0.86 s
    "quiet": (0.01, (0.3, 0.6, 0.9, 0.97, 0.99, 1.0, 1.0, 1.0)),
    # p95 in (1, 2.5]: 1 + 1.5·(0.95 − 0.9)/(0.97 − 0.9) ≈ 2.07 s
    "warning": (0.03, (0.2, 0.5, 0.8, 0.9, 0.97, 1.0, 1.0, 1.0)),
    # p95 in (2.5, 5]: 2.5 + 2.5·(0.95 − 0.9)/(0.99 − 0.9) ≈ 3.9 s
    "critical": (0.08, (0.1, 0.3, 0.6, 0.8, 0.9, 0.99, 1.0, 1.0)),
}
# Per-container and per-node alerts: one series quiet, one between the levels, one beyond critical.
CPU_CORES = {"backend-ok": 1.0, "backend-warn": 1.55, "backend-crit": 1.9}  # of a 2-core limit
MEMORY_GIB = {"backend-ok": 2.0, "backend-warn": 3.4, "backend-crit": 3.8}  # of a 4 GiB limit
RESTARTS = {"backend-ok": 1, "backend-warn": 3, "backend-crit": 8}  # in the last hour
DISK_USED = {"node-ok": 0.5, "node-warn": 0.85, "node-crit": 0.95}


def _counter(rate: float, start: float, end: float) -> list[tuple[float, float]]:
    return [(start + i * STEP, rate * i * STEP) for i in range(int((end - start) // STEP) + 1)]


def _gauge(value: float, start: float, end: float) -> list[tuple[float, float]]:
    return [(start + i * STEP, value) for i in range(int((end - start) // STEP) + 1)]


def _restarts(count: int, start: float, end: float) -> list[tuple[float, float]]:
    """A restart counter that went up ``count`` times within the last 50 minutes."""
    times = [end - 50 * 60 + k * (45 * 60 / max(count, 1)) for k in range(count)]
    return [(t, float(sum(1 for r in times if r <= t))) for t, _ in _gauge(0, start, end)]


def world(level: str, end: float) -> list[Series]:
    """What cAdvisor, kube-state-metrics, node-exporter and the backend would have exported."""
    start = end - HISTORY
    errors, buckets = LEVELS[level]
    rps = 20.0
    out = [
        Series("http_requests_total", {**API, "status": "200"}, _counter(rps * (1 - errors), start, end)),
        Series("http_requests_total", {**API, "status": "503"}, _counter(rps * errors, start, end)),
        Series("http_requests_total", {**API, "job": "other-app", "status": "500"}, _counter(50, start, end)),
    ]
    for le, share in zip(BUCKETS, buckets, strict=True):
        out.append(
            Series(
                "http_request_duration_seconds_bucket", {**API, "le": le}, _counter(rps * share, start, end), "gauge"
            )
        )
    cadvisor = {"namespace": NS, "image": "ai-assistant-backend:v2.0.0", "cpu": "total"}
    ksm = {"job": "kube-state-metrics", "namespace": NS, "node": "node-1"}
    for pod in CPU_CORES:
        container = {**cadvisor, "pod": pod, "container": "app", "id": f"/kubepods/{pod}/app"}
        out.append(Series("container_cpu_usage_seconds_total", container, _counter(CPU_CORES[pod], start, end)))
        # the pod-level cgroup (container="") sums every container: it must not be read as one
        pod_cgroup = {**cadvisor, "pod": pod, "container": "", "id": f"/kubepods/{pod}"}
        out.append(Series("container_cpu_usage_seconds_total", pod_cgroup, _counter(4.0, start, end)))
    # a busy pod of another namespace is none of this service's business
    other = {**cadvisor, "namespace": "batch", "pod": "cruncher", "container": "app", "id": "/kubepods/cruncher"}
    out.append(Series("container_cpu_usage_seconds_total", other, _counter(8.0, start, end)))
    for pod, gib in MEMORY_GIB.items():
        container = {**cadvisor, "pod": pod, "container": "app", "id": f"/kubepods/{pod}/app"}
        out.append(Series("container_memory_working_set_bytes", container, _gauge(gib * 2**30, start, end), "gauge"))
    for pod in CPU_CORES:
        limits = {**ksm, "pod": pod, "container": "app"}
        cpu = _gauge(2.0, start, end)
        memory = _gauge(4 * 2**30, start, end)
        out.append(
            Series("kube_pod_container_resource_limits", {**limits, "resource": "cpu", "unit": "core"}, cpu, "gauge")
        )
        out.append(
            Series(
                "kube_pod_container_resource_limits", {**limits, "resource": "memory", "unit": "byte"}, memory, "gauge"
            )
        )
        restarts = _restarts(RESTARTS[pod], start, end)
        out.append(Series("kube_pod_container_status_restarts_total", limits, restarts))
    for node, used in DISK_USED.items():
        for mount, fstype, share in (("/", "ext4", used), ("/run", "tmpfs", 0.99)):
            labels = {"job": "node-exporter", "instance": node, "mountpoint": mount, "fstype": fstype, "device": "sda1"}
            size = 100 * 2**30
            out.append(Series("node_filesystem_size_bytes", labels, _gauge(size, start, end), "gauge"))
            out.append(Series("node_filesystem_avail_bytes", labels, _gauge(size * (1 - share), start, end), "gauge"))
    return out


def expected_firing(level: str) -> set[tuple[str, str, str]]:
    """(alertname, severity, series) that must fire; the series is the pod or node ('' service-wide)."""
    out: set[tuple[str, str, str]] = set()
    severities = {"quiet": (), "warning": ("warning",), "critical": ("warning", "critical")}
    for name in ("HighErrorRate", "HighResponseTime"):
        out |= {(name, sev, "") for sev in severities[level]}
    for name in ("HighCPUUsage", "HighMemoryUsage", "PodCrashLooping"):
        out |= {
            (name, "warning", "backend-warn"),
            (name, "warning", "backend-crit"),
            (name, "critical", "backend-crit"),
        }
    out |= {("HighDiskUsage", "warning", "node-warn"), ("HighDiskUsage", "warning", "node-crit")}
    out |= {("HighDiskUsage", "critical", "node-crit")}
    return out


def _key(labels: dict[str, str]) -> tuple[str, str, str]:
    return labels["alertname"], labels["severity"], labels.get("pod") or labels.get("instance") or ""


def _prometheus_alerts(server: PrometheusServer) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{server.url}/api/v1/alerts", timeout=10) as resp:
        return list(json.load(resp)["data"]["alerts"])


def _live_rules(tmp: Path) -> Path:
    """The generated rule file, evaluated every second and without `for` (which the promtool tests prove)."""
    doc = threshold_rules.rule_file(_example())
    assert doc is not None
    for group in doc["groups"]:
        group["interval"] = "1s"
        for rule in group["rules"]:
            rule.pop("for", None)
    path = tmp / "ai-assistant.alerts.yml"
    path.write_text(dump(doc), encoding="utf-8")
    return path


def _run_level(
    level: str, tmp: Path, rules: Path, alertmanager_url: str | None = None, delivered: Any = None
) -> list[dict[str, Any]]:
    """Backfill the level's world, run Prometheus on it; returns its firing alerts.

    With an Alertmanager, Prometheus keeps running until ``delivered()`` holds: it learns the
    Alertmanager's address only after its discovery's first 5 s update, so alerts are re-sent
    every second (``--rules.alert.resend-delay=1s``) rather than after the default minute.
    """
    now = time.time()
    data = tmp / level
    data.mkdir()
    write_openmetrics(world(level, now - 1), data / "history.om")
    backfill_openmetrics(data / "history.om", data / "tsdb", max_block="2h")
    server = PrometheusServer(
        data / "tsdb",
        rule_files=[rules],
        evaluation_interval="1s",
        alertmanagers=[alertmanager_url] if alertmanager_url else [],
        max_runtime=120,
        extra_args=["--rules.alert.resend-delay=1s"],
    )
    with server:
        deadline = time.monotonic() + 30
        firing: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            firing = [a for a in _prometheus_alerts(server) if a["state"] == "firing"]
            if {_key(a["labels"]) for a in firing} >= expected_firing(level):
                time.sleep(2.5)  # two more evaluations: nothing else may appear
                firing = [a for a in _prometheus_alerts(server) if a["state"] == "firing"]
                break
            time.sleep(0.5)
        series = server.query('ALERTS{alertstate="firing",service="ai-assistant"}', time.time())
        assert {_key(labels) for labels, _ in series} == {_key(a["labels"]) for a in firing}
        while delivered is not None and not delivered() and time.monotonic() < deadline + 20:
            time.sleep(0.5)
        return firing


@pytest.mark.integration
def test_example_threshold_alerts_fire_in_prometheus_and_alertmanager_inhibits(
    backend: Backend, tmp_path: Path
) -> None:
    require("prometheus")
    require("promtool")
    started = time.monotonic()
    rules = _live_rules(tmp_path)
    with WebhookReceiver() as receiver:
        routing_ = routing(
            webhook("pager", url=receiver.url("/pager")),
            webhook("chat", url=receiver.url("/chat")),
            critical="pager",
            warning="chat",
            # Alertmanager flushes a new group at once when its alert started more than group_wait ago.
            # Prometheus learns the Alertmanager's address ~5 s after its alerts start firing, so a
            # shorter wait would flush a warning before the critical that inhibits it has been read.
            group_wait="10s",
            group_interval="1s",
        )
        config = tmp_path / "alertmanager.yml"
        config.write_text(artifacts(_defs(_example(), routing_=routing_))[am.CONFIG], encoding="utf-8")
        with AlertmanagerServer(tmp_path / "am", config=config, max_runtime=120) as alertmanager:
            expected = expected_firing("critical")
            pages = {key for key in expected if key[1] == "critical"}

            def delivered() -> bool:
                """Alertmanager holds every alert, and the pager and chat have been notified."""
                held = {_key(a["labels"]) for a in alertmanager.alerts()}
                paged = {_key(a["labels"]) for n in receiver.firing("/pager") for a in n.alerts}
                return held == expected and paged == pages and bool(receiver.firing("/chat"))

            with ThreadPoolExecutor(max_workers=3) as pool:
                runs = {
                    "quiet": pool.submit(_run_level, "quiet", tmp_path, rules),
                    "warning": pool.submit(_run_level, "warning", tmp_path, rules),
                    "critical": pool.submit(_run_level, "critical", tmp_path, rules, alertmanager.url, delivered),
                }
                results = {level: run.result() for level, run in runs.items()}
            time.sleep(2)  # two more group intervals: a warning that escaped inhibition would be sent by now
            held = alertmanager.alerts()

    for level, firing in results.items():
        got = {_key(a["labels"]) for a in firing}
        assert got == expected_firing(level), (
            f"{level}: missing {expected_firing(level) - got}, extra {got - expected_firing(level)}"
        )
        for alert in firing:
            labels = alert["labels"]
            assert labels["service"] == "ai-assistant" and labels["team"] == "sre"
            assert alert["annotations"]["runbook_url"] == "https://runbooks.your-company.com/ai-assistant"
            if labels["alertname"] in ("HighCPUUsage", "HighMemoryUsage", "PodCrashLooping"):
                assert (labels["namespace"], labels["container"]) == (NS, "app"), labels
    values = {
        (a["labels"]["alertname"], a["labels"]["severity"], _key(a["labels"])[2]): float(a["value"])
        for a in results["critical"]
    }
    assert values[("HighErrorRate", "critical", "")] == pytest.approx(0.08, rel=1e-3)
    assert values[("HighResponseTime", "critical", "")] == pytest.approx(2.5 + 2.5 * 0.05 / 0.09, rel=1e-3)
    assert values[("HighCPUUsage", "critical", "backend-crit")] == pytest.approx(0.95, rel=1e-3)
    assert values[("HighDiskUsage", "warning", "node-warn")] == pytest.approx(0.85, rel=1e-6)
    assert 7 <= values[("PodCrashLooping", "critical", "backend-crit")] <= 9  # increase() extrapolates a little

    # Alertmanager: every critical level inhibits the warning of the same alert and series, nothing else.
    states = {_key(a["labels"]): a["status"] for a in held}
    assert set(states) == expected_firing("critical")
    suppressed = {key for key, status in states.items() if status["state"] == "suppressed"}
    criticals = {key for key in states if key[1] == "critical"}
    assert suppressed == {(name, "warning", series) for name, _, series in criticals}
    assert all(states[key]["inhibitedBy"] for key in suppressed)
    delivered = {
        path: {_key(a["labels"]) for n in receiver.firing(path) for a in n.alerts} for path in ("/pager", "/chat")
    }
    assert delivered["/pager"] == criticals
    assert delivered["/chat"] == expected_firing("critical") - criticals - suppressed
    assert time.monotonic() - started < 60
