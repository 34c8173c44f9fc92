"""Alertmanager output in a shared installation: scoped subtrees, foreign alerts, templates, versions, cross-inhibition.

Routing is proven with amtool (``check-config`` and ``config routes test``) on the generated files; the
expectations of foreign-alert cases come from evaluating the hand-written base's own tree, and a test
shows those cases fail when the SLO subtree is not scoped, so they can catch the capture they guard.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generators import alertmanager as am
from generators import alertmanager_templates as tmpl
from generators import alertmanager_tree as tree
from generators.alertmanager_versions import CURRENT, Version, config_problems, target
from generators.bundle import artifacts
from slo import (
    availability,
    email,
    msteamsv2,
    opsgenie,
    pagerduty,
    regex,
    routing,
    service,
    slack,
    team_route,
    webhook,
)
from slo.cli import main
from slo.loaders import Definitions, load
from slo.model.errors import DefinitionError, SpecError
from slo.tools.toolcheck import check_alertmanager
from tests.conftest import EXAMPLE
from tests.helpers import amtool_routes, write_files

S = "/etc/alertmanager/secrets"
WEB = service(
    "storefront",
    availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": "web"}),
    team="web",
)
ROUTING = routing(
    pagerduty("pagerduty", routing_key_file=f"{S}/pd"),
    slack("slack", api_url_file=f"{S}/slack", channel="#web"),
    routes=[team_route("web", critical="pagerduty", warning="slack")],
)

# A shared Alertmanager: the payments team's pager, an infra route with continue, a legacy match_re route.
SHARED_BASE = """\
route:
  receiver: ops-default
  group_by: [alertname]
  routes:
    - matchers: ['team="payments"']
      receiver: payments-pager
      routes:
        - matchers: ['severity=~"warning|info"']
          receiver: payments-chat
    - matchers: ['{team="infra", env!="dev"}']
      receiver: infra-audit
      continue: true
    - match_re: {team: "infra|platform"}
      receiver: infra-pager
    - matchers: [service!~"storefront|shop", 'alertname="SLOMetricAbsent"']
      receiver: pyrra-sink
receivers:
  - name: ops-default
    webhook_configs: [{url: "http://ops.internal:9000/hook"}]
  - name: payments-pager
    webhook_configs: [{url: "http://payments.internal:9000/page"}]
  - name: payments-chat
    webhook_configs: [{url: "http://payments.internal:9000/chat"}]
  - name: infra-audit
    webhook_configs: [{url: "http://infra.internal:9000/audit"}]
  - name: infra-pager
    webhook_configs: [{url: "http://infra.internal:9000/page"}]
  - name: pyrra-sink
    webhook_configs: [{url: "http://pyrra.internal:9000/hook"}]
