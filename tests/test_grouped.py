"""Grouped SLOs (``group_by``): the model's checks, the PromQL's shape, and promtool over the generated rules.

The live proof (per-group ratios equal to the truth on a real Prometheus, alerts for the failing
group only, the rule-group limit, the report) is tests/test_grouped_prometheus.py.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
import yaml

from generators import service_tests
from generators.prometheus_rules import rule_file, slo_groups
from generators.rule_compat import CompatError, PrometheusTarget
from slo import promql
from slo.dsl.slos import availability, service
from slo.loaders import load
from slo.model.errors import DefinitionError
from slo.promql.recorded import BASE_WINDOW
from tests.conftest import DATA
from tests.upstream import try_load

CHECKOUT = DATA / "grouped" / "checkout.yaml"


def _promtool(promtool: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=cwd, timeout=900)


@pytest.mark.parametrize(
    ("group_by", "message"),
    [
        (["service"], "'service' is set by the toolkit and cannot be a grouping label"),
        (["le"], "'le' is set by the toolkit"),
        (["route", "route"], "label 'route' is listed twice"),
        (["1route"], "'1route' is not a valid Prometheus label name"),
        ("route", "must be a list of label names"),
        (["team"], "'team' is also one of the SLO's labels"),
    ],
)
def test_bad_grouping_labels_are_refused(group_by: object, message: str) -> None:
    with pytest.raises(DefinitionError) as info:
        availability(
            "a",
            99,
            "x_total",
            errors={"code": "500"},
            slo_labels={"team": "t"},
            group_by=group_by,  # type: ignore[arg-type]
        )
    assert message in info.value.message
    assert info.value.path == "group_by"


def test_a_grouping_label_the_service_sets_is_refused() -> None:
    with pytest.raises(DefinitionError) as info:
        service("shop", availability("a", 99, "x_total", errors={"code": "500"}, group_by=["team"]), team="payments")
    assert "grouping label(s) ['team'] are also labels of service 'shop'" in info.value.message


def test_yaml_errors_name_the_file_line_and_path(tmp_path: Path) -> None:
    text = CHECKOUT.read_text(encoding="utf-8").replace("max_groups: 50", "max_groups: 0")
    text = text.replace("group_by: [instance]", "group_by: [slo]")
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    problems = try_load([tmp_path / "s.yaml"])
    assert isinstance(problems, list)
    joined = "\n".join(problems)
    assert "s.yaml:10: services[0].slos[0].max_groups" in joined, joined
    assert "services[0].slos[3].group_by: 'slo' is set by the toolkit" in joined, joined


def test_every_aggregation_keeps_the_group_and_zero_fill_keeps_groups() -> None:
    [svc] = load([CHECKOUT]).services
    avail, latency, slices, uptime = svc.slos
    bad = promql.bad_events(avail, BASE_WINDOW)
    assert bad.startswith("(sum by (route) (rate(http_requests_total{")
    assert "vector(0)" not in bad and ' or sum by (route) (rate(http_requests_total{job="checkout"}[5m])) * 0)' in bad
    for fn in ("increase", promql.INCREASE_CLOSED, promql.EXTRAPOLATED_INCREASE_CLOSED):
        assert promql.total_events(avail, BASE_WINDOW, fn).startswith("sum by (route) (")
    assert "vector(0)" not in promql.bad_events(latency, BASE_WINDOW)
    assert "avg by (instance) (avg_over_time(probe_success" in promql.slice_error_ratio(uptime)
    assert promql.probe_failed_samples(uptime, BASE_WINDOW).startswith("sum by (instance) (")
    assert "max by (route) (present_over_time(" in promql.events_presence(avail, BASE_WINDOW)
    assert "sum by (le, route) (" in promql.latency_quantile(latency, 0.95, "$__rate_interval")
    assert "sum by (route) (rate(" in promql.slice_error_ratio(slices)
    # an ungrouped SLO is written as before
    plain = dataclasses.replace(avail, group_by=())
    assert promql.bad_events(plain, BASE_WINDOW).endswith(" or vector(0))")


def test_guards_gate_each_group_and_absent_watches_the_whole_metric() -> None:
    [svc] = load([CHECKOUT]).services
    doc = rule_file(svc)
    alerts = [r for g in doc["groups"] for r in g["rules"] if "alert" in r and r["labels"]["slo"] == "availability"]
    burns = [a for a in alerts if a["alert"] == "SLOErrorBudgetBurn"]
    assert burns and all("and on(route) " in a["expr"] and "on() " not in a["expr"] for a in burns)
    [absent] = [a for a in alerts if a["alert"] == "SLOMetricAbsent"]
    assert absent["expr"] == 'absent(http_requests_total{job="checkout"})'
    [limit] = [a for a in alerts if a["alert"] == "SLOGroupLimitExceeded"]
    assert limit["expr"] == 'count(count by (route) (http_requests_total{job="checkout"})) > 50'
    assert {g["limit"] for g in doc["groups"] if g["name"].startswith("slo:checkout:availability")} == {50}
    latency = [r for g in doc["groups"] for r in g["rules"] if r.get("alert") and r["labels"]["slo"] == "latency"]
    assert all("on() count(http_request_duration_seconds_bucket" in a["expr"] for a in latency if "tier" in a["labels"])


def test_the_limit_needs_prometheus_2_31() -> None:
    [svc] = load([CHECKOUT]).services
    with pytest.raises(CompatError, match=r"'limit' needs Prometheus 2\.31"):
        slo_groups(svc, svc.slos[0], PrometheusTarget.parse("2.30"))


def test_ungrouped_rule_groups_have_no_limit() -> None:
    [svc] = load([DATA / "equivalent" / "slos.yaml"]).services
    assert all("limit" not in g for g in rule_file(svc)["groups"])


def test_generated_tests_pass_and_fail_when_the_group_is_lost(tmp_path: Path, promtool: str) -> None:
    """One group in a total outage pages with its labels; the healthy group fires nothing. Rules that sum
    the groups away (``sum`` instead of ``sum by (route)``) fail the same generated tests."""
    [svc] = load([CHECKOUT]).services
    svc = dataclasses.replace(svc, slos=svc.slos[:1])  # availability: one SLO keeps promtool quick
    tests = service_tests.test_file(svc, "checkout.rules.yml")
    names = [t["name"] for t in tests["tests"]]
    assert "checkout/availability: a total outage of group route=burning fires fast-page for that group only" in names
    (tmp_path / "checkout.test.yml").write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    rules = rule_file(svc)
    (tmp_path / "checkout.rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    assert _promtool(promtool, "check", "rules", "checkout.rules.yml", cwd=tmp_path).returncode == 0
    done = _promtool(promtool, "test", "rules", "checkout.test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    text = (tmp_path / "checkout.rules.yml").read_text(encoding="utf-8").replace("sum by (route) (", "sum(")
    text = text.replace("on(route)", "on()")
    (tmp_path / "checkout.rules.yml").write_text(text, encoding="utf-8")
    only = {**tests, "tests": [t for t in tests["tests"] if "for that group only" in t["name"]]}
    (tmp_path / "checkout.test.yml").write_text(yaml.safe_dump(only, sort_keys=False), encoding="utf-8")
    broken = _promtool(promtool, "test", "rules", "checkout.test.yml", cwd=tmp_path)
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0 and 'route=\\"burning\\"' in output, output


SLOTH_TEST = """\
rule_files: [gateway.rules.yml]
evaluation_interval: 30s
tests:
  - interval: 15s
    input_series:
      - series: 'http_requests_total{job="gw",request_host="a",code="200"}'
        values: '0+100x40'
      - series: 'http_requests_total{job="gw",request_host="b",code="200"}'
        values: '0+90x40'
      - series: 'http_requests_total{job="gw",request_host="b",code="500"}'
        values: '0+10x40'
    promql_expr_test:
      - expr: slo:sli_error:ratio_rate5m{service="gateway"}
        eval_time: 10m
        exp_samples:
          - labels: 'slo:sli_error:ratio_rate5m{service="gateway",slo="availability",request_host="a"}'
            value: 0
          - labels: 'slo:sli_error:ratio_rate5m{service="gateway",slo="availability",request_host="b"}'
            value: 0.1
