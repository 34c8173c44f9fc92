"""A real VictoriaMetrics (Debian package ``victoria-metrics``) on a free 127.0.0.1 port, for tests.

Data go in through the Prometheus text import API (``/api/v1/import/prometheus``, timestamps in
milliseconds); ``/internal/force_flush`` makes them searchable at once.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from slo.local.metrics_text import Series, format_number, render_labels
from slo.local.servers import LocalServer, PrometheusError
from tests.conftest import require

VictoriaMetricsError = PrometheusError


@dataclass
class VictoriaMetrics(LocalServer):
    """``victoria-metrics`` over ``data_dir``; a context manager that always stops it."""

    retention: str = "100y"

    kind = "victoria-metrics"
    ready_path = "/health"

    def command(self, port: int) -> list[str]:
        return [
            require("victoria-metrics"),
            f"-storageDataPath={self.data_dir}",
            f"-retentionPeriod={self.retention}",
            f"-httpListenAddr=127.0.0.1:{port}",
            "-search.disableCache",
            "-loggerLevel=ERROR",
        ]

    def _post(self, path: str, body: bytes) -> None:
        req = urllib.request.Request(f"{self.url}{path}", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            raise VictoriaMetricsError(f"{path}: HTTP {exc.code}: {exc.read()[:500]!r}") from None

    def import_series(self, series: Iterable[Series], batch_lines: int = 200_000) -> int:
        """Import through ``/api/v1/import/prometheus`` (ms timestamps), then flush; returns samples sent."""
        sent = 0
        lines: list[str] = []
        for s in series:
            prefix = s.name + render_labels(s.labels) + " "
            for t, v in s.samples:
                lines.append(f"{prefix}{format_number(v)} {round(t * 1000)}\n")
                if len(lines) >= batch_lines:
                    self._post("/api/v1/import/prometheus", "".join(lines).encode())
                    sent += len(lines)
                    lines = []
        if lines:
            self._post("/api/v1/import/prometheus", "".join(lines).encode())
            sent += len(lines)
        self.flush()
        return sent

    def flush(self) -> None:
        with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=60) as resp:
            resp.read()