"""


def _defs(routing_: Any = ROUTING, *services: Any) -> Definitions:
    services = services or (WEB,)
    return Definitions(tuple(services), tuple((s.name, "test") for s in services), routing_, "test")


def _base(tmp_path: Path, text: str = SHARED_BASE) -> am.BaseConfig:
    path = tmp_path / "base.yml"
    path.write_text(text)
    return am.read_base(path)


def _failures(out: Path) -> list[str]:
    return [f"{r.step} {r.target}: {r.output}" for r in check_alertmanager(out) if not r.ok]


# ---------------------------------------------------------------------------------------------
# Scope: the subtrees take only these definitions' services


def test_the_issue_example_keeps_the_payments_teams_alert(amtool: str, tmp_path: Path) -> None:
    out = write_files(tmp_path / "out", artifacts(_defs(), _base(tmp_path)))
    assert _failures(out) == []
    config = out / am.CONFIG
    # the issue's command: a payments alert of our alert name reaches the payments pager, not ours
    issue = {"alertname": "SLOErrorBudgetBurn", "severity": "critical", "team": "payments"}
    assert amtool_routes(amtool, config, issue) == "payments-pager"
    # Pyrra's SLOMetricAbsent of another service keeps the base's route
    pyrra = {"alertname": "SLOMetricAbsent", "service": "checkout", "severity": "critical"}
    assert amtool_routes(amtool, config, pyrra) == "pyrra-sink"
    # ours still reach ours
    mine = {"alertname": "SLOErrorBudgetBurn", "service": "storefront", "slo": "availability", "severity": "critical"}
    assert amtool_routes(amtool, config, {**mine, "team": "web"}) == "pagerduty"
    # the route-test table carries foreign cases with the base's receivers, continue included
    cases = yaml.safe_load((out / am.ROUTE_TESTS).read_text())["tests"]
    foreign = {tuple(sorted(c["labels"].items())): c["receivers"] for c in cases if c["name"].startswith("foreign")}
    assert len(foreign) >= 8
    infra = {"alertname": "SLOErrorBudgetBurn", "service": am.FOREIGN_SERVICE, "team": "infra", "severity": "critical"}
    assert foreign[tuple(sorted(infra.items()))] == ["infra-audit", "infra-pager"]
    payments = {**infra, "team": "payments", "severity": "warning"}
    assert foreign[tuple(sorted(payments.items()))] == ["payments-chat"]


def test_foreign_cases_fail_when_the_subtree_is_not_scoped(amtool: str, tmp_path: Path) -> None:
    """The capture the issue reports (alertname matcher only) is caught by the generated foreign cases."""
    out = write_files(tmp_path / "out", artifacts(_defs(), _base(tmp_path)))
    config = out / am.CONFIG
    doc = yaml.safe_load(config.read_text())
    subtree = doc["route"]["routes"][0]
    assert subtree["matchers"] == [am.subtree_matcher(_defs()), 'service="storefront"']
    subtree["matchers"] = subtree["matchers"][:1]
    config.write_text(yaml.safe_dump(doc))
    failures = _failures(out)
    assert failures and all("foreign alert" in f for f in failures), failures
    assert any("team=payments" in f and "expected receivers: payments-pager" in f for f in failures)


def test_standalone_config_has_foreign_cases_too(tmp_path: Path) -> None:
    defs = _defs()
    doc = yaml.safe_load(artifacts(defs)[am.ROUTE_TESTS])
    foreign = [c for c in doc["tests"] if c["name"].startswith("foreign")]
    assert {c["labels"]["alertname"] for c in foreign} == {"SLOErrorBudgetBurn", "SLOMetricAbsent"}
    assert all(c["labels"]["service"] == am.FOREIGN_SERVICE for c in foreign)
    assert all(c["receivers"] == [ROUTING.by_severity(c["labels"]["severity"])] for c in foreign)


@pytest.mark.parametrize(
    ("matcher", "labels", "hit"),
    [
        ('team="payments"', {"team": "payments"}, True),
        ("team=payments", {"team": "payments"}, True),
        ('team!="payments"', {}, True),
        ('severity=~"warning|info"', {"severity": "info"}, True),
        ('severity=~"warn"', {"severity": "warning"}, False),  # anchored, as in Alertmanager
        ('service!~"a|b"', {"service": "c"}, True),
        ('{team="infra", env!="dev"}', {"team": "infra", "env": "dev"}, False),
        ('note="a, \\"b\\""', {"note": 'a, "b"'}, True),
    ],
)
def test_the_tree_evaluator_reads_matchers_like_alertmanager(matcher: str, labels: dict[str, str], hit: bool) -> None:
    assert all(m.matches(labels) for m in tree.parse_matchers(matcher)) is hit


def test_the_tree_evaluator_agrees_with_amtool_on_the_shared_base(amtool: str, tmp_path: Path) -> None:
    """The foreign cases' expectations come from the evaluator: it must route as Alertmanager does."""
    import itertools

    config = tmp_path / "base.yml"
    config.write_text(SHARED_BASE)
    route = yaml.safe_load(SHARED_BASE)["route"]
    combos = itertools.product(
        ("payments", "infra", "platform", ""),
        ("critical", "info"),
        ("dev", ""),
        ("SLOMetricAbsent", "SLOErrorBudgetBurn"),
    )
    checked = 0
    for team, severity, env, alertname in combos:
        labels = {k: v for k, v in {"team": team, "severity": severity, "env": env}.items() if v}
        labels["alertname"] = alertname
        expected = ",".join(tree.receivers_for(route, labels))
        assert amtool_routes(amtool, config, labels) == expected, labels
        checked += 1
    assert checked == 32


def test_an_unreadable_base_route_is_located(tmp_path: Path) -> None:
    base = _base(tmp_path, SHARED_BASE.replace("['team=\"payments\"']", "['team=~\"(\"']"))
    with pytest.raises(SpecError) as err:
        artifacts(_defs(), base)
    assert "base.yml" in str(err.value) and "cannot evaluate the base's routes" in str(err.value)


# ---------------------------------------------------------------------------------------------
# Notification templates


