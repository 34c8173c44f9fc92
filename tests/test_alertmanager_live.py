"""A real Alertmanager with the generated config delivers pages and tickets where the routing says.

The pager and chat receivers are webhooks pointed at a tiny HTTP server on 127.0.0.1 that records every
notification. Alerts are posted through Alertmanager's API (/api/v2/alerts), as Prometheus would, and
the test asserts which receiver got which notification, that a page inhibits the ticket of the same SLO,
that an absent-metric alert inhibits that SLO's burn-rate alerts, and that alerts of two SLOs are never
merged into one notification. Timing is shortened (group_wait 1s) only to keep the test fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from generators.bundle import artifacts
from slo import availability, regex, routing, service, webhook
from slo.loaders import Definitions
from slo.localstack import AlertmanagerServer, WebhookReceiver

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
    routing_ = routing(
        webhook("pager", url=recorder.url("/pager")),
        webhook("chat", url=recorder.url("/chat")),
        critical="pager",
        warning="chat",
        group_wait="1s",
        group_interval="1s",
    )
    defs = Definitions((shop,), (("shop", "test"),), routing_, "test")
    config = tmp_path / "alertmanager.yml"
    config.write_text(artifacts(defs)["alertmanager/alertmanager.yml"])
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
