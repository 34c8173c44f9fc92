"""``slo report`` is honest about missing data and the running month, and equal on Prometheus and VictoriaMetrics.

One synthetic history relative to the real clock (UTC), backfilled into a real Prometheus and
imported into a real VictoriaMetrics: the month before last has no data at all; last month has
data on its first ten days only, with a three-hour scrape gap whose first sample after the gap is
alone in its five-minute slice (the gap-edge case); the current month has data up to now, with a
65-minute probe outage two hours ago. Scrapes fall at :30 of each minute, never on a slice
boundary, so Prometheus 2.x (closed ranges) and 3.x (left-open) read the same samples.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from slo.commands.report import FAIL_EXIT, report
from slo.local.metrics_text import Series, write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics
from slo.report.summary import duration_text
from tests.conftest import Backend, require
from tests.vmserver import VictoriaMetrics

pytestmark = pytest.mark.integration

SLOS = """
from slo import availability, error_rate, regex, service, uptime

api = {"job": "shop"}
errors = {"code": regex("5..")}
shop = service(
    "shop",
    availability("availability", 99.9, "http_requests_total", errors=errors, labels=api),
    error_rate("error-rate", 99, "http_requests_total", errors=errors, below="1%", slice="5m", labels=api),
    uptime("uptime", 99.9, "probe_success", labels={"job": "probe"}),
)
"""
OUTAGE_MINUTES = 65


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class History:
    now: datetime
    current: datetime  # this month's start
    last: datetime  # last month's start
    empty: datetime  # the month before: no data
    last_data_end: datetime  # last month's data stop here (day 11, 00:00)
    gap: tuple[int, int]  # last sample before, first sample after (epoch seconds)
    outage: tuple[int, int]  # probe fails for samples in [first, last]
    series: list[Series]

    @staticmethod
    def label(moment: datetime) -> str:
        return f"{moment:%Y-%m}"


def history(now: datetime) -> History:
    current = month_start(now)
    last = month_start(current - timedelta(days=1))
    empty = month_start(last - timedelta(days=1))
    last_data_end = last + timedelta(days=10)
    gap_before = int((last + timedelta(days=3, hours=10, minutes=2, seconds=30)).timestamp())
    gap_after = int((last + timedelta(days=3, hours=13, minutes=4, seconds=30)).timestamp())  # alone in 13:00-13:05
    end = int(now.timestamp()) // 60 * 60 - 30
    # Two hours ago, but inside this month (which has data) when the month is younger than that.
    first_outage = max((end - 2 * 3600) // 60 * 60 + 30, int(current.timestamp()) + 30)
    outage = (first_outage, first_outage + (OUTAGE_MINUTES - 1) * 60)
    times = np.concatenate(
        [
            np.arange(int(last.timestamp()) + 30, int(last_data_end.timestamp()), 60),
            np.arange(int(current.timestamp()) + 30, end + 1, 60),
        ]
    )
    times = times[(times <= gap_before) | (times >= gap_after)]
    minute = times // 60
    per_minute = 100 + (minute * 7919) % 50
    bad_per_minute = np.where(minute % 997 == 0, 10, 0)  # now and then a bad 5-minute slice (10/~500 > 1%)
    # Errors between the lone sample after the gap (13:04:30) and the next one (13:05:30): Prometheus
    # counts no increment across a slice's start, MetricsQL's increase() does (the slice ending 13:10).
    bad_per_minute = np.where(times == gap_after + 60, 10, bad_per_minute)
    good_cum = np.cumsum(per_minute - bad_per_minute).astype(float)
    bad_cum = np.cumsum(bad_per_minute).astype(float)
    probe = np.where((times >= outage[0]) & (times <= outage[1]), 0.0, 1.0)
    series = [
        Series(
            "http_requests_total",
            {"job": "shop", "code": "200"},
            list(zip(times.tolist(), good_cum.tolist(), strict=True)),
        ),
        Series(
            "http_requests_total",
            {"job": "shop", "code": "500"},
            list(zip(times.tolist(), bad_cum.tolist(), strict=True)),
        ),
        Series("probe_success", {"job": "probe"}, list(zip(times.tolist(), probe.tolist(), strict=True)), kind="gauge"),
    ]
    return History(now, current, last, empty, last_data_end, (gap_before, gap_after), outage, series)


@pytest.fixture(scope="module")
def hist() -> History:
    return history(datetime.now(UTC))


@pytest.fixture(scope="module")
def slos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("honest") / "slos.py"
    path.write_text(SLOS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def blocks(backend: Backend, hist: History, tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("honest-blocks")
    write_openmetrics(hist.series, base / "data.om")
    backfill_openmetrics(base / "data.om", base / "blocks", max_block="2000h")
    return base / "blocks"


@pytest.fixture(scope="module")
def prometheus(backend: Backend, blocks: Path):
    with PrometheusServer(blocks) as server:
        yield server


@pytest.fixture(scope="module")
def victoria(backend: Backend, hist: History, tmp_path_factory: pytest.TempPathFactory):
    with VictoriaMetrics(tmp_path_factory.mktemp("honest-vm") / "data") as server:
        server.import_series(hist.series)
        yield server


def run(url: str, slos: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(report, [str(slos), "--prometheus", url, "--timezone", "UTC", "-q", *args])
    assert "Traceback" not in result.stderr, result.stderr
    return result.exit_code, result.stdout, result.stderr


def json_report(url: str, slos: Path, *args: str) -> dict:
    code, out, err = run(url, slos, "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def by_name(doc: dict) -> dict[str, dict]:
    return {s["slo"]: s for s in doc["slos"]}


# -- a month covered on its first ten days only ---------------------------------------------------------


def test_month_covered_on_its_first_ten_days(prometheus: PrometheusServer, slos: Path, hist: History) -> None:
    doc = json_report(prometheus.url, slos, "--month", hist.label(hist.last))
    slos_ = by_name(doc)
    days = (month_start(hist.current) - hist.last).days
    for name in ("availability", "error-rate", "uptime"):
        row = slos_[name]
        assert row["coverage"] == pytest.approx(10 / days, abs=0.01), name
        assert row["status"] == "insufficient-data" and row["compliant"] is None, name
        assert row["sli"] > 0.98, name  # judged on the slices with data: nothing like 33% "breached"
        day = row["worst_day"]["date"]
        assert hist.label(hist.last) + "-01" <= day <= hist.label(hist.last) + "-10", name  # a day with data
    up = slos_["uptime"]
    gap_minutes = (hist.gap[1] - hist.gap[0]) // 60 - 1
    assert up["slices_in_period"] == days * 1440
    assert up["total"] == 10 * 1440 - gap_minutes and up["good"] == up["total"]
    err = slos_["error-rate"]
    assert err["slices_in_period"] == days * 288 and err["good"] < err["total"] < 10 * 288
    # Judged once the required coverage is lowered: every slice SLO then meets its objective.
    judged = by_name(json_report(prometheus.url, slos, "--month", hist.label(hist.last), "--min-coverage", "0.3"))
    assert judged["uptime"]["status"] == "ok" and judged["uptime"]["compliant"] is True
    assert judged["availability"]["status"] in ("ok", "at-risk")


def test_burn_down_stops_at_the_last_data_point(prometheus: PrometheusServer, slos: Path, hist: History) -> None:
    from slo.loaders import load
    from slo.report.client import Connection, PromClient
    from slo.report.periods import month_period
    from slo.report.run import build

    defs = load((str(slos),))
    rows_of = [(defs.services[0], s) for s in defs.services[0].slos]
    with PromClient(Connection(prometheus.url)) as client:
        result = build(client, rows_of, month_period(hist.label(hist.last)), None, 2, progress=False)
    for row in result.rows:
        assert row.burn_down is not None
        last = row.burn_down.index[-1].to_pydatetime()
        assert hist.last_data_end - timedelta(hours=1) <= last <= hist.last_data_end + timedelta(hours=1), row.slo
        assert row.daily is not None and len(row.daily) == 10  # days with data only


# -- a month with no data; --fail-on; --compare-previous against it ---------------------------------------


def test_month_without_data_and_fail_on(prometheus: PrometheusServer, slos: Path, hist: History) -> None:
    empty = hist.label(hist.empty)
    doc = json_report(prometheus.url, slos, "--month", empty)
    assert {s["status"] for s in doc["slos"]} == {"no-data"}
    assert all(s["compliant"] is None and s["sli"] is None and s["worst_day"] is None for s in doc["slos"])
    assert doc["summary"][0]["text"].startswith("NO DATA (3): shop/availability, shop/error-rate, shop/uptime")

    code, out, err = run(prometheus.url, slos, "--month", empty, "--fail-on", "breached", "--fail-on", "no-data")
    assert code == FAIL_EXIT == 4
    assert "NO DATA (3)" in out  # the report is still printed, then the job fails
    assert err.strip().splitlines()[-1].startswith("slo: report: --fail-on: 3 SLO(s) with a status to fail on")
    code, _, err = run(prometheus.url, slos, "--month", empty, "--fail-on", "breached")
    assert code == 0, err
    code, _, err = run(prometheus.url, slos, "--month", empty, "--fail-on", "nonsense")
    assert code != 0 and "nonsense" in err


def test_compare_previous_says_when_the_previous_month_had_no_data(
    prometheus: PrometheusServer, slos: Path, hist: History
) -> None:
    doc = json_report(prometheus.url, slos, "--month", hist.label(hist.last), "--compare-previous")
    for row in doc["slos"]:
        assert row["previous"]["status"] == "no-data" and row["previous"]["compliant"] is None
        assert "the previous period has no data: no comparison" in row["notes"]
    code, out, _ = run(
        prometheus.url, slos, "--month", hist.label(hist.last), "--compare-previous", "--format", "markdown"
    )
    assert code == 0
    table_rows = [line for line in out.splitlines() if line.startswith("| shop |")]
    assert len(table_rows) == 3 and all(line.endswith("| no data | — |") for line in table_rows)
    assert "pp" not in out  # no budget delta against a month without data


# -- the running month and a running span -------------------------------------------------------------


def test_running_month_ends_at_now(prometheus: PrometheusServer, slos: Path, hist: History) -> None:
    before = datetime.now(UTC)
    doc = json_report(prometheus.url, slos, "--month", hist.label(hist.current))
    after = datetime.now(UTC)
    period = doc["period"]
    end = datetime.fromisoformat(period["end"])
    assert period["running"] is True and period["label"].endswith("month-to-date")
    assert before - timedelta(minutes=10) < end <= after
    assert datetime.fromisoformat(period["full_end"]) > after
    up = by_name(doc)["uptime"]
    elapsed = int((end - hist.current).total_seconds())
    assert up["slices_in_period"] == elapsed // 60  # no future minute counted
    today = f"{after:%Y-%m-%d}"
    for row in doc["slos"]:
        assert row["worst_day"] is None or row["worst_day"]["date"] <= today
        assert row["coverage"] > 0.95 or elapsed < 3 * 3600
    assert any("budgets are of the elapsed part" in n for n in doc["notes"])


def test_running_span_summary_in_time(prometheus: PrometheusServer, slos: Path, hist: History) -> None:
    start = max(hist.now.replace(second=0, microsecond=0) - timedelta(hours=4), hist.current)
    start -= timedelta(minutes=start.minute % 5)
    end = start + timedelta(days=1)
    args = ["--start", start.isoformat(), "--end", end.isoformat(), "--min-coverage", "0"]
    doc = json_report(prometheus.url, slos, *args)
    up = by_name(doc)["uptime"]
    assert up["status"] == "breached" and up["total"] - up["good"] == OUTAGE_MINUTES
    first = doc["summary"][0]["text"]
    allowed = duration_text(up["total"] * 0.001)
    assert first.startswith("BREACHED (")  # breached first
    assert f"shop/uptime missed 99.9%: {OUTAGE_MINUTES} min down against {allowed} allowed" in first
    assert doc["period"]["running"] is True and datetime.fromisoformat(doc["period"]["end"]) <= datetime.now(UTC)
    code, out, _ = run(prometheus.url, slos, *args)
    assert code == 0
    summary = out.splitlines()[1]
    assert summary.startswith("BREACHED (") and "shop/uptime missed 99.9%: 65 min down" in summary


# -- the same figures on VictoriaMetrics --------------------------------------------------------------


def test_victoriametrics_equals_prometheus_at_the_gap_edge(
    prometheus: PrometheusServer, victoria: VictoriaMetrics, slos: Path, hist: History
) -> None:
    month = hist.label(hist.last)
    prom = json_report(prometheus.url, slos, "--month", month, "--min-coverage", "0")
    vm = json_report(victoria.url, slos, "--month", month, "--min-coverage", "0")
    assert vm["server"]["kind"] == "victoriametrics" and prom["server"]["kind"] == "prometheus"
    p, v = by_name(prom), by_name(vm)
    for name in ("error-rate", "uptime"):
        for key in ("good", "total", "slices_in_period", "sli", "coverage", "status"):
            assert v[name][key] == p[name][key], (name, key)
        assert v[name]["worst_day"] == p[name]["worst_day"]
    # Event counts too, extrapolated to the window's edges as Prometheus does (the data stop on day 11
    # and start 30 s after the month: both edges are extrapolated), and every day of the breakdown.
    for key in ("good", "total", "sli", "error_budget_remaining", "coverage"):
        assert v["availability"][key] == pytest.approx(p["availability"][key], rel=1e-9, abs=1e-9), key
    assert v["availability"]["worst_day"]["date"] == p["availability"]["worst_day"]["date"]
    assert v["availability"]["worst_day"]["sli"] == pytest.approx(p["availability"]["worst_day"]["sli"], rel=1e-12)
    assert any("counters read as Prometheus reads them" in n for n in vm["notes"])
    # The current month as well, both servers read to the same settled instant two minutes before the newest
    # sample: VictoriaMetrics shifts queries within -search.latencyOffset (30 s) of the wall clock back by it,
    # so a running-month report at "now" is read up to 30 s earlier there (the README says so).
    settled = max(hist.now.replace(second=0, microsecond=0) - timedelta(minutes=2), hist.current + timedelta(minutes=1))
    span = ("--start", hist.current.isoformat(), "--end", settled.isoformat())
    prom_now = by_name(json_report(prometheus.url, slos, *span, "--min-coverage", "0"))
    vm_now = by_name(json_report(victoria.url, slos, *span, "--min-coverage", "0"))
    for name in prom_now:
        for key in ("good", "total", "sli"):
            assert vm_now[name][key] == pytest.approx(prom_now[name][key], rel=1e-9), (name, key)


def test_the_gap_edge_slice_differs_with_metricsql_increase(
    prometheus: PrometheusServer, victoria: VictoriaMetrics, slos: Path, hist: History
) -> None:
    """The slices next to the gap, read three ways: Prometheus, and VictoriaMetrics with and without
    Prometheus' reading rebuilt. Only MetricsQL's own increase() (which starts from the sample before
    the slice) finds the errors counted across the slice's start and calls the slice bad."""
    from slo.loaders import load
    from slo.report import queries
    from slo.report.client import Connection, PromClient
    from slo.report.periods import ReportPeriod

    slo = next(s for s in load((str(slos),)).services[0].slos if s.name == "error-rate")
    alone = int(hist.gap[1]) + 30  # the slice (13:00, 13:05] holds only the sample at 13:04:30
    after = alone + 300  # (13:05, 13:10]: 13:05:30 … 13:09:30; the errors came in just before 13:05:30
    start = datetime.fromtimestamp(alone - 900, UTC)
    span = ReportPeriod(start, start + timedelta(minutes=30), "UTC", "edge")

    def verdicts(url: str, dialect: queries.Dialect) -> dict[int, str]:
        q = queries.plan(slo, span, dialect=dialect)["slices"]
        assert isinstance(q, queries.Range)
        with PromClient(Connection(url)) as client:
            result = client.range(q.expr, q.first, q.last, q.step)
        return {int(float(t)): v for item in result for t, v in item["values"]}

    prom = verdicts(prometheus.url, queries.PROMETHEUS)
    vm_native = verdicts(victoria.url, queries.PROMETHEUS)
    vm_compatible = verdicts(victoria.url, queries.VICTORIAMETRICS)
    assert alone not in prom and after in prom and prom[after] == "0"  # no data, then a good slice
    assert vm_native.get(after) == "1"  # MetricsQL increase(): bad
    assert vm_compatible == prom  # Prometheus' verdicts, slice for slice