def test_template_file_is_listed_and_written_beside_the_config(tmp_path: Path) -> None:
    files = artifacts(_defs())
    assert tmpl.TEMPLATE_FILE in files and Path(tmpl.TEMPLATE_FILE).parent == Path(am.CONFIG).parent
    text = files[tmpl.TEMPLATE_FILE]
    assert text.startswith("{{/*\nGenerated by slo-toolkit")
    for name in ("slack.title", "slack.text", "pagerduty.description", "email.html", "opsgenie.description"):
        assert f'{{{{ define "slo_toolkit.{name}" }}}}' in text
    doc = yaml.safe_load(files[am.CONFIG])
    assert doc["templates"] == [tmpl.TEMPLATE_NAME]
    # a merge appends it once, whatever the base lists
    again = am.merge(am.BaseConfig("m.yml", doc), ROUTING, _defs())
    assert again["templates"] == [tmpl.TEMPLATE_NAME]


# Go's text/template built-ins and Alertmanager 0.25's template functions (template/template.go, DefaultFuncs).
GO_0_25 = {
    *("if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil"),
    *("and", "or", "not", "eq", "ne", "lt", "le", "gt", "ge", "len", "index", "slice", "call"),
    *("print", "printf", "println", "html", "js", "urlquery", "true", "false"),
    *("toUpper", "toLower", "title", "join", "match", "safeHtml", "reReplaceAll", "stringSlice"),
}


def test_templates_use_only_functions_alertmanager_0_25_has() -> None:
    """Static check, so it holds even where only a current amtool runs (which knows newer functions)."""
    import re

    text = tmpl.template_file()
    actions = re.findall(r"{{-?\s*(.*?)\s*-?}}", text, re.DOTALL)
    used = set()
    for action in actions:
        if action.startswith("/*"):
            continue
        bare = re.sub(r'"(?:[^"\\]|\\.)*"', "", action)  # string literals
        used |= {w for w in re.findall(r"(?<![.$\w])([A-Za-z_]\w*)", bare)}
    assert used and used <= GO_0_25, sorted(used - GO_0_25)


def test_every_receiver_kind_uses_the_templates_unless_overridden(amtool: str, tmp_path: Path) -> None:
    routing_ = routing(
        pagerduty("pd", routing_key_file=f"{S}/pd"),
        pagerduty("pd-own", routing_key_file=f"{S}/pd", description="{{ .CommonLabels.slo }} burns"),
        slack("chat", api_url_file=f"{S}/slack"),
        slack("chat-own", api_url_file=f"{S}/slack", title="T", text="X", send_resolved=False),
        opsgenie("og", api_key_file=f"{S}/og"),
        opsgenie("og-own", api_key_file=f"{S}/og", message="M {{ .Status }}"),
        email("mail", to="a@example.com", sender="am@example.com", smarthost="smtp.example.com:25"),
        email("mail-own", to="a@example.com", sender="am@example.com", smarthost="smtp.example.com:25", subject="S"),
        webhook("hook", url="http://hooks.internal/x"),
        critical="pd",
        warning="chat",
    )
    out = write_files(tmp_path / "out", artifacts(_defs(routing_)))
    assert _failures(out) == []  # Debian's amtool 0.25 parses the template file and every reference
    by_name = {r["name"]: r for r in yaml.safe_load((out / am.CONFIG).read_text())["receivers"]}

    def one(name: str, kind: str) -> dict[str, Any]:
        return by_name[name][f"{kind}_configs"][0]

    assert one("chat", "slack")["title"] == '{{ template "slo_toolkit.slack.title" . }}'
    assert one("chat", "slack")["send_resolved"] is True
    assert (one("chat-own", "slack")["title"], one("chat-own", "slack")["text"]) == ("T", "X")
    assert one("chat-own", "slack")["send_resolved"] is False
    assert one("pd", "pagerduty")["description"] == '{{ template "slo_toolkit.pagerduty.description" . }}'
    assert one("pd", "pagerduty")["links"][0]["href"] == "{{ .CommonAnnotations.runbook_url }}"
    assert one("pd-own", "pagerduty")["description"] == "{{ .CommonLabels.slo }} burns"
    assert "send_resolved" not in one("pd", "pagerduty")  # PagerDuty resolves by default
    assert one("og", "opsgenie")["description"] == '{{ template "slo_toolkit.opsgenie.description" . }}'
    assert one("og-own", "opsgenie")["message"] == "M {{ .Status }}"
    assert one("mail", "email")["headers"] == {"Subject": '{{ template "slo_toolkit.email.subject" . }}'}
    assert one("mail-own", "email")["headers"] == {"Subject": "S"}
    assert one("mail-own", "email")["html"] == '{{ template "slo_toolkit.email.html" . }}'
    assert one("hook", "webhook") == {"url": "http://hooks.internal/x"}


