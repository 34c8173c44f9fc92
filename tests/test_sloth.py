"""Sloth prometheus/v1 loader: plain specs and the PrometheusServiceLevel CRD."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slo.durations import Duration
from slo.errors import SpecError
from slo.loaders import load, sloth
from slo.loaders.yamlsrc import Document, load_documents
from slo.model import DEFAULT_POLICY, PromQLTemplate, RatioSLI, RawRatioSLI, Rolling
from slo.selectors import Matcher, Selector

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
        "21: kind: unsupported Sloth kind 'PrometheusRule': only PrometheusServiceLevel and AlertWindows are "
        "supported",
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
