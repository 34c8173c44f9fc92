"""OpenSLO v1 loader: what maps onto the model, what is refused, and where problems are reported."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slo.loaders import load, openslo
from slo.loaders.yamlsrc import Document, load_documents
from slo.model.alert_policy import DEFAULT_POLICY
from slo.model.durations import Duration
from slo.model.errors import SpecError
from slo.model.periods import CalendarMonth, Rolling
from slo.model.selectors import Matcher, Selector
from slo.model.sli import LatencySLI, ProbeSLI, PromQLTemplate, RatioSLI, TimeSliceSLI

DATA = Path(__file__).parent / "data" / "openslo"
BAD = DATA / "bad"


def problems(*sources: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load(sources)
    return [str(p) for p in info.value.problems]


def sel(metric: str, **labels: str) -> Selector:
    return Selector(metric, tuple(Matcher(k, "=", v) for k, v in labels.items()))


# ---------------------------------------------------------------------------------------------
# Valid specs


def test_recognises_any_openslo_version_and_nothing_else() -> None:
    assert openslo.recognises({"apiVersion": "openslo/v1"})
    assert openslo.recognises({"apiVersion": "openslo/v1alpha"})
    assert not openslo.recognises({"apiVersion": "slo-toolkit/v1"})
    assert not openslo.recognises({"version": "prometheus/v1"})
    assert not openslo.recognises({"apiVersion": 1})
    assert not openslo.recognises(["openslo/v1"])


def test_references_resolve_across_the_files_of_a_directory() -> None:
    loaded = load([DATA / "split"])
    assert [s.name for s in loaded.services] == ["payments", "shop"]
    # A service comes from its Service document's file, or from its first SLO when it has none.
    assert loaded.origin("shop") == str(DATA / "split" / "service.yaml")
    assert loaded.origin("payments") == str(DATA / "split" / "payments.yaml")


def test_service_takes_team_owner_labels_and_description_from_its_document() -> None:
    shop = load([DATA / "split"]).services[1]
    assert shop.team == "storefront"
    assert shop.owner == "alice"
    # `team` becomes the field (all_labels adds it back); `owner` stays a label as written.
    assert dict(shop.labels) == {"owner": "alice", "tier": "1"}
    assert shop.all_labels(shop.slos[0])["team"] == "storefront"
    assert shop.description == "The customer-facing web shop"


def test_each_objective_becomes_an_slo_named_after_it() -> None:
    shop = load([DATA / "split"]).services[1]
    fast, strict = shop.slos[0], shop.slos[1]
    assert (fast.name, fast.objective) == ("availability-fast-lane", 0.99)
    assert (strict.name, strict.objective) == ("availability-strict", 0.9995)
    good = Selector("http_requests_total", (Matcher("job", "=", "shop"), Matcher("code", "!~", "5..")))
    assert fast.sli == strict.sli == RatioSLI(sel("http_requests_total", job="shop"), good=good)
    assert fast.period == Rolling(Duration.parse("28d"))
    # OpenSLO label values may be lists of strings; they are joined into one Prometheus label value.
    assert dict(fast.labels) == {"category": "availability", "tags": "checkout,frontend"}


def test_probe_threshold_under_timeslices_is_an_uptime_slo_over_a_calendar_month() -> None:
    uptime = load([DATA / "split"]).services[1].slos[2]
    probe = sel("probe_success", job="blackbox", instance="https://shop.example.com/health")
    assert uptime.sli == TimeSliceSLI(ProbeSLI(probe), Duration.parse("1m"), 1.0)
    assert uptime.period == CalendarMonth("Europe/Berlin")
    assert uptime.objective == 0.999
    assert uptime.description == "Health probe succeeded"  # displayName when there is no description
    assert uptime.unit == "slices"


def test_bucket_over_count_is_a_latency_sli_and_timeslices_wrap_it() -> None:
    search = load([DATA / "split"]).services[1].slos[3]
    histogram = sel("http_request_duration_seconds", job="shop", endpoint="/search")
    assert search.sli == TimeSliceSLI(LatencySLI(histogram, 2.0), Duration.parse("10m"), 0.9)
    assert search.period == Rolling(Duration.parse("30d"))  # no timeWindow: the toolkit's default
    assert search.description.startswith("Searches answered within 2 seconds")


def test_expression_with_window_placeholder_stays_opaque() -> None:
    settled = load([DATA / "split"]).services[0].slos[0]
    assert isinstance(settled.sli, RatioSLI)
    assert isinstance(settled.sli.bad, PromQLTemplate)
    assert settled.sli.bad.render("5m").startswith('sum(rate(payments_total{state="failed"}[5m]))')
    assert settled.sli.total == Selector("payments_total")
    assert settled.objective == 0.995


def test_load_takes_documents_and_returns_services_with_their_files() -> None:
    split = DATA / "split"
    text = (split / "service.yaml").read_text() + "---\n" + (split / "slis.yaml").read_text()
    docs = load_documents("a.yaml", text) + load_documents("b.yaml", (split / "slos.yaml").read_text())
    [(shop, origin)] = openslo.load(docs)
    assert (shop.name, origin, len(shop.slos)) == ("shop", "a.yaml", 4)


# ---------------------------------------------------------------------------------------------
# Refused and malformed specs: exact file:line: path: message


def _expected(name: str, *lines: str) -> tuple[str, list[str]]:
    return name, [f"{BAD / name}:{line}" for line in lines]


BAD_SPECS = [
    _expected(
        "version.yaml",
        "1: apiVersion: unsupported OpenSLO version 'openslo/v9': openslo/v1, openslo/v1alpha and "
        "openslo.com/v2alpha (a draft) are read",
    ),
    _expected(
        "unknown-kind.yaml",
        "2: kind: unknown kind 'Dashboard' (supported OpenSLO v1 kinds: SLO, SLI, Service, DataSource)",
    ),
    _expected(
        "unknown-field.yaml",
        "3: metadata: unknown key 'namespace' (allowed: annotations, displayName, labels, name)",
    ),
    _expected(
        "raw-metric.yaml",
        "14: spec.indicator.spec.ratioMetric.raw: raw (precomputed) ratios are not supported: "
        "give counters as good or bad plus total",
    ),
    _expected(
        "gauge-ratio.yaml",
        "12: spec.indicator.spec.ratioMetric.counter: counter: false (gauge ratios) is not supported: "
        "give increasing counters and counter: true",
    ),
    _expected(
        "datadog.yaml",
        "22: spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef: DataSource 'datadog' has "
        "type 'Datadog': only Prometheus data sources are supported",
        "27: spec.indicator.spec.ratioMetric.total.metricSource.type: metric source type 'CloudWatch' is not "
        "supported: only Prometheus",
    ),
    _expected(
        "not-a-selector.yaml",
        "17: spec.indicator.spec.ratioMetric.bad.metricSource.spec.query: expected a plain counter selector "
        'such as http_requests_total{job="api"} (the toolkit applies rate() and the windows itself), or a '
        "rate expression with {{.window}} where the range goes: cannot read '(rate(http_requests_' in "
        "selector 'sum(rate(http_requests_total{code=~\"5..\"}[5m]))'",
    ),
    _expected(
        "calendar-quarter.yaml",
        "9: spec.timeWindow[0].duration: only calendar months and weeks are supported as calendar windows "
        "(duration: 1M or 1w), got '1Q'",
    ),
    _expected(
        "ratio-timeslices.yaml",
        "11: spec.objectives[0].timeSliceTarget: timeSliceTarget only applies to budgetingMethod: Timeslices "
        "(RatioTimeslices averages the slices' good ratios; no slice is judged against a target)",
        "13: spec.objectives[1]: missing required key 'timeSliceWindow' (budgetingMethod: RatioTimeslices)",
        "17: spec.objectives[2].timeSliceWindow: slice length must be whole minutes, at least 1m, got 30s",
    ),
    _expected(
        "missing-refs.yaml",
        "21: spec.ratioMetric.bad.metricSource.metricSourceRef: no DataSource named 'prometheus' "
        "(no DataSource document was loaded)",
        "25: spec.ratioMetric.total.metricSource: name the data source: give type: Prometheus or a metricSourceRef",
        "7: spec.indicatorRef: no SLI named 'requets' (known: requests)",
    ),
    _expected(
        "threshold.yaml",
        "19: spec.budgetingMethod: a thresholdMetric (gauge) SLI needs budgetingMethod: Timeslices",
        "33: spec.objectives[0].op: a thresholdMetric is read as a 0/1 probe gauge such as probe_success: "
        "only op: gte with value: 1 is supported, got op: lte, value: 0.8",
    ),
    _expected(
        "latency-mismatch.yaml",
        "22: spec.indicator.spec.ratioMetric.total.metricSource.spec.query: good is a bucket of histogram "
        "http_request_duration_seconds, so total must be its count with the same labels: "
        'http_request_duration_seconds_count{job="shop"}',
    ),
    _expected(
        "labels.yaml",
        "6: metadata.labels.app.kubernetes.io/part-of: 'app.kubernetes.io/part-of' is not a valid Prometheus "
        "label name: OpenSLO labels become Prometheus labels (letters, digits, '_')",
        "7: metadata.labels.tags: an empty list cannot become a label value",
        "19: metadata.labels: label(s) ['severity'] are set by the toolkit",
    ),
    _expected(
        "objectives.yaml",
        "9: spec.timeWindow[0].duration: a rolling window must be whole days or weeks such as 28d, 30d or "
        "4w; '1M' is only supported as a calendar month (duration: 1M, isRolling: false)",
        "14: spec.objectives[0].target: must be a fraction between 0 and 1 such as 0.999 "
        "(targetPercent takes 99.9), got 99.9",
        "17: spec.objectives[1]: give either target (e.g. 0.999) or targetPercent (e.g. 99.9), not both",
        "22: spec.objectives[2]: missing required key 'timeSliceTarget', 'timeSliceWindow' "
        "(budgetingMethod: Timeslices)",
        "26: spec.objectives[3].indicatorRef: composite SLOs (per-objective indicators) are not supported",
        "30: spec.objectives[4].timeSliceTarget: must be a fraction in (0, 1] such as 0.999 "
        "(a slice's good share), got 1.5",
    ),
    _expected(
        "wrong-types.yaml",
        "19: expected a mapping at the top level, got list",
        "5: metadata.labels: must be of type object, got ['a', 'b']",
        "7: spec.service: must be of type string, got 42",
        "8: spec.indicator: must be of type object, got 'requests'",
        "9: spec.timeWindow: must be of type array, got '30d'",
        "10: spec.budgetingMethod: must be one of 'Occurrences', 'Timeslices', 'RatioTimeslices', got 'occurrences'",
        "11: spec.objectives: must be of type array, got {'target': 0.999}",
        "16: metadata: must be of type object, got 'shop'",
        "17: spec: must be of type ['object', 'null'], got []",
    ),
    _expected(
        "service-without-slo.yaml",
        "4: metadata.name: Service 'lonely' has no SLO: no SLO names it in spec.service",
    ),
]


@pytest.mark.parametrize(("name", "expected"), BAD_SPECS, ids=[name for name, _ in BAD_SPECS])
def test_malformed_spec_is_reported_with_file_line_and_path(name: str, expected: list[str]) -> None:
    assert problems(BAD / name) == expected


def test_every_bad_spec_has_a_test() -> None:
    assert {p.name for p in BAD.glob("*.yaml")} == {name for name, _ in BAD_SPECS}


def test_refs_only_resolve_when_the_referenced_files_are_loaded_too() -> None:
    slos = DATA / "split" / "slos.yaml"
    assert problems(slos) == [
        f"{slos}:11: spec.indicatorRef: no SLI named 'shop-requests' (no SLI document was loaded)",
        f"{slos}:29: spec.indicatorRef: no SLI named 'shop-probe' (no SLI document was loaded)",
    ]


def _docs(text: str) -> list[Document]:
    return load_documents("x.yaml", text)


SLO_TEXT = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: a}
spec:
  service: s
  indicator:
    metadata: {name: i}
    spec:
      ratioMetric:
        counter: true
        bad: {metricSource: {type: Prometheus, spec: {query: 'errors_total'}}}
        total: {metricSource: {type: Prometheus, spec: {query: 'requests_total'}}}
  budgetingMethod: Occurrences
  objectives: [{target: 0.99}]
"""