def test_template_overrides_load_from_yaml(tmp_path: Path) -> None:
    src = tmp_path / "slos.yaml"
    src.write_text(
        textwrap.dedent(
            """\
            apiVersion: slo-toolkit/v1
            routing:
              receivers:
                - name: pd
                  pagerduty: {routing_key_file: /s/pd, description: "{{ .CommonLabels.service }} pages"}
                - name: chat
                  slack: {api_url_file: /s/slack, title: "T {{ .Status }}", send_resolved: false}
                - name: mail
                  email: {to: a@example.com, subject: "S", text: "plain"}
                - name: og
                  opsgenie: {api_key_file: /s/og, message: "M", description: "D"}
              critical: pd
              warning: chat
            services:
              - name: api
                slos:
                  - name: availability
                    objective: 99.9
                    sli: {ratio: {bad: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
            """
        )
    )
    defs = load([src])
    by_name = {r["name"]: r for r in am.receivers(defs.routing)}
    assert by_name["pd"]["pagerduty_configs"][0]["description"] == "{{ .CommonLabels.service }} pages"
    assert by_name["chat"]["slack_configs"][0]["title"] == "T {{ .Status }}"
    assert by_name["chat"]["slack_configs"][0]["send_resolved"] is False
    assert by_name["mail"]["email_configs"][0]["headers"] == {"Subject": "S"}
    assert by_name["mail"]["email_configs"][0]["text"] == "plain"
    assert (by_name["og"]["opsgenie_configs"][0]["message"], by_name["og"]["opsgenie_configs"][0]["description"]) == (
        "M",
        "D",
    )


# ---------------------------------------------------------------------------------------------
# Alertmanager versions


def test_versions_parse_and_default_to_the_current_release() -> None:
    assert str(target(None)) == CURRENT
    assert Version.parse("v0.28.1") == Version(0, 28) and Version.parse("0.25") < Version.parse("0.30.0")
    for bad, message in (("0.24", "older than the oldest supported"), ("latest", "must be a version"), (28, "string")):
        with pytest.raises(ValueError, match=message):
            Version.parse(bad)


@pytest.mark.parametrize(
    ("receiver", "needs"),
    [
        (webhook("hook", url_file=f"{S}/hook-url"), "'url_file' needs Alertmanager 0.28"),
        (slack("chat", app_token_file=f"{S}/slack-app", channel="#web"), "'app_token_file' needs Alertmanager 0.30"),
        (msteamsv2("teams", webhook_url_file=f"{S}/teams"), "'msteamsv2_configs' needs Alertmanager 0.28"),
    ],
)
def test_newer_receiver_fields_are_gated_by_the_target_version(receiver: Any, needs: str) -> None:
    defs = _defs(routing(pagerduty("pd", routing_key_file=f"{S}/pd"), receiver, critical="pd", warning=receiver.name))
    with pytest.raises(SpecError) as err:
        artifacts(defs, alertmanager_version="0.25")
    assert needs in str(err.value) and "routing.receivers[1]" in str(err.value)
    since = needs.split("Alertmanager ")[1]
    doc = yaml.safe_load(artifacts(defs, alertmanager_version=since)[am.CONFIG])
    assert doc == yaml.safe_load(artifacts(defs)[am.CONFIG])  # the default target (current) accepts it too


def test_teams_and_slack_app_receivers_are_chat_with_templates() -> None:
    routing_ = routing(
        pagerduty("pd", routing_key_file=f"{S}/pd"),
        msteamsv2("teams", webhook_url_file=f"{S}/teams"),
        slack("app", app_token_file=f"{S}/slack-app", channel="#web"),
        critical="pd",
        warning="teams",
    )
    by_name = {r["name"]: r for r in am.receivers(routing_)}
    teams = by_name["teams"]["msteamsv2_configs"][0]
    assert teams["webhook_url_file"] == f"{S}/teams" and teams["send_resolved"] is True
    assert teams["text"] == '{{ template "slo_toolkit.text" . }}'
    app = by_name["app"]["slack_configs"][0]
    assert "api_url_file" not in app and app["app_token_file"] == f"{S}/slack-app"
    with pytest.raises(DefinitionError, match="posts to a channel"):
        slack("app", app_token_file=f"{S}/slack-app")
    with pytest.raises(DefinitionError, match="app_token_file"):
        slack("app", app_token="xoxb-123456789012-abcdefghij", channel="#web")
    with pytest.raises(DefinitionError, match="webhook_url_file"):
        msteamsv2("teams", webhook_url="https://example.webhook.office.com/x")


