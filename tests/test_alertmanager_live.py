"""A real Alertmanager with the generated config delivers pages and tickets where the routing says.

The pager and chat receivers are webhooks pointed at a tiny HTTP server on 127.0.0.1 that records every
notification. Alerts are posted through Alertmanager's API (/api/v2/alerts), as Prometheus would, and
the test asserts which receiver got which notification, that a page inhibits the ticket of the same SLO,
that an absent-metric alert inhibits that SLO's burn-rate alerts, and that alerts of two SLOs are never
merged into one notification. Timing is shortened (group_wait 1s) only to keep the test fast.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generators.bundle import artifacts
from slo import availability, regex, routing, service, webhook
from slo.loaders import Definitions

WAIT = 20.0  # seconds: upper bound for anything to happen


class Recorder:
    """A webhook endpoint: every POST body, by path, in arrival order."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.cond = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with recorder.cond:
                    recorder.received.append((self.path, json.loads(body)))
                    recorder.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def firing(self, path: str) -> list[dict[str, Any]]:
        with self.cond:
            return [body for p, body in self.received if p == path and body.get("status") == "firing"]

    def wait_for(self, path: str, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.firing_unlocked(path)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return self.firing_unlocked(path)

    def firing_unlocked(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.received if p == path and body.get("status") == "firing"]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    rec.thread.start()
    try:
        yield rec
    finally:
        rec.server.shutdown()
        rec.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read()
    except OSError:
        return 0, b""


def _post(url: str, payload: Any) -> None:
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert resp.status == 200


@pytest.fixture
def alertmanager(alertmanager_bin: str, recorder: Recorder, tmp_path: Path) -> Iterator[str]:
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
    port = _free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    proc = subprocess.Popen(
        [
            alertmanager_bin,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while _get(f"{base}/-/ready")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"alertmanager did not start:\n{(tmp_path / 'alertmanager.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


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
def test_pages_tickets_and_inhibition_in_a_real_alertmanager(alertmanager: str, recorder: Recorder) -> None:
    # The page and the ticket of checkout arrive together, as they do when an outage trips both tiers.
    _post(
        f"{alertmanager}/api/v2/alerts",
        [
            _page("checkout"),
            _ticket("checkout"),
            _page("search"),  # a second SLO paging at the same time: its own notification
            _ticket("login"),  # a ticket alone goes to chat
            _alert("SLOMetricAbsent", "cart", "warning"),  # no data for cart ...
            _page("cart"),  # ... so its burn-rate page is not trusted
        ],
    )
    pages = recorder.wait_for("/pager", 2)
    tickets = recorder.wait_for("/chat", 2)
    time.sleep(3)  # several group intervals: anything inhibited would have been sent by now
    pages, tickets = recorder.firing("/pager"), recorder.firing("/chat")

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
    status, body = _get(f"{alertmanager}/api/v2/alerts")
    assert status == 200
    states = {
        (a["labels"]["slo"], a["labels"]["severity"], a["labels"]["alertname"]): a["status"] for a in json.loads(body)
    }
    suppressed = {key for key, s in states.items() if s["state"] == "suppressed"}
    assert suppressed == {("checkout", "warning", "SLOErrorBudgetBurn"), ("cart", "critical", "SLOErrorBudgetBurn")}
    assert all(states[key]["inhibitedBy"] for key in suppressed)
    assert all(not s["silencedBy"] for s in states.values())
