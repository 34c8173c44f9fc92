"""Sloth prometheus/v1 loader: plain specs and the PrometheusServiceLevel CRD."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slo.loaders import load, sloth
from slo.loaders.yamlsrc import Document, load_documents
from slo.model.alert_policy import DEFAULT_POLICY
from slo.model.durations import Duration
from slo.model.errors import SpecError
from slo.model.periods import Rolling
from slo.model.selectors import Matcher, Selector
from slo.model.sli import PromQLTemplate, RatioSLI, RawRatioSLI

DATA = Path(__file__).parent / "data" / "sloth"
BAD = DATA / "bad"


def problems(source: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load([source])
    return [str(p) for p in info.value.problems]


def one(text: str) -> list[Any]:
    [doc] = load_documents("x.yaml", text)
    return sloth.load(doc)


SPEC = """\
version: "prometheus/v1"
service: svc
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(requests_total[{{.window}}]))
"""


# ---------------------------------------------------------------------------------------------
# Valid specs


def test_recognises_sloth_specs_and_crds_only() -> None:
    assert sloth.recognises({"version": "prometheus/v1"})
    assert sloth.recognises({"version": "prometheus/v2"})  # then refused by load, naming the version
    assert sloth.recognises({"apiVersion": "sloth.slok.dev/v1", "kind": "PrometheusServiceLevel"})
    assert not sloth.recognises({"apiVersion": "openslo/v1"})
    assert not sloth.recognises({"version": 1})
    assert not sloth.recognises("prometheus/v1")


def test_getting_started_spec() -> None:
    [svc] = load([DATA / "myservice.yaml"]).services
    assert svc.name == "myservice"
    # Sloth carries the team as a label: `owner` fills team and owner and stays a label.
    assert (svc.team, svc.owner) == ("myteam", "myteam")
    assert dict(svc.labels) == {"owner": "myteam", "repo": "myorg/myservice", "tier": "2"}
    availability, latency, queue = svc.slos
    assert availability.objective == 0.999
    assert availability.period == Rolling(Duration.parse("30d"))  # Sloth's default
    assert availability.description == "Common SLO based on availability for HTTP request responses."
    assert dict(availability.labels) == {"category": "availability"}
    job = Matcher("job", "=", "myservice")
    # The sum(rate(SELECTOR[{{.window}}])) shape becomes a typed selector, whatever the whitespace.
    assert availability.sli == RatioSLI(
        total=Selector("http_request_duration_seconds_count", (job,)),
        bad=Selector("http_request_duration_seconds_count", (job, Matcher("code", "=~", "(5..|429)"))),
    )
    assert isinstance(latency.sli, RatioSLI)
    assert isinstance(latency.sli.bad, PromQLTemplate)
    assert 'le="0.4"' in latency.sli.bad.expr
    assert latency.sli.total == Selector("http_request_duration_seconds_count", (job,))
    assert queue.sli == RawRatioSLI(
        PromQLTemplate("sum(rate(queue_failed_total[{{.window}}])) / sum(rate(queue_processed_total[{{.window}}]))")
    )
    assert queue.objective == 0.955


def test_alerting_maps_to_a_policy_with_sloth_names_and_labels() -> None:
    availability, latency, queue = load([DATA / "myservice.yaml"]).services[0].slos
    policy = availability.alerting
    assert policy is not None
    assert policy.name == "MyServiceHighErrorRate"
    assert dict(policy.labels) == {"category": "availability"}
    assert dict(policy.annotations) == {"summary": "High error rate on 'myservice' requests responses"}
    assert policy.severity_labels("critical") == {"severity": "pageteam", "routing_key": "myteam"}
    assert policy.severity_labels("warning") == {"severity": "slack", "slack_channel": "#alerts-myteam"}
    assert policy.tiers == DEFAULT_POLICY.tiers
    # A disabled page alert drops the critical tiers; both disabled leaves only the absent alert.
    assert latency.alerting is not None
    assert [t.severity for t in latency.alerting.tiers] == ["warning", "warning"]
    assert latency.alerting.name is None
    assert queue.alerting is not None
    assert queue.alerting.tiers == ()
    assert queue.alerting.absent_for == DEFAULT_POLICY.absent_for


def test_no_alerting_block_means_the_default_policy() -> None:
    [svc] = one(SPEC)
    assert svc.slos[0].alerting == DEFAULT_POLICY
    [svc] = one(SPEC + "    alerting: {}\n")
    assert svc.slos[0].alerting == DEFAULT_POLICY


def test_crd_form_with_two_services_in_one_file() -> None:
    loaded = load([DATA / "k8s.yaml"])
    checkout, search = loaded.services
    assert (checkout.name, checkout.team, checkout.labels) == ("checkout", "payments", ())
    assert checkout.slos[0].alerting is not None
    assert checkout.slos[0].alerting.name == "CheckoutAvailability"
    assert search.slos[0].objective == 0.99
    assert search.slos[0].sli == RatioSLI(
        total=Selector("search_requests_total"),
        bad=Selector("search_requests_total", (Matcher("status", "=", "error"),)),
    )
    assert loaded.origin("search") == str(DATA / "k8s.yaml")


@pytest.mark.parametrize(
    "query",
    [
        "sum(rate(requests_total[{{.window}}])) / 2",
        "sum by (job) (rate(requests_total[{{.window}}]))",
        "sum(increase(requests_total[{{.window}}]))",
        'sum(rate(requests_total{path=~"[a-z]+"}[{{.window}}])) + sum(rate(other_total[{{.window}}]))',
    ],
)
def test_other_queries_stay_opaque_templates(query: str) -> None:
    [svc] = one(SPEC.replace("sum(rate(requests_total[{{.window}}]))", f"'{query}'"))
    assert svc.slos[0].sli.total == PromQLTemplate(query)


def test_window_placeholder_spacing_is_normalised() -> None:
    [svc] = one(
        SPEC.replace("sum(rate(requests_total[{{.window}}]))", "'sum(rate(requests_total[{{ .window }}])) * 1'")
    )
    assert svc.slos[0].sli.total == PromQLTemplate("sum(rate(requests_total[{{.window}}])) * 1")


def test_regex_brackets_inside_the_selector_still_parse() -> None:
    query = 'sum(rate(requests_total{path=~"/api/[a-z]+"}[{{.window}}]))'
    [svc] = one(SPEC.replace("sum(rate(requests_total[{{.window}}]))", f"'{query}'"))
    assert svc.slos[0].sli.total == Selector("requests_total", (Matcher("path", "=~", "/api/[a-z]+"),))


# ---------------------------------------------------------------------------------------------
# Refused and malformed specs: exact file:line: path: message


def _expected(name: str, *lines: str) -> tuple[str, list[str]]:
    return name, [f"{BAD / name}:{line}" for line in lines]


BAD_SPECS = [
    _expected(
        "version.yaml",
        "1: version: unsupported Sloth spec version 'prometheus/v2': only prometheus/v1 is supported",
    ),
    _expected(
        "crd.yaml",
        "5: spec: unknown key 'version' (allowed: labels, service, sloPlugins, slos)",
        "16: apiVersion: unsupported Sloth API version 'sloth.slok.dev/v1alpha1': use sloth.slok.dev/v1",
        "21: kind: unsupported Sloth kind 'PrometheusRule': only PrometheusServiceLevel and AlertWindows are supported",
    ),
    _expected(
        "no-window.yaml",
        "8: slos[0].sli.events.error_query: Sloth query must contain {{.window}} where the rate window goes, "
        "e.g. sum(rate(http_requests_total[{{.window}}])); got "
        "'sum(rate(http_requests_total{code=~\"5..\"}[5m]))'",
        "14: slos[1].sli.raw.error_ratio_query: Sloth query must contain {{.window}}; got 'slo:error:ratio5m'",
    ),
    _expected(
        "plugin.yaml",
        "7: slos[0].sli.plugin: Sloth SLI plugins (sloth-common/kubernetes/apiserver/availability) are Go code "
        "the toolkit cannot run: write the SLI as events (error_query/total_query) or raw (error_ratio_query)",
    ),
    _expected(
        "alerting.yaml",
        "11: slos[0].alerting.name: 'My-Service-Alert' does not match the required form ^[a-zA-Z_][a-zA-Z0-9_]*$",
        "16: slos[0].alerting.ticket_alert.disable: must be of type boolean, got 'yes'",
    ),
    _expected(
        "alert-label-name.yaml",
        "23: slos[1].alerting.ticket_alert.labels.__team: '__team' is not a valid Prometheus label name",
    ),
    _expected(
        "objective.yaml",
        "2: service: service name 'my service' must start with a letter or digit and contain only letters, "
        "digits, '.', '_' or '-' (at most 128 characters)",
        "4: labels.app.kubernetes.io/name: 'app.kubernetes.io/name' is not a valid Prometheus label name",
        "7: slos[0].objective: must be a percentage between 0 and 100 such as 99.9 (100 leaves no budget), got 100",
        "17: slos[1].sli.events: the good/bad events and the total events are the same series",
        "21: slos[2].objective: must be a percentage between 0 and 100 such as 99.9 (100 leaves no budget), got 0",
        "28: slos[3].sli: give exactly one of 'events' (error_query/total_query) or 'raw' (error_ratio_query)",
        "37: slos[5].name: duplicate SLO name 'dup' (first at line 34)",
    ),
    _expected(
        "wrong-types.yaml",
        "1: unknown key 'extra' (allowed: labels, service, slo_plugins, slos, version)",
        "2: service: must be of type string, got 42",
        "3: labels: must be of type object, got ['owner']",
        "7: slos[0].sli: must be of type object, got ['events']",
        "8: slos[0].alerting: must be of type object, got True",
        "9: slos[1]: must be of type object, got 'just-a-string'",
        "14: slos[2].sli.events.error_query: must be of type string, got 5",
        "15: slos[2].sli.events.total_query: must be of type string, got None",
    ),
]


@pytest.mark.parametrize(("name", "expected"), BAD_SPECS, ids=[name for name, _ in BAD_SPECS])
def test_malformed_spec_is_reported_with_file_line_and_path(name: str, expected: list[str]) -> None:
    assert problems(BAD / name) == expected


def test_every_bad_spec_has_a_test() -> None:
    assert {p.name for p in BAD.glob("*.yaml")} == {name for name, _ in BAD_SPECS}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "service: svc",
            "service: svc\nlabels: {1: x}",
            "x.yaml:3: labels.1: keys must be strings, got 1 (quote it)",
        ),
        (
            "objective: 99.9",
            "objective: .nan",
            "x.yaml:5: slos[0].objective: must be a percentage between 0 and "
            "100 such as 99.9 (100 leaves no budget), got nan",
        ),
        (
            "    sli:",
            "    labels: {slo: mine}\n    sli:",
            "x.yaml:6: slos[0].labels: label(s) ['slo'] are set by the toolkit",
        ),
        (
            'version: "prometheus/v1"\n',
            "",
            "x.yaml:1: version: unsupported Sloth spec version None: only prometheus/v1 is supported",
        ),
    ],
)
def test_semantic_problems_name_their_path(old: str, new: str, expected: str) -> None:
    assert old in SPEC
    with pytest.raises(SpecError) as info:
        one(SPEC.replace(old, new))
    assert [str(p) for p in info.value.problems] == [expected]


# ---------------------------------------------------------------------------------------------
# Wrong types at every level: only SpecError, always located


WRONG_VALUES: list[Any] = [None, True, 1.5, -1, "", "x", "5m", [], [1], {}, {"a": 1}]
DELETE = object()


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, (*path, i))


def mutants(doc: Document) -> Iterator[Document]:
    """The document with one value replaced by a wrong type, or removed, at every path.

    Each path gets three of the wrong values (rotating, so every value is used across paths) plus a
    deletion: every level is covered while the test stays fast.
    """
    for count, path in enumerate(_paths(doc.data)):
        if not path:
            continue
        picks = [WRONG_VALUES[(count + k) % len(WRONG_VALUES)] for k in range(3)]
        for value in [*picks, DELETE]:
            data = copy.deepcopy(doc.data)
            parent = data
            for part in path[:-1]:
                parent = parent[part]
            if value is DELETE:
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
            yield Document(doc.file, data, doc.lines)


@pytest.mark.parametrize("name", ["myservice.yaml", "k8s.yaml"])
def test_every_wrong_type_at_every_level_is_a_located_spec_error(name: str) -> None:
    source = DATA / name
    for doc in load_documents(str(source), source.read_text()):
        for mutated in mutants(doc):
            try:
                sloth.load(mutated)
            except SpecError as exc:
                assert exc.problems
                for problem in exc.problems:
                    assert problem.line is not None, problem
                    assert problem.file == str(source)


# ---------------------------------------------------------------------------------------------
# Sloth's own example and test files (tests/data/sloth/upstream, see ORIGIN.md)

UPSTREAM = DATA / "upstream"
GENERATED = DATA / "upstream-generated" / "examples" / "_gen"
# Valid upstream files the toolkit refuses, and the reason each message must give.
UPSTREAM_REFUSED = {
    "examples/contrib-denominator-corrected.yaml": "Sloth SLO plugin 'sloth.dev/contrib/denominator_corrected",
    "examples/contrib-slo-plugins.yml": "Sloth SLO plugin 'sloth.dev/contrib/info_labels/v1'",
    "examples/plugin-getting-started.yml": "Sloth SLI plugins (getting_started_availability)",
    "examples/plugin-k8s-getting-started.yml": "Sloth SLI plugins (getting_started_availability)",
    # a Prometheus alert name cannot hold '-' (promtool refuses it); Sloth only runs it on VictoriaMetrics
    "examples/victoria-metrics.yml": "slos[0].alerting.name: 'slo_foo-bar_grpc-latency-percentile-90_fail'",
    "test/integration/prometheus/testdata/in-sli-plugin.yaml": "Sloth SLI plugins (integration_test)",
    "test/integration/prometheus/testdata/in-slo-plugin-k8s.yaml": "Sloth SLO plugin 'integration-tests/plugin1'",
    "test/integration/prometheus/testdata/in-slo-plugin.yaml": "Sloth SLO plugin 'integration-tests/plugin1'",
}
WINDOWS_ONLY = ("windows/",)
UPSTREAM_INVALID = ("/validate/bad/", "in-invalid-version", "-duplicate")
# Sloth refuses it only because its default alert windows are for 30 days; 28-day windows are fine here.
BY_DESIGN = {"test/integration/prometheus/testdata/validate/bad/bad-openslo.yaml"}


def _upstream_results() -> dict[str, Any]:
    from tests.upstream import files, shown, try_load

    out = {}
    for path in files("sloth"):
        twin = path.with_name(path.name.replace("-duplicate", "-original"))
        out[shown(path, "sloth")] = try_load([twin, path] if twin != path else [path])
    return out


def test_every_upstream_file_is_accepted_or_refused_for_its_known_reason() -> None:
    from slo.loaders import Definitions

    counts = {"accepted": 0, "refused": 0, "invalid": 0, "windows": 0}
    for name, result in _upstream_results().items():
        invalid = any(mark in f"/{name}" for mark in UPSTREAM_INVALID) and name not in BY_DESIGN
        if any(mark in name for mark in WINDOWS_ONLY):
            assert isinstance(result, list) and "no SLO found" in result[0], (name, result)
            counts["windows"] += 1
        elif invalid:
            assert isinstance(result, list), f"{name}: upstream keeps it as invalid, but it was accepted"
            counts["invalid"] += 1
        elif name in UPSTREAM_REFUSED:
            assert isinstance(result, list), name
            assert UPSTREAM_REFUSED[name] in result[0], (name, result)
            counts["refused"] += 1
        else:
            assert isinstance(result, Definitions), (name, result)
            counts["accepted"] += 1
    assert counts == {"accepted": 29, "refused": 8, "invalid": 11, "windows": 4}


def test_duplicate_slo_across_files_names_both_locations() -> None:
    base = UPSTREAM / "test/integration/prometheus/testdata/validate_with_duplicates/prom"
    found = problems_of([base / "bad-prom-1-original.yaml", base / "bad-prom-1-duplicate.yaml"])
    assert found == [
        f"{base}/bad-prom-1-duplicate.yaml:{line}: duplicate SLO name {name!r} in service 'svc01': also defined at "
        f"{base}/bad-prom-1-original.yaml:{line}"
        for name, line in (("slo1", 6), ("slo02", 27))
    ]


def problems_of(sources: list[Path]) -> list[str]:
    with pytest.raises(SpecError) as info:
        load(sources)
    return [str(p) for p in info.value.problems]


def test_crd_with_camel_case_keys_is_the_same_model_as_the_plain_spec() -> None:
    [plain] = load([UPSTREAM / "examples/getting-started.yml"]).services
    [crd] = load([UPSTREAM / "examples/k8s-getting-started.yml"]).services
    assert crd == plain
    assert crd.slos[0].alerting is not None and dict(crd.slos[0].alerting.page_labels)["routing_key"] == "myteam"


def test_one_service_over_several_files_is_merged(tmp_path: Path) -> None:
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text(SPEC.replace("service: svc", "service: svc\nlabels: {owner: a, tier: 2}"))
    b.write_text(
        SPEC.replace("name: availability", "name: errors").replace("service: svc", "service: svc\nlabels: {owner: b}")
    )
    [service] = load([a, b]).services
    assert [s.name for s in service.slos] == ["availability", "errors"]
    # Each SLO keeps exactly the labels its own spec gives it (numbers stringified as Sloth does).
    first, second = service.slos
    assert service.all_labels(first) == {"owner": "a", "team": "a", "tier": "2"}
    assert service.all_labels(second) == {"owner": "b", "team": "b"}
    b.write_text(SPEC)
    found = problems_of([a, b])
    assert found == [f"{b}:4: duplicate SLO name 'availability' in service 'svc': also defined at {a}:5"]


def test_per_alert_annotations_reach_only_their_alerts(tmp_path: Path) -> None:
    from generators.prometheus_rules import rule_file

    source = tmp_path / "s.yaml"
    source.write_text(
        SPEC
        + "    alerting:\n      annotations: {summary: both}\n"
        + "      pageAlert: {annotations: {runbook: https://r.example/page}}\n"
        + "      ticket_alert: {annotations: {summary: ticket only}}\n"
    )
    [service] = load([source]).services
    alerts = [r for g in rule_file(service)["groups"] for r in g["rules"] if r.get("alert") == "SLOErrorBudgetBurn"]
    pages = [r for r in alerts if r["labels"]["severity"] == "critical"]
    tickets = [r for r in alerts if r["labels"]["severity"] == "warning"]
    assert pages and tickets
    assert all(
        r["annotations"]["runbook"] == "https://r.example/page" and r["annotations"]["summary"] == "both" for r in pages
    )
    assert all("runbook" not in r["annotations"] and r["annotations"]["summary"] == "ticket only" for r in tickets)


def test_default_period_setting_and_alert_windows(tmp_path: Path) -> None:
    spec = UPSTREAM / "examples/getting-started.yml"
    [svc] = load([spec], default_period="28d").services
    slo = svc.slos[0]
    assert slo.period == Rolling(Duration.parse("28d"))
    assert [t.factor(slo.period) for t in slo.alerting.tiers] == [13.44, 5.6, 2.8, 0.933333333]
    # Sloth's custom 30d windows: page quick 1% over 30m/2m ... (errorBudgetPercent, longWindow, shortWindow)
    [svc] = load([spec, UPSTREAM / "examples/windows/custom-30d.yaml"]).services
    tiers = svc.slos[0].alerting.tiers
    assert [(t.name, t.severity, str(t.long_window), str(t.short_window), t.budget_spent) for t in tiers] == [
        ("fast-page", "critical", "30m", "2m", 0.01),
        ("slow-page", "critical", "3h", "15m", 0.02),
        ("fast-ticket", "warning", "12h", "1h", 0.05),
        ("slow-ticket", "warning", "1d12h", "3h", 0.05),
    ]
    # Windows for another period do not apply.
    [svc] = load([spec, UPSTREAM / "examples/windows/7d.yaml"]).services
    assert svc.slos[0].alerting.tiers == DEFAULT_POLICY.tiers
    [svc] = load([spec, UPSTREAM / "examples/windows/7d.yaml"], default_period="7d").services
    assert [t.factor(svc.slos[0].period) for t in svc.slos[0].alerting.tiers] == [13.44, 3.5, 1.4, 0.98]


def test_default_period_is_read_from_pyproject(tmp_path: Path) -> None:
    from slo.project import config

    (tmp_path / "pyproject.toml").write_text('[tool.slo]\ndefault_period = "28d"\n')
    assert config.default_period(tmp_path) == "28d"
    (tmp_path / "pyproject.toml").write_text('[tool.slo]\ndefault_period = "month"\n')
    with pytest.raises(SpecError, match=r"tool\.slo\.default_period: a default period must be rolling"):
        config.default_period(tmp_path)


def _sloth_output(path: Path) -> dict[str, dict[str, Any]]:
    """Per sloth_id: objective, period days, error/total selectors, labels, and alert windows with factors."""
    import re

    import yaml

    from slo.model.selectors import parse_selector

    out: dict[str, dict[str, Any]] = {}
    for doc in yaml.safe_load_all(path.read_text()):
        if not doc:
            continue
        groups = doc["spec"]["groups"] if "spec" in doc else doc["groups"]
        for group in groups:
            for rule in group["rules"]:
                labels = rule.get("labels", {})
                if "record" in rule:
                    slo = out.setdefault(labels["sloth_id"], {"alerts": []})
                    if rule["record"] == "slo:objective:ratio":
                        slo["objective"] = round(float(re.search(r"vector\((.+)\)", rule["expr"]).group(1)), 9)
                    elif rule["record"] == "slo:time_period:days":
                        slo["days"] = int(re.search(r"vector\((\d+)\)", rule["expr"]).group(1))
                    elif rule["record"] == "slo:sli_error:ratio_rate5m":
                        found = re.findall(r"sum\(rate\((.+?)\[5m\]\)\)", rule["expr"])
                        slo["selectors"] = [parse_selector(s) for s in found] if len(found) == 2 else None
                        slo["labels"] = {k: v for k, v in labels.items() if not k.startswith("sloth_") and k != "cmd"}
                elif "alert" in rule:
                    match = re.search(r'sloth_id="([^"]+)"', rule["expr"])
                    pairs = re.findall(r"ratio_rate(\w+)\{[^}]*\} > \(([\d.]+) \*", rule["expr"])
                    windows = {(pairs[i][0], pairs[i + 1][0], float(pairs[i][1])) for i in range(0, len(pairs), 2)}
                    extra = {k: v for k, v in labels.items() if k != "sloth_severity"}
                    out[match.group(1)]["alerts"].append((labels["sloth_severity"], windows, extra))
    return out


def _ours(service: Any, slo: Any) -> dict[str, Any]:
    from slo.model.sli import RatioSLI as Ratio

    alerts = []
    policy = slo.alerting
    for severity, sloth_name in (("critical", "page"), ("warning", "ticket")):
        tiers = [t for t in policy.tiers if t.severity == severity] if policy else []
        if tiers:
            windows = {(str(t.short_window), str(t.long_window), t.factor(slo.period)) for t in tiers}
            extra = {**dict(policy.labels), **policy.severity_labels(severity)}
            alerts.append((sloth_name, windows, extra))
    sli = slo.sli
    selectors = [sli.bad, sli.total] if isinstance(sli, Ratio) and isinstance(sli.bad, Selector) else None
    labels = {
        k: v for k, v in service.all_labels(slo).items() if not (k == "team" and "team" not in dict(service.labels))
    }
    return {
        "objective": slo.objective,
        "days": slo.period.alerting_window.seconds // 86400,
        "selectors": selectors,
        "labels": labels,
        "alerts": alerts,
    }


COMPARED = [
    "getting-started.yml",
    "k8s-getting-started.yml",
    "home-wifi.yml",
    "k8s-home-wifi.yml",
    "multifile.yml",
    "k8s-multifile.yml",
    "kubernetes-apiserver.yml",
    "no-alerts.yml",
    "raw-home-wifi.yml",
    "openslo-getting-started.yml",
    "openslo-kubernetes-apiserver.yml",
    "slo-plugin-getting-started.yml",
    "slo-plugin-k8s-getting-started.yml",
]


@pytest.mark.parametrize("name", COMPARED)
def test_same_objectives_windows_factors_selectors_and_labels_as_sloths_output(name: str) -> None:
    theirs = _sloth_output(GENERATED / name)
    defs = load([UPSTREAM / "examples" / name])
    ours = {f"{svc.name}-{slo.name}": _ours(svc, slo) for svc in defs.services for slo in svc.slos}
    assert set(ours) == set(theirs)
    for sloth_id, want in theirs.items():
        got = ours[sloth_id]
        assert got["objective"] == want["objective"], sloth_id
        assert got["days"] == want["days"], sloth_id
        if want.get("selectors") is not None and got["selectors"] is not None:
            assert got["selectors"] == want["selectors"], sloth_id
        assert got["labels"] == want["labels"], sloth_id
        if name.startswith("openslo-"):
            # Sloth writes no alerts for OpenSLO specs (they carry no Sloth alerting); the toolkit alerts
            # on every SLO with its default tiers.
            assert want["alerts"] == [] and len(got["alerts"]) == 2, sloth_id
            continue
        assert sorted(got["alerts"], key=str) == sorted(want["alerts"], key=str), sloth_id


def test_every_accepted_upstream_file_generates_rules_promtool_accepts(promtool: str, tmp_path: Path) -> None:
    from slo.loaders import Definitions
    from tests.upstream import promtool_check

    accepted = {k: v for k, v in _upstream_results().items() if isinstance(v, Definitions)}
    promtool_check(promtool, accepted, tmp_path)


# ---------------------------------------------------------------------------------------------
# Sloth-compatible output ([tool.slo] sloth_compat)


def _compat_rules(source: Path) -> dict[str, Any]:
    import yaml

    from generators.bundle import artifacts

    defs = load([source])
    files = artifacts(defs, sloth_compat=True)
    [name] = [k for k in files if k.startswith("rules/") and k.endswith(".rules.yml") and "/tests/" not in k]
    return yaml.safe_load(files[name])


def test_sloth_compatible_output_has_sloths_series_and_labels() -> None:
    import yaml

    ours = _compat_rules(UPSTREAM / "examples/getting-started.yml")
    records: dict[tuple[str, str | None], dict[str, str]] = {}
    for group in ours["groups"]:
        for rule in group["rules"]:
            if "record" in rule and "sloth_id" in rule["labels"]:
                records[rule["record"]] = rule["labels"]
    theirs = yaml.safe_load_all((GENERATED / "getting-started.yml").read_text())
    for doc in theirs:
        if not doc:
            continue
        for group in doc["groups"]:
            for rule in group["rules"]:
                if "record" not in rule:
                    continue
                key = rule["record"]
                assert key in records, key
                # sloth_window is not set: the window is in the name, and the toolkit joins windows on labels
                want = {k: v for k, v in rule["labels"].items() if k not in ("cmd", "sloth_version", "sloth_window")}
                got = {k: v for k, v in records[key].items() if k in want}
                assert got == want, key
    alerts = [r for g in ours["groups"] for r in g["rules"] if r.get("alert") == "MyServiceHighErrorRate"]
    assert {a["labels"]["sloth_severity"] for a in alerts} == {"page", "ticket"}
    assert all(a["labels"]["sloth_id"] == "myservice-requests-availability" for a in alerts)
    # The spec's own tier label survives next to the toolkit's (renamed) tier label.
    assert all(a["labels"]["tier"] == "2" and a["labels"]["slo_tier"] for a in alerts)


def test_sloth_series_evaluate_in_promtool(promtool: str, tmp_path: Path) -> None:
    """1% errors against a 99.9% objective: Sloth's current burn rate is 10 and the budget goes negative."""
    import subprocess

    import yaml

    source = tmp_path / "s.yaml"
    source.write_text(SPEC)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(_compat_rules(source)))
    ids = 'sloth_id="svc-availability",sloth_service="svc",sloth_slo="availability"'
    test = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "30s",
        "tests": [
            {
                "interval": "30s",
                "input_series": [
                    {"series": 'requests_total{code="500"}', "values": "0+3x240"},
                    {"series": 'requests_total{code="200"}', "values": "0+297x240"},
                ],
                "promql_expr_test": [
                    {
                        "expr": f"round(sum(slo:current_burn_rate:ratio{{{ids}}}))",
                        "eval_time": "1h",
                        "exp_samples": [{"labels": "{}", "value": 10}],
                    },
                    {
                        "expr": f"sum(slo:time_period:days{{{ids}}})",
                        "eval_time": "1h",
                        "exp_samples": [{"labels": "{}", "value": 30}],
                    },
                    {
                        "expr": f"count(sloth_slo_info{{{ids}}})",
                        "eval_time": "1h",
                        "exp_samples": [{"labels": "{}", "value": 1}],
                    },
                    {
                        "expr": f"round(sum(slo:period_error_budget_remaining:ratio{{{ids}}}))",
                        "eval_time": "1h",
                        "exp_samples": [{"labels": "{}", "value": -9}],
                    },
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test))
    done = subprocess.run(
        [promtool, "test", "rules", "test.yml"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sloth_compat_setting(tmp_path: Path) -> None:
    from slo.project import config

    assert config.sloth_compat(tmp_path) is False
    (tmp_path / "pyproject.toml").write_text("[tool.slo]\nsloth_compat = true\n")
    assert config.sloth_compat(tmp_path) is True
    (tmp_path / "pyproject.toml").write_text('[tool.slo]\nsloth_compat = "yes"\n')
    with pytest.raises(SpecError, match="must be true or false"):
        config.sloth_compat(tmp_path)


def test_sloth_compatible_rules_pass_their_generated_promtool_tests(promtool: str, tmp_path: Path) -> None:
    from generators.bundle import artifacts
    from slo.project.output import write_tree
    from slo.tools.toolcheck import check_rules

    defs = load([UPSTREAM / "test/integration/prometheus/testdata/in-base.yaml"])
    write_tree(tmp_path, artifacts(defs, sloth_compat=True))
    results = check_rules(tmp_path)
    assert results and all(r.ok for r in results), [r.output for r in results if not r.ok]


# ---------------------------------------------------------------------------------------------
# Unknown keys no longer stop the semantic checks: they must never crash a loader either


@pytest.mark.parametrize(
    "source",
    [
        DATA / "myservice.yaml",
        DATA / "k8s.yaml",
        UPSTREAM / "examples/k8s-getting-started.yml",
        Path(__file__).parent / "data" / "pyrra" / "upstream" / "examples" / "caddy-response-latency.yaml",
        Path(__file__).parent / "data" / "openslo" / "split" / "slos.yaml",
        Path(__file__).parent / "data" / "equivalent" / "slos.yaml",
    ],
    ids=lambda p: p.name,
)
def test_an_unknown_key_at_every_level_is_a_located_problem_never_a_crash(source: Path, tmp_path: Path) -> None:
    import yaml

    docs = list(yaml.safe_load_all(source.read_text()))
    paths = [(d, p) for d, doc in enumerate(docs) for p in _paths(doc) if _at(doc, p).__class__ is dict]
    for d, path in paths:
        mutated = copy.deepcopy(docs)
        _at(mutated[d], path)["zz_unknown"] = "x"
        target = tmp_path / source.name
        target.write_text(yaml.safe_dump_all(mutated, sort_keys=False))
        try:
            load([target])
        except SpecError as exc:
            assert all(p.file == str(target) and p.line is not None for p in exc.problems), exc.problems


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _sloth_rules(path: Path) -> Iterator[dict[str, Any]]:
    import yaml

    for doc in yaml.safe_load_all(path.read_text()):
        if doc:
            for group in doc["spec"]["groups"] if "spec" in doc else doc["groups"]:
                yield from group["rules"]


def _series_labels(sloth_rules: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """sloth_id → the labels Sloth's recorded series carry (and so its alerts, which aggregate them)."""
    out: dict[str, dict[str, str]] = {}
    for rule in sloth_rules:
        if rule.get("record") == "slo:sli_error:ratio_rate5m":
            labels = {k: str(v) for k, v in rule["labels"].items() if k not in ("sloth_window", "cmd")}
            out[labels["sloth_id"]] = labels
    return out


@pytest.mark.parametrize("name", [n for n in COMPARED if not n.startswith("openslo-")])
def test_sloth_compatible_alerts_carry_every_label_sloths_alerts_carry(name: str) -> None:
    """Sloth's committed output against ours in Sloth-compatible mode: every recorded series name with its
    labels, and every alert's full label set (its own labels plus those it keeps from the series it
    aggregates with ``max(...) without (sloth_window)``), so routes written for Sloth keep matching.

    ``sloth_window`` is the one label left out: Sloth's recorded ratios carry it, its alerts drop it."""
    import re

    theirs = list(_sloth_rules(GENERATED / name))
    import yaml

    from generators.bundle import artifacts

    files = artifacts(load([UPSTREAM / "examples" / name]), sloth_compat=True)
    rule_files = [yaml.safe_load(text) for path, text in files.items() if path.endswith(".rules.yml")]
    our_rules = [r for doc in rule_files for g in doc["groups"] for r in g["rules"]]
    series = _series_labels(theirs)
    recorded = {(r["record"], r["labels"].get("sloth_id")): r["labels"] for r in our_rules if "record" in r}
    for rule in theirs:
        if "record" in rule:
            # sloth_mode, sloth_spec, sloth_version on sloth_slo_info name the generator and input format
            # (Sloth writes cli-gen-k8s for a CRD); the toolkit's say prometheus/v1 and slo-toolkit for any input
            informational = ("cmd", "sloth_version", "sloth_window", "sloth_mode", "sloth_spec")
            want = {k: str(v) for k, v in rule["labels"].items() if k not in informational}
            got = recorded.get((rule["record"], want.get("sloth_id")))
            assert got is not None, (rule["record"], want.get("sloth_id"))
            assert {k: got.get(k) for k in want} == want, rule["record"]
            continue
        sloth_id = re.search(r'sloth_id="([^"]+)"', rule["expr"]).group(1)
        want = {**series[sloth_id], **{k: str(v) for k, v in rule.get("labels", {}).items()}}
        mine = [
            r["labels"]
            for r in our_rules
            if r.get("alert") == rule["alert"] and r["labels"].get("sloth_id") == sloth_id
            if r["labels"].get("sloth_severity") == want["sloth_severity"]
        ]
        assert mine, (rule["alert"], sloth_id, want["sloth_severity"])
        for labels in mine:
            assert {k: labels.get(k) for k in want} == want, (rule["alert"], sloth_id)
        # and Sloth's alerts really do not carry sloth_window: it is aggregated away
        assert "without (sloth_window)" in rule["expr"] and "sloth_window" not in rule.get("labels", {})