NEWER_BASE = """\
global:
  slack_app_token_file: /etc/alertmanager/secrets/slack-app
route:
  receiver: teams
receivers:
  - name: teams
    msteamsv2_configs: [{webhook_url_file: /etc/alertmanager/secrets/teams}]
  - name: tickets
    jira_configs: [{project: OPS, issue_type: Bug, api_url: "https://jira.example.com"}]
  - name: incidents
    incidentio_configs: [{url: "https://api.incident.io/v2/alert_events/alertmanager/x"}]
    future_configs: [{anything: kept}]
inhibit_rules:
  - name: quiet
    source_matchers: ['alertname="A"']
    target_matchers: ['alertname="B"']
"""


def test_a_base_with_newer_keys_is_kept_for_a_new_target_and_refused_for_an_old_one(tmp_path: Path) -> None:
    base = _base(tmp_path, NEWER_BASE)
    merged = yaml.safe_load(artifacts(_defs(), base)[am.CONFIG])
    original = yaml.safe_load(NEWER_BASE)
    assert merged["global"] == original["global"]
    assert merged["receivers"][: len(original["receivers"])] == original["receivers"]  # unknown keys kept
    assert merged["inhibit_rules"][0] == original["inhibit_rules"][0]
    with pytest.raises(SpecError) as err:
        artifacts(_defs(), base, alertmanager_version="0.25")
    message = str(err.value)
    for where, key, since in (
        ("base.yml:2: global.slack_app_token_file", "slack_app_token_file", "0.30"),
        ("base.yml:7: receivers[0].msteamsv2_configs", "msteamsv2_configs", "0.28"),
        ("base.yml:9: receivers[1].jira_configs", "jira_configs", "0.28"),
        ("base.yml:11: receivers[2].incidentio_configs", "incidentio_configs", "0.29"),
        ("base.yml:14: inhibit_rules[0].name", "name", "0.30"),
    ):
        assert f"{where}: '{key}' needs Alertmanager {since} or newer" in message, message
    assert "future_configs" not in message  # unknown to this table: left to amtool of the deployed release
    assert config_problems(original, Version(0, 30)) == []


GATED = (
    ("0.28", lambda: webhook("hook", url_file=f"{S}/hook-url")),
    ("0.28", lambda: msteamsv2("teams", webhook_url_file=f"{S}/teams")),
    ("0.30", lambda: slack("slack-app", app_token_file=f"{S}/slack-app", channel="#web")),
)


def test_gated_receivers_pass_amtool_of_the_release_they_target(amtool: str, backend: Any, tmp_path: Path) -> None:
    """Generated for amtool's own release: what the gate lets through, that release loads; the rest is refused.

    On Debian's 0.25 every gated receiver is refused; on a current release all of them pass check-config,
    so the gate is neither too lax nor too strict and the generated field names are the real ones."""
    found = backend.version("amtool")
    assert found is not None
    release = f"{found[0]}.{found[1]}"
    allowed = [make() for since, make in GATED if Version.parse(since) <= Version.parse(release)]
    refused = [make() for since, make in GATED if Version.parse(since) > Version.parse(release)]
    base = (pagerduty("pagerduty", routing_key_file=f"{S}/pd"), slack("slack", api_url_file=f"{S}/slack"))
    routing_ = routing(*base, *allowed, critical="pagerduty", warning="slack")
    out = write_files(tmp_path / "out", artifacts(_defs(routing_), alertmanager_version=release))
    assert _failures(out) == []
    for receiver in refused:
        with pytest.raises(SpecError, match="needs Alertmanager"):
            artifacts(
                _defs(routing(*base, receiver, critical="pagerduty", warning="slack")), alertmanager_version=release
            )
    if Version.parse(release) >= Version(0, 30):
        # a base with the newer receiver types merges and loads (its keys kept as they are)
        newer = NEWER_BASE.replace("    future_configs: [{anything: kept}]\n", "")
        merged = write_files(
            tmp_path / "merged", artifacts(_defs(), _base(tmp_path, newer), alertmanager_version=release)
        )
        assert _failures(merged) == []


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        ("  slack_app_token: xoxb-1234567890-abcdefghijkl\n", "slack_app_token"),
        ("  rocketchat_token: Zm9vYmFyYmF6cXV4\n", "rocketchat_token"),
    ],
)
def test_newer_literal_secrets_in_a_base_are_refused(tmp_path: Path, secret: str, key: str) -> None:
    text = NEWER_BASE.replace("global:\n", "global:\n" + secret)
    with pytest.raises(SpecError, match=f"'{key}' holds a literal secret"):
        _base(tmp_path, text)
    token = NEWER_BASE.replace(
        "incidentio_configs: [{url:", "incidentio_configs: [{alert_source_token: s3cr3tt0k3n, url:"
    )
    with pytest.raises(SpecError, match="'alert_source_token' holds a literal secret"):
        _base(tmp_path, token)


