"""Property tests: for random valid models the generated rules are valid, deterministic and exact."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generators.prometheus_rules import rule_file
from generators.yamlout import dump
from slo import availability, error_rate, latency, ratio, regex, selector, service, uptime
from slo.loaders import load
from slo.model.errors import SpecError
from slo.model.service import SLO, Service

metric_names = st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True)
label_names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(
    lambda s: s not in ("le", "service", "slo", "severity", "tier")
)
label_values = st.text(min_size=1, max_size=12)
labels = st.dictionaries(label_names, label_values, max_size=3)
objectives = st.sampled_from([90, 95, 99, 99.5, 99.9, 99.95, 99.99, 0.98, 0.999])
periods = st.sampled_from(["7d", "28d", "30d", "month"])
thresholds = st.sampled_from(["5ms", "100ms", "250ms", "1s", "2.5s", "10s"])
names = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@st.composite
def slos(draw: st.DrawFn, name: str) -> SLO:
    kind = draw(st.sampled_from(["availability", "latency", "error_rate", "uptime", "ratio"]))
    objective = draw(objectives)
    period = draw(periods)
    metric = draw(metric_names)
    sel_labels = draw(labels)
    if kind == "availability":
        return availability(name, objective, metric, errors={"code": regex("5..")}, labels=sel_labels, period=period)
    if kind == "latency":
        return latency(name, objective, metric, under=draw(thresholds), labels=sel_labels, period=period)
    if kind == "error_rate":
        return error_rate(
            name, objective, metric, errors={"code": "500"}, below="0.5%", labels=sel_labels, period=period
        )
    if kind == "uptime":
        return uptime(name, objective, metric, labels=sel_labels, period=period)
    return ratio(
        name,
        objective,
        good=selector(metric, {**sel_labels, "outcome": "ok"}),
        total=selector(metric, sel_labels),
        period=period,
    )


@st.composite
def services(draw: st.DrawFn) -> Service:
    slo_names = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    return service(draw(names), *[draw(slos(n)) for n in slo_names], team=draw(st.sampled_from(["sre", "web"])))


@settings(max_examples=60, deadline=None)
@given(services())
def test_generation_is_deterministic(svc: Service) -> None:
    assert dump(rule_file(svc)) == dump(rule_file(svc))


@settings(max_examples=60, deadline=None)
@given(services())
def test_alert_thresholds_are_factor_times_budget(svc: Service) -> None:
    doc = rule_file(svc)
    rules = [r for g in doc["groups"] for r in g["rules"]]
    for slo in svc.slos:
        assert slo.alerting is not None
        budget = 1 - slo.objective
        for tier in slo.alerting.tiers:
            (alert,) = [
                r
                for r in rules
                if r.get("alert") == "SLOErrorBudgetBurn"
                and r["labels"]["slo"] == slo.name
                and r["labels"]["tier"] == tier.name
            ]
            factor = float(re.search(r"> ([0-9.e+-]+)\n", alert["expr"]).group(1))
            expected = tier.budget_spent * slo.period.alerting_window.seconds / tier.long_window.seconds
            assert abs(factor - expected) <= 1e-6 * expected
            (burn,) = [
                r
                for r in rules
                if r.get("record") == f"slo:burn_rate:rate{tier.long_window}" and r["labels"]["slo"] == slo.name
            ]
            divisor = float(burn["expr"].rsplit("/", 1)[1])
            assert abs(divisor - budget) <= 1e-9
            # the effective threshold on the error ratio is factor × (1 − objective)
            assert abs(factor * divisor - expected * budget) <= 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(services())
def test_generated_rules_pass_promtool_check(promtool: str, svc: Service) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.yml"
        path.write_text(dump(rule_file(svc)))
        result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([".yaml", ".yml"]))
def test_loaders_raise_only_spec_errors_on_random_bytes(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"spec{suffix}"
        path.write_bytes(data)
        try:
            load([path])
        except SpecError as exc:
            assert exc.problems and all(p.file == str(path) for p in exc.problems)


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
heads = st.sampled_from(
    [
        {"apiVersion": "slo-toolkit/v1"},
        {"apiVersion": "openslo/v1", "kind": "SLO"},
        {"version": "prometheus/v1"},
        {"apiVersion": "sloth.slok.dev/v1", "kind": "PrometheusServiceLevel"},
        {"apiVersion": "openslo/v1alpha", "kind": "SLO"},
        {"apiVersion": "openslo/v1", "kind": "AlertPolicy"},
        {"apiVersion": "openslo/v1", "kind": "SLI"},
        {"apiVersion": "pyrra.dev/v1alpha1", "kind": "ServiceLevelObjective"},
        {},
    ]
)
body_keys = ["services", "slos", "spec", "metadata", "service", "x", "objectives", "indicator", "target", "alerting"]


@settings(max_examples=200, deadline=None)
@given(heads, st.dictionaries(st.sampled_from(body_keys), yaml_values))
def test_loaders_raise_only_spec_errors_on_random_documents(head: dict, body: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.yaml"
        path.write_text(yaml.safe_dump({**head, **body}))
        try:
            load([path])
        except SpecError as exc:
            assert exc.problems