WINDOW = "  budgetingMethod"  # insert a timeWindow before this line
SEMANTIC_PROBLEMS = [
    (
        "metadata: {name: a}",
        "metadata: {name: a, 1: x}",
        "x.yaml:3: metadata.1: keys must be strings, got 1 (quote it)",
    ),
    (
        "requests_total",
        "errors_total",
        "x.yaml:9: spec.indicator.spec.ratioMetric: the good/bad events and the total events are the same series",
    ),
    (
        "[{target: 0.99}]",
        "[{target: .nan}]",
        "x.yaml:14: spec.objectives[0].target: must be a fraction between 0 and 1 such as 0.999 "
        "(targetPercent takes 99.9), got nan",
    ),
    (
        "Occurrences",
        "Timeslices",
        "x.yaml:14: spec.objectives[0]: missing required key 'timeSliceTarget', 'timeSliceWindow' "
        "(budgetingMethod: Timeslices)",
    ),
    (
        "[{target: 0.99}]",
        "[{target: 0.99, op: gte, value: 1}]",
        "x.yaml:14: spec.objectives[0].op: op and value only apply to a thresholdMetric SLI",
    ),
    (
        "[{target: 0.99}]",
        "[{target: 0.99, timeSliceWindow: 5m}]",
        "x.yaml:14: spec.objectives[0].timeSliceWindow: timeSliceWindow only applies to budgetingMethod: Timeslices",
    ),
    (
        "  indicator:",
        "  indicatorRef: i\n  indicator:",
        "x.yaml:4: spec: give exactly one of indicator (an inline SLI) or indicatorRef (an SLI's name)",
    ),
    (
        "        counter: true\n",
        "",
        "x.yaml:9: spec.indicator.spec.ratioMetric: missing required key 'counter': set counter: true (counters only)",
    ),
    (
        WINDOW,
        "  timeWindow: [{duration: 30d}, {duration: 7d}]\n" + WINDOW,
        "x.yaml:13: spec.timeWindow: give exactly one time window (OpenSLO v1 allows one), got 2",
    ),
    (
        WINDOW,
        "  timeWindow: [{duration: 1M, calendar: {timeZone: Mars/Olympus}}]\n" + WINDOW,
        "x.yaml:13: spec.timeWindow[0].calendar.timeZone: unknown time zone 'Mars/Olympus' "
        "(use an IANA name such as Europe/Berlin)",
    ),
    (
        WINDOW,
        "  timeWindow: [{duration: 1M, calendar: {startTime: 2024-01-15}}]\n" + WINDOW,
        "x.yaml:13: spec.timeWindow[0].calendar.startTime: calendar months start on the 1st at 00:00; "
        "startTime 2024-01-15 would shift every month",
    ),
    (
        WINDOW,
        "  timeWindow: [{duration: 30d, isRolling: true, calendar: {timeZone: UTC}}]\n" + WINDOW,
        "x.yaml:13: spec.timeWindow[0].calendar: a rolling window takes no calendar (set isRolling: false)",
    ),
    (
        WINDOW,
        "  timeWindow: [{duration: 36h}]\n" + WINDOW,
        "x.yaml:13: spec.timeWindow[0].duration: a rolling period must be whole days (e.g. 7d, 28d, 30d), got 1d12h",
    ),
    (
        "metadata: {name: a}",
        "metadata: {name: 'a b'}",
        "x.yaml:3: metadata.name: SLO name 'a b' must start with a letter or digit and contain only letters, "
        "digits, '.', '_' or '-' (at most 128 characters)",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), SEMANTIC_PROBLEMS)