def test_pyproject_alertmanager_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "slos.py").write_text(
        "from slo import availability, pagerduty, regex, routing, service, webhook\n"
        "api = service('api', availability('availability', 99.9, 'http_requests_total', "
        "errors={'code': regex('5..')}))\n"
        "r = routing(pagerduty('pd', routing_key_file='/s/pd'), webhook('hook', url_file='/s/hook'), "
        "critical='pd', warning='hook')\n"
    )
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "pyproject.toml").write_text('[tool.slo]\nalertmanager_version = "0.25"\n')
    result = runner.invoke(main, ["generate", "--out", "gen"])
    assert result.exit_code == 1
    assert "receiver 'hook': 'url_file' needs Alertmanager 0.28 or newer" in result.output
    (tmp_path / "pyproject.toml").write_text('[tool.slo]\nalertmanager_version = "0.28.1"\n')
    assert runner.invoke(main, ["generate", "--out", "gen"]).exit_code == 0
    (tmp_path / "pyproject.toml").write_text('[tool.slo]\nalertmanager_version = "new"\n')
    result = runner.invoke(main, ["generate", "--out", "gen"])
    assert result.exit_code == 1
    assert "pyproject.toml: tool.slo.alertmanager_version: must be a version" in result.output


# ---------------------------------------------------------------------------------------------
# Cross-inhibition (opt-in)


def test_cross_inhibition_pairs_slo_pages_with_same_symptom_threshold_criticals(amtool: str, tmp_path: Path) -> None:
    example = load([EXAMPLE / "slos.py"])
    plain = yaml.safe_load(artifacts(example)[am.CONFIG])["inhibit_rules"]
    assert len(plain) == 3  # off by default: page/ticket, missing data, threshold levels
    from dataclasses import replace

    defs = replace(example, routing=replace(example.routing, cross_inhibit=True))
    out = write_files(tmp_path / "out", artifacts(defs))
    assert _failures(out) == []
    rules = yaml.safe_load((out / am.CONFIG).read_text())["inhibit_rules"]
    assert rules[: len(plain)] == plain
    extra = rules[len(plain) :]
    by_target = {r["target_matchers"][0]: r for r in extra}
    # HighErrorRate watches the request counter the error-rate SLO counts; HighResponseTime the latency histogram
    assert set(by_target) == {'alertname="HighErrorRate"', 'alertname="HighResponseTime"'}
    errors = by_target['alertname="HighErrorRate"']
    assert errors["source_matchers"] == [
        'alertname="SLOErrorBudgetBurn"',
        'severity="critical"',
        'service="ai-assistant"',
        'slo="error-rate"',
    ]
    assert errors["target_matchers"][1:] == ['severity="critical"', 'service="ai-assistant"']
    assert by_target['alertname="HighResponseTime"']["source_matchers"][3] == 'slo=~"api-latency|search-latency"'
    # the probe SLO (uptime) and resource alerts (CPU, disk, crash loops) are different symptoms: no pairing
    assert not any("uptime" in str(r) or "HighCPUUsage" in str(r["target_matchers"]) for r in extra)


def test_cross_inhibition_is_opt_in_and_needs_inhibition(tmp_path: Path) -> None:
    assert load([EXAMPLE / "slos.py"]).routing.cross_inhibit is False
    with pytest.raises(DefinitionError, match="cross_inhibit needs inhibit"):
        routing(webhook("w", url="http://x.internal/"), inhibit=False, cross_inhibit=True)
    src = tmp_path / "routing.yaml"
    src.write_text(
        "apiVersion: slo-toolkit/v1\nrouting:\n  receivers:\n    - name: w\n      webhook: {url: 'http://x.internal/'}\n"
        "  cross_inhibit: true\n"
    )
    assert load([src]).routing.cross_inhibit is True
