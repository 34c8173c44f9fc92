"""``slo report`` against a real Prometheus and a real VictoriaMetrics over a month with known truth.

The data (tests/report_world.py) hold a counter reset, a three-hour scrape gap, a series that
appears mid-month, an idle hour, traffic that varies by hour and probe failures on slice
boundaries. The report must find the truth: occurrence SLIs within 0.001 percentage points, slice
counts exactly, and coverage that shows the gap.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from slo.commands.report import report
from slo.local.metrics_text import write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics
from tests import report_world as world_mod
from tests.conftest import Backend
from tests.vmserver import VictoriaMetrics

pytestmark = pytest.mark.integration

SLOS = """
from slo import availability, error_rate, latency, regex, service, uptime

api = {"job": "api"}
errors = {"code": regex("5..")}
shop = service(
    "shop",
    availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels=api),
    latency("latency", 95, "http_request_duration_seconds", under="200ms", labels=api),
    error_rate("error-rate", 99, "http_requests_total", errors=errors, below="1%", slice="5m", labels=api),
    uptime("uptime", 99.9, "probe_success", labels={"job": "blackbox"}, period="month", timezone="Europe/Berlin"),
    availability("absent", 99, "nothing_total", errors={"code": "500"}),
)
"""
PP = 1e-5  # 0.001 percentage points, as a ratio


@pytest.fixture(scope="module")
def world() -> world_mod.World:
    return world_mod.build()


@pytest.fixture(scope="module")
def slos_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("slos") / "slos.py"
    path.write_text(SLOS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def prometheus(backend: Backend, world: world_mod.World, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("prom")
    write_openmetrics(world_mod.series(world), base / "data.om")
    # One pass over the file for the whole range (promtool re-reads the file once per block).
    backfill_openmetrics(base / "data.om", base / "data", max_block="2000h")
    (base / "data.om").unlink()
    with PrometheusServer(base / "data") as server:
        yield server


@pytest.fixture(scope="module")
def victoria(backend: Backend, world: world_mod.World, tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("vm")
    with VictoriaMetrics(base / "data") as server:
        server.import_series(world_mod.series(world))
        yield server


def run(url: str, slos: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        report,
        [str(slos), "--prometheus", url, "--month", world_mod.MONTH, "--timezone", world_mod.TZ, "-q", *args],
    )
    return result.exit_code, result.stdout, result.stderr


def by_name(doc: dict) -> dict[str, dict]:
    return {s["slo"]: s for s in doc["slos"]}


def check_truth(doc: dict, truth: dict) -> None:
    """The report's numbers against the generated truth (shared by Prometheus and VictoriaMetrics)."""
    assert doc["period"]["start"] == "2025-02-28T23:00:00+00:00"  # Berlin midnight, CET
    assert doc["period"]["end"] == "2025-03-31T22:00:00+00:00"  # Berlin midnight, CEST
    slos = by_name(doc)

    avail = slos["availability"]
    assert abs(avail["sli"] - truth["availability_sli"]) <= PP
    assert abs(avail["total"] - truth["events_total"]) <= 1e-6 * truth["events_total"]
    assert abs(avail["good"] - truth["availability_good"]) <= 1e-6 * truth["events_total"]
    assert avail["unit"] == "events" and avail["compliant"] is True
    expected_budget = 1 - (1 - truth["availability_sli"]) / (1 - 0.999)
    assert abs(avail["error_budget_remaining"] - expected_budget) <= PP / (1 - 0.999)
    # 5-minute steps with data: the gap (10:02 → 13:03) leaves 35 steps empty.
    assert truth["events_steps"] - truth["events_steps_present"] == 35
    assert abs(avail["coverage"] - truth["events_steps_present"] / truth["events_steps"]) <= 1 / truth["events_steps"]
    assert avail["coverage"] < 1

    lat = slos["latency"]
    assert abs(lat["sli"] - truth["latency_sli"]) <= PP
    assert abs(lat["good"] - truth["latency_good"]) <= 1e-6 * truth["events_total"]
    assert lat["worst_day"]["date"] == truth["latency_worst_day"] == "2025-03-27"
    assert abs(lat["worst_day"]["sli"] - truth["latency_worst_day_sli"]) <= PP
    assert lat["status"] == "at-risk"  # compliant, under a quarter of the budget left

    err = slos["error-rate"]
    assert truth["slice_ratio_margin"] > 0.2  # no slice sits near the 1% threshold: the truth is unambiguous
    assert err["unit"] == "slices"
    assert err["slices_in_period"] == truth["slices_total"] == 743 * 12
    assert err["total"] == truth["slices_present"]  # slices with data: those without lower the coverage only
    assert err["good"] == truth["slices_good"]
    assert err["sli"] == truth["slices_good"] / truth["slices_present"]
    assert err["coverage"] == truth["slices_present"] / truth["slices_total"]
    assert truth["slices_total"] - truth["slices_present"] == 35  # the gap's empty slices

    up = slos["uptime"]
    assert up["slices_in_period"] == truth["uptime_total"] == 743 * 60
    assert up["total"] == truth["uptime_present"]
    assert up["good"] == truth["uptime_good"]
    # 180 one-minute slices in the gap, 20 with a failed probe (18 in the outage, one on the 12:30
    # boundary, one at the period end; the failure at the period start belongs to February).
    assert truth["uptime_total"] - truth["uptime_present"] == 180
    assert truth["uptime_present"] - truth["uptime_good"] == 20
    assert up["coverage"] == truth["uptime_present"] / truth["uptime_total"]
    # 20 bad minutes of 44,400 with data: 99.955%, within 99.9% (the gap's 180 minutes are unknown, not bad).
    assert up["compliant"] is True and up["status"] == "ok"
    assert up["error_budget_remaining"] == pytest.approx(1 - (20 / truth["uptime_present"]) / 0.001)

    absent = slos["absent"]
    assert absent["sli"] is None and absent["compliant"] is None and absent["status"] == "no-data"
    assert absent["coverage"] == 0

    for s in doc["slos"]:
        assert s["sli"] is None or 0 <= s["sli"] <= 1


