"""A real Alertmanager with the generated config delivers pages and tickets where the routing says.

The pager and chat receivers are webhooks pointed at a tiny HTTP server on 127.0.0.1 that records every
notification. Alerts are posted through Alertmanager's API (/api/v2/alerts), as Prometheus would, and
the test asserts which receiver got which notification, that a page inhibits the ticket of the same SLO,
that an absent-metric alert inhibits that SLO's burn-rate alerts, and that alerts of two SLOs are never
merged into one notification. Timing is shortened (group_wait 1s) only to keep the test fast.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from generators.bundle import artifacts
from slo import availability, regex, routing, service
from slo.loaders import Definitions
from slo.local.alertmanager import AlertmanagerServer, WebhookReceiver
from tests.helpers import pager_chat_config

WAIT = 20.0  # seconds: upper bound for anything to happen


@pytest.fixture
def recorder() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rec:
        yield rec


@pytest.fixture
def alertmanager(alertmanager_bin: str, recorder: WebhookReceiver, tmp_path: Path) -> Iterator[AlertmanagerServer]:
    """Alertmanager on a free 127.0.0.1 port with the generated config; always terminated."""
    shop = service(
        "shop",
        *(
            availability(name, 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": name})
            for name in ("checkout", "search", "login", "cart")
        ),
        team="web",
    )
    config = tmp_path / "alertmanager.yml"
    config.write_text(pager_chat_config(shop, recorder))
    with AlertmanagerServer(tmp_path / "data", config=config, ready_timeout=WAIT, max_runtime=300) as server:
        yield server


def _alert(alertname: str, slo: str, severity: str, **extra: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {
            "alertname": alertname,
            "service": "shop",
            "slo": slo,
            "team": "web",
            "severity": severity,
            **extra,
        },
        "annotations": {"summary": f"shop/{slo}: {alertname} ({severity})"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


def _page(slo: str) -> dict[str, Any]:
    return _alert("SLOErrorBudgetBurn", slo, "critical", tier="fast-page", long_window="1h", short_window="5m")


def _ticket(slo: str) -> dict[str, Any]:
    return _alert("SLOErrorBudgetBurn", slo, "warning", tier="fast-ticket", long_window="1d", short_window="2h")


def _slos(notifications: list[dict[str, Any]]) -> list[list[str]]:
    """The SLOs of each notification's alerts, one list per notification."""
    return sorted(sorted(a["labels"]["slo"] for a in n["alerts"]) for n in notifications)


@pytest.mark.integration
def test_pages_tickets_and_inhibition_in_a_real_alertmanager(
    alertmanager: AlertmanagerServer, recorder: WebhookReceiver
) -> None:
    # The page and the ticket of checkout arrive together, as they do when an outage trips both tiers.
    alertmanager.post_alerts(
        [
            _page("checkout"),
            _ticket("checkout"),
            _page("search"),  # a second SLO paging at the same time: its own notification
            _ticket("login"),  # a ticket alone goes to chat
            _alert("SLOMetricAbsent", "cart", "warning"),  # no data for cart ...
            _page("cart"),  # ... so its burn-rate page is not trusted
        ],
    )
    recorder.wait(lambda notes: sum(n.path == "/pager" for n in notes) >= 2, WAIT)
    recorder.wait(lambda notes: sum(n.path == "/chat" for n in notes) >= 2, WAIT)
    time.sleep(3)  # several group intervals: anything inhibited would have been sent by now
    pages = [n.body for n in recorder.firing("/pager")]
    tickets = [n.body for n in recorder.firing("/chat")]

    assert {n["receiver"] for n in pages} == {"pager"}
    assert {n["receiver"] for n in tickets} == {"chat"}
    # two SLOs paging at once: two notifications of one alert each, never one merged notification
    assert _slos(pages) == [["checkout"], ["search"]], pages
    assert all(len(n["alerts"]) == 1 for n in pages + tickets)
    assert all(n["groupLabels"]["slo"] == n["alerts"][0]["labels"]["slo"] for n in pages + tickets)
    assert all(n["alerts"][0]["labels"]["severity"] == "critical" for n in pages)
    # checkout's ticket is inhibited by its page; cart's page by its absent-metric alert
    assert sorted((n["alerts"][0]["labels"]["slo"], n["alerts"][0]["labels"]["alertname"]) for n in tickets) == [
        ("cart", "SLOMetricAbsent"),
        ("login", "SLOErrorBudgetBurn"),
    ]

    # Alertmanager's own view agrees: exactly those two alerts are suppressed, by inhibition.
    states = {
        (a["labels"]["slo"], a["labels"]["severity"], a["labels"]["alertname"]): a["status"]
        for a in alertmanager.alerts()
    }
    suppressed = {key for key, s in states.items() if s["state"] == "suppressed"}
    assert suppressed == {("checkout", "warning", "SLOErrorBudgetBurn"), ("cart", "critical", "SLOErrorBudgetBurn")}
    assert all(states[key]["inhibitedBy"] for key in suppressed)
    assert all(not s["silencedBy"] for s in states.values())


