"""Pyrra ServiceLevelObjective loader, over Pyrra's own example files (tests/data/pyrra/upstream)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slo.loaders import Definitions, load
from slo.loaders.yamlsrc import load_documents
from slo.model.alert_policy import DEFAULT_POLICY
from slo.model.durations import Duration
from slo.model.periods import Rolling
from slo.model.selectors import Matcher, Selector, parse_selector
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, TimeSliceSLI
from tests.upstream import DATA, files, promtool_check, shown, try_load

UPSTREAM = DATA / "pyrra" / "upstream"
# Upstream files the toolkit refuses, and the reason each message must give.
REFUSED = {
    "examples/pyrra-connect-latency.yaml": "latencyNative",
    # grouping by connect-go's own 'service' label, which the toolkit's 'service' label would overwrite
    "examples/pyrra-connect-errors.yaml": "'service' is set by the toolkit and cannot be a grouping label",
    # success counts 5xx responses the total does not select: not one histogram's bucket and count
    "examples/nginx.yaml": "so total must be its count with the same labels",
}


def _load_text(tmp_path: Path, text: str) -> Definitions | list[str]:
    source = tmp_path / "slo.yaml"
    source.write_text(text, encoding="utf-8")
    return try_load([source])


SLO = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: api-errors
  namespace: shop
  labels:
    pyrra.dev/team: payments
    prometheus: k8s
spec:
  target: "99.5"
  window: 4w
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="api",code=~"5.."}
      total:
        metric: http_requests_total{job="api"}
"""


def test_every_upstream_file_is_accepted_or_refused_for_its_known_reason() -> None:
    accepted = 0
    for path in files("pyrra"):
        name = shown(path, "pyrra")
        result = try_load([path])
        if name in REFUSED:
            assert isinstance(result, list), name
            assert REFUSED[name] in result[0], (name, result)
            assert result[0].startswith(f"pyrra/upstream/{name}:"), result[0]
        else:
            assert isinstance(result, Definitions), (name, result)
            accepted += 1
    assert accepted == 25


def test_ratio_slo_maps_target_window_labels_and_namespace(tmp_path: Path) -> None:
    defs = _load_text(tmp_path, SLO)
    assert isinstance(defs, Definitions), defs
    [service] = defs.services
    assert service.name == "shop"  # the namespace is the service
    [slo] = service.slos
    assert slo.name == "api-errors"
    assert slo.objective == 0.995
    assert slo.period == Rolling(Duration.parse("28d"))
    assert dict(slo.labels) == {"team": "payments"}  # pyrra.dev/ labels only; others select the rule object
    job = Matcher("job", "=", "api")
    assert slo.sli == RatioSLI(
        total=Selector("http_requests_total", (job,)),
        bad=Selector("http_requests_total", (job, Matcher("code", "=~", "5.."))),
    )
    assert slo.alerting == DEFAULT_POLICY


def test_latency_upstream_example_is_a_histogram_threshold() -> None:
    [service] = load([UPSTREAM / "examples/caddy-response-latency.yaml"]).services
    assert service.name == "caddy-response-latency"  # no namespace: the SLO names its service
    [slo] = service.slos
    assert isinstance(slo.sli, LatencySLI)
    assert slo.sli.threshold == 0.05
    assert slo.sli.histogram.metric == "caddy_http_response_duration_seconds"
    assert {m.label for m in slo.sli.histogram.matchers} == {"job", "handler", "code"}
    assert (slo.objective, slo.period) == (0.9, Rolling(Duration.parse("28d")))


def test_bool_gauge_is_one_minute_slices_good_when_the_gauge_is_one(tmp_path: Path) -> None:
    text = SLO.replace(
        """    ratio:
      errors:
        metric: http_requests_total{job="api",code=~"5.."}
      total:
        metric: http_requests_total{job="api"}
""",
        """    bool_gauge:
      metric: probe_success{job="blackbox"}
""",
    )
    defs = _load_text(tmp_path, text)
    assert isinstance(defs, Definitions), defs
    sli = defs.services[0].slos[0].sli
    assert sli == TimeSliceSLI(
        ProbeSLI(Selector("probe_success", (Matcher("job", "=", "blackbox"),))), Duration.parse("1m"), 1.0
    )


def test_kubernetes_manifests_of_one_namespace_merge_into_one_service() -> None:
    slos = UPSTREAM / "examples/kubernetes/manifests/slos"
    accepted = [p for p in sorted(slos.glob("*.yaml")) if shown(p, "pyrra") not in REFUSED]
    defs = load(accepted)
    [service] = defs.services
    assert service.name == "monitoring"
    assert len(service.slos) == len(accepted) == 14


