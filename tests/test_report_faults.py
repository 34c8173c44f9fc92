"""``slo report`` when the data or the server misbehave: a figure is right, or it is not there.

Against a real Prometheus over a backfilled April 2025 (UTC, 60 s scrapes):

* restarted mid-report — stopped (SIGTERM) or killed (SIGKILL) while queries are in flight and
  started again on the same port and data, restarted while the report is frozen (SIGSTOP) so its
  kept-alive connections are stale, or gone for good — the report is either exactly the
  undisturbed one or exit 2 with one clear line, never another figure;
* data only for days 1–20: coverage 2/3, shown in every format and said in a note;
* NaN and +Inf samples in the source counters and the probe gauge: no SLI is ever NaN/inf; a
  period whose counts are not numbers has no SLI ("insufficient data"), and slices or hours with
  such samples are left out of coverage instead of being counted good.

Against a small fake HTTP server (the only stand-in: a real Thanos or VictoriaMetrics cluster
with a failing store is beyond a unit test): answers with ``warnings`` (Thanos partial response),
``isPartial: true`` (VictoriaMetrics cluster) or a missing part of the query are refused with
exit 2 unless ``--allow-partial``, which reports them marked incomplete.
"""

from __future__ import annotations

import csv
import http.server
import io
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from slo.commands.report import report
from slo.local.metrics_text import OpenMetricsWriter
from slo.local.servers import PrometheusServer, parse_metric_lines
from slo.local.tsdb import backfill_openmetrics
from tests.conftest import Backend

pytestmark = pytest.mark.integration

MONTH = "2025-04"
START = 1743465600  # 2025-04-01T00:00:00Z
END = 1746057600  # 2025-05-01T00:00:00Z
DAY = 86400
PARTIAL_END = START + 20 * DAY  # the "partial" job has data for days 1-20 only
NAN_TOTAL_AT = [START + 3 * DAY + 7200, START + 11 * DAY + 43500]  # 5-minute aligned
INF_BAD_AT = START + 15 * DAY + 600
NAN_PROBE_AT = [START + 5 * DAY + 600, START + 6 * DAY + 60]
INF_PROBE_AT = START + 9 * DAY + 3600
CLI = [sys.executable, "-c", "from slo.cli import main; main()"]
FORMATS = ("json", "csv", "table", "markdown", "html")


def _job_series(job: str, first: int, last: int) -> dict[str, list[tuple[dict[str, str], list[tuple[float, float]]]]]:
    """Cumulative counters (100 requests a minute, 1 failed, 95 under 200 ms) and a probe gauge."""
    times = range(first, last + 1, 60)
    ok = [(t, float(99 * (i + 1))) for i, t in enumerate(times)]
    bad = [(t, float(i + 1)) for i, t in enumerate(times)]
    fast = [(t, float(95 * (i + 1))) for i, t in enumerate(times)]
    count = [(t, float(100 * (i + 1))) for i, t in enumerate(times)]
    probe = [(t, 1.0) for t in times]
    families = {
        "http_requests_total": [({"job": job, "code": "200"}, ok), ({"job": job, "code": "500"}, bad)],
        "http_request_duration_seconds_bucket": [
            ({"job": job, "le": "0.2"}, fast),
            ({"job": job, "le": "+Inf"}, count),
        ],
        "http_request_duration_seconds_count": [({"job": job}, count)],
        "probe_success": [({"job": job}, probe)],
    }
    if job == "nonfinite":
        families["http_requests_total"][0] = (
            {"job": job, "code": "200"},
            [(t, math.nan if t in NAN_TOTAL_AT else v) for t, v in ok],
        )
        families["http_requests_total"][1] = (
            {"job": job, "code": "500"},
            [(t, math.inf if t == INF_BAD_AT else v) for t, v in bad],
        )
        families["probe_success"][0] = (
            {"job": job},
            [(t, math.nan if t in NAN_PROBE_AT else math.inf if t == INF_PROBE_AT else v) for t, v in probe],
        )
        # Separate counters for total and failed jobs: +Inf in the failed one leaves the total finite.
        families["jobs_total"] = [({"job": job}, count)]
        families["jobs_failed_total"] = [({"job": job}, [(t, math.inf if t == INF_BAD_AT else v) for t, v in bad])]
    return families


