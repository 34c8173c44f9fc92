"""End to end: an outage on a synthetic exporter pages through real Prometheus and Alertmanager.

The machinery of ``slo demo``: the bundled example's generated rule files (unmodified, their own
30s/1m intervals) in a real Prometheus scraping a synthetic exporter every 15s on 127.0.0.1, over 26h
of backfilled healthy history (raw series and the base recording rules), the generated Alertmanager
routing in a real Alertmanager with every receiver pointed at a local webhook. A total outage must
reach the pager receiver as a page of the 99.9% SLO's fast tier; no ticket may notify (the page
inhibits it); the measured time to detect is recorded (the seeds' KPI is under 2 minutes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slo import demo
from slo.loaders import load
from tests.conftest import DATA, EXAMPLE, require


@pytest.mark.integration
def test_outage_pages_the_pager_receiver_and_not_the_ticket_channel(
    tmp_path: Path, record_property: pytest.RecordProperty
) -> None:
    for name in ("prometheus", "promtool"):
        require(name)
    defs = load([EXAMPLE / "slos.py"])
    assert defs.routing is not None, "the example defines routing"
    lines: list[str] = []
    result = demo.run(defs, deadline=240, keep=tmp_path / "run", say=lines.append)
    text = demo.summary(result)
    print(text)
    record_property("time_to_detect_seconds", result.time_to_detect)

    assert result.detected, "no page arrived:\n" + "\n".join(lines) + "\n" + text
    first = min(result.pages, key=lambda p: p.seconds_after_outage)
    assert first.receiver == "pagerduty"
    assert first.severity == "critical"
    assert ("uptime", "SLOErrorBudgetBurn", "fast-page") in first.alerts
    assert all(p.receiver == "pagerduty" for p in result.pages)
    assert not result.tickets, f"tickets notified besides the page: {result.tickets}"
    assert not [line for line in lines if "before the outage" in line], lines
    # Not instantaneous: the 1h window must first hold 14.4 x 0.1% of failed probes (~4 of 240 samples).
    assert first.seconds_after_outage > 30
    # The month-to-date report ran against the same Prometheus and saw the outage.
    assert result.report is not None and "uptime" in result.report


def test_a_relabelled_page_is_still_a_page() -> None:
    # Sloth specs relabel severity (here 'pageteam' / 'slack'); the demo judges pages by the tier.
    (svc,) = load([DATA / "sloth" / "myservice.yaml"]).services
    page = {"slo": "requests-availability", "tier": "fast-page", "severity": "pageteam"}
    ticket = {"slo": "requests-availability", "tier": "slow-ticket", "severity": "slack"}
    assert demo.is_page(svc, page)
    assert not demo.is_page(svc, ticket)
    assert demo.is_page(svc, {"alertname": "HighErrorRate", "severity": "critical"})
    assert not demo.is_page(svc, {"alertname": "HighErrorRate", "severity": "warning"})