# -- what the server says about itself ------------------------------------------------------------------


def test_retention_shorter_than_the_period_is_a_note(
    backend: Backend, blocks: Path, slos: Path, hist: History, tmp_path: Path
) -> None:
    import shutil

    data = tmp_path / "data"
    shutil.copytree(blocks, data)
    with PrometheusServer(data, retention="15d") as short:
        doc = json_report(short.url, slos, "--month", hist.label(hist.last))
    assert doc["server"]["retention"] == "15d"
    note = next(n for n in doc["notes"] if "keeps 15d of data" in n)
    assert "--storage.tsdb.retention.time" in note and "Thanos, Mimir, VictoriaMetrics" in note
    assert note.startswith("Prometheus ")


def test_victoriametrics_retention_is_read_from_its_flags(victoria: VictoriaMetrics, slos: Path, hist: History) -> None:
    doc = json_report(victoria.url, slos, "--month", hist.label(hist.current))
    assert doc["server"] == {"kind": "victoriametrics", "version": doc["server"]["version"], "retention": "100y"}
    assert not any("keeps" in n for n in doc["notes"])


def test_retention_note_names_the_setting(hist: History) -> None:
    from slo.report.periods import month_period
    from slo.report.server import ServerInfo, retention_notes

    info = ServerInfo("victoriametrics", None, "1 month(s)", 31 * 86400.0, "-retentionPeriod")
    older = month_period(hist.label(hist.empty))
    notes = retention_notes(info, [older], hist.now)
    assert len(notes) == 1 and "VictoriaMetrics keeps 1 month(s) of data (-retentionPeriod)" in notes[0]
    assert re.search(r"starts \d+ days ago: its first \d+ (days|hours) are gone", notes[0])


