"""Rendering many services in worker processes gives the same bytes as rendering them in turn."""

from __future__ import annotations

from typing import Any

import pytest

from generators import bundle
from slo import availability, error_rate, latency, pagerduty, regex, routing, service, slack, uptime
from slo.loaders import Definitions


def _definitions(count: int) -> Definitions:
    services = tuple(
        service(
            f"svc-{i}",
            availability(
                "availability", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"i": str(i)}
            ),
            latency("latency", 95, "http_request_duration_seconds", under="200ms", labels={"i": str(i)}),
            error_rate("errors", 99, "http_requests_total", errors={"code": "500"}, below="0.1%", labels={"i": str(i)}),
            uptime("uptime", 99.5, "probe_success", labels={"i": str(i)}),
            team=f"team-{i % 3}",
        )
        for i in range(count)
    )
    route = routing(
        pagerduty("pager", routing_key_file="/etc/am/pd"), slack("chat", api_url_file="/etc/am/slack", channel="#x")
    )
    return Definitions(services, tuple((s.name, "test.py") for s in services), route, "test.py")


def test_parallel_rendering_matches_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    defs = _definitions(bundle.PARALLEL_FROM + 4)
    pools: list[int] = []

    class CountingPool(bundle.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pools.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(bundle, "ProcessPoolExecutor", CountingPool)
    # Other tests may leave daemon threads behind; the pool is only used in a single-threaded process.
    monkeypatch.setattr(bundle.threading, "active_count", lambda: 1)
    monkeypatch.setattr(bundle.os, "cpu_count", lambda: 2)
    parallel = bundle.artifacts(defs, grafana_url="https://grafana.test")
    assert pools == [1], "the worker pool was not used"
    monkeypatch.setattr(bundle, "PARALLEL_FROM", 10**9)
    serial = bundle.artifacts(defs, grafana_url="https://grafana.test")
    assert list(parallel) == list(serial)
    assert parallel == serial
    # per service: rules, unit tests, PrometheusRule, dashboard; then the Alertmanager config, route tests and
    # notification templates, overview, provisioning
    assert len(parallel) == 4 * len(defs.services) + 5
    # with a Grafana URL, alerts link to the service's generated dashboard
    assert "dashboard_url: https://grafana.test/d/slo-svc-3" in parallel["rules/svc-3.rules.yml"]
