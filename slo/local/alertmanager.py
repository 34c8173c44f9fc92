"""A local Alertmanager process and a webhook receiver that records the notifications it is sent."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from slo.local.servers import LocalServer, PrometheusError
from slo.tools.toolcheck import alertmanager_binary


@dataclass
class AlertmanagerServer(LocalServer):
    """``alertmanager`` with ``config`` (a file), clustering off, state under ``data_dir``."""

    config: Path = Path("alertmanager.yml")

    kind = "alertmanager"

    def command(self, port: int) -> list[str]:
        return [
            alertmanager_binary(),
            f"--config.file={self.config}",
            f"--storage.path={self.data_dir}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=info",
        ]

    def alerts(self) -> list[dict[str, Any]]:
        """``/api/v2/alerts``: every alert Alertmanager holds, with its status (active, suppressed)."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as resp:
            return list(json.load(resp))

    def post_alerts(self, alerts: Sequence[Mapping[str, Any]]) -> None:
        """Send alerts as Prometheus does (``POST /api/v2/alerts``)."""
        body = json.dumps(list(alerts)).encode()
        req = urllib.request.Request(
            f"{self.url}/api/v2/alerts", data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            if resp.status != 200:
                raise PrometheusError(f"alertmanager refused alerts: HTTP {resp.status}")


@dataclass(frozen=True)
class Notification:
    """One webhook delivery: the path it was posted to, when it arrived, and Alertmanager's payload."""

    path: str
    received: float
    body: Mapping[str, Any]

    @property
    def firing(self) -> bool:
        return self.body.get("status") == "firing"

    @property
    def alerts(self) -> list[Mapping[str, Any]]:
        return list(self.body.get("alerts", []))


class WebhookReceiver:
    """An HTTP endpoint on 127.0.0.1 recording every Alertmanager webhook notification, in order.

    ``replies`` maps a path to the (status, content type, body) answered there, for receivers that
    read the answer: Slack wants ``ok``, PagerDuty a 202 with a JSON status. Other paths get an empty 200.
    """

    def __init__(self, replies: Mapping[str, tuple[int, str, bytes]] | None = None) -> None:
        self.received: list[Notification] = []
        answers = dict(replies or {})
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = {"unparsable": body.decode("utf-8", "replace")}
                with receiver._cond:
                    receiver.received.append(Notification(self.path, time.time(), doc))
                    receiver._cond.notify_all()
                status, content_type, payload = answers.get(self.path, (200, "", b""))
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook", daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def firing(self, path: str | None = None) -> list[Notification]:
        with self._cond:
            return [n for n in self.received if n.firing and (path is None or n.path == path)]

    def wait(self, done: Callable[[list[Notification]], bool], timeout: float) -> list[Notification]:
        """Block until ``done(firing notifications)`` holds or ``timeout`` passes; returns them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = [n for n in self.received if n.firing]
                left = deadline - time.monotonic()
                if done(now) or left <= 0:
                    return now
                self._cond.wait(min(left, 1.0))

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
