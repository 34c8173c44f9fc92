"""``slo report`` without a real Prometheus: periods, math, renderers, and every way the server can fail.

Fault tests talk to a tiny ``http.server`` on 127.0.0.1 that misbehaves on purpose; each failure must
end in one clear line on stderr, exit code 2 and no output file.
"""

from __future__ import annotations

import http.server
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from slo import availability, error_rate, regex, service, uptime
from slo.commands.report import report
from slo.local.servers import free_port
from slo.model.errors import SpecError
from slo.report import compute
from slo.report.periods import last_complete_month, month_period, resolve, span_period
from slo.report.render import to_csv, to_json, to_markdown, to_table

SLOS = """
from slo import availability, regex, service
shop = service("shop", availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}))
"""


# -- periods --------------------------------------------------------------------------------------


def test_berlin_month_starts_at_local_midnight_and_follows_dst() -> None:
    march = month_period("2025-03", "Europe/Berlin")
    assert march.start == datetime(2025, 2, 28, 23, tzinfo=UTC)
    assert march.end == datetime(2025, 3, 31, 22, tzinfo=UTC)
    assert march.seconds == 743 * 3600
    october = month_period("2025-10", "Europe/Berlin")
    assert october.seconds == 745 * 3600
    assert month_period("2025-02", "UTC").seconds == 28 * 86400
    assert march.previous().label == "2025-02" and month_period("2025-01").previous().label == "2024-12"


def test_default_is_the_last_complete_month_in_the_zone() -> None:
    # 1 March 00:30 in Berlin is still February in UTC: the last complete Berlin month is February.
    now = datetime(2025, 2, 28, 23, 30, tzinfo=UTC)
    assert last_complete_month("Europe/Berlin", now).label == "2025-02"
    assert last_complete_month("UTC", now).label == "2025-01"
    assert resolve(None, None, None, "UTC", now).label == "2025-01"


def test_iso_weeks_run_monday_to_monday_in_the_zone() -> None:
    from slo.report.periods import last_complete_week, week_period

    week = week_period("2025-W13", "Europe/Berlin")  # daylight saving starts on Sunday the 30th
    assert week.start == datetime(2025, 3, 23, 23, tzinfo=UTC) and week.end == datetime(2025, 3, 30, 22, tzinfo=UTC)
    assert week.seconds == 167 * 3600 and week.week == (2025, 13) and week.month is None
    assert week.previous().label == "2025-W12" and week.previous().end == week.start
    assert week_period("2025-W01").start == datetime(2024, 12, 30, tzinfo=UTC)  # the ISO year's first Monday
    assert week_period("2026w49").label == "2026-W49" and week_period("2020-W53").label == "2020-W53"
    # Monday 00:30 in Berlin is still Sunday in UTC: the last complete Berlin week is the one just ended.
    now = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert last_complete_week("Europe/Berlin", now).label == "2026-W48"
    assert last_complete_week("UTC", now).label == "2026-W47"
    running = resolve(None, None, None, "UTC", datetime(2026, 12, 2, 5, 3, tzinfo=UTC), week="2026-W49")
    assert running.running and running.label == "2026-W49 week-to-date" and running.week == (2026, 49)
    # the default follows the SLOs: the last complete week when every SLO has a calendar-week period
    assert resolve(None, None, None, "UTC", now, weekly=True).label == "2026-W47"
    assert resolve(None, None, None, "UTC", now).label == "2026-10"
    for bad in ("2026-W54", "2026-W00", "2021-W53", "2026-49", "W49"):
        with pytest.raises(SpecError, match="--week: expected an ISO week YYYY-Www"):
            week_period(bad)
    with pytest.raises(SpecError, match="not --month and --week"):
        resolve("2026-11", None, None, "UTC", now, week="2026-W49")