@pytest.mark.parametrize(
    ("alerting", "check"),
    [
        ("alerting: {disabled: true}", lambda slo: slo.alerting is None),
        ("alerting: {burnrates: false}", lambda slo: slo.alerting.tiers == ()),
        ("alerting: {name: ApiBurn}", lambda slo: slo.alerting.name == "ApiBurn"),
        (
            "alerting: {severities: {fastBurn: warning}}",
            lambda slo: [t.severity for t in slo.alerting.tiers] == ["warning", "critical", "warning", "warning"],
        ),
    ],
)
def test_alerting_options(tmp_path: Path, alerting: str, check) -> None:  # type: ignore[no-untyped-def]
    defs = _load_text(tmp_path, SLO.replace("  window: 4w\n", f"  window: 4w\n  {alerting}\n"))
    assert isinstance(defs, Definitions), defs
    assert check(defs.services[0].slos[0])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('target: "99.5"', 'target: "100"', "slo.yaml:10: spec.target: must be a percentage between 0 and 100"),
        ('target: "99.5"', "target: lots", 'slo.yaml:10: spec.target: must be a percentage such as "99.9"'),
        ("window: 4w", "window: 12h", "slo.yaml:11: spec.window: a rolling period must be whole days"),
        (
            "    ratio:\n",
            "    latencyNative:\n      latency: 200ms\n      total:\n        metric: x{}\n    ratio:\n",
            "slo.yaml:12: spec.indicator: give exactly one indicator",
        ),
        (
            'metric: http_requests_total{job="api"}\n',
            'metric: http_requests_total{job="api"}\n      grouping: [route, service]\n',
            "slo.yaml:18: spec.indicator.ratio.grouping: 'service' is set by the toolkit and cannot be a grouping",
        ),
        ("kind: ServiceLevelObjective", "kind: SLO", "slo.yaml:2: kind: unsupported Pyrra kind 'SLO'"),
        (
            "  window: 4w\n",
            "  window: 4w\n  alerting: {severities: {slowBurn: page}}\n",
            "slo.yaml:12: spec.alerting.severities.slowBurn: must be 'critical' or 'warning'",
        ),
    ],
)
def test_problems_are_located(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in SLO
    result = _load_text(tmp_path, SLO.replace(old, new))
    assert isinstance(result, list), result
    assert any(p.startswith(f"{tmp_path}/{expected}") for p in result), result


def test_latency_native_maps_onto_a_native_histogram_sli(tmp_path: Path) -> None:
    text = SLO.replace(
        """    ratio:
      errors:
        metric: http_requests_total{job="api",code=~"5.."}
      total:
        metric: http_requests_total{job="api"}
""",
        """    latencyNative:
      latency: 200ms
      total:
        metric: http_request_duration_seconds{job="api"}
""",
    )
    result = _load_text(tmp_path, text)
    assert not isinstance(result, list), result
    [slo] = result.services[0].slos
    assert slo.sli == LatencySLI(parse_selector('http_request_duration_seconds{job="api"}'), 0.2, "native")
    bad = _load_text(tmp_path, text.replace("latency: 200ms", "latency: fast"))
    assert isinstance(bad, list)
    assert "slo.yaml:14: spec.indicator.latencyNative.latency: expected a latency such as '200ms'" in bad[0], bad


def test_unknown_keys_do_not_stop_the_semantic_checks(tmp_path: Path) -> None:
    result = _load_text(tmp_path, SLO.replace('target: "99.5"', 'target: "100"\n  colour: blue'))
    assert isinstance(result, list)
    assert any("unknown key 'colour'" in p for p in result), result
    assert any("spec.target: must be a percentage between 0 and 100" in p for p in result), result


def test_documents_are_recognised_by_content() -> None:
    from slo.loaders import pyrra

    [doc] = load_documents("x.yaml", SLO)
    assert pyrra.recognises(doc.data)
    assert not pyrra.recognises({"apiVersion": "openslo/v1"})


def test_every_accepted_upstream_file_generates_rules_promtool_accepts(promtool: str, tmp_path: Path) -> None:
    accepted = {}
    for path in files("pyrra"):
        result = try_load([path])
        if isinstance(result, Definitions):
            accepted[shown(path, "pyrra")] = result
    promtool_check(promtool, accepted, tmp_path)


def test_grouping_becomes_group_by_and_generates_grouped_rules() -> None:
    defs = load([UPSTREAM / "examples/prometheus-http.yaml"])
    [slo] = defs.services[0].slos
    assert slo.group_by == ("handler",)
    from generators.prometheus_rules import rule_file

    doc = rule_file(defs.services[0])
    exprs = [r["expr"] for g in doc["groups"] for r in g["rules"]]
    assert any(e.startswith("sum by (handler) (rate(prometheus_http_requests_total") for e in exprs)
    assert all(g["limit"] == 100 for g in doc["groups"])
