"""A grouped SLO's alerts in a real Alertmanager with the generated config.

The decision (README, "Grouped SLOs"): notifications stay grouped by alertname, service and SLO, so
an outage burning ten routes of one SLO is one page listing the ten routes, not ten pages; a page
inhibits only the ticket of its own group (``equal`` holds the grouping labels), and a missing
metric (about the whole metric, no group label) inhibits every group's burn alerts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from slo import availability, regex, service
from slo.local.alertmanager import AlertmanagerServer, WebhookReceiver
from tests.helpers import pager_chat_config

pytestmark = pytest.mark.integration

WAIT = 20.0


@pytest.fixture
def recorder() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rec:
        yield rec


@pytest.fixture
def config_doc(recorder: WebhookReceiver) -> dict[str, Any]:
    shop = service(
        "shop",
        availability(
            "api", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": "api"}, group_by=["route"]
        ),
        availability("web", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": "web"}),
        team="web",
    )
    return dict(yaml.safe_load(pager_chat_config(shop, recorder)))


@pytest.fixture
def alertmanager(alertmanager_bin: str, config_doc: dict[str, Any], tmp_path: Path) -> Iterator[AlertmanagerServer]:
    config = tmp_path / "alertmanager.yml"
    config.write_text(yaml.safe_dump(config_doc), encoding="utf-8")
    with AlertmanagerServer(tmp_path / "data", config=config, ready_timeout=WAIT, max_runtime=300) as server:
        yield server


def _alert(alertname: str, slo: str, severity: str, **extra: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": alertname, "service": "shop", "slo": slo, "team": "web", "severity": severity, **extra},
        "annotations": {"summary": f"shop/{slo}: {alertname} ({severity})"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(hours=1)).isoformat(),
    }


def _burn(slo: str, severity: str, **group: str) -> dict[str, Any]:
    tier = "fast-page" if severity == "critical" else "fast-ticket"
    return _alert("SLOErrorBudgetBurn", slo, severity, tier=tier, **group)


def test_the_generated_inhibition_compares_the_grouping_labels(config_doc: dict[str, Any]) -> None:
    page_ticket, missing, *_ = config_doc["inhibit_rules"]
    assert page_ticket["equal"] == ["service", "slo", "route"]
    assert missing["equal"] == ["service", "slo"]


def test_one_page_per_slo_listing_its_groups_and_inhibition_per_group(
    alertmanager: AlertmanagerServer, recorder: WebhookReceiver
) -> None:
    alertmanager.post_alerts(
        [
            _burn("api", "critical", route="/pay"),
            _burn("api", "critical", route="/cart"),  # the same SLO, another route: the same page
            _burn("api", "warning", route="/pay"),  # inhibited by /pay's page
            _burn("api", "warning", route="/search"),  # no page for /search: a ticket
            _burn("web", "critical"),  # an ungrouped SLO beside it still pages on its own
        ]
    )
    recorder.wait(lambda notes: sum(n.path == "/pager" for n in notes) >= 2, WAIT)
    recorder.wait(lambda notes: sum(n.path == "/chat" for n in notes) >= 1, WAIT)
    time.sleep(3)  # several group intervals: anything inhibited would have been sent by now
    pages = [n.body for n in recorder.firing("/pager")]
    tickets = [n.body for n in recorder.firing("/chat")]
    by_slo = {n["groupLabels"]["slo"]: sorted(a["labels"].get("route", "") for a in n["alerts"]) for n in pages}
    assert by_slo == {"api": ["/cart", "/pay"], "web": [""]}, pages
    assert len(pages) == 2
    assert [sorted(a["labels"]["route"] for a in n["alerts"]) for n in tickets] == [["/search"]], tickets
    states = {
        (a["labels"]["slo"], a["labels"]["severity"], a["labels"].get("route", "")): a["status"]["state"]
        for a in alertmanager.alerts()
    }
    assert states[("api", "warning", "/pay")] == "suppressed"
    assert states[("api", "warning", "/search")] == "active"


def test_a_missing_metric_inhibits_every_groups_burn_alerts(
    alertmanager: AlertmanagerServer, recorder: WebhookReceiver
) -> None:
    alertmanager.post_alerts(
        [
            _alert("SLOMetricAbsent", "api", "critical"),
            _burn("api", "critical", route="/pay"),
            _burn("api", "warning", route="/search"),
        ]
    )
    recorder.wait(lambda notes: any(n.path == "/pager" for n in notes), WAIT)
    time.sleep(3)
    pages = [n.body for n in recorder.firing("/pager")]
    assert [a["labels"]["alertname"] for n in pages for a in n["alerts"]] == ["SLOMetricAbsent"], pages
    assert not recorder.firing("/chat")