def test_week_slos_default_to_their_last_complete_week() -> None:
    import dataclasses

    from slo.loaders import load
    from slo.model.periods import CalendarMonth, CalendarWeek
    from slo.report.run import default_timezone, weekly
    from tests.conftest import EXAMPLE

    slos = load([EXAMPLE / "slos.py"])
    pairs = [(svc, s) for svc in slos.services for s in svc.slos]
    assert not weekly(pairs)
    weeks = [(svc, dataclasses.replace(s, period=CalendarWeek("Asia/Tokyo"))) for svc, s in pairs]
    assert weekly(weeks) and default_timezone(weeks) == "Asia/Tokyo"
    mixed = [weeks[0], (pairs[0][0], dataclasses.replace(pairs[0][1], period=CalendarMonth("Asia/Tokyo")))]
    assert not weekly(mixed) and default_timezone(mixed) == "Asia/Tokyo"
    assert not weekly([])


def test_bad_period_options_are_input_errors() -> None:
    for args in (
        ("2025-13", None, None),
        ("2025-3", None, None),
        ("2025-03", "2025-03-01", "2025-03-02"),
        (None, "2025-03-01", None),
    ):
        with pytest.raises(SpecError):
            resolve(*args, "UTC")
    with pytest.raises(SpecError):
        resolve("2025-03", None, None, "Mars/Olympus")
    span = span_period("2025-03-01", "2025-03-02T12:00", "Europe/Berlin")
    assert span.seconds == 36 * 3600 and span.previous().end == span.start


# -- math -----------------------------------------------------------------------------------------

SHOP = service(
    "shop",
    availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}),
    error_rate("errors", 99, "http_requests_total", errors={"code": regex("5..")}, below="1%", slice="1h"),
    uptime("uptime", 99, "probe_success", slice="1h"),
)
DAY = span_period("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z", "UTC")


def _vector(**parts: float) -> list[dict]:
    return [{"metric": {"slo_part": k}, "value": [0, repr(v)]} for k, v in parts.items()]


def test_sli_never_above_one_and_no_data_is_never_compliant() -> None:
    slo = SHOP.slos[0]
    # bad slightly negative from extrapolation noise: clamp, never report SLI > 1
    row = compute.events(SHOP, slo, DAY, _vector(total=1000.0, bad=-0.4), None, 3600, 300)
    assert row.sli == 1.0 and row.compliant and row.error_budget_remaining == 1.0
    for totals in ([], _vector(total=0.0, bad=0.0), [{"metric": {"slo_part": "total"}, "value": [0, "NaN"]}]):
        row = compute.events(SHOP, slo, DAY, totals, None, 3600, 300)
        assert row.sli is None and row.compliant is None and row.status == "no-data"
        assert row.error_budget_remaining is None


def test_slices_without_data_lower_the_coverage_only() -> None:
    slo = SHOP.slos[1]
    start = int(DAY.start.timestamp())
    values = [[start + 3600 * (i + 1), "1" if i == 5 else "0"] for i in range(24) if i not in (10, 11, 23)]
    row = compute.slices(SHOP, slo, DAY, [{"metric": {}, "values": values}])
    assert (row.good, row.total, row.expected) == (20, 21, 24)  # good / slices with data, of all slices
    assert row.sli == 20 / 21 and row.coverage == 21 / 24
    assert row.worst_day == "2025-03-01" and row.status == "insufficient-data" and row.compliant is None
    row.min_coverage = 0.8
    assert row.status == "breached" and row.compliant is False  # 95.2% < 99%
    # The burn-down stops at the last slice with data (the 23rd hour), not at the period's end.
    assert row.burn_down is not None and row.burn_down.iloc[0] == 1 and len(row.burn_down) == 24
    assert row.burn_down.iloc[-1] == pytest.approx(row.error_budget_remaining)
    empty = compute.slices(SHOP, slo, DAY, [])
    assert empty.sli is None and empty.coverage == 0 and empty.status == "no-data"


def test_json_shape_and_csv_and_markdown() -> None:
    row = compute.events(SHOP, SHOP.slos[0], DAY, _vector(total=1235105.0, bad=605.0), None, 3600, 300)
    rows = [row, compute.slices(SHOP, SHOP.slos[2], DAY, [])]
    doc = json.loads(to_json(compute.Report(DAY, rows)))
    first = doc["slos"][0]
    assert doc["period"] == {
        "start": "2025-03-01T00:00:00+00:00",
        "end": "2025-03-02T00:00:00+00:00",
        "timezone": "UTC",
        "label": DAY.label,
    }
    assert first["good"] == 1234500 and first["total"] == 1235105 and first["unit"] == "events"
    assert first["sli"] == pytest.approx(0.99951, abs=1e-5)
    assert first["error_budget_remaining"] == pytest.approx(1 - (1 - first["sli"]) / 0.001)
    assert first["compliant"] is True
    assert doc["slos"][1]["sli"] is None and doc["slos"][1]["compliant"] is None
    csv_text = to_csv(compute.Report(DAY, rows))
    assert csv_text.splitlines()[0].startswith("service,slo,sli_kind,objective,sli,compliant,status")
    assert "no data" in to_markdown(compute.Report(DAY, rows)) and "no data" in to_table(compute.Report(DAY, rows))