def test_semantic_problems_name_their_path(old: str, new: str, expected: str) -> None:
    assert old in SLO_TEXT
    with pytest.raises(SpecError) as info:
        openslo.load(_docs(SLO_TEXT.replace(old, new)))
    assert [str(p) for p in info.value.problems] == [expected]


def test_a_counter_that_merely_carries_an_le_label_is_still_a_ratio() -> None:
    [(service, _)] = openslo.load(_docs(SLO_TEXT.replace("'errors_total'", "'errors_total{le=\"0.2\"}'")))
    assert isinstance(service.slos[0].sli, RatioSLI)


def _sliced(window: str) -> list[Document]:
    objective = f"[{{target: 0.99, timeSliceTarget: 0.9, timeSliceWindow: {window}}}]"
    return _docs(SLO_TEXT.replace("Occurrences", "Timeslices").replace("[{target: 0.99}]", objective))


def test_timeslices_objective_accepts_minutes_as_a_number_and_rejects_fractions() -> None:
    ratio = RatioSLI(Selector("requests_total"), bad=Selector("errors_total"))
    for window, slice_ in (("5", "5m"), ("'1h'", "1h")):
        [(service, _)] = openslo.load(_sliced(window))
        assert service.slos[0].sli == TimeSliceSLI(ratio, Duration.parse(slice_), 0.9)
    for window in ("1.5", ".inf", "-5", "0"):
        with pytest.raises(SpecError) as info:
            openslo.load(_sliced(window))
        assert [p.path for p in info.value.problems] == ["spec.objectives[0].timeSliceWindow"]


