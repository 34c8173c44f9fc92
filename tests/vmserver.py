"""A real VictoriaMetrics (Debian package ``victoria-metrics``) on a free 127.0.0.1 port, for tests.

Data go in through the Prometheus text import API (``/api/v1/import/prometheus``, timestamps in
milliseconds); ``/internal/force_flush`` makes them searchable at once.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

from tests.conftest import require
from tests.promserver import Series, format_number, free_port, render_labels


class VictoriaMetricsError(RuntimeError):
    """The server did not start or refused an import."""


@dataclass
class VictoriaMetrics:
    """``victoria-metrics`` over ``data_dir``; a context manager that always stops it."""

    data_dir: Path
    retention: str = "100y"
    ready_timeout: float = 60.0
    max_runtime: float = 900.0
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VictoriaMetrics:
        binary = require("victoria-metrics")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cmd = [
            binary,
            f"-storageDataPath={self.data_dir}",
            f"-retentionPeriod={self.retention}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-search.disableCache",
            "-loggerLevel=ERROR",
        ]
        timeout_bin = shutil.which("timeout")
        if timeout_bin:
            cmd = [timeout_bin, "--kill-after=10", str(int(self.max_runtime)), *cmd]
        self._log = open(self.data_dir.parent / "victoria-metrics.log", "ab")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise VictoriaMetricsError(f"victoria-metrics exited with {self._proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise VictoriaMetricsError(f"victoria-metrics not ready after {self.ready_timeout:.0f}s")

    def stop(self, grace: float = 20.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> VictoriaMetrics:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

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
