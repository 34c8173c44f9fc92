"""Local Prometheus and Alertmanager processes for `slo demo`, tests and benchmarks.

Synthetic history, backfill, bounded servers on 127.0.0.1, queries, a scrape endpoint and a webhook
receiver. Every process runs under ``timeout --kill-after``, so nothing outlives its run.

Unit tests with ``promtool test rules`` cannot show what a 30-day window over a month of recorded
series really returns, nor what it costs. This harness writes synthetic series as OpenMetrics,
turns them into TSDB blocks with ``promtool tsdb create-blocks-from openmetrics``, backfills
recording rules with ``promtool tsdb create-blocks-from rules`` and runs ``prometheus`` on a free
127.0.0.1 port, so queries can be evaluated at explicit instants in that history.

OpenMetrics as ``promtool`` (2.42) reads it, checked by hand:

* the text must end with ``# EOF`` (else: "data does not end with # EOF");
* every sample needs a timestamp, in seconds (fractions allowed);
* samples of one series must be in increasing time order: an older sample after a newer one is
  dropped silently, so :class:`OpenMetricsWriter` refuses it instead;
* a counter family ``x`` carries samples named ``x_total``; 2.42 does not enforce this, but the
  OpenMetrics spec does and newer parsers may, so the writer requires it.
* families may not be reopened once another family started (spec; the writer enforces it).

Recording rules that read other rules' output cannot be backfilled in one pass (promtool evaluates
each rule against the server's current data): backfill the first level, move the blocks in with
:func:`move_blocks`, restart, and evaluate the second level through :meth:`PrometheusServer.query`.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

import yaml

from slo.toolcheck import alertmanager_binary, binary

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
Kind = Literal["counter", "gauge"]


# ---------------------------------------------------------------------------------------------
# OpenMetrics


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_labels(labels: Mapping[str, str]) -> str:
    """``{a="1",b="2"}`` with OpenMetrics escaping, or ``""`` for no labels; sorted for stable output."""
    for name in labels:
        if not LABEL_NAME.match(name) or name.startswith("__"):
            raise ValueError(f"invalid label name {name!r}")
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"


def format_number(value: float) -> str:
    """Integers without a fraction, other floats exactly (``repr`` round-trips in Go's ParseFloat)."""
    if type(value) is int:
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class OpenMetricsWriter:
    """Streams OpenMetrics text family by family; refuses what promtool would drop or misread."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._family: str | None = None
        self._kind: Kind | None = None
        self._done: set[str] = set()
        self._last_ts: dict[str, float] = {}
        self.samples = 0

    def family(self, name: str, kind: Kind, help_text: str | None = None) -> None:
        """Open a metric family; for a counter ``name`` is the family, samples are ``name_total``."""
        if not METRIC_NAME.match(name):
            raise ValueError(f"invalid metric family name {name!r}")
        if kind == "counter" and name.endswith("_total"):
            raise ValueError(f"counter family {name!r}: give the name without _total (samples get it)")
        if name in self._done or name == self._family:
            raise ValueError(f"family {name!r} was already written: OpenMetrics families must be contiguous")
        if self._family is not None:
            self._done.add(self._family)
        self._family, self._kind = name, kind
        self._last_ts = {}
        if help_text:
            self._out.write(f"# HELP {name} {_escape(help_text)}\n")
        self._out.write(f"# TYPE {name} {kind}\n")

    def series(self, labels: Mapping[str, str], samples: Iterable[tuple[float, float]]) -> None:
        """All samples of one series of the open family, strictly increasing in time."""
        if self._family is None or self._kind is None:
            raise ValueError("open a family first")
        name = self._family + ("_total" if self._kind == "counter" else "")
        prefix = name + render_labels(labels) + " "
        key = prefix
        last = self._last_ts.get(key, -math.inf)
        lines = []
        for ts, value in samples:
            if ts <= last:
                raise ValueError(f"{prefix.strip()}: timestamp {ts} not after {last} (promtool drops it)")
            if self._kind == "counter" and (value < 0 or math.isnan(value)):
                raise ValueError(f"{prefix.strip()}: counter value {value} must be a non-negative number")
            last = ts
            lines.append(f"{prefix}{format_number(value)} {format_number(ts)}\n")
        self._last_ts[key] = last
        self.samples += len(lines)
        self._out.write("".join(lines))

    def close(self) -> None:
        """Write the mandatory ``# EOF``."""
        self._out.write("# EOF\n")


@dataclass(frozen=True)
class Series:
    """One synthetic series: ``name`` is the sample name (``x_total`` for counters)."""

    name: str
    labels: Mapping[str, str]
    samples: Sequence[tuple[float, float]]
    kind: Kind = "counter"

    @property
    def family(self) -> str:
        if self.kind == "counter":
            if not self.name.endswith("_total"):
                raise ValueError(f"counter {self.name!r} must end with _total (OpenMetrics)")
            return self.name[: -len("_total")]
        return self.name


def write_openmetrics(series: Iterable[Series], path: Path) -> int:
    """Write ``series`` grouped by family; returns the number of samples written."""
    by_family: dict[tuple[str, Kind], list[Series]] = {}
    for s in series:
        by_family.setdefault((s.family, s.kind), []).append(s)
    names = [f for f, _ in by_family]
    if len(set(names)) != len(names):
        raise ValueError("a family is used both as counter and gauge")
    with open(path, "w", encoding="utf-8") as out:
        writer = OpenMetricsWriter(out)
        for (fam, kind), members in by_family.items():
            writer.family(fam, kind)
            for s in members:
                writer.series(s.labels, s.samples)
        writer.close()
    return writer.samples


# ---------------------------------------------------------------------------------------------
# Backfill


def _run(cmd: list[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}{proc.stdout[-2000:]}")
    return proc


def backfill_openmetrics(path: Path, data_dir: Path, *, max_block: str = "744h", timeout: float = 600) -> None:
    """Turn an OpenMetrics file into blocks in ``data_dir``.

    ``max_block`` (a hidden promtool flag; Go durations, so hours) widens blocks beyond the default
    2h: promtool re-parses the whole file once per block, so 32 days in 2h blocks take 10x longer.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", "--quiet"]
    cmd += [f"--max-block-duration={max_block}", str(path), str(data_dir)]
    _run(cmd, timeout)


def backfill_rules(
    rule_file: Path,
    out_dir: Path,
    url: str,
    start: float,
    end: float,
    *,
    eval_interval: str = "60s",
    max_block: str = "54h",
    timeout: float = 600,
) -> list[Path]:
    """Evaluate ``rule_file``'s recording rules over [start, end] against ``url``; blocks go to ``out_dir``.

    Groups keep their own ``interval``; ``eval_interval`` only applies to groups without one. Only
    rules over raw series give right answers: a rule reading another rule's output sees none.
    promtool runs one range query per rule and block, and Prometheus refuses more than 11,000
    points per series: ``max_block`` / interval must stay below that (54h at 30s is 6,480).

    promtool is given the file's bare name from its own directory: a group's evaluation instants are
    offset by a hash of its file name and group name, so a temporary directory's random path would move
    the evaluation grid from run to run.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [binary("promtool"), "tsdb", "create-blocks-from", "rules", "--quiet"]
    cmd += [f"--url={url}", f"--start={int(start)}", f"--end={int(end)}", f"--eval-interval={eval_interval}"]
    cmd += [f"--max-block-duration={max_block}", f"--output-dir={out_dir.resolve()}", rule_file.name]
    _run(cmd, timeout, cwd=rule_file.resolve().parent)
    return blocks_in(out_dir)


def blocks_in(directory: Path) -> list[Path]:
    """Block directories (those with a ``meta.json``) in ``directory``."""
    return sorted(p for p in directory.iterdir() if (p / "meta.json").is_file())


def move_blocks(src: Path, data_dir: Path) -> int:
    """Move backfilled blocks into a (stopped) Prometheus' data dir; returns how many moved."""
    moved = 0
    for block in blocks_in(src):
        shutil.move(str(block), str(data_dir / block.name))
        moved += 1
    return moved


def only_records(rule_doc: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A rule document keeping only the recording rules named ``names`` (groups and intervals kept)."""
    wanted = set(names)
    groups = []
    for group in rule_doc["groups"]:
        rules = [r for r in group["rules"] if r.get("record") in wanted]
        if rules:
            groups.append({**{k: v for k, v in group.items() if k != "rules"}, "rules": rules})
    return {"groups": groups}


def write_rules(rule_doc: Mapping[str, Any], path: Path) -> Path:
    """Write a rule document as YAML."""
    path.write_text(yaml.safe_dump(dict(rule_doc), sort_keys=False, width=1000), encoding="utf-8")
    return path


def check_rules(path: Path) -> str:
    """``promtool check rules``; raises with promtool's message when the file is rejected."""
    return _run([binary("promtool"), "check", "rules", str(path)], 120).stdout


# ---------------------------------------------------------------------------------------------
# Server


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


# ---------------------------------------------------------------------------------------------
# Live exposition (added for tests/test_grafana_queries.py)


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


def exposition(samples: Iterable[tuple[str, Mapping[str, str], float]]) -> str:
    """Prometheus text exposition (untyped) of ``(name, labels, value)`` samples, without timestamps."""
    lines = (f"{name}{render_labels(labels)} {format_number(value)}\n" for name, labels, value in samples)
    return "".join(lines)


# ---------------------------------------------------------------------------------------------
# Alertmanager and a webhook receiver


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