def test_report_writes_no_promql_of_its_own() -> None:
    """All SLI PromQL comes from slo/promql.py: no PromQL functions in the report's string literals."""
    import ast
    import re

    pattern = re.compile(r"\b(sum|increase|rate|avg_over_time|present_over_time|count_over_time|label_replace)\(")
    for path in sorted((Path(compute.__file__).parent).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                assert not pattern.search(node.value), f"{path.name}: PromQL outside slo/promql.py: {node.value!r}"


# -- faults ---------------------------------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    behaviour: Callable[[_Handler], None]
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        type(self).behaviour(self)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def fake_server(behaviour: Callable[[_Handler], None]) -> Iterator[tuple[str, list[str]]]:
    hits: list[str] = []
    handler = type("H", (_Handler,), {"behaviour": staticmethod(behaviour), "hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def _send(h: _Handler, status: int, body: bytes, ctype: str = "application/json") -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _fails(url: str, tmp_path: Path, *extra: str) -> str:
    slos = tmp_path / "slos.py"
    slos.write_text(SLOS, encoding="utf-8")
    out = tmp_path / "out" / "report.json"
    args = [str(slos), "--prometheus", url, "--month", "2025-03", "--format", "json", "--output", str(out), "-q"]
    result = CliRunner().invoke(report, [*args, *extra])
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("slo: report: ") and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists() and not (out.parent.exists() and any(out.parent.iterdir()))
    return lines[0]


def test_server_down(tmp_path: Path) -> None:
    line = _fails(f"http://127.0.0.1:{free_port()}", tmp_path, "--retries", "1")
    assert "connection refused" in line


def test_http_500_is_retried_then_reported(tmp_path: Path) -> None:
    with fake_server(lambda h: _send(h, 500, b'{"status":"error","error":"boom"}')) as (url, hits):
        line = _fails(url, tmp_path, "--retries", "2", "--concurrency", "1")
    assert "HTTP 500" in line and "2 retries" in line
    queries = [h for h in hits if "/api/v1/query" in h]
    assert len(queries) == 3  # the first try and two retries, then no further query
    assert len(hits) - len(queries) <= 3  # the server probes (build info, flags) are tried once each


def test_slow_server_beyond_the_timeout(tmp_path: Path) -> None:
    release = threading.Event()

    def slow(h: _Handler) -> None:
        release.wait(5)

    with fake_server(slow) as (url, _):
        try:
            line = _fails(url, tmp_path, "--timeout", "0.3", "--retries", "0")
        finally:
            release.set()
    assert "no answer within 0.3s" in line


def test_malformed_json(tmp_path: Path) -> None:
    with fake_server(lambda h: _send(h, 200, b'{"status":"success","data":{"result":[{"metric":')) as (url, _):
        line = _fails(url, tmp_path, "--retries", "0")
    assert "not Prometheus API JSON" in line


def test_json_of_the_wrong_shape(tmp_path: Path) -> None:
    with fake_server(lambda h: _send(h, 200, b'{"status":"success","data":{"result":"nope"}}')) as (url, _):
        line = _fails(url, tmp_path, "--retries", "0")
    assert "not Prometheus API JSON" in line


def test_wrong_url(tmp_path: Path) -> None:
    with fake_server(lambda h: _send(h, 404, b"<html>not found</html>", "text/html")) as (url, _):
        line = _fails(url + "/grafana", tmp_path, "--retries", "0")
    assert "HTTP 404" in line and "base URL" in line


def test_query_rejected_by_prometheus(tmp_path: Path) -> None:
    body = json.dumps({"status": "error", "errorType": "bad_data", "error": "parse error at char 3"}).encode()
    with fake_server(lambda h: _send(h, 400, body)) as (url, _):
        line = _fails(url, tmp_path, "--retries", "0")
    assert "Prometheus rejected the query: parse error at char 3" in line


def test_existing_output_is_left_alone_on_failure(tmp_path: Path) -> None:
    slos = tmp_path / "slos.py"
    slos.write_text(SLOS, encoding="utf-8")
    out = tmp_path / "report.json"
    out.write_text("previous report\n")
    args = [str(slos), "--prometheus", f"http://127.0.0.1:{free_port()}", "--output", str(out), "--retries", "0", "-q"]
    result = CliRunner().invoke(report, args)
    assert result.exit_code == 2
    assert out.read_text() == "previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == sorted(["slos.py", "report.json"]) or set(
        p.name for p in tmp_path.iterdir()
    ) == {"slos.py", "report.json"}


def test_headers_auth_and_tenant_reach_the_server(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []
    empty = json.dumps({"status": "success", "data": {"resultType": "vector", "result": []}}).encode()

    def record(h: _Handler) -> None:
        seen.append(dict(h.headers))
        _send(h, 200, empty if "/query?" in h.path else empty.replace(b'"vector"', b'"matrix"'))

    token = tmp_path / "token"
    token.write_text("s3cret\n")
    slos = tmp_path / "slos.py"
    slos.write_text(SLOS, encoding="utf-8")
    with fake_server(record) as (url, hits):
        result = CliRunner().invoke(
            report,
            [str(slos), "--prometheus", url, "--month", "2025-03", "--format", "json", "-q",
             "--bearer-token-file", str(token), "--tenant", "team-a", "--header", "X-Extra: 1"],
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert all(
        h["Authorization"] == "Bearer s3cret" and h["X-Scope-OrgID"] == "team-a" and h["X-Extra"] == "1" for h in seen
    )
    assert all("time=" in p or "start=" in p for p in hits if "/api/v1/query" in p)  # every query at an explicit time
    doc = json.loads(result.stdout)
    assert doc["slos"][0]["status"] == "no-data" and doc["slos"][0]["compliant"] is None


def test_bad_connection_options_exit_1(tmp_path: Path) -> None:
    slos = tmp_path / "slos.py"
    slos.write_text(SLOS, encoding="utf-8")
    base = [str(slos), "--prometheus", "http://127.0.0.1:1", "-q"]
    for extra in (["--bearer-token-file", str(tmp_path / "missing")], ["--header", "no-colon"], ["--month", "March"],
                  ["--basic-auth-user", "me"], ["--timezone", "Nowhere/City"]):  # fmt: skip
        result = CliRunner().invoke(report, base + extra)
        assert result.exit_code == 1, (extra, result.stderr)
        assert "Traceback" not in result.stderr and result.stderr.strip()


def test_burn_down_chart_is_svg() -> None:
    from slo.report.charts import burn_down_svg

    row = compute.Row("shop", "a", "ratio", 0.999, "events", sli=0.9995, good=9995, total=10000, coverage=1)
    index = pd.date_range(DAY.start, DAY.end, freq="h")
    row.burn_down = pd.Series([1 - i / 48 for i in range(len(index))], index=index)
    svg = burn_down_svg(row, DAY)
    assert svg is not None and svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_opaque_error_ratio_slo() -> None:
    from slo.model.service import SLO
    from slo.model.sli import PromQLTemplate, RawRatioSLI

    raw = SLO(
        "raw",
        99,
        RawRatioSLI(PromQLTemplate("sum(rate(errors_total[{{.window}}])) / sum(rate(req_total[{{.window}}]))")),
    )
    svc = service("shop", availability("a", 99, "x_total", errors={"code": "500"}))
    start = int(DAY.start.timestamp())
    hourly = [
        {
            "metric": {"slo_part": "error_ratio"},
            "values": [[start + 3600 * (i + 1), "0.02" if i == 3 else "0.001"] for i in range(23)],
        }
    ]
    row = compute.raw(svc, raw, DAY, [{"metric": {"slo_part": "error_ratio"}, "value": [0, "0.004"]}], hourly, 3600)
    assert row.sli == pytest.approx(0.996) and row.compliant and row.unit == "events"
    assert row.coverage == pytest.approx(23 / 24) and row.good is None
    assert row.worst_day == "2025-03-01"


# -- charts: readable from one hour to a quarter ------------------------------------------------------


def _chart_row(period) -> compute.Row:
    """A row with a burn-down over the first 70% of ``period`` (data stop there) and daily SLIs."""
    import numpy as np

    steps = max(2, min(500, period.seconds // 60))
    ends = pd.date_range(period.start, period.end, periods=steps + 1)[1:]
    stop = int(steps * 0.7)
    values = np.concatenate([[1.0], 1 - np.linspace(0, 1.4, stop)])
    series = pd.Series(values, index=pd.DatetimeIndex([period.start, *ends[:stop]]).tz_convert("UTC"))
    days = pd.date_range(period.start.date(), max(period.start.date(), (period.end - pd.Timedelta(days=1)).date()))
    daily = pd.Series([0.9995 - 0.002 * (i % 3) for i in range(len(days))], index=days.strftime("%Y-%m-%d"))
    row = compute.Row("shop", "availability", "ratio", 0.999, "events", sli=0.9991, good=9991, total=10000)
    row.coverage, row.burn_down, row.daily = 1.0, series, daily
    return row


def _boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


@pytest.mark.parametrize("hours", [1, 6, 24, 7 * 24, 31 * 24, 45 * 24, 92 * 24])
def test_chart_axes_are_readable_from_an_hour_to_a_quarter(hours: int) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from slo.report.charts import burn_down_figure, daily_figure

    start = datetime(2026, 1, 1, 9, tzinfo=UTC) if hours < 24 else datetime(2026, 1, 17, tzinfo=UTC)
    period = span_period(start.isoformat(), (start + pd.Timedelta(hours=hours)).isoformat(), "Europe/Berlin")
    row = _chart_row(period)
    for make in (burn_down_figure, daily_figure):
        fig = make(row, period)
        FigureCanvasAgg(fig)
        fig.tight_layout()
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        labels = [t for t in ax.get_xticklabels() if t.get_text() and t.get_visible()]
        texts = [t.get_text() for t in labels]
        assert len(texts) >= 2, (make.__name__, hours, texts)
        # Never the same date on every tick: neighbours differ (concise labels may repeat "22" a month apart).
        assert all(a != b for a, b in itertools.pairwise(texts)), (make.__name__, hours, texts)
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not _boxes_overlap(a, b), (make.__name__, hours, texts)
        legend = ax.get_legend().get_window_extent(renderer)
        title = ax.title.get_window_extent(renderer)
        assert not _boxes_overlap(legend, title) and not _boxes_overlap(legend, ax.get_window_extent(renderer))
    # The burn-down line ends where the data end, not at the period's end.
    line = burn_down_figure(row, period).axes[0].get_lines()[0]
    assert pd.Timestamp(line.get_xdata()[-1]) == row.burn_down.index[-1]


# -- the running period, the server's own words, the summary ------------------------------------------


def test_the_running_month_ends_at_now_and_a_future_one_is_an_input_error() -> None:
    now = datetime(2026, 12, 1, 19, 47, 31, tzinfo=UTC)
    running = resolve("2026-12", None, None, "UTC", now)
    assert running.end == datetime(2026, 12, 1, 19, 45, tzinfo=UTC) and running.running
    assert running.label == "2026-12 month-to-date" and running.asked_end == datetime(2027, 1, 1, tzinfo=UTC)
    assert running.previous().label == "2026-11" and not running.previous().running
    assert running.as_json()["running"] is True
    assert "up to 2026-12-01 19:45" in running.title
    assert not resolve("2026-11", None, None, "UTC", now).running  # a past month is whole
    just_begun = resolve("2026-12", None, None, "UTC", datetime(2026, 12, 1, 0, 3, 10, tzinfo=UTC))
    assert just_begun.seconds == 180  # whole minutes in the first five
    for month, moment in (("2027-01", now), ("2026-12", datetime(2026, 12, 1, 0, 0, 30, tzinfo=UTC))):
        with pytest.raises(SpecError, match="nothing to report yet"):
            resolve(month, None, None, "UTC", moment)
    span = resolve(None, "2026-12-01T10:00Z", "2026-12-02T10:00Z", "UTC", now)
    assert span.running and span.end == datetime(2026, 12, 1, 19, 45, tzinfo=UTC) and "now" in span.title


def test_retention_and_engine_from_the_servers_own_words() -> None:
    from slo.report.server import ServerInfo, prometheus_duration, retention_notes, vm_retention

    assert prometheus_duration("15d") == 15 * 86400 and prometheus_duration("1y2w") == (365 + 14) * 86400
    assert prometheus_duration("15d or 1GiB") is None and prometheus_duration("") is None
    assert vm_retention("1") == 31 * 86400 and vm_retention("100y") == 100 * 365 * 86400
    assert vm_retention("14d") == 14 * 86400 and vm_retention("0.5") == 15.5 * 86400 and vm_retention("x") is None
    info = ServerInfo("prometheus", "2.42.0", "15d", 15 * 86400.0, "--storage.tsdb.retention.time")
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    (note,) = retention_notes(info, [month_period("2026-11")], now)
    assert note.startswith("Prometheus 2.42.0 keeps 15d of data (--storage.tsdb.retention.time), but 2026-11 starts")
    assert "starts 30 days ago: its first 16 days are gone" in note and "Thanos, Mimir, VictoriaMetrics" in note
    assert retention_notes(info, [resolve("2026-12", None, None, "UTC", now)], now) == []
    assert retention_notes(ServerInfo(), [month_period("2020-01")], now) == []  # unknown retention: no guess


def test_summary_groups_breached_first_in_time_or_events() -> None:
    from slo.report.summary import lines

    up = compute.Row("shop", "uptime", "uptime", 0.999, "slices", sli=1 - 65 / 44640, good=44640 - 65)
    up.total, up.coverage, up.slice_seconds = 44640, 1.0, 60
    avail = compute.Row("shop", "availability", "ratio", 0.999, "events", sli=0.998, good=998_000, total=1e6)
    avail.coverage = 1.0
    fine = compute.Row("shop", "latency", "latency", 0.95, "events", sli=0.99, good=99, total=100, coverage=1.0)
    gone = compute.Row("shop", "absent", "ratio", 0.99, "events")
    thin_ = compute.Row("shop", "thin", "ratio", 0.99, "events", sli=1.0, good=10, total=10, coverage=0.5)
    month = month_period("2026-10")
    got = [(x.status, x.heading, x.text) for x in lines(compute.Report(month, [fine, gone, thin_, avail, up]))]
    assert [g[1] for g in got] == ["BREACHED (2)", "NOT ENOUGH DATA (1)", "NO DATA (1)", "OK (1)"]
    assert got[0][2] == (
        "shop/availability missed 99.9%: 2,000 failed events against 1,000 allowed; "
        "shop/uptime missed 99.9%: 65 min down against 45 min allowed"
    )
    assert got[1][2].startswith("shop/thin has data for 50% of the period only (needs 90%)")
    assert got[3][2] == "shop/latency met its objective"


def test_every_engine_reads_counters_over_closed_ranges() -> None:
    """The sample at a window's start is the increase's base on Prometheus 2.x, 3.x and VictoriaMetrics."""
    from slo.report import queries
    from slo.report.server import ServerInfo

    vm, prom = ServerInfo("victoriametrics"), ServerInfo("prometheus", "3.16.0")
    assert prom.dialect() is queries.PROMETHEUS and vm.dialect() is queries.VICTORIAMETRICS
    slices = SHOP.slos[1]  # 1-hour error-rate slices
    on_vm = queries.plan(slices, DAY, dialect=vm.dialect())["slices"].expr
    assert "increase_prometheus(" in on_vm and "[3600001ms])" in on_vm and "[1h])" not in on_vm
    assert "rate(" not in on_vm and "tfirst_over_time(" in on_vm
    native = queries.plan(slices, DAY)["slices"].expr
    assert "increase_prometheus" not in native and "rate(" in native and "[3600001ms])" in native
    totals = queries.plan(SHOP.slos[0], DAY)["totals"].expr
    assert "increase(" in totals and "[86400001ms])" in totals