def test_prometheus_report_matches_truth(prometheus: PrometheusServer, slos_file: Path, world) -> None:
    code, out, err = run(prometheus.url, slos_file, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    check_truth(doc, world.truth)
    # The exact shape of DESIGN.md's example comes first in every SLO.
    keys = [
        "service",
        "slo",
        "objective",
        "sli",
        "error_budget_remaining",
        "compliant",
        "good",
        "total",
        "unit",
        "coverage",
    ]
    assert list(doc["slos"][0])[: len(keys)] == keys
    assert set(doc) >= {"period", "slos"}


def test_victoriametrics_report_matches_truth(victoria: VictoriaMetrics, slos_file: Path, world) -> None:
    # VictoriaMetrics' increase() does not extrapolate; with samples on the period bounds both
    # engines count the same events, so the same tolerance (0.001 pp) and exact slices apply.
    code, out, err = run(victoria.url, slos_file, "--format", "json")
    assert code == 0, err
    check_truth(json.loads(out), world.truth)


def test_victoriametrics_gives_prometheus_figures(
    prometheus: PrometheusServer, victoria: VictoriaMetrics, slos_file: Path
) -> None:
    """The whole month (reset, gap, late series, idle hour): every figure of every SLO equal on both."""
    code, out, err = run(prometheus.url, slos_file, "--format", "json")
    assert code == 0, err
    prom = by_name(json.loads(out))
    code, out, err = run(victoria.url, slos_file, "--format", "json")
    assert code == 0, err
    vm = by_name(json.loads(out))
    for name, p in prom.items():
        v = vm[name]
        for key in ("sli", "good", "total", "coverage", "error_budget_remaining"):
            assert (v[key] is None and p[key] is None) or v[key] == pytest.approx(p[key], rel=1e-9), (name, key)
        assert v["status"] == p["status"] and (v["worst_day"] or {}).get("date") == (p["worst_day"] or {}).get("date")


def test_other_formats_agree(prometheus: PrometheusServer, slos_file: Path, tmp_path: Path) -> None:
    code, out, err = run(prometheus.url, slos_file, "--format", "json", "--compare-previous")
    assert code == 0, err
    doc = json.loads(out)
    prev = by_name(doc)["availability"]["previous"]
    assert doc["previous_period"]["start"] == "2025-01-31T23:00:00+00:00"
    # February holds only its last four days of data: low coverage, judged on the slices with data only.
    assert 0 < prev["coverage"] < 0.2 and prev["status"] == "insufficient-data" and prev["compliant"] is None
    up_prev = by_name(doc)["uptime"]["previous"]
    assert up_prev["status"] == "insufficient-data" and up_prev["sli"] > 0.99

    code, out, err = run(prometheus.url, slos_file, "--format", "csv")
    assert code == 0, err
    rows = {r["slo"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {s["slo"] for s in doc["slos"]}
    for name, s in by_name(doc).items():
        assert (rows[name]["sli"] == "" and s["sli"] is None) or float(rows[name]["sli"]) == s["sli"]
        assert rows[name]["status"] == s["status"]

    code, out, err = run(prometheus.url, slos_file, "--format", "markdown")
    assert code == 0, err
    assert out.startswith("# SLO report 2025-03")
    assert re.search(r"^\| shop \| uptime \| 99\.9% \| 99\.955% \| ok \|", out, re.M)
    assert re.search(r"^- \*\*NO DATA \(1\)\*\*: shop/absent: no data", out, re.M)

    html_file = tmp_path / "report.html"
    code, out, err = run(prometheus.url, slos_file, "--format", "html", "--output", str(html_file))
    assert code == 0, err
    assert out == ""
    page = html_file.read_text(encoding="utf-8")
    assert page.count("<svg") == 8  # a burn-down and a daily chart per SLO with data, none for "absent"
    assert "<script" not in page and not re.search(r'(src|href)="https?:', page)  # self-contained

    table_file = tmp_path / "report.txt"
    code, _, err = run(prometheus.url, slos_file, "--output", str(table_file))
    assert code == 0, err
    text = table_file.read_text(encoding="utf-8")
    assert "AT RISK (1): shop/latency met 95%" in text and "no data" in text and "\x1b[" not in text


WEEK = "2025-W12"  # Berlin Monday 17 March to Monday 24 March: a burst, the scrape gap, the probe outage


def test_iso_week_report_matches_truth(prometheus: PrometheusServer, slos_file: Path, world) -> None:
    """``--week``: an ISO week in the report's time zone, Monday midnight to Monday midnight, with the same
    exactness as a month (the truth recomputed over the week from the generated increments)."""
    from slo.report.periods import week_period

    period = week_period(WEEK, world_mod.TZ)
    truth = world_mod.truth(world, int(period.start.timestamp()), int(period.end.timestamp()))
    args = [str(slos_file), "--prometheus", prometheus.url, "--week", WEEK, "--timezone", world_mod.TZ]
    result = CliRunner().invoke(report, [*args, "-q", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["period"]["start"], doc["period"]["end"]) == ("2025-03-16T23:00:00+00:00", "2025-03-23T23:00:00+00:00")
    assert doc["period"]["label"] == WEEK
    slos = by_name(doc)
    avail = slos["availability"]
    assert abs(avail["sli"] - truth["availability_sli"]) <= PP
    assert abs(avail["total"] - truth["events_total"]) <= 1e-6 * truth["events_total"]
    assert abs(avail["good"] - truth["availability_good"]) <= 1e-6 * truth["events_total"]
    assert abs(slos["latency"]["good"] - truth["latency_good"]) <= 1e-6 * truth["events_total"]
    err = slos["error-rate"]
    assert err["slices_in_period"] == truth["slices_total"] == 7 * 24 * 12
    assert (err["good"], err["total"]) == (truth["slices_good"], truth["slices_present"])
    assert truth["slices_total"] - truth["slices_present"] == 35  # the gap is inside the week
    up = slos["uptime"]
    assert up["slices_in_period"] == truth["uptime_total"] == 7 * 24 * 60
    assert (up["good"], up["total"]) == (truth["uptime_good"], truth["uptime_present"])
    assert truth["uptime_present"] - truth["uptime_good"] == 18  # the outage on the 22nd
    # the table names the week
    table = CliRunner().invoke(report, [*args, "-q"])
    assert table.exit_code == 0 and "2025-W12 (Europe/Berlin)" in table.stdout, table.stdout + table.stderr


def test_week_slos_are_reported_over_their_last_complete_week(prometheus: PrometheusServer, tmp_path: Path) -> None:
    """Without a period option, SLOs that all have calendar-week periods get their last complete week, in
    their time zone (the backfilled data are from 2025: nothing in that week, so no data, never compliant)."""
    from slo.report.periods import last_complete_week

    slos = tmp_path / "weekly.py"
    slos.write_text(
        "from slo import availability, regex, service\n"
        'shop = service("shop", availability("weekly", 99.9, "http_requests_total", '
        'errors={"code": regex("5..")}, period="week", timezone="Asia/Tokyo"))\n'
    )
    result = CliRunner().invoke(report, [str(slos), "--prometheus", prometheus.url, "-q", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    expected = last_complete_week("Asia/Tokyo")
    assert doc["period"]["label"] == expected.label and doc["period"]["start"] == expected.start.isoformat()
    assert doc["period"]["timezone"] == "Asia/Tokyo"
    assert by_name(doc)["weekly"]["status"] == "no-data"