# ---------------------------------------------------------------------------------------------
# Slack- and PagerDuty-shaped receivers, a merged base with a foreign team, cross-inhibition

RUNBOOK = "https://runbooks.example.com/shop"
DASHBOARD = "https://grafana.example.com/d/slo-shop"
BASE = """\
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  routes:
    - matchers: ['team="payments"']
      receiver: payments-pager
receivers:
  - name: ops
    webhook_configs: [{url: "%(ops)s"}]
  - name: payments-pager
    webhook_configs: [{url: "%(payments)s"}]
"""


# Answers as Slack (text ``ok``) and PagerDuty (202, JSON status) do; current Alertmanagers check both.
REPLIES = {
    "/slack": (200, "text/plain", b"ok"),
    "/pagerduty": (202, "application/json", b'{"status":"success","message":"Event processed"}'),
}


def _shop() -> Any:
    from slo import rate_ratio, selector, threshold

    api = {"job": "shop"}
    return service(
        "shop",
        availability("checkout", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels=api),
        availability("search", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels=api),
        team="web",
        runbook_url=RUNBOOK,
        dashboard_url=DASHBOARD,
        alerts=[
            threshold(
                "HighErrorRate",
                rate_ratio(
                    selector("http_requests_total", {**api, "code": regex("5..")}),
                    selector("http_requests_total", api),
                ),
                warning="2%",
                critical="5%",
                summary="High error rate detected",
            )
        ],
    )


@pytest.fixture(scope="module")
def shaped_alertmanager(
    backend: Any, alertmanager_bin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AlertmanagerServer, Definitions, WebhookReceiver]]:
    """Generated routing (Slack + PagerDuty, cross-inhibition on) merged into a base with a payments route;
    one Alertmanager and one receiver per backend (a module fixture is set up before the per-test backend
    switch, so the backend's binaries are selected here)."""
    import os

    from generators.alertmanager import read_base
    from slo import pagerduty, slack

    if backend.tool_path is None:
        os.environ.pop("SLO_TOOL_PATH", None)
    else:
        os.environ["SLO_TOOL_PATH"] = backend.tool_path
    stack = contextlib.ExitStack()
    shaped = stack.enter_context(WebhookReceiver(REPLIES))
    tmp = tmp_path_factory.mktemp("shaped")
    (tmp / "slack-url").write_text(shaped.url("/slack"))
    (tmp / "pd-key").write_text("0123456789abcdef0123456789abcdef")
    base = tmp / "base.yml"
    base.write_text(BASE % {"ops": shaped.url("/ops"), "payments": shaped.url("/payments")})
    routing_ = routing(
        pagerduty("pager", routing_key_file=str(tmp / "pd-key"), url=shaped.url("/pagerduty")),
        slack("chat", api_url_file=str(tmp / "slack-url"), channel="#shop"),
        group_wait="1s",
        group_interval="1s",
        cross_inhibit=True,
    )
    shop = _shop()
    defs = Definitions((shop,), (("shop", "test"),), routing_, "test")
    out = tmp / "out"
    for rel, text in artifacts(defs, read_base(base)).items():
        if rel.startswith("alertmanager/"):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text(text)
    config = out / "alertmanager" / "alertmanager.yml"
    with stack, AlertmanagerServer(tmp / "data", config=config, ready_timeout=WAIT, max_runtime=300) as server:
        yield server, defs, shaped


def _rule_alert(defs: Definitions, alertname: str, severity: str, slo: str | None, resolved: bool = False) -> dict:
    """An alert as Prometheus sends it for a generated rule: the rule's labels and annotations."""
    from generators import prometheus_rules, threshold_rules

    shop = defs.services[0]
    docs = [prometheus_rules.rule_file(shop), threshold_rules.rule_file(shop)]
    rule = next(
        r
        for doc in docs
        for g in doc["groups"]
        for r in g["rules"]
        if r.get("alert") == alertname and r["labels"]["severity"] == severity and r["labels"].get("slo") == slo
    )
    now = datetime.now(UTC)
    annotations = dict(rule["annotations"])
    # Prometheus renders the templated description; the test sends a rendered one.
    annotations["description"] = f"{slo or alertname}: burning at 15.2x over the last 1h. Error budget remaining: 87%."
    return {
        "labels": {"alertname": alertname, **rule["labels"]},
        "annotations": annotations,
        "startsAt": (now - timedelta(minutes=5)).isoformat(),
        "endsAt": (now if resolved else now + timedelta(hours=1)).isoformat(),
    }