def test_duplicate_names_are_reported_where_they_repeat() -> None:
    sli = (
        "apiVersion: openslo/v1\nkind: SLI\nmetadata: {name: i}\n"
        "spec: {thresholdMetric: {metricSource: {type: Prometheus, spec: {query: up}}}}\n"
    )
    with pytest.raises(SpecError) as info:
        openslo.load(_docs("---\n".join([SLO_TEXT, SLO_TEXT, sli, sli])))
    assert [str(p) for p in info.value.problems] == [
        "x.yaml:38: metadata.name: duplicate SLI 'i' (first at x.yaml:33)",
        "x.yaml:18: metadata.name: duplicate SLO name 'a' in service 's' (first at x.yaml:3)",
    ]


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


def mutants(docs: list[Document]) -> Iterator[list[Document]]:
    """The documents with one value replaced by a wrong type, or one key removed, at every path.

    Each path gets two of the wrong values (rotating, so every value is used across paths) plus a
    deletion: every level is covered while the test stays fast.
    """
    count = 0
    for index, doc in enumerate(docs):
        for path in _paths(doc.data):
            if not path:
                continue
            count += 1
            picks = [WRONG_VALUES[(count + k) % len(WRONG_VALUES)] for k in range(2)]
            for value in [*picks, DELETE]:
                data = copy.deepcopy(doc.data)
                parent = data
                for part in path[:-1]:
                    parent = parent[part]
                if value is DELETE:
                    del parent[path[-1]]
                else:
                    parent[path[-1]] = value
                mutated = list(docs)
                mutated[index] = Document(doc.file, data, doc.lines)
                yield mutated


