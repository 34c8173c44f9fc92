"""Unit tests of the model: objectives, durations, selectors, burn-rate tiers and the DSL."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slo import availability, error_rate, latency, not_equal, regex, service, uptime
from slo.loaders import python_src
from slo.model.alert_policy import DEFAULT_TIERS, tier
from slo.model.durations import Duration, parse_seconds
from slo.model.errors import DefinitionError, Problem, SpecError
from slo.model.periods import CalendarMonth, Rolling, parse_period
from slo.model.selectors import Matcher, Selector, matchers_from, parse_selector, quote
from slo.model.service import SLO
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, TimeSliceSLI
from slo.model.values import normalise_fraction, normalise_objective

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ai-assistant"
RATIO = RatioSLI(Selector("http_requests_total"), bad=Selector("http_requests_total", (Matcher("code", "=~", "5.."),)))

# ---------------------------------------------------------------------------------------------
# Objectives


@pytest.mark.parametrize(
    ("percent", "fraction"),
    [(99.9, 0.999), (99.99, 0.9999), (95, 0.95), (99, 0.99), (50, 0.5), (99.95, 0.9995), (0.5, 0.5)],
)
def test_percent_and_fraction_objectives_are_equal(percent: float, fraction: float) -> None:
    assert normalise_objective(percent) == normalise_objective(fraction) == fraction
    assert SLO("a", percent, RATIO) == SLO("a", fraction, RATIO)


def test_objective_is_stored_as_a_fraction_without_float_noise() -> None:
    slo = SLO("a", 99.9, RATIO)
    assert slo.objective == 0.999
    assert slo.error_budget == 0.001
    assert SLO("a", 99.99, RATIO).error_budget == 0.0001


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "must be > 0"),
        (0.0, "must be > 0"),
        (-1, "must be > 0"),
        (-0.5, "must be > 0"),
        (-99.9, "must be > 0"),
        (100, "must be < 100"),
        (100.0, "must be < 100"),
        (150, "must be < 100"),
        (1e309, "must be a finite number"),
        (math.nan, "must be a finite number"),
        (-math.inf, "must be a finite number"),
        (1, "ambiguous"),
        (1.0, "ambiguous"),
        (True, "must be a number"),
        (False, "must be a number"),
        ("99.9", "must be a number"),
        ("99.9%", "must be a number"),
        (None, "must be a number"),
        ([99.9], "must be a number"),
    ],
)
def test_bad_objectives_are_rejected(value: object, message: str) -> None:
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(")):
        normalise_objective(value)


@pytest.mark.parametrize(("value", "fraction"), [(1, 1.0), (100, 1.0), (1.0, 1.0), (99.9, 0.999), (0.999, 0.999)])
def test_slice_targets_accept_100_percent(value: float, fraction: float) -> None:
    assert normalise_fraction(value, "slice target") == fraction


@pytest.mark.parametrize("value", [0, -1, 100.5, 150, math.nan, True, "1"])
def test_bad_slice_targets_are_rejected(value: object) -> None:
    with pytest.raises(DefinitionError, match="slice target must be"):
        normalise_fraction(value, "slice target")


def test_bad_objective_on_an_slo_names_the_field() -> None:
    with pytest.raises(DefinitionError) as info:
        SLO("a", 150, RATIO)
    assert info.value.path == "objective"
    assert str(info.value.under("slos[2]")) == "slos[2].objective: " + info.value.message


# ---------------------------------------------------------------------------------------------
# Durations


@pytest.mark.parametrize(
    ("text", "seconds", "rendered"),
    [
        ("30s", 30, "30s"),
        ("5m", 300, "5m"),
        ("90m", 5400, "1h30m"),
        ("1h30m", 5400, "1h30m"),
        ("1d", 86400, "1d"),
        ("28d", 28 * 86400, "28d"),
        ("30d", 30 * 86400, "30d"),
        ("1w", 7 * 86400, "7d"),
        ("2w1d", 15 * 86400, "15d"),
        ("1d2h3m4s", 93784, "1d2h3m4s"),
    ],
)
def test_durations_parse_and_render(text: str, seconds: int, rendered: str) -> None:
    d = Duration.parse(text)
    assert d.seconds == seconds
    assert str(d) == rendered
    assert Duration.parse(str(d)) == d


@given(st.integers(min_value=1, max_value=10**9))
def test_duration_render_parse_round_trip(seconds: int) -> None:
    d = Duration(seconds)
    assert Duration.parse(str(d)) == d


@pytest.mark.parametrize(
    "text", ["", "5", "5x", "31x", "m", "1.5h", "-5m", "5 m", " 5m", "0s", "0d", "1m1h", "1h1h", "5M"]
)
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(DefinitionError):
        Duration.parse(text)


@pytest.mark.parametrize("value", [5, 5.0, None, True])
def test_durations_must_be_text(value: object) -> None:
    with pytest.raises(DefinitionError, match="expected a duration"):
        Duration.parse(value)  # type: ignore[arg-type]


def test_durations_compare_by_length() -> None:
    assert Duration.parse("5m") < Duration.parse("1h") < Duration.parse("1d")
    assert Duration.parse("60m") == Duration.parse("1h")


@pytest.mark.parametrize(
    ("value", "seconds"), [("200ms", 0.2), ("2s", 2.0), ("1.5s", 1.5), ("1m", 60.0), (0.25, 0.25), (3, 3.0)]
)
def test_latency_thresholds_parse(value: str | float, seconds: float) -> None:
    assert parse_seconds(value) == seconds


@pytest.mark.parametrize("value", ["200", "200 ms", "0.2 s", "fast", True, None])
def test_bad_latency_thresholds_are_rejected(value: object) -> None:
    with pytest.raises(DefinitionError):
        parse_seconds(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "days"), [("30d", 30), ("28d", 28), ("7d", 7), ("4w", 28)])
def test_rolling_periods(text: str, days: int) -> None:
    period = parse_period(text)
    assert isinstance(period, Rolling)
    assert period.window.seconds == days * 86400


@pytest.mark.parametrize("text", ["12h", "36h", "1d1h", "90m"])
def test_rolling_periods_are_whole_days(text: str) -> None:
    with pytest.raises(DefinitionError, match="whole days"):
        parse_period(text)


def test_calendar_month_takes_a_time_zone_and_rolling_does_not() -> None:
    assert parse_period("month", "Europe/Berlin") == CalendarMonth("Europe/Berlin")
    assert parse_period("month") == CalendarMonth("UTC")
    with pytest.raises(DefinitionError, match="unknown time zone 'Mars/Olympus_Mons'"):
        parse_period("month", "Mars/Olympus_Mons")
    with pytest.raises(DefinitionError, match="only applies to a calendar period"):
        parse_period("30d", "Europe/Berlin")


# ---------------------------------------------------------------------------------------------
# Selectors

TRICKY = [
    'a"b',
    "back\\slash",
    "trailing\\",
    "new\nline",
    '"} or vector(1) #',
    '\\"} or vector(1) #',
    "}",
    "a,b=c",
    "it's",
    "`backtick`",
    "tab\there",
    "unicode ✓ ü",
    "",
    '\\n is not a newline \\" nor a quote',
]


def test_quote_escapes_quotes_backslashes_and_newlines() -> None:
    assert quote('a"b') == '"a\\"b"'
    assert quote("a\\b") == '"a\\\\b"'
    assert quote("a\nb") == '"a\\nb"'
    assert quote('\\"') == '"\\\\\\""'
    assert quote('"} or vector(1) #') == '"\\"} or vector(1) #"'


def test_selector_renders_sorted_and_quoted() -> None:
    s = Selector("http_requests_total", matchers_from({"job": "api", "code": regex("5.."), "path": not_equal('a"b')}))
    assert s.render() == 'http_requests_total{code=~"5..",job="api",path!="a\\"b"}'
    assert Selector("up").render() == "up"


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize("op", ["=", "!="])
def test_parse_selector_reads_back_what_render_writes(value: str, op: str) -> None:
    s = Selector("http_requests_total", (Matcher("job", op, value), Matcher("env", "=", "prod")))
    rendered = s.render()
    assert "\n" not in rendered
    assert parse_selector(rendered) == s


@given(st.text(), st.text())
def test_render_parse_round_trip_for_any_text(a: str, b: str) -> None:
    s = Selector("m", (Matcher("a", "=", a), Matcher("b", "!=", b)))
    assert parse_selector(s.render()) == s


def test_parse_selector_reads_other_quotes_and_the_name_label() -> None:
    assert parse_selector("m{a='x\"y'}") == Selector("m", (Matcher("a", "=", 'x"y'),))
    assert parse_selector("m{a=`raw\\n`}") == Selector("m", (Matcher("a", "=", "raw\\n"),))
    assert parse_selector('{__name__="up", job="x"}') == Selector("up", (Matcher("job", "=", "x"),))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('sum(rate(m{a="b"}[5m]))', "cannot read"),
        ('m{a="b"', "missing closing brace"),
        ('m{a="b"} or vector(1)', "cannot read"),
        ('m{a="b"} offset', "not a plain metric selector"),
        ('m{a=~"5(.."}', "invalid regular expression"),
        ('m{a="1",a="2"}', "matched twice"),
        ('m{__x="1"}', "reserved"),
        ('{a="b"}', "no metric name"),
        ("m{a=b}", 'expected label="value"'),
        ("0m", "cannot read"),
    ],
)
def test_parse_selector_rejects_what_is_not_a_plain_selector(text: str, message: str) -> None:
    with pytest.raises(DefinitionError, match=message):
        parse_selector(text)


@pytest.mark.parametrize(("metric", "label"), [("http-requests", "job"), ("m", "status-code"), ("m", "0a")])
def test_invalid_metric_and_label_names_are_rejected(metric: str, label: str) -> None:
    with pytest.raises(DefinitionError, match="not a valid Prometheus"):
        Selector(metric, (Matcher(label, "=", "x"),))


# ---------------------------------------------------------------------------------------------
# Burn-rate tiers


def test_default_tiers_are_the_sre_workbook_table() -> None:
    rows = [(t.name, t.severity, str(t.long_window), str(t.short_window), t.budget_spent) for t in DEFAULT_TIERS]
    assert rows == [
        ("fast-page", "critical", "1h", "5m", 0.02),
        ("slow-page", "critical", "6h", "30m", 0.05),
        ("fast-ticket", "warning", "1d", "2h", 0.10),
        ("slow-ticket", "warning", "3d", "6h", 0.10),
    ]
    for t in DEFAULT_TIERS:
        assert t.short_window.seconds * 12 == t.long_window.seconds


def test_burn_rate_factors_for_a_30_day_period() -> None:
    period = parse_period("30d")
    assert [t.factor(period) for t in DEFAULT_TIERS] == [14.4, 6, 3, 1]


def test_burn_rate_factors_for_a_28_day_period() -> None:
    period = parse_period("28d")
    factors = [t.factor(period) for t in DEFAULT_TIERS]
    assert factors[:3] == [13.44, 5.6, 2.8]
    assert factors[3] == pytest.approx(0.9333333, abs=1e-6)
    assert factors[3] == pytest.approx(28 / 30)


def test_calendar_months_alert_like_30_days() -> None:
    assert [t.factor(CalendarMonth("Europe/Berlin")) for t in DEFAULT_TIERS] == [14.4, 6, 3, 1]


def test_tier_short_window_must_be_shorter() -> None:
    with pytest.raises(DefinitionError, match="short window 1h must be shorter than long window 1h"):
        tier("page", "critical", "1h", "1h", 0.02)
    with pytest.raises(DefinitionError, match="must be shorter"):
        tier("page", "critical", "1h", "2h", 0.02)


@pytest.mark.parametrize("budget", [0, -0.1, 1.5, True])
def test_tier_budget_must_be_a_fraction(budget: float) -> None:
    with pytest.raises(DefinitionError, match="budget spent"):
        tier("page", "critical", "1h", "5m", budget)


def test_reserved_slo_labels_are_rejected() -> None:
    for label in ("service", "slo", "severity"):
        with pytest.raises(DefinitionError, match="set by the toolkit") as info:
            SLO("a", 99.9, RATIO, labels={label: "x"})  # type: ignore[arg-type]
        assert info.value.path == "labels"


# ---------------------------------------------------------------------------------------------
# The DSL and the seeds' four SLOs


def test_dsl_builds_the_seeds_four_slos() -> None:
    (svc,) = python_src.load(EXAMPLE / "slos.py")
    assert svc.name == "ai-assistant"
    assert svc.team == "sre"
    up, api, errors, search = svc.slos

    assert (up.name, up.objective, up.period) == ("uptime", 0.999, CalendarMonth("UTC"))
    assert isinstance(up.sli, TimeSliceSLI) and isinstance(up.sli.inner, ProbeSLI)
    assert (str(up.sli.slice), up.sli.target) == ("1m", 1.0)
    assert up.sli.inner.selector.render() == (
        'probe_success{instance="https://ai-assistant.your-company.com/health",job="blackbox"}'
    )

    assert (api.name, api.objective, str(api.period)) == ("api-latency", 0.95, "30d")
    assert isinstance(api.sli, LatencySLI)
    assert api.sli.threshold == 0.2
    assert api.sli.bucket.render() == (
        'http_request_duration_seconds_bucket{endpoint!="/api/search",job="ai-assistant-backend"}'
    )

    assert (errors.name, errors.objective, str(errors.period)) == ("error-rate", 0.99, "30d")
    assert isinstance(errors.sli, TimeSliceSLI) and isinstance(errors.sli.inner, RatioSLI)
    assert (str(errors.sli.slice), errors.sli.target) == ("5m", 0.999)
    assert errors.sli.inner.bad is not None
    assert errors.sli.inner.bad.render() == 'http_requests_total{job="ai-assistant-backend",status=~"5.."}'
    assert errors.sli.inner.total.render() == 'http_requests_total{job="ai-assistant-backend"}'
    assert errors.unit == "slices"

    assert (search.name, search.objective) == ("search-latency", 0.95)
    assert isinstance(search.sli, LatencySLI)
    assert search.sli.threshold == 2.0
    assert search.sli.count.render() == (
        'http_request_duration_seconds_count{endpoint="/api/search",job="ai-assistant-backend"}'
    )
    assert search.unit == "events"


def test_dsl_helpers_match_the_example_model() -> None:
    api = {"job": "ai-assistant-backend"}
    built = service(
        "ai-assistant",
        uptime("uptime", 99.9, labels={"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}),
        latency(
            "api-latency",
            95,
            "http_request_duration_seconds",
            under="200ms",
            labels={**api, "endpoint": not_equal("/api/search")},
        ),
        error_rate("error-rate", 99, "http_requests_total", errors={"status": regex("5..")}, below=0.001, labels=api),
        latency(
            "search-latency", 0.95, "http_request_duration_seconds", under=2, labels={**api, "endpoint": "/api/search"}
        ),
        team="sre",
        runbook_url="https://runbooks.your-company.com/ai-assistant",
    )
    (example,) = python_src.load(EXAMPLE / "slos.py")
    # the example's threshold alerts are checked in tests/test_threshold_alerts.py
    assert built == dataclasses.replace(example, alerts=())


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: availability("a", 99.9, "m", errors={}), "needs 'errors'"),
        (lambda: latency("a", 95, "h_bucket", under="200ms"), "without '_bucket'"),
        (lambda: latency("a", 95, "h", under="200ms", labels={"le": "0.2"}), "do not match 'le'"),
        (lambda: error_rate("a", 99, "m", errors={"code": "500"}, below="0.1"), "percentage"),
        (lambda: error_rate("a", 99, "m", errors={"code": "500"}, below="100%"), "strictly between"),
        (lambda: uptime("a", 99.9, slice="30s"), "whole minutes"),
        (lambda: service("s"), "at least one SLO"),
        (lambda: service("s", uptime("a", 99.9), uptime("a", 99)), "duplicate SLO name 'a'"),
        (lambda: service("s/x", uptime("a", 99.9)), "service name"),
        (lambda: uptime("a b", 99.9), "SLO name"),
    ],
)
def test_dsl_rejects_bad_definitions(build, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DefinitionError, match=message):
        build()


# ---------------------------------------------------------------------------------------------
# Errors


def test_problem_renders_file_line_path_message() -> None:
    assert str(Problem("a.yaml", 3, "services[0].name", "bad")) == "a.yaml:3: services[0].name: bad"
    assert str(Problem("a.yaml", None, "services[0].name", "bad")) == "a.yaml: services[0].name: bad"
    assert str(Problem("a.py", 7, "", "bad")) == "a.py:7: bad"
    assert str(SpecError([Problem("a", 1, "", "x"), Problem("b", None, "p", "y")])) == "a:1: x\nb: p: y"


def test_definition_error_paths_nest() -> None:
    err = DefinitionError("boom", "objective")
    assert err.under("slos[1]").under("services[0]").path == "services[0].slos[1].objective"
    assert DefinitionError("boom", "[2]").under("tiers").path == "tiers[2]"
    assert DefinitionError("boom").under("sli").path == "sli"