def _bodies(rec: WebhookReceiver, path: str) -> list[dict[str, Any]]:
    with rec._cond:
        return [dict(n.body) for n in rec.received if n.path == path]


@pytest.mark.integration
def test_slack_and_pagerduty_get_summary_runbook_dashboard_and_resolve(
    shaped_alertmanager: tuple[AlertmanagerServer, Definitions, WebhookReceiver],
) -> None:
    server, defs, shaped = shaped_alertmanager
    page = _rule_alert(defs, "SLOErrorBudgetBurn", "critical", "checkout")
    ticket = _rule_alert(defs, "SLOErrorBudgetBurn", "warning", "search")
    symptom = _rule_alert(defs, "HighErrorRate", "critical", None)  # same incident, same metric as checkout
    foreign = {
        "labels": {"alertname": "SLOErrorBudgetBurn", "severity": "critical", "team": "payments", "service": "billing"},
        "annotations": {"summary": "billing is burning"},
    }
    # The page first, as in an incident (the threshold alert waits out its `for:`): Alertmanager flushes a
    # group of an alert that started long ago at once, so the inhibiting page must already be known.
    server.post_alerts([page])
    shaped.wait(lambda _: bool(_bodies(shaped, "/pagerduty")), WAIT)
    server.post_alerts([ticket, symptom, foreign])
    shaped.wait(lambda _: bool(_bodies(shaped, "/slack")), WAIT)
    shaped.wait(lambda _: bool(_bodies(shaped, "/payments")), WAIT)
    time.sleep(3)  # several group intervals: an inhibited or misrouted alert would have arrived by now

    # PagerDuty: one trigger event, for the page; the threshold critical of the same symptom is inhibited
    events = _bodies(shaped, "/pagerduty")
    assert [e["event_action"] for e in events] == ["trigger"], events
    event = events[0]
    summary = page["annotations"]["summary"]
    assert summary in event["payload"]["summary"]
    assert {link["href"] for link in event["links"]} == {RUNBOOK, DASHBOARD}
    details = event["payload"]["custom_details"]
    assert page["annotations"]["description"] in details["firing"]
    assert "tier: fast-page" in details["firing"] and "windows: 1h and 5m" in details["firing"]
    assert (details["service"], details["slo"], details["runbook_url"]) == ("shop", "checkout", RUNBOOK)
    states = {a["labels"]["alertname"]: a["status"] for a in server.alerts() if a["labels"].get("service") == "shop"}
    assert states["HighErrorRate"]["state"] == "suppressed" and states["HighErrorRate"]["inhibitedBy"]

    # Slack: the ticket with its summary, description, runbook and dashboard links
    messages = _bodies(shaped, "/slack")
    assert len(messages) == 1, messages
    attachment = messages[0]["attachments"][0]
    assert messages[0]["channel"] == "#shop"
    assert attachment["title"].startswith("[FIRING:1] ") and ticket["annotations"]["summary"] in attachment["title"]
    text = attachment["text"]
    for expected in (
        ticket["annotations"]["summary"],
        ticket["annotations"]["description"],
        f"<{RUNBOOK}|Runbook>",
        f"<{DASHBOARD}|Dashboard>",
        "SLO: search",
        "tier: fast-ticket",
    ):
        assert expected in text, (expected, text)

    # the payments team's alert of the same name stays on the base's payments route
    assert [n["alerts"][0]["labels"]["service"] for n in _bodies(shaped, "/payments")] == ["billing"]
    assert not _bodies(shaped, "/ops")

    # resolved (the incident is over, the threshold alert too): the ticket (send_resolved is true for
    # chat) and the page say so
    server.post_alerts(
        [
            _rule_alert(defs, "SLOErrorBudgetBurn", "critical", "checkout", resolved=True),
            _rule_alert(defs, "SLOErrorBudgetBurn", "warning", "search", resolved=True),
            _rule_alert(defs, "HighErrorRate", "critical", None, resolved=True),
        ]
    )

    def page_resolved() -> list[dict[str, Any]]:
        return [
            e
            for e in _bodies(shaped, "/pagerduty")
            if e["event_action"] == "resolve" and e["dedup_key"] == event["dedup_key"]
        ]

    shaped.wait(lambda _: len(_bodies(shaped, "/slack")) >= 2 and bool(page_resolved()), WAIT)
    assert page_resolved(), _bodies(shaped, "/pagerduty")
    assert [e["event_action"] for e in _bodies(shaped, "/pagerduty")].count("trigger") == 1
    resolved = _bodies(shaped, "/slack")[1]["attachments"][0]
    assert resolved["title"].startswith("[RESOLVED] "), resolved
    assert "*RESOLVED*" in resolved["text"] and ticket["annotations"]["summary"] in resolved["text"]