def test_every_wrong_type_at_every_level_is_a_located_spec_error() -> None:
    sources = sorted((DATA / "split").glob("*.yaml"))
    docs = [d for source in sources for d in load_documents(str(source), source.read_text())]
    count = 0
    for mutated in mutants(docs):
        try:
            openslo.load(mutated)
        except SpecError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert problem.line is not None, problem
                assert problem.file.startswith(str(DATA / "split")), problem
        count += 1
    assert count == 3 * sum(1 for d in docs for p in _paths(d.data) if p)


# ---------------------------------------------------------------------------------------------
# Versions, lists, alert objects, aggregated queries, warnings (issue 16)

V1_SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: shop
  budgetingMethod: Occurrences
  indicator:
    metadata:
      name: errors
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="shop",code=~"5.."}
        total:
          metricSource:
            type: Prometheus
            spec:
              query: http_requests_total{job="shop"}
  objectives:
    - target: 0.999
"""


def _write(tmp_path: Path, text: str, name: str = "slo.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_alert_objects_that_do_not_map_are_warned_never_refusing_the_slo() -> None:
    defs = load([DATA / "slo-alert-policies.yaml", DATA / "alert-policy.yaml"])
    assert len(defs.services) == 1
    assert defs.services[0].slos[0].alerting == DEFAULT_POLICY
    text = [str(w) for w in defs.warnings]
    assert text == [
        f"{DATA}/alert-policy.yaml:10: spec.notificationTargets[0]: notification target 'oncall' not mapped to a "
        "receiver: OpenSLO notification targets hold no address or credential file; define the receiver and a route "
        "to it in the toolkit's routing",
        f"{DATA}/alert-policy.yaml:8: spec.conditions[0]: conditionRef 'fast-burn' ignored: no AlertCondition of "
        "that name",
        f"{DATA}/slo-alert-policies.yaml:26: spec.alertPolicies: alertPolicies 'page-on-burn' hold no burn-rate "
        "condition the toolkit maps: the default multi-window, multi-burn-rate tiers apply",
    ]


BURN_POLICY = """\
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: burn
spec:
  conditions:
    - conditionRef: fast-burn
    - kind: AlertCondition
      metadata:
        name: slow-burn
      spec:
        severity: ticket
        condition: {kind: burnrate, op: gte, threshold: 1, lookbackWindow: 3d, alertAfter: 30m}
  notificationTargets:
    - targetRef: oncall
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  severity: page
  condition: {kind: burnrate, op: gt, threshold: 14.4, lookbackWindow: 1h}
