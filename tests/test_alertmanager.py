"""Alertmanager routing: amtool accepts the generated config and routes every label set as the definitions say.

Each shape is checked twice: by the generated route-test table (what `slo test` runs) and by direct
`amtool config routes test` calls with expectations written here by hand, so a bug shared by the
table and the config cannot hide. Secrets: literal ones are refused, and none reaches a generated file.
"""

from __future__ import annotations

import secrets
import shutil
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generators import alertmanager as am
from generators import alertmanager_base, alertmanager_templates
from generators.bundle import artifacts
from slo import (
    availability,
    email,
    latency,
    opsgenie,
    pagerduty,
    regex,
    routing,
    service,
    service_route,
    slack,
    team_route,
    webhook,
)
from slo.cli import main
from slo.loaders import Definitions, load
from slo.model.alert_policy import DEFAULT_POLICY
from slo.model.errors import DefinitionError, SpecError
from slo.tools.toolcheck import check_alertmanager
from tests.conftest import EXAMPLE, ROOT
from tests.helpers import amtool_routes, write_artifacts

SECRETS = "/etc/alertmanager/secrets"


def _avail(name: str, job: str, **kw) -> object:
    return availability(name, 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": job}, **kw)


CHECKOUT = service("checkout", _avail("availability", "checkout"), team="payments")
PAYOUTS = service(
    "payouts",
    _avail("availability", "payouts", alerting=replace(DEFAULT_POLICY, name="PayoutsBudgetBurn")),
    team="payments",
)
SEARCH = service("search", latency("p95", 95, "search_duration_seconds", under="500ms"), team="search")
ETL = service("etl", _avail("freshness", "etl"), team="data")
LEGACY = service("legacy", _avail("availability", "legacy"))  # no team label at all
SERVICES = (CHECKOUT, PAYOUTS, SEARCH, ETL, LEGACY)

RECEIVERS = (
    pagerduty("pagerduty", routing_key_file=f"{SECRETS}/pagerduty"),
    slack("slack", api_url_file=f"{SECRETS}/slack", channel="#alerts"),
    opsgenie("payments-pager", api_key_file=f"{SECRETS}/opsgenie", priority="P1"),
    slack("payments-chat", api_url_file=f"{SECRETS}/slack-payments", channel="#payments", send_resolved=True),
    webhook("checkout-pager", url="http://pager.internal:8080/hook", credentials_file=f"{SECRETS}/token"),
    email(
        "data-mail",
        to="data@example.com",
        sender="alertmanager@example.com",
        smarthost="smtp.example.com:587",
        auth_username="alertmanager",
        auth_password_file=f"{SECRETS}/smtp",
    ),
)


def _defs(routing_, *services) -> Definitions:
    services = services or SERVICES
    return Definitions(tuple(services), tuple((s.name, "test") for s in services), routing_, "test")


def _alert(service_: str, slo: str, severity: str, team: str | None = None, **extra: str) -> dict[str, str]:
    labels = {"alertname": "SLOErrorBudgetBurn", "service": service_, "slo": slo, "severity": severity}
    if team:
        labels["team"] = team
    return {**labels, **extra}


def _all_pass(out: Path) -> list:
    results = check_alertmanager(out)
    failed = [f"{r.step} {r.target}\n{r.output}" for r in results if not r.ok]
    assert not failed, "\n".join(failed)
    assert results[0].step == "amtool check-config"
    return results


# ---------------------------------------------------------------------------------------------
# The bundled example


def test_example_config_passes_amtool(amtool: str, tmp_path: Path) -> None:
    defs = load([EXAMPLE / "slos.py"])
    out = write_artifacts(tmp_path, defs)
    results = _all_pass(out)
    # every generated alert rule is a case, plus foreign alerts and the three non-SLO cases of a standalone config
    assert len(results) == 1 + len(am.slo_alerts(defs)) + len(am.foreign_alerts(defs, None)) + 3
    config = out / am.CONFIG
    assert amtool_routes(amtool, config, _alert("ai-assistant", "uptime", "critical", "sre")) == "pagerduty"
    assert amtool_routes(amtool, config, _alert("ai-assistant", "uptime", "warning", "sre")) == "slack"
    absent = {**_alert("ai-assistant", "uptime", "warning", "sre"), "alertname": "SLOMetricAbsent"}
    assert amtool_routes(amtool, config, absent) == "slack"


def test_example_routing_is_the_same_in_python_and_yaml() -> None:
    py, yml = load([EXAMPLE / "slos.py"]), load([EXAMPLE / "slos.yaml"])
    assert py.routing is not None and py.routing == yml.routing
    assert py.routing.critical == "pagerduty" and py.routing.warning == "slack"
    assert (py.routing.group_wait.seconds, py.routing.group_interval.seconds, py.routing.repeat_interval.seconds) == (
        10,
        10,
        3600,
    )


def test_committed_alertmanager_output_matches_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # `slo generate` runs here, and the header names the source relative to it
    files = artifacts(load(["examples/ai-assistant/slos.py"]))
    for rel in (am.CONFIG, am.ROUTE_TESTS, alertmanager_templates.TEMPLATE_FILE):
        assert (ROOT / rel).read_text() == files[rel], f"{rel} is stale: run `slo generate`"


def test_example_config_groups_by_slo_and_documents_inhibition() -> None:
    text = artifacts(load([EXAMPLE / "slos.py"]))[am.CONFIG]
    doc = yaml.safe_load(text)
    assert doc["route"]["group_by"] == ["alertname", "service", "slo"]
    assert (doc["route"]["group_wait"], doc["route"]["group_interval"], doc["route"]["repeat_interval"]) == (
        "10s",
        "10s",
        "1h",
    )
    page_ticket, absent_burn, threshold_levels = doc["inhibit_rules"]
    assert page_ticket == {
        "source_matchers": ['alertname="SLOErrorBudgetBurn"', 'severity="critical"'],
        "target_matchers": ['alertname="SLOErrorBudgetBurn"', 'severity="warning"'],
        "equal": ["service", "slo"],
    }
    assert absent_burn["source_matchers"] == ['alertname=~"SLOMetricAbsent|SLOLatencyBucketMissing"']
    assert absent_burn["equal"] == ["service", "slo"]
    # the example's threshold alerts: critical inhibits warning of the same alert, service and series
    names = 'alertname=~"HighCPUUsage|HighDiskUsage|HighErrorRate|HighMemoryUsage|HighResponseTime|PodCrashLooping"'
    assert threshold_levels == {
        "source_matchers": [names, 'severity="critical"'],
        "target_matchers": [names, 'severity="warning"'],
        "equal": ["alertname", "service", "container", "instance", "mountpoint", "namespace", "pod"],
    }
    assert "Inhibition rules:" in text and "inhibits the tickets" in text and "inhibits its burn-rate alerts" in text


# ---------------------------------------------------------------------------------------------
# Routing shapes

SHAPES = {
    "defaults-only": (
        routing(*RECEIVERS[:2]),
        [
            (_alert("checkout", "availability", "critical", "payments"), "pagerduty"),
            (_alert("etl", "freshness", "warning", "data"), "slack"),
            (_alert("legacy", "availability", "critical"), "pagerduty"),
        ],
    ),
    "team-overrides": (
        routing(
            *RECEIVERS,
            critical="pagerduty",
            warning="slack",
            routes=[
                team_route("payments", critical="payments-pager", warning="payments-chat", repeat_interval="4h"),
                team_route("search", critical="checkout-pager", warning="payments-chat"),
            ],
        ),
        [
            (_alert("checkout", "availability", "critical", "payments"), "payments-pager"),
            (_alert("checkout", "availability", "warning", "payments"), "payments-chat"),
            (
                {**_alert("payouts", "availability", "critical", "payments"), "alertname": "PayoutsBudgetBurn"},
                "payments-pager",
            ),
            (_alert("search", "p95", "critical", "search"), "checkout-pager"),
            (_alert("etl", "freshness", "critical", "data"), "pagerduty"),
            (_alert("legacy", "availability", "warning"), "slack"),
        ],
    ),
    "service-route-before-team": (
        routing(
            *RECEIVERS,
            critical="pagerduty",
            warning="slack",
            routes=[
                service_route("checkout", critical="checkout-pager"),
                team_route("payments", critical="payments-pager", warning="payments-chat"),
            ],
        ),
        [
            (_alert("checkout", "availability", "critical", "payments"), "checkout-pager"),
            # the service route names no ticket receiver: checkout's tickets fall through to its team's
            (_alert("checkout", "availability", "warning", "payments"), "payments-chat"),
            (_alert("payouts", "availability", "critical", "payments"), "payments-pager"),
            (_alert("search", "p95", "warning", "search"), "slack"),
        ],
    ),
    "warning-only-team": (
        routing(*RECEIVERS, critical="pagerduty", warning="slack", routes=[team_route("data", warning="data-mail")]),
        [
            (_alert("etl", "freshness", "warning", "data"), "data-mail"),
            ({**_alert("etl", "freshness", "warning", "data"), "alertname": "SLOMetricAbsent"}, "data-mail"),
            # pages of a team without its own pager still page
            (_alert("etl", "freshness", "critical", "data"), "pagerduty"),
        ],
    ),
    "service-and-team-together": (
        routing(
            *RECEIVERS,
            critical="pagerduty",
            warning="slack",
            default="data-mail",
            group_by=["service", "slo"],
            group_wait="30s",
            routes=[team_route("payments", service="payouts", warning="data-mail")],
        ),
        [
            (_alert("payouts", "availability", "warning", "payments"), "data-mail"),
            (_alert("checkout", "availability", "warning", "payments"), "slack"),
            ({"alertname": "Watchdog"}, "data-mail"),
        ],
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_routing_shapes_pass_amtool(shape: str, amtool: str, tmp_path: Path) -> None:
    routing_, expectations = SHAPES[shape]
    out = write_artifacts(tmp_path, _defs(routing_))
    _all_pass(out)
    for labels, receiver in expectations:
        assert amtool_routes(amtool, out / am.CONFIG, labels) == receiver, labels


def test_every_receiver_kind_is_rendered_with_file_fields_only(amtool: str, tmp_path: Path) -> None:
    routing_ = routing(*RECEIVERS, critical="pagerduty", warning="slack")
    doc = am.standalone(routing_, _defs(routing_))
    by_name = {r["name"]: r for r in doc["receivers"]}
    assert doc["templates"] == [alertmanager_templates.TEMPLATE_NAME]
    defined = {k: v for k, v in by_name["pagerduty"]["pagerduty_configs"][0].items() if "{{" not in str(v)}
    assert defined == {"routing_key_file": f"{SECRETS}/pagerduty"}
    slack_ = by_name["slack"]["slack_configs"][0]
    assert (slack_["api_url_file"], slack_["channel"], slack_["send_resolved"]) == (f"{SECRETS}/slack", "#alerts", True)
    opsgenie_ = by_name["payments-pager"]["opsgenie_configs"][0]
    assert (opsgenie_["api_key_file"], opsgenie_["priority"]) == (f"{SECRETS}/opsgenie", "P1")
    assert by_name["checkout-pager"]["webhook_configs"] == [
        {
            "url": "http://pager.internal:8080/hook",
            "http_config": {"authorization": {"credentials_file": f"{SECRETS}/token"}},
        }
    ]
    assert by_name["data-mail"]["email_configs"][0]["auth_password_file"] == f"{SECRETS}/smtp"
    assert by_name["payments-chat"]["slack_configs"][0]["send_resolved"] is True
    assert by_name["data-mail"]["email_configs"][0]["from"] == "alertmanager@example.com"
    assert alertmanager_base._secrets(doc, "") == []
    _all_pass(write_artifacts(tmp_path, _defs(routing_)))


def test_custom_burn_alert_names_are_routed_and_inhibited() -> None:
    defs = _defs(routing(*RECEIVERS[:2]))
    assert am.burn_alert_names(defs) == ["SLOErrorBudgetBurn", "PayoutsBudgetBurn"]
    doc = am.standalone(defs.routing, defs)
    assert doc["route"]["routes"][0]["matchers"] == [
        'alertname=~"SLOErrorBudgetBurn|PayoutsBudgetBurn|SLOMetricAbsent|SLOLatencyBucketMissing|'
        'SLOErrorBudgetExhausted"',
        'service=~"checkout|etl|legacy|payouts|search"',
    ]
    assert doc["inhibit_rules"][0]["target_matchers"][0] == 'alertname=~"SLOErrorBudgetBurn|PayoutsBudgetBurn"'


def test_team_values_are_quoted_in_matchers(tmp_path: Path) -> None:
    odd = service("odd", _avail("availability", "odd"), team='ops "night", eu\\west')
    routing_ = routing(*RECEIVERS[:2], routes=[team_route('ops "night", eu\\west', warning="pagerduty")])
    out = write_artifacts(tmp_path, _defs(routing_, odd))
    _all_pass(out)


# ---------------------------------------------------------------------------------------------
# Mismatches are reported clearly


def test_a_wrong_expectation_is_reported_with_both_receivers(amtool: str, tmp_path: Path) -> None:
    out = write_artifacts(tmp_path, load([EXAMPLE / "slos.py"]))
    shutil.rmtree(out / "rules")  # only the amtool part is under test here
    table = out / am.ROUTE_TESTS
    doc = yaml.safe_load(table.read_text())
    doc["tests"][0]["receivers"] = ["slack"]  # a page, which really goes to pagerduty
    table.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(main, ["test", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "FAIL  amtool routes test" in result.output
    assert "expected receivers: slack" in result.output
    assert "Alertmanager routes it to: pagerduty" in result.output
    assert 'slo="uptime"' in result.output


def test_a_config_amtool_rejects_fails_slo_test(amtool: str, tmp_path: Path) -> None:
    out = write_artifacts(tmp_path, load([EXAMPLE / "slos.py"]))
    config = out / am.CONFIG
    config.write_text(config.read_text().replace("routing_key_file", "routing_keyfile"))
    results = check_alertmanager(out)
    assert [r.ok for r in results] == [False]
    assert "routing_keyfile" in results[0].output


# ---------------------------------------------------------------------------------------------
# Base configs

BASE = """\
global:
  resolve_timeout: 5m
route:
  receiver: ops-default
  group_by: [alertname, cluster]
  routes:
    - matchers: ['team="infra"']
      receiver: infra-pager
      mute_time_intervals: [weekends]
templates: ['/etc/alertmanager/templates/*.tmpl']
time_intervals:
  - name: weekends
    time_intervals: [{weekdays: [saturday, sunday]}]
receivers:
  - name: ops-default
    webhook_configs: [{url: "http://ops.internal:9000/hook"}]
  - name: infra-pager
    pagerduty_configs: [{routing_key_file: /etc/alertmanager/secrets/infra}]
inhibit_rules:
  - source_matchers: ['alertname="NodeDown"']
    target_matchers: ['alertname="InstanceDown"']
    equal: [node]
"""


def _base(tmp_path: Path, text: str = BASE) -> Path:
    path = tmp_path / "base.yml"
    path.write_text(text)
    return path


def test_merged_base_config_keeps_everything_else(amtool: str, tmp_path: Path) -> None:
    base = am.read_base(_base(tmp_path))
    routing_, expectations = SHAPES["team-overrides"]
    defs = _defs(routing_)
    out = write_artifacts(tmp_path / "out", defs, base)
    _all_pass(out)
    merged = yaml.safe_load((out / am.CONFIG).read_text())
    original = yaml.safe_load(BASE)
    for key in ("global", "time_intervals"):
        assert merged[key] == original[key]
    assert merged["templates"] == [*original["templates"], alertmanager_templates.TEMPLATE_NAME]
    assert merged["route"]["receiver"] == "ops-default"
    assert merged["route"]["group_by"] == ["alertname", "cluster"]
    assert merged["route"]["routes"][0] == am.slo_route(routing_, defs)
    assert merged["route"]["routes"][1:] == original["route"]["routes"]
    assert merged["receivers"][:2] == original["receivers"]
    assert [r["name"] for r in merged["receivers"][2:]] == [r.name for r in RECEIVERS]
    assert merged["inhibit_rules"][0] == original["inhibit_rules"][0]
    assert merged["inhibit_rules"][1:] == am.inhibit_rules(routing_, defs)
    config = out / am.CONFIG
    for labels, receiver in expectations:
        assert amtool_routes(amtool, config, labels) == receiver, labels
    # the base's own alerts still follow the base's routes
    assert amtool_routes(amtool, config, {"alertname": "NodeDown", "team": "infra"}) == "infra-pager"
    assert amtool_routes(amtool, config, {"alertname": "Watchdog", "severity": "critical"}) == "ops-default"
    # the route-test table of a merged config has no non-SLO cases: the base decides those
    table = yaml.safe_load((out / am.ROUTE_TESTS).read_text())
    assert all(case["labels"]["alertname"] != "NotAnSLOAlert" for case in table["tests"])
    assert "merged into" in (out / am.CONFIG).read_text().splitlines()[0]


def test_merging_again_replaces_the_subtree(tmp_path: Path) -> None:
    routing_ = SHAPES["team-overrides"][0]
    defs = _defs(routing_)
    once = am.merge(am.read_base(_base(tmp_path)), routing_, defs)
    twice = am.merge(am.BaseConfig("merged.yml", once), routing_, defs)
    assert twice == once


def test_base_config_problems_are_located(tmp_path: Path) -> None:
    routing_ = routing(*RECEIVERS[:2])
    conflicting = BASE.replace("name: ops-default", "name: slack")
    with pytest.raises(SpecError) as err:
        am.merge(am.read_base(_base(tmp_path, conflicting)), routing_, _defs(routing_))
    assert "receiver 'slack' is also defined by the SLO routing" in str(err.value)
    assert "base.yml:15: receivers[0]" in str(err.value)

    generated = tmp_path / "gen"
    write_artifacts(generated, _defs(routing_))
    with pytest.raises(SpecError, match="this is a generated file"):
        am.read_base(generated / am.CONFIG)

    with pytest.raises(SpecError, match="needs a top-level 'route'"):
        am.read_base(_base(tmp_path, "receivers: []\n"))


def test_cli_merges_a_base_from_option_and_from_pyproject(
    amtool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _base(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    (project / "slos.py").write_text(
        "from slo import availability, pagerduty, regex, routing, service, slack\n"
        "api = service('api', availability('availability', 99.9, 'http_requests_total', "
        "errors={'code': regex('5..')}), team='web')\n"
        "r = routing(pagerduty('pd', routing_key_file='/s/pd'), slack('chat', api_url_file='/s/chat'))\n"
    )
    runner = CliRunner()
    monkeypatch.chdir(project)
    result = runner.invoke(main, ["generate", "--out", "by-option", "--alertmanager-base", "../base.yml"])
    assert result.exit_code == 0, result.output
    merged = yaml.safe_load((project / "by-option" / am.CONFIG).read_text())
    assert merged["route"]["receiver"] == "ops-default"
    assert [r["name"] for r in merged["receivers"]] == ["ops-default", "infra-pager", "pd", "chat"]
    (project / "pyproject.toml").write_text('[tool.slo]\nout = "gen"\nalertmanager_base = "../base.yml"\n')
    result = runner.invoke(main, ["generate"])
    assert result.exit_code == 0, result.output
    assert (project / "gen" / am.CONFIG).read_text() == (project / "by-option" / am.CONFIG).read_text()
    result = runner.invoke(main, ["test"])  # generates afresh, merged with the base from pyproject
    assert result.exit_code == 0, result.output
    assert "PASS  amtool check-config" in result.output
    assert "PASS  amtool routes test     alertmanager/routes.test.yml: api/availability" in result.output


# ---------------------------------------------------------------------------------------------
# No routing


def test_without_routing_no_alertmanager_output_and_a_note(tmp_path: Path) -> None:
    src = tmp_path / "slos.py"
    src.write_text(
        "from slo import availability, regex, service\n"
        "api = service('api', availability('availability', 99.9, 'http_requests_total', "
        "errors={'code': regex('5..')}))\n"
    )
    out = tmp_path / "out"
    (out / "alertmanager").mkdir(parents=True)
    stale = out / am.CONFIG
    stale.write_text("# Generated by slo-toolkit from an earlier run.\nroute: {receiver: x}\n")
    stale_templates = out / alertmanager_templates.TEMPLATE_FILE
    stale_templates.write_text("{{/*\nGenerated by slo-toolkit from an earlier run.\n*/}}\n")
    result = CliRunner().invoke(main, ["generate", str(src), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no routing defined: alertmanager/ not generated" in result.output
    assert not stale.exists(), "a generated config of an earlier run must be removed"
    assert not stale_templates.exists(), "its notification templates too"
    result = CliRunner().invoke(main, ["test", str(src)])
    assert result.exit_code == 0, result.output
    assert "amtool" not in result.output.replace("no Alertmanager config to check with amtool", "")


# ---------------------------------------------------------------------------------------------
# Loading: YAML, Python, located errors


def _yaml(tmp_path: Path, routing_block: str, name: str = "slos.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        "apiVersion: slo-toolkit/v1\n"
        + textwrap.dedent(routing_block)
        + textwrap.dedent(
            """\
            services:
              - name: api
                team: web
                slos:
                  - name: availability
                    objective: 99.9
                    sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
            """
        )
    )
    return path


def _problems(*paths: Path) -> str:
    with pytest.raises(SpecError) as err:
        load(list(paths))
    return str(err.value)


GOOD = """\
routing:
  receivers:
    - name: pager
      pagerduty: {routing_key_file: /s/pd}
    - name: chat
      slack: {api_url_file: /s/slack, channel: "#web"}
    - name: web-hook
      webhook: {url: "http://hooks.internal/web", max_alerts: 10}
    - name: mail
      email: {to: web@example.com, from: am@example.com, smarthost: "smtp.example.com:25"}
    - name: og
      opsgenie: {api_key_file: /s/og}
  routes:
    - {team: web, warning: web-hook, repeat_interval: 4h}
    - {service: api, critical: og}
  critical: pager
"""


def test_yaml_routing_loads_with_inferred_defaults(amtool: str, tmp_path: Path) -> None:
    defs = load([_yaml(tmp_path, GOOD)])
    r = defs.routing
    assert r is not None
    assert (r.critical, r.warning, r.default) == ("pager", "chat", "chat")  # warning: the only Slack receiver
    assert r.receiver_for({"service": "api", "team": "web", "severity": "warning"}) == "web-hook"
    assert r.receiver_for({"service": "api", "team": "web", "severity": "critical"}) == "og"
    _all_pass(write_artifacts(tmp_path / "out", defs))


def test_routing_only_yaml_with_python_services(tmp_path: Path) -> None:
    routing_file = tmp_path / "routing.yaml"
    routing_file.write_text("apiVersion: slo-toolkit/v1\n" + GOOD.replace("team: web", "team: payments"))
    py = tmp_path / "slos.py"
    py.write_text(
        "from slo import service, availability, regex\n"
        + "s = service('api', availability('a', 99, 'm', errors={'c': regex('5..')}), team='payments')\n"
    )
    defs = load([py, routing_file])
    assert [s.name for s in defs.services] == ["api"] and defs.routing_origin == str(routing_file)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            GOOD.replace("critical: og", "critical: nope"),
            "slos.yaml:16: routing.routes[1].critical: unknown receiver 'nope'",
        ),
        (
            GOOD.replace("critical: pager", "critical: ghost"),
            "slos.yaml:17: routing.critical: unknown receiver 'ghost'",
        ),
        (
            GOOD.replace("{service: api, critical: og}", "{service: api, team: web, warning: chat}"),
            "routing.routes[1].warning: this route (service='api', team='web') is never reached for warning alerts",
        ),
        (GOOD + "  group_by: [alertname, service]\n", "routing.group_by: must include ['slo']"),
        (GOOD + "  group_wait: soon\n", "routing.group_wait: 'soon' does not match"),
        (GOOD.replace("{routing_key_file: /s/pd}", "{routing_key_file: secrets/pd}"), "must be an absolute path"),
        (GOOD.replace("max_alerts: 10", "max_alerts: -1"), "routing.receivers[2].webhook.max_alerts: must be >= 0"),
        (GOOD.replace("{team: web, warning: web-hook, repeat_interval: 4h}", "{team: web}"), "a route changes nothing"),
        (
            GOOD.replace('      slack: {api_url_file: /s/slack, channel: "#web"}\n', ""),
            "slos.yaml:6: routing.receivers[1]: receiver 'chat' needs at least one of",
        ),
        (GOOD.replace("pagerduty: {", "pagerdooty: {"), "unknown key 'pagerdooty'"),
        (
            GOOD.replace("  critical: pager\n", ""),
            "routing.critical: say which receiver gets critical alerts: there is more than one pager",
        ),
    ],
)
def test_routing_problems_are_located(tmp_path: Path, block: str, expected: str) -> None:
    assert expected in _problems(_yaml(tmp_path, block))


def test_two_routings_are_refused(tmp_path: Path) -> None:
    a = _yaml(tmp_path, GOOD, "a.yaml")
    b = tmp_path / "b.yaml"
    b.write_text("apiVersion: slo-toolkit/v1\n" + GOOD)
    assert "b.yaml: routing: routing is already defined in" in _problems(a, b)
    py = tmp_path / "two.py"
    py.write_text(
        "from slo import routing, webhook\n"
        "a = routing(webhook('w', url='http://x.internal/'))\n"
        "b = routing(webhook('v', url='http://y.internal/'))\n"
    )
    assert "defines 2 Routing objects (a, b): keep one" in _problems(py)


# ---------------------------------------------------------------------------------------------
# Secrets

SECRET = "R0ut1ngK3y" + secrets.token_hex(8)


@pytest.mark.parametrize(
    ("receiver", "expected"),
    [
        ("pagerduty: {routing_key: %s}", "routing.receivers[0].pagerduty.routing_key: refusing a literal secret"),
        ("pagerduty: {routing_key_file: %s}", "routing_key_file: must be an absolute path"),
        ("pagerduty: {service_key: %s}", "give service_key_file instead"),
        ("slack: {api_url: 'https://hooks.slack.com/services/T0/B0/%s'}", "a Slack webhook URL is itself a secret"),
        ("slack: {api_url_file: /s/x, channel: 'https://hooks.slack.com/services/T0/B0/%s'}", "literal secret"),
        ("opsgenie: {api_key: %s}", "give api_key_file instead"),
        ("webhook: {url: 'https://bot:%s@hooks.internal/x'}", "the URL contains a password"),
        ("webhook: {url: 'https://hooks.internal/x?token=%s'}", "carries a 'token' query parameter"),
        ("email: {to: a@example.com, auth_password: %s}", "give auth_password_file instead"),
    ],
)
def test_literal_secrets_in_yaml_are_refused_without_echoing_them(tmp_path: Path, receiver: str, expected: str) -> None:
    block = f"routing:\n  receivers:\n    - name: r\n      {receiver % SECRET}\n"
    path = _yaml(tmp_path, block)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert expected in result.output
    assert f"{path}:5: routing.receivers[0]" in result.output
    assert SECRET not in result.output, "an error message must not repeat the secret"


def test_literal_secrets_in_python_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match=r"refusing a literal secret.*routing_key_file"):
        pagerduty("pd", routing_key=SECRET)
    with pytest.raises(DefinitionError, match="Slack webhook URL is itself a secret"):
        slack("chat", api_url=f"https://hooks.slack.com/services/T/B/{SECRET}")
    with pytest.raises(DefinitionError, match="api_key_file"):
        opsgenie("og", api_key=SECRET)
    with pytest.raises(DefinitionError, match="auth_password_file"):
        email("mail", to="a@example.com", auth_password=SECRET)
    with pytest.raises(DefinitionError, match="password"):
        webhook("hook", url=f"https://user:{SECRET}@example.com/")
    py = tmp_path / "slos.py"
    py.write_text(f"from slo import pagerduty, routing\n\nr = routing(pagerduty('pd', routing_key='{SECRET}'))\n")
    problems = _problems(py)
    assert f"{py}:3: receiver 'pd'.routing_key: refusing a literal secret" in problems
    assert SECRET not in problems


def test_base_config_with_a_literal_secret_is_refused(tmp_path: Path) -> None:
    text = BASE.replace("routing_key_file: /etc/alertmanager/secrets/infra", f"routing_key: {SECRET}")
    text = text.replace(
        "resolve_timeout: 5m", "resolve_timeout: 5m\n  slack_api_url: https://hooks.slack.com/services/T/B/C"
    )
    with pytest.raises(SpecError) as err:
        am.read_base(_base(tmp_path, text))
    message = str(err.value)
    assert "base.yml:3: global.slack_api_url: 'slack_api_url' holds a literal secret" in message
    assert "receivers[1].pagerduty_configs[0].routing_key: 'routing_key' holds a literal secret" in message
    assert SECRET not in message


def test_no_generated_file_contains_a_secret(tmp_path: Path) -> None:
    """Real secret files on disk: the generated output names them and never contains their content."""
    values = {}
    for name in ("pagerduty", "slack", "opsgenie", "smtp", "token"):
        path = tmp_path / "secrets" / name
        path.parent.mkdir(exist_ok=True)
        values[name] = f"{name}-{secrets.token_hex(16)}"
        path.write_text(values[name])
    s = tmp_path / "secrets"
    routing_ = routing(
        pagerduty("pd", routing_key_file=str(s / "pagerduty")),
        slack("chat", api_url_file=str(s / "slack")),
        opsgenie("og", api_key_file=str(s / "opsgenie")),
        email(
            "mail",
            to="a@example.com",
            sender="b@example.com",
            smarthost="smtp.example.com:25",
            auth_password_file=str(s / "smtp"),
        ),
        webhook("hook", url="http://hooks.internal/x", credentials_file=str(s / "token")),
        critical="pd",
        warning="chat",
        routes=[team_route("payments", critical="og", warning="mail"), service_route("search", warning="hook")],
    )
    out = tmp_path / "out"
    files = artifacts(_defs(routing_), am.read_base(_base(tmp_path)))
    for rel, text in files.items():
        for value in values.values():
            assert value not in text, f"{rel} contains a secret"
    config = yaml.safe_load(files[am.CONFIG])
    assert alertmanager_base._secrets(config, "") == []
    assert str(s / "pagerduty") in files[am.CONFIG]
    write_artifacts(out, _defs(routing_))
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not any(v in text for v in values.values()), path