"""


def test_sloth_grouped_queries_are_zero_filled_per_group(tmp_path: Path, promtool: str) -> None:
    """``sum by (request_host)`` templates: a host without errors has ratio 0 (``or vector(0)`` gave it none)."""
    [svc] = load([DATA / "grouped" / "sloth-by-host.yaml"]).services
    rules = rule_file(svc)
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"] if r.get("record") == "slo:sli_bad:rate5m"]
    assert exprs and "vector(0)" not in exprs[0]
    (tmp_path / "gateway.rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    (tmp_path / "gateway.test.yml").write_text(SLOTH_TEST, encoding="utf-8")
    done = _promtool(promtool, "test", "rules", "gateway.test.yml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_upstream_pyrra_grouped_examples_load_and_generate(tmp_path: Path, promtool: str) -> None:
    from generators.bundle import artifacts
    from slo.loaders import load as load_defs

    sources = [
        DATA / "pyrra/upstream/examples/prometheus-http.yaml",
        DATA / "pyrra/upstream/examples/prometheus-probe-success.yaml",
        DATA / "pyrra/upstream/examples/kubernetes/manifests/slos/slo-prometheus-query-errors.yaml",
    ]
    defs = load_defs(sources)
    grouped = [s for svc in defs.services for s in svc.slos if s.group_by]
    assert len(grouped) == 3, [s.name for svc in defs.services for s in svc.slos]
    for path, text in artifacts(defs).items():
        if path.endswith(".rules.yml"):
            (tmp_path / Path(path).name).write_text(text, encoding="utf-8")
    checked = _promtool(promtool, "check", "rules", *sorted(p.name for p in tmp_path.glob("*.rules.yml")), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_explain_says_the_slo_is_grouped() -> None:
    from slo.explain import explain, render

    [svc] = load([CHECKOUT]).services
    docs = explain([svc])
    assert docs[0][1]["grouping"] == {"group_by": ["route"], "max_groups": 50}
    text = render(docs)
    assert "Grouped by route: one SLI and error budget per value of route" in text
    assert "At most 50 groups" in text and "SLOGroupLimitExceeded" in text


def test_grouped_prometheusrule_objects_are_valid_against_the_crd() -> None:
    from generators.bundle import artifacts
    from tests.test_kubernetes import _objects, _problems

    objects = _objects(artifacts(load([CHECKOUT])))
    [obj] = objects.values()
    assert {g["limit"] for g in obj["spec"]["groups"] if g["name"].startswith("slo:checkout:availability")} == {50}
    assert _problems(obj) == []


def test_the_tier_labels_the_model_writes_are_reserved() -> None:
    from slo.model.alert_policy import RENAMED_TIER_LABEL, TIER_LABEL
    from slo.model.grouping import GROUP_RESERVED_LABELS

    assert {TIER_LABEL, RENAMED_TIER_LABEL} <= GROUP_RESERVED_LABELS


GROUPED_YAML = """\
apiVersion: slo-toolkit/v1
services:
  - name: shop
    slos:
      - name: avail
        objective: 99.9
        group_by: [route]
        sli:
          ratio:
            bad: {metric: http_requests_total, labels: {code: {regex: "5.."}}}
            total: {metric: http_requests_total}
"""


@pytest.mark.parametrize(("version", "refused"), [("2.30", True), ("2.31", False), ("3.16", False)])
def test_a_target_without_rule_group_limits_refuses_grouped_slos(tmp_path: Path, version: str, refused: bool) -> None:
    """max_groups is enforced by the rule-group limit (Prometheus 2.31+): an older target is refused by name."""
    import shutil

    (tmp_path / "slos.yaml").write_text(GROUPED_YAML, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f'[tool.slo]\nprometheus_version = "{version}"\n', encoding="utf-8")
    slo_cmd = shutil.which("slo")
    assert slo_cmd is not None
    proc = subprocess.run([slo_cmd, "generate", "--out", "out"], cwd=tmp_path, capture_output=True, text=True)
    if not refused:
        assert proc.returncode == 0, proc.stderr
        assert "limit: 100" in (tmp_path / "out/rules/shop.rules.yml").read_text()
        return
    assert proc.returncode == 1, proc.stderr
    assert "shop/avail: group_by needs Prometheus 2.31 or later" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    assert not (tmp_path / "out").exists(), "nothing is written"