"""


def test_burn_rate_conditions_become_tiers(tmp_path: Path) -> None:
    from slo.model.alert_policy import BurnRateTier

    text = V1_SLO + "  alertPolicies:\n    - alertPolicyRef: burn\n" + BURN_POLICY
    defs = load([_write(tmp_path, text)])
    slo = defs.services[0].slos[0]
    assert slo.alerting.tiers == (
        BurnRateTier("fast-burn", "critical", Duration.parse("1h"), Duration.parse("5m"), 0.02),
        BurnRateTier("slow-burn", "warning", Duration.parse("3d"), Duration.parse("6h"), 0.1, Duration.parse("30m")),
    )
    assert [t.factor(slo.period) for t in slo.alerting.tiers] == [14.4, 1.0]
    assert [str(w).split(": ", 2)[2] for w in defs.warnings] == [
        "notification target 'oncall' not mapped to a receiver: OpenSLO notification targets hold no address or "
        "credential file; define the receiver and a route to it in the toolkit's routing"
    ]


def test_readme_alert_objects_never_refuse_an_slo(tmp_path: Path) -> None:
    readme = DATA / "upstream" / "readme"
    alert_files = sorted(readme.glob("alert*.yaml")) + sorted(readme.glob("notification-*.yaml"))
    text = V1_SLO + "  alertPolicies:\n    - alertPolicyRef: AlertPolicy\n"
    defs = load([_write(tmp_path, text), *alert_files])
    assert [s.name for s in defs.services] == ["shop"]
    assert defs.services[0].slos[0].alerting == DEFAULT_POLICY  # the README's condition is 'op: lte'
    warnings = [str(w) for w in defs.warnings]
    assert any(
        "AlertCondition 'cpu-usage-breach' ignored: only burn-rate conditions with op gt/gte" in w for w in warnings
    )
    assert any("AlertPolicy 'AlertPolicy' ignored: already defined at" in w for w in warnings)
    assert sum("AlertNotificationTarget" in w for w in warnings) == 2
    # each target document is named, with the receiver kind it asks for and what that receiver needs
    mail = next(w for w in warnings if "OnCallDevopsMailNotification" in w)
    assert mail.startswith(f"{readme}/notification-mail.yaml:5: spec: AlertNotificationTarget ")
    assert "(target 'email') not mapped to a receiver" in mail and "email: {to: <address>}" in mail
    slack = next(w for w in warnings if "OnCallDevopsSlackNotification" in w)
    assert "(target 'slack')" in slack and "slack: {api_url_file: <file holding the webhook URL>" in slack
    assert "name: oncalldevopsslacknotification" in slack
    # the README's inline policy refers to its mail target by name
    assert any("notification target 'on-call-devops-mail-notification' not mapped to a receiver" in w for w in warnings)


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ({"target": "PagerDuty"}, "pagerduty"),
        ({"target": "custom", "description": "pages the on-call via the pager"}, "pagerduty"),
        ({"description": "Posts to the #ops Slack channel"}, "slack"),
        ({"target": "mail"}, "email"),
        ({"target": "https"}, "webhook"),
        ({"target": "carrier pigeon"}, None),
        (None, None),
    ],
)
def test_notification_target_kinds(spec: object, kind: str | None) -> None:
    from slo.loaders.openslo_alerts import notification_warning, target_kind

    assert target_kind(spec) == kind
    text = notification_warning("Ops Pager", spec)
    assert text.startswith("AlertNotificationTarget 'Ops Pager' (") and "name: ops-pager" in text
    assert ("pagerduty, slack, email, webhook" in text) is (kind is None)


def test_a_top_level_list_of_documents(tmp_path: Path) -> None:
    indented = "\n".join(("- " if i == 0 else "  ") + line for i, line in enumerate(V1_SLO.splitlines()))
    second = indented.replace("name: availability", "name: other").replace("- apiVersion", "- apiVersion", 1)
    defs = load([_write(tmp_path, indented + "\n" + second + "\n")])
    assert [s.name for s in defs.services[0].slos] == ["availability", "other"]
    # Problems in a list item keep the item's index and line.
    found = problems(_write(tmp_path, indented.replace("target: 0.999", "target: 99.9") + "\n"))
    assert found == [
        f"{tmp_path}/slo.yaml:25: [0].spec.objectives[0].target: must be a fraction between 0 and 1 such as 0.999 "
        "(targetPercent takes 99.9), got 99.9"
    ]


def test_aggregated_counter_queries_are_the_counter(tmp_path: Path) -> None:
    text = V1_SLO.replace(
        'query: http_requests_total{job="shop",code=~"5.."}', 'query: sum(http_requests_total{job="shop",code=~"5.."})'
    )
    text = text.replace(
        'query: http_requests_total{job="shop"}', 'query: sum(rate(http_requests_total{job="shop"}[{{.window}}]))'
    )
    [service] = load([_write(tmp_path, text)]).services
    assert service.slos[0].sli == RatioSLI(
        total=sel("http_requests_total", job="shop"),
        bad=Selector("http_requests_total", (Matcher("code", "=~", "5.."), Matcher("job", "=", "shop"))),
    )


def test_unknown_metric_source_keys_are_warned_and_ignored(tmp_path: Path) -> None:
    text = V1_SLO.replace(
        '              query: http_requests_total{job="shop"}\n',
        '              query: http_requests_total{job="shop"}\n              dimensions: [region]\n',
    )
    defs = load([_write(tmp_path, text)])
    [warning] = defs.warnings
    assert str(warning) == (
        f"{tmp_path}/slo.yaml:22: spec.indicator.spec.ratioMetric.total.metricSource.spec: metricSource key(s) "
        "'dimensions' ignored: only 'query' is read (put label filters into the query)"
    )


def test_unknown_keys_do_not_stop_the_semantic_checks(tmp_path: Path) -> None:
    text = V1_SLO.replace("  service: shop\n", "  service: shop\n  colour: blue\n").replace(
        "target: 0.999", "target: 101"
    )
    found = problems(_write(tmp_path, text))
    assert any("spec: unknown key 'colour'" in p for p in found), found
    assert any("spec.objectives[0].target: must be a fraction between 0 and 1" in p for p in found), found


def test_v1alpha_as_sloth_reads_it() -> None:
    sloth_examples = Path(__file__).parent / "data" / "sloth" / "upstream" / "examples"
    [service] = load([sloth_examples / "openslo-getting-started.yml"]).services
    [slo] = service.slos
    assert (service.name, slo.name, slo.objective) == ("my-service", "sloth-slo-my-service-0", 0.999)
    assert slo.period == Rolling(Duration.parse("30d"))
    assert isinstance(slo.sli, RatioSLI) and slo.sli.good is not None
    assert slo.sli.total == sel("http_request_duration_seconds_count", job="myservice")


def test_v2alpha_draft_maps_where_it_can_and_says_it_is_a_draft(tmp_path: Path) -> None:
    text = """\