def write_data(path: Path) -> None:
    """Three jobs: ``full`` (the month and a day either side), ``partial`` (days 1-20), ``nonfinite``."""
    jobs = [
        _job_series("full", START - DAY, END + DAY),
        _job_series("partial", START, PARTIAL_END),
        _job_series("nonfinite", START - DAY, END + DAY),
    ]
    with open(path, "w", encoding="utf-8") as out:
        writer = OpenMetricsWriter(out)
        for family in dict.fromkeys(f for job in jobs for f in job):
            # Gauges: the writer refuses NaN in counters, and PromQL does not look at the type.
            writer.family(family, "gauge")
            for job in jobs:
                for labels, samples in job.get(family, []):
                    writer.series(labels, samples)
        writer.close()


def slos_source(job: str, extra: int = 0) -> str:
    lines = [
        "from slo import availability, error_rate, latency, ratio, regex, service, uptime",
        "",
        f'labels = {{"job": "{job}"}}',
        'errors = {"code": regex("5..")}',
        "svc = service(",
        f'    "{job}",',
        '    availability("availability", 99, "http_requests_total", errors=errors, labels=labels),',
        '    latency("latency", 90, "http_request_duration_seconds", under="200ms", labels=labels),',
        '    error_rate("error-rate", 99, "http_requests_total", errors=errors, below="5%", labels=labels),',
        '    uptime("uptime", 99.9, "probe_success", labels=labels, period="month"),',
    ]
    if job == "nonfinite":
        lines.append(
            f'    ratio("jobs", 99, total=\'jobs_total{{job="{job}"}}\', bad=\'jobs_failed_total{{job="{job}"}}\'),'
        )
    for i in range(extra):  # more SLOs, more queries: a report that runs long enough to interrupt
        lines.append(f'    availability("availability-{i:02d}", 99.{i % 9 + 1}, "http_requests_total", '
                     "errors=errors, labels=labels),")  # fmt: skip
    lines.append(")")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def blocks(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("faults")
    write_data(base / "data.om")
    backfill_openmetrics(base / "data.om", base / "blocks", max_block="2000h")
    (base / "data.om").unlink()
    return base / "blocks"


@pytest.fixture(scope="module")
def prometheus(backend: Backend, blocks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    data = tmp_path_factory.mktemp("prom") / "data"
    shutil.copytree(blocks, data)
    with PrometheusServer(data) as server:
        yield server


def run(url: str, slos: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(report, [str(slos), "--prometheus", url, "--month", MONTH, "--timezone", "UTC", "-q",
                                         *args])  # fmt: skip
    return result.exit_code, result.stdout, result.stderr


def slos_file(tmp_path: Path, job: str, extra: int = 0) -> Path:
    path = tmp_path / f"{job}.py"
    path.write_text(slos_source(job, extra), encoding="utf-8")
    return path


def by_slo(doc: dict) -> dict[str, dict]:
    return {s["slo"]: s for s in doc["slos"]}


def _no_constant(name: str) -> float:
    raise AssertionError(f"{name} in the JSON report")


def assert_sane_sli(outputs: dict[str, str]) -> None:
    """No SLI is NaN or infinite in any format: a ratio in [0, 1] or shown as missing."""
    doc = json.loads(outputs["json"], parse_constant=_no_constant)
    for s in doc["slos"]:
        assert s["sli"] is None or 0 <= s["sli"] <= 1, s
    for row in csv.DictReader(io.StringIO(outputs["csv"])):
        assert row["sli"] == "" or 0 <= float(row["sli"]) <= 1, row
        for column in ("sli", "error_budget_remaining", "coverage", "worst_day_sli", "good", "total"):
            assert row[column].lower() not in ("nan", "inf", "-inf"), (column, row)
    sli_cell = r"(—|\d{1,3}\.\d+%)"
    rows = [line for line in outputs["markdown"].splitlines() if re.match(r"\| (nonfinite|partial) \|", line)]
    assert rows
    for line in rows:
        assert re.match(rf"\| \w+ \| [\w-]+ \| [\d.]+% \| {sli_cell} \|", line), line
    for fmt in ("table", "markdown", "html"):
        assert not re.search(r"(?i)\b(nan|-?inf)%", outputs[fmt]), fmt
    for value in re.findall(r"<dt>SLI</dt><dd>([^<]*)</dd>", outputs["html"]):
        assert re.fullmatch(sli_cell, value), value


def all_formats(url: str, slos: Path) -> dict[str, str]:
    outputs = {}
    for fmt in FORMATS:
        code, out, err = run(url, slos, "--format", fmt)
        assert code == 0, err
        outputs[fmt] = out
    return outputs


# -- data missing for part of the month -------------------------------------------------------------


def test_days_1_to_20_only_give_two_thirds_coverage_in_every_format(
    prometheus: PrometheusServer, tmp_path: Path
) -> None:
    outputs = all_formats(prometheus.url, slos_file(tmp_path, "partial"))
    slos = by_slo(json.loads(outputs["json"]))
    # 20 of 30 days: 5,760 of the 8,640 five-minute steps (Prometheus 2.x ranges include their start,
    # so the step just after the data ends may count too).
    events_coverage = pytest.approx(2 / 3, abs=1.5 / 8640)
    for name in ("availability", "latency"):
        assert slos[name]["coverage"] == events_coverage
        assert slos[name]["sli"] == pytest.approx({"availability": 0.99, "latency": 0.95}[name], abs=1e-4)
        assert any(re.fullmatch(r"data cover 66\.6[78]% of the period", n) for n in slos[name]["notes"])
    # Slices without data are neither good nor bad: the SLI is over the 20 days with data, the
    # coverage shows the rest, and below --min-coverage (0.9) the SLO is not judged.
    for name in ("error-rate", "uptime"):
        assert slos[name]["coverage"] == pytest.approx(2 / 3)
        assert slos[name]["sli"] == pytest.approx(1.0)
        assert slos[name]["status"] == "insufficient-data" and slos[name]["compliant"] is None
    rows = {r["slo"]: r for r in csv.DictReader(io.StringIO(outputs["csv"]))}
    assert set(rows) == set(slos) and all(float(r["coverage"]) == events_coverage for r in rows.values())
    for fmt in ("table", "markdown", "html"):
        assert len(re.findall(r"66\.6[78]%", outputs[fmt])) >= 2 * len(slos), fmt  # coverage cell and note
    assert_sane_sli(outputs)


# -- NaN and +Inf samples ---------------------------------------------------------------------------


def test_nan_and_inf_samples_never_become_an_sli(prometheus: PrometheusServer, tmp_path: Path) -> None:
    outputs = all_formats(prometheus.url, slos_file(tmp_path, "nonfinite"))
    assert_sane_sli(outputs)
    slos = by_slo(json.loads(outputs["json"]))

    # +Inf in the failed-jobs counter makes the period's bad count infinite while the total stays
    # finite. Dropping the infinite part (as before) reported a perfect 100%; now there is no SLI,
    # and the note says why.
    jobs = slos["jobs"]
    assert jobs["sli"] is None and jobs["status"] == "no-data" and jobs["compliant"] is None
    assert any(n.startswith("insufficient data: NaN or infinite samples") for n in jobs["notes"])
    for fmt in ("table", "markdown", "html"):
        assert "insufficient data" in outputs[fmt], fmt
    # In availability the failed requests are part of the total, so both counts are infinite.
    avail = slos["availability"]
    assert avail["sli"] is None and avail["status"] == "no-data"
    # The hours holding such samples are left out of the coverage.
    assert 0.99 < avail["coverage"] < 1
    assert any("left out of coverage" in n for n in avail["notes"])

    # Latency reads other series (buckets): unaffected.
    assert slos["latency"]["sli"] == pytest.approx(0.95, abs=1e-6) and slos["latency"]["coverage"] == 1

    # A slice whose ratio is NaN or infinite has no verdict (before: NaN compared false, "good").
    uptime = slos["uptime"]
    missing = uptime["slices_in_period"] - uptime["total"]
    assert missing == len(NAN_PROBE_AT) + 1  # one 1-minute slice per NaN or +Inf probe sample
    assert uptime["total"] == round(uptime["coverage"] * uptime["slices_in_period"])
    assert uptime["good"] == uptime["total"]  # the others are left out, neither good nor bad
    errors = slos["error-rate"]
    missing = errors["slices_in_period"] - errors["total"]
    assert missing >= len(NAN_TOTAL_AT) and errors["good"] <= errors["total"]


# -- Prometheus restarted mid-report ----------------------------------------------------------------


class PinnedPrometheus(PrometheusServer):
    """A Prometheus that comes back on the port it first got, as a restarted server does."""

    pinned: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.pinned or self.port}"

    def command(self, port: int) -> list[str]:
        return super().command(self.pinned or port)


def served_queries(url: str) -> int:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    handlers = ("/api/v1/query", "/api/v1/query_range")
    return int(sum(v for labels, v in parse_metric_lines(text, "prometheus_http_requests_total")
                   if labels.get("handler") in handlers))  # fmt: skip


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def comparable(text: str) -> dict:
    doc = json.loads(text)
    doc.pop("generated_at", None)
    return doc


@pytest.fixture(scope="module")
def restartable(backend: Backend, blocks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PinnedPrometheus]:
    data = tmp_path_factory.mktemp("restart") / "data"
    shutil.copytree(blocks, data)
    server = PinnedPrometheus(data)
    server.start()
    server.pinned = server.port
    try:
        yield server
    finally:
        server.stop()


def kill_hard(server: PrometheusServer) -> None:
    """SIGKILL the prometheus process itself (not the ``timeout`` wrapper): a crash, no goodbye."""
    flag = f"--storage.tsdb.path={server.data_dir}".encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"prometheus") and flag in argv:
            os.kill(int(cmdline.parent.name), signal.SIGKILL)
    server.stop()  # reaps the wrapper, which ends with its child


@pytest.mark.parametrize("fault", ["restart-in-flight", "crash-in-flight", "restart-while-frozen", "gone"])
def test_prometheus_restarted_mid_report(restartable: PinnedPrometheus, tmp_path: Path, fault: str) -> None:
    slos = slos_file(tmp_path, "full", extra=16)
    code, expected, err = run(restartable.url, slos, "--format", "json", "--concurrency", "1")
    assert code == 0, err
    out = tmp_path / "report.json"
    retries = "1" if fault == "gone" else "6"
    argv = [*CLI, "report", str(slos), "--prometheus", restartable.url, "--month", MONTH, "--timezone", "UTC",
            "--format", "json", "--concurrency", "1", "--retries", retries, "-q", "--output", str(out)]  # fmt: skip
    before = served_queries(restartable.url)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while proc.poll() is None and served_queries(restartable.url) < before + 4:
            time.sleep(0.01)
        interrupted = proc.poll() is None
        if fault == "restart-in-flight":
            restartable.restart()
        elif fault == "crash-in-flight":
            kill_hard(restartable)
            restartable.start()
        else:
            proc.send_signal(signal.SIGSTOP)
            restartable.stop()
            if fault == "restart-while-frozen":
                restartable.start()
            proc.send_signal(signal.SIGCONT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if not ready(restartable.url):
            restartable.restart()
    assert "Traceback" not in stderr
    if proc.returncode == 0:
        assert comparable(out.read_text()) == comparable(expected)  # the very same figures
    else:
        assert proc.returncode == 2, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("slo: report: ") and restartable.url in lines[0], stderr
        assert not out.exists()
    if fault == "gone" and interrupted:
        assert proc.returncode == 2 and "connection refused" in stderr
    print(f"\n{fault}: interrupted={interrupted} exit={proc.returncode} {stderr.strip()}")


# -- partial answers from a Thanos- or VictoriaMetrics-like server ------------------------------------


@contextmanager
def fake_prometheus(answer: Callable[[str, dict[str, str]], dict]) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A tiny Prometheus-API server on 127.0.0.1: ``answer(path, params)`` gives the JSON body."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(parts.query))
            if parts.path.endswith(("/buildinfo", "/flags", "/metrics")):  # the report's server probes
                self.send_error(404)
                return
            seen.append(params)
            body = json.dumps(answer(parts.path, params)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def plausible(path: str, params: dict[str, str], parts: tuple[str, ...] = ("total", "bad")) -> dict:
    """A whole month of 1,000 requests an hour with 1 failure (0.999), as tagged parts."""
    values = {"total": 1000.0 * 720, "bad": 720.0}
    if path.endswith("/query"):
        result = [{"metric": {"slo_part": p}, "value": [float(params["time"]), str(values[p])]} for p in parts]
        return {"status": "success", "data": {"resultType": "vector", "result": result}}
    start, end, step = float(params["start"]), float(params["end"]), float(params["step"])
    times = [start + i * step for i in range(int((end - start) // step) + 1)]
    hourly = {"total": "1000", "bad": "1", "covered": "12"}
    names = [*parts, "covered"]
    result = [{"metric": {"slo_part": p}, "values": [[t, hourly[p]] for t in times]} for p in names]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


ONE_SLO = """
from slo import availability, regex, service
shop = service("shop", availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}))
"""


@pytest.mark.parametrize(
    ("case", "answer", "reason"),
    [
        (
            "thanos-warnings",
            lambda path, params: {**plausible(path, params), "warnings": ["No StoreAPIs matched for this query"]},
            "server warning: No StoreAPIs matched for this query",
        ),
        (
            "victoriametrics-isPartial",
            lambda path, params: {**plausible(path, params), "isPartial": True},
            "server warning: the server marked its answer as partial (isPartial)",
        ),
        (
            "series-missing",
            lambda path, params: plausible(path, params, parts=("total",)),
            "the answer holds the period's total events but not its bad events",
        ),
    ],
)
def test_partial_answers_are_refused_or_flagged(tmp_path: Path, case: str, answer: Callable, reason: str) -> None:
    slos = tmp_path / "slos.py"
    slos.write_text(ONE_SLO, encoding="utf-8")
    out = tmp_path / "report.json"
    with fake_prometheus(answer) as (url, seen):
        code, stdout, stderr = run(url, slos, "--format", "json", "--output", str(out))
        assert code == 2, (case, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and "incomplete answers for 1 SLO(s): shop/availability: " + reason in lines[0]
        assert "--allow-partial" in lines[0] and not out.exists() and stdout == ""
        # Thanos and VictoriaMetrics were asked to fail rather than answer partially.
        assert all(p.get("partial_response") == "false" and p.get("deny_partial_response") == "1" for p in seen)

        code, stdout, stderr = run(url, slos, "--format", "json", "--allow-partial")
        assert code == 0, stderr
        assert "warning: incomplete answers" in stderr
        row = json.loads(stdout)["slos"][0]
        assert reason in row["incomplete"]
        if case == "series-missing":
            assert row["sli"] is None and row["status"] == "no-data"  # no bad events is not zero bad events
        else:
            assert row["sli"] == pytest.approx(0.999)  # the figure, marked as resting on a partial answer
        code, table, _ = run(url, slos, "--allow-partial")
        assert code == 0 and "(incomplete)" in table and "INCOMPLETE: " + reason in table
        code, text, _ = run(url, slos, "--allow-partial", "--format", "csv")
        assert code == 0 and reason in next(csv.DictReader(io.StringIO(text)))["incomplete"]


def test_informational_annotations_are_notes_not_partial(tmp_path: Path) -> None:
    slos = tmp_path / "slos.py"
    slos.write_text(ONE_SLO, encoding="utf-8")
    info = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "x"'
    with fake_prometheus(lambda path, params: {**plausible(path, params), "warnings": [info]}) as (url, _):
        code, stdout, stderr = run(url, slos, "--format", "json")
    assert code == 0, stderr
    row = json.loads(stdout)["slos"][0]
    assert "incomplete" not in row and f"server note: {info}" in row["notes"]


def test_credentials_in_the_url_never_reach_messages(tmp_path: Path) -> None:
    slos = tmp_path / "slos.py"
    slos.write_text(ONE_SLO, encoding="utf-8")
    with fake_prometheus(lambda path, params: {"status": "success", "data": {"resultType": "vector"}}) as (url, _):
        secret_url = url.replace("http://", "http://admin:s3cret@") + "/?token=t0ken"
        code, stdout, stderr = run(secret_url, slos, "--format", "json", "--retries", "0")
    assert code == 2 and "not Prometheus API JSON" in stderr
    assert "s3cret" not in stderr + stdout and "t0ken" not in stderr + stdout and url in stderr
