"""Bounded server processes on 127.0.0.1: the shared process handling, and Prometheus with its HTTP API.

Every process runs under ``timeout --kill-after``, so nothing outlives its run.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

import yaml

from slo.local.metrics_text import format_number
from slo.tools.toolcheck import binary


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the server start retries if another process grabs it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrometheusError(RuntimeError):
    """The server did not start, or a query failed."""


@dataclass
class LocalServer:
    """A server binary on 127.0.0.1:<free port>; a context manager that always stops it.

    The process runs under ``timeout --kill-after`` with ``max_runtime``: if the caller dies without
    cleaning up, the server still ends by itself.
    """

    data_dir: Path
    ready_timeout: float = 60.0
    max_runtime: float = 900.0
    port: int = 0
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    kind = "server"
    ready_path = "/-/ready"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.{self.kind}.log"

    def command(self, port: int) -> list[str]:
        """The argv serving on ``port``; written once :meth:`start` has prepared the config."""
        raise NotImplementedError

    def prepare(self) -> None:
        """Write config files before the first start."""

    def start(self) -> Self:
        """Start and wait for ``/-/ready``; retries on another port if the chosen one was taken."""
        timeout_bin = shutil.which("timeout")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.prepare()
        last_error = ""
        for _attempt in range(3):
            self.port = free_port()
            cmd = self.command(self.port)
            if timeout_bin:
                cmd = [timeout_bin, "--kill-after=10", f"{int(self.max_runtime)}", *cmd]
            self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            self._proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                self._wait_ready()
                return self
            except PrometheusError as exc:
                last_error = str(exc)
                self.stop()
                if "address already in use" not in last_error:
                    break
        raise PrometheusError(last_error)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        assert self._proc is not None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise PrometheusError(f"{self.kind} exited with {self._proc.returncode}:\n{self._log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.2)
        raise PrometheusError(f"{self.kind} not ready after {self.ready_timeout:.0f}s:\n{self._log_tail()}")

    def _log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; idempotent."""
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

    def restart(self) -> Self:
        """Stop and start again, e.g. after moving backfilled blocks into the data dir."""
        self.stop()
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


@dataclass
class PrometheusServer(LocalServer):
    """``prometheus`` over ``data_dir`` with the given rule files, scrape targets and Alertmanagers."""

    rule_files: Sequence[Path] = ()
    scrape_configs: Sequence[Mapping[str, Any]] = ()
    evaluation_interval: str = "1m"
    scrape_interval: str = "1m"
    alertmanagers: Sequence[str] = ()
    retention: str = "400d"
    extra_args: Sequence[str] = ()

    kind = "prometheus"

    @property
    def config_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.prometheus.yml"

    def prepare(self) -> None:
        doc: dict[str, Any] = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.evaluation_interval},
            "rule_files": [str(Path(p).resolve()) for p in self.rule_files],
            "scrape_configs": [dict(c) for c in self.scrape_configs],
        }
        if self.alertmanagers:
            targets = [u.split("://", 1)[-1] for u in self.alertmanagers]
            doc["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": targets}]}]}
        self.config_path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    def command(self, port: int) -> list[str]:
        return [
            binary("prometheus"),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            *self.extra_args,
        ]

    # -- HTTP API ---------------------------------------------------------------------------

    def _api(self, path: str, params: Mapping[str, str], timeout: float = 60) -> Any:
        body = urllib.parse.urlencode(params).encode()
        req = urllib.request.Request(f"{self.url}{path}", data=body, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                doc = json.load(resp)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise PrometheusError(f"{path} {dict(params)}: HTTP {exc.code}: {detail}") from None
        if doc.get("status") != "success":
            raise PrometheusError(f"{path} {dict(params)}: {doc}")
        return doc["data"]

    def query(self, expr: str, at: float) -> list[tuple[dict[str, str], float]]:
        """Instant query at an explicit time: ``[(labels, value)]`` (value may be NaN)."""
        data = self._api("/api/v1/query", {"query": expr, "time": format_number(at)})
        if data["resultType"] == "scalar":
            return [({}, float(data["result"][1]))]
        if data["resultType"] != "vector":
            raise PrometheusError(f"expected a vector from {expr!r}, got {data['resultType']}")
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def query_value(self, expr: str, at: float) -> float | None:
        """The single value of ``expr`` at ``at``; ``None`` when there is no sample."""
        result = self.query(expr, at)
        if len(result) > 1:
            raise PrometheusError(f"{expr!r} returned {len(result)} series, expected at most one")
        return result[0][1] if result else None

    def query_range(
        self, expr: str, start: float, end: float, step: float
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """Range query: ``[(labels, [(t, value), ...])]``."""
        params = {"query": expr, "start": format_number(start), "end": format_number(end), "step": format_number(step)}
        data = self._api("/api/v1/query_range", params)
        return [(r["metric"], [(float(t), float(v)) for t, v in r["values"]]) for r in data["result"]]

    def metrics(self) -> str:
        """Prometheus' own ``/metrics`` text."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=30) as resp:
            return resp.read().decode("utf-8")


def parse_metric_lines(text: str, name: str) -> Iterator[tuple[dict[str, str], float]]:
    """Samples of ``name`` in Prometheus text exposition (enough for Prometheus' own /metrics)."""
    pattern = re.compile(r"^" + re.escape(name) + r"(?:\{(.*)\})? (\S+)")
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            labels = {k: v.replace('\\"', '"').replace("\\\\", "\\") for k, v in label_re.findall(m.group(1) or "")}
            yield labels, float(m.group(2))