apiVersion: openslo.com/v2alpha
kind: DataSource
metadata:
  name: prom
spec:
  type: Prometheus
---
apiVersion: openslo.com/v2alpha
kind: SLO
metadata:
  name: availability
spec:
  service: shop
  budgetingMethod: Occurrences
  sli:
    metadata:
      name: errors
    spec:
      ratioMetric:
        counter: true
        bad:
          dataSourceRef: prom
          spec:
            query: http_requests_total{job="shop",code=~"5.."}
        total:
          dataSourceRef: prom
          spec:
            query: http_requests_total{job="shop"}
  objectives:
    - target: 0.999
"""
    defs = load([_write(tmp_path, text)])
    [service] = defs.services
    assert service.slos[0].sli.total == sel("http_requests_total", job="shop")
    assert all("openslo.com/v2alpha is a draft" in str(w) for w in defs.warnings) and len(defs.warnings) == 2
    found = problems(
        _write(
            tmp_path,
            text.replace(
                'dataSourceRef: prom\n          spec:\n            query: http_requests_total{job="shop"}',
                'dataSourceRef: nope\n          spec:\n            query: http_requests_total{job="shop"}',
            ),
        )
    )
    assert found == [
        f"{tmp_path}/slo.yaml:26: spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef: no DataSource "
        "named 'nope' (known: prom)"
    ]


def test_a_file_without_an_slo_is_a_clear_message_and_generate_does_not_crash(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = DATA / "upstream" / "readme" / "datasource-cloudwatch.yaml"
    found = problems(source)
    assert found == [
        f"{source}: no SLO found: these sources hold only supporting documents (e.g. an OpenSLO DataSource or "
        "AlertPolicy, a Sloth AlertWindows); add the files that define the SLOs"
    ]
    done = subprocess.run(
        [sys.executable, "-c", "from slo.cli import main; main()", "generate", str(source), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "no SLO found" in done.stderr and "Traceback" not in done.stderr
    assert not any(tmp_path.iterdir())


def test_upstream_openslo_files_are_refused_only_for_non_prometheus_sources() -> None:
    from tests.upstream import files, shown, try_load

    for path in files("openslo"):
        result = try_load([path])
        assert isinstance(result, list), shown(path, "openslo")
        reasons = ("no SLO found", "only Prometheus", "missing required key")
        assert any(r in result[0] for r in reasons), result


def test_calendar_weeks(tmp_path: Path) -> None:
    from slo.model.periods import CalendarWeek

    week = (
        "  timeWindow:\n    - duration: 1w\n      isRolling: false\n      calendar:\n"
        "        startTime: {start}\n        timeZone: Europe/Berlin\n"
    )
    text = V1_SLO.replace(
        "  budgetingMethod: Occurrences\n",
        week.format(start="2024-01-01 00:00:00") + "  budgetingMethod: Occurrences\n",
    )
    [service] = load([_write(tmp_path, text)]).services
    slo = service.slos[0]
    assert slo.period == CalendarWeek("Europe/Berlin")
    assert slo.period.alerting_window == Duration.parse("7d")
    assert [t.factor(slo.period) for t in slo.alerting.tiers] == [3.36, 1.4, 0.7, 0.233333333]
    saturday = V1_SLO.replace(
        "  budgetingMethod: Occurrences\n",
        week.format(start="2022-01-01 12:00:00") + "  budgetingMethod: Occurrences\n",
    )
    assert problems(_write(tmp_path, saturday)) == [
        f"{tmp_path}/slo.yaml:11: spec.timeWindow[0].calendar.startTime: calendar weeks start on a Monday at 00:00 "
        "(ISO weeks); startTime 2022-01-01 12:00:00 would shift every week"
    ]