# -- the HTML page in a real browser ---------------------------------------------------------------------


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 3200) -> str:
    """Render ``page`` with headless Chromium to ``png``; returns the browser's log (console messages)."""
    import subprocess

    browser = require("chromium")
    profile = png.parent / f"{png.stem}-profile"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        f"--screenshot={png}",
        page.resolve().as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and png.is_file(), proc.stderr[-2000:]
    return proc.stderr


@pytest.mark.parametrize("which", ["last-month", "running-span"])
def test_html_report_renders_in_chromium(
    prometheus: PrometheusServer, slos: Path, hist: History, tmp_path: Path, which: str
) -> None:
    import matplotlib.image

    if which == "last-month":
        args = ["--month", hist.label(hist.last), "--compare-previous"]
    else:
        start = max(hist.now.replace(second=0, microsecond=0) - timedelta(hours=4), hist.current)
        start -= timedelta(minutes=start.minute % 5)
        args = ["--start", start.isoformat(), "--end", (start + timedelta(days=1)).isoformat(), "--min-coverage", "0"]
    page = tmp_path / f"{which}.html"
    code, _, err = run(prometheus.url, slos, *args, "--format", "html", "--output", str(page))
    assert code == 0, err
    log = screenshot(page, tmp_path / f"{which}.png")
    assert ":CONSOLE" not in log and "Uncaught" not in log, log  # no script errors, no console output at all
    pixels = matplotlib.image.imread(tmp_path / f"{which}.png")[..., :3]
    ink = (pixels.min(axis=2) < 0.9).mean()  # share of pixels that are not (nearly) white
    assert 0.01 < ink < 0.6, ink  # neither blank nor a solid block
    red = ((pixels[..., 0] > 0.7) & (pixels[..., 1] < 0.3) & (pixels[..., 2] < 0.3)).sum()
    text = page.read_text(encoding="utf-8")  # no scripts: the DOM Chromium drew is this markup
    assert "<script" not in text and text.count("<svg") == 6  # a burn-down and a daily chart for each of the three SLOs
    if which == "running-span":
        assert "BREACHED (" in text and "shop/uptime missed 99.9%: 65 min down" in text
        assert red > 100  # the red BREACHED heading and the red bars/burn-down are drawn
    else:
        assert "NOT ENOUGH DATA (" in text and "the previous period has no data" in text
