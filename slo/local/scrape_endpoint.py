"""A live scrape target on 127.0.0.1 serving Prometheus text exposition (for tests/test_grafana_queries.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class MetricsEndpoint:
    """``/metrics`` on 127.0.0.1:<free port>, answering each scrape with ``render()`` (text exposition).

    Backfilled history ends when the blocks are written; a Prometheus scraping this endpoint continues
    the same series live, so rules evaluated at wall-clock time see fresh raw samples.
    """

    def __init__(self, render: Callable[[], str]) -> None:
        self._render = render
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def target(self) -> str:
        if self._server is None:
            raise RuntimeError("the endpoint is not started")
        return f"127.0.0.1:{self._server.server_address[1]}"

    def scrape_config(self, job_name: str = "synthetic", interval: str = "5s") -> dict[str, Any]:
        """A scrape config for :class:`PrometheusServer`; the exposed ``job``/``instance`` labels win."""
        return {
            "job_name": job_name,
            "scrape_interval": interval,
            "scrape_timeout": interval,
            "honor_labels": True,
            "static_configs": [{"targets": [self.target]}],
        }

    def start(self) -> MetricsEndpoint:
        render = self._render

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = render().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve = self._server.serve_forever
        self._thread = threading.Thread(target=serve, name="metrics-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> MetricsEndpoint:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
