"""Slice-mean SLOs (OpenSLO ``RatioTimeslices``) against a real Prometheus and VictoriaMetrics.

One day of requests whose traffic differs 100-fold between hours (busy hours: ~1000 requests a
minute at ~0.1% errors; quiet hours: ~10 a minute at ~7% errors), an idle hour (counters flat) and a
scrape gap. The mean of the slices' ratios is then far from the event-weighted ratio, so a report
that weighed events, or counted idle slices as good, would be caught. The truth is computed here
from the generated increments, without PromQL. The recorded windows are checked too: the slice
ratio record backfilled with promtool over the day, and every window the time average of it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generators.prometheus_rules import rule_file
from slo.cli import main
from slo.commands.report import report
from slo.loaders import load
from slo.local.metrics_text import Series, write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics, backfill_rules, only_records, write_rules
from slo.promql.recorded import SLICE_ERROR
from tests.conftest import Backend
from tests.vmserver import VictoriaMetrics

pytestmark = pytest.mark.integration

START = int(datetime(2026, 3, 10, tzinfo=UTC).timestamp())
DAY = 86400
END = START + DAY
SLICE = 300
SCRAPE = 60
DATA = (START - 2 * 3600, END + 3600)
IDLE = (START + 3 * 3600, START + 4 * 3600)  # no requests: counters flat, samples present
GAP = (START + 6 * 3600, START + 7 * 3600)  # no samples at all (last before, first after)
BURST = (START + 12 * 3600, START + 12 * 3600 + 300)  # a busy hour's 5 minutes at 50% errors
SLOS = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: shop
  indicatorRef: requests
  timeWindow:
    - duration: 30d
      isRolling: true
  budgetingMethod: RatioTimeslices
  objectives:
    - target: 0.99
      timeSliceWindow: 5m
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: requests
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{job="shop",code="500"}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: http_requests_total{job="shop"}
"""


PROBES = """\
apiVersion: slo-toolkit/v1
services:
  - name: probes
    slos:
      - name: uptime
        objective: 98
        sli:
          probe: {metric: probe_success, labels: {job: blackbox}}
          slices: {length: 1m, mean: true}
"""
ROUTES = """\
apiVersion: slo-toolkit/v1
services:
  - name: routes
    slos:
      - name: availability
        objective: 99
        group_by: [route]
        sli:
          ratio:
            bad: {metric: http_requests_total, labels: {job: routes, code: "500"}}
            total: {metric: http_requests_total, labels: {job: routes}}
          slices: {length: 5m, mean: true}
"""
PROBE_EVERY = 15
PROBE_DOWN = (START + 9 * 3600, START + 9 * 3600 + 450)  # 7.5 minutes of failed probes


@dataclass
class World:
    minutes: np.ndarray  # every minute end of the data range
    total: np.ndarray  # requests in the minute ending there
    bad: np.ndarray
    times: np.ndarray  # the scraped minute ends
    probe_times: np.ndarray
    probe_values: np.ndarray


def build() -> World:
    minutes = np.arange(DATA[0], DATA[1] + 1, SCRAPE, dtype=np.int64)
    n = (minutes // 60) % 7  # a little jitter
    busy = ((minutes - 1) // 3600) % 2 == 0
    total = np.where(busy, 1000 + 10 * n, 10 + n).astype(np.int64)
    bad = np.where(busy, 1 + (n == 3), 1).astype(np.int64)
    burst = (minutes > BURST[0]) & (minutes <= BURST[1])
    bad[burst] = total[burst] // 2
    idle = (minutes > IDLE[0]) & (minutes <= IDLE[1])
    total[idle], bad[idle] = 0, 0
    times = minutes[~((minutes > GAP[0]) & (minutes < GAP[1]))]
    probe_times = np.arange(DATA[0], DATA[1] + 1, PROBE_EVERY, dtype=np.int64)
    probe_times = probe_times[~((probe_times > GAP[0]) & (probe_times < GAP[1]))]
    down = ((probe_times > PROBE_DOWN[0]) & (probe_times <= PROBE_DOWN[1])) | (probe_times // PROBE_EVERY % 97 == 0)
    return World(minutes, total, bad, times, probe_times, np.where(down, 0.0, 1.0))


def series(world: World) -> list[Series]:
    out = []
    at = np.searchsorted(world.minutes, world.times)
    for code, inc in (("200", world.total - world.bad), ("500", world.bad)):
        values = np.cumsum(inc)[at].astype(float)
        out.append(
            Series("http_requests_total", {"job": "shop", "code": code}, list(zip(world.times, values, strict=True)))
        )
    for route, (total, bad) in _routes(world).items():  # a grouped SLO: /a as shop, /b steady
        for code, inc in (("200", total - bad), ("500", bad)):
            values = np.cumsum(inc)[at].astype(float)
            labels = {"job": "routes", "route": route, "code": code}
            out.append(Series("http_requests_total", labels, list(zip(world.times, values, strict=True))))
    probes = list(zip(world.probe_times.tolist(), world.probe_values.tolist(), strict=True))
    out.append(Series("probe_success", {"job": "blackbox"}, probes, "gauge"))
    return out


def _routes(world: World) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    steady = np.where(world.total > 0, 20, 0).astype(np.int64)  # idle in the same hour
    return {"/a": (world.total, world.bad), "/b": (steady, np.where(steady > 0, 1, 0).astype(np.int64))}


def _window_ratio(
    world: World, t: float, left_open: bool, counts: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[bool, float | None]:
    """(any sample in (t - slice, t], error ratio between the first and last samples in the window)."""
    totals, bads = counts or (world.total, world.bad)
    lo_side = "right" if left_open else "left"
    lo = np.searchsorted(world.times, t - SLICE, side=lo_side)
    hi = np.searchsorted(world.times, t, side="right") - 1
    present = bool(np.any((world.times > t - SLICE) & (world.times <= t)))
    if hi - lo < 1:
        return present, None
    first, last = (np.searchsorted(world.minutes, world.times[i]) for i in (lo, hi))
    total = int(totals[first + 1 : last + 1].sum())
    bad = int(bads[first + 1 : last + 1].sum())
    return present, (bad / total if total > 0 else None)


def _slice_mean(world: World, counts: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[float], int]:
    """The error ratios of the day's aligned slices that have one, and how many slices had samples."""
    ratios, present = [], 0
    for t in np.arange(START + SLICE, END + 1, SLICE):
        seen, ratio = _window_ratio(world, t, False, counts)  # reports read slices closed: [t - 5m, t]
        present += seen
        if ratio is not None:
            ratios.append(ratio)
    return ratios, present


def truth(world: World) -> dict[str, float]:
    ends = np.arange(START + SLICE, END + 1, SLICE)
    ratios, present = _slice_mean(world)
    routes = {route: 1 - float(np.mean(_slice_mean(world, c)[0])) for route, c in _routes(world).items()}
    in_day = (world.minutes > START) & (world.minutes <= END)
    probe_ratios = []
    for t in np.arange(START + 60, END + 1, 60):  # one-minute probe slices (t - 1m, t]
        inside = (world.probe_times > t - 60) & (world.probe_times <= t)
        if inside.any():
            probe_ratios.append(1 - float(world.probe_values[inside].mean()))
    return {
        "route_a_sli": routes["/a"],
        "route_b_sli": routes["/b"],
        "probe_sli": 1 - float(np.mean(probe_ratios)),
        "probe_present": len(probe_ratios),
        "slices": len(ends),
        "present": present,
        "measured": len(ratios),
        "sli": 1 - float(np.mean(ratios)),
        "event_sli": 1 - world.bad[in_day].sum() / world.total[in_day].sum(),
    }


@dataclass
class Env:
    tmp: Path
    world: World
    slos: Path
    server: PrometheusServer
    backend: Backend


@pytest.fixture(scope="module")
def env(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("slice-mean")
    world = build()
    write_openmetrics(series(world), tmp / "data.om")
    backfill_openmetrics(tmp / "data.om", tmp / "data", max_block="100h")
    slos = tmp / "slos"
    slos.mkdir()
    (slos / "shop.yaml").write_text(SLOS, encoding="utf-8")
    (slos / "probes.yaml").write_text(PROBES, encoding="utf-8")
    (slos / "routes.yaml").write_text(ROUTES, encoding="utf-8")
    with PrometheusServer(tmp / "data") as server:
        yield Env(tmp, world, slos, server, backend)


def _report(url: str, slos: Path) -> dict[str, dict]:
    span = ["--start", "2026-03-10T00:00:00Z", "--end", "2026-03-11T00:00:00Z"]
    result = CliRunner().invoke(report, [str(slos), "--prometheus", url, *span, "--format", "json", "-q"])
    assert result.exit_code in (0, 2), result.stdout + result.stderr  # 2: the SLO is breached (--fail-on)
    return {f"{row['service']}/{row['slo']}": row for row in json.loads(result.stdout)["slos"]}


def _check_report(rows: dict[str, dict], want: dict[str, float]) -> None:
    uptime = rows["probes/uptime"]  # a probe's slice mean: the mean of each minute's failed-probe share
    assert uptime["sli"] == pytest.approx(want["probe_sli"], abs=1e-9)
    assert uptime["total"] == want["probe_present"] == 1440 - 59  # the gap hides 59 minutes
    assert uptime["unit"] == "slices" and uptime["status"] == "at-risk"
    routes = rows["routes/availability"]  # grouped: one slice mean per route, the SLO's figures its worst
    by_route = {g["labels"]["route"]: g for g in routes["groups"]}
    assert by_route["/a"]["sli"] == pytest.approx(want["route_a_sli"], abs=1e-9) == want["sli"]
    assert by_route["/b"]["sli"] == pytest.approx(want["route_b_sli"], abs=1e-9)
    assert want["route_b_sli"] == pytest.approx(0.95, abs=1e-9)  # 1 error in 20 requests, every slice
    assert routes["worst_group"] == {"route": "/b"} and routes["sli"] == by_route["/b"]["sli"]
    row = rows["shop/availability"]
    # the world is built so that the two weightings differ clearly: a report weighing events is caught
    assert want["sli"] < 0.97 < 0.99 < want["event_sli"]
    assert row["unit"] == "slices" and row["sli_kind"] == "slice-mean"
    assert row["sli"] == pytest.approx(want["sli"], abs=1e-9)
    assert row["total"] == want["measured"]  # slices with events; idle slices are not averaged
    assert row["good"] == pytest.approx(want["sli"] * want["measured"], abs=1e-6)
    assert row["slices_in_period"] == want["slices"] == 288
    assert row["coverage"] == pytest.approx(want["present"] / want["slices"], abs=1e-12)
    assert want["present"] == 288 - 11  # the gap hides 11 slices; the idle hour is covered, not measured
    assert want["measured"] == want["present"] - 12 - 1  # 12 idle slices, and the one after the gap holds 1 sample
    assert row["error_budget_remaining"] == pytest.approx(1 - (1 - want["sli"]) / 0.01, abs=1e-7)
    assert row["compliant"] is False
    assert (
        "13 slice(s) with data but no ratio (no events, or one sample) are left out of the mean (covered)"
        in row["notes"]
    )


def test_report_is_the_mean_of_the_slices_ratios(env: Env) -> None:
    want = truth(env.world)
    rows = _report(env.server.url, env.slos)
    got = rows["shop/availability"]["sli"]
    print(f"\nslice mean SLI {got:.6f} (truth {want['sli']:.6f}); event-weighted {want['event_sli']:.6f}")
    _check_report(rows, want)


def test_victoriametrics_gives_the_same_figures(env: Env, tmp_path: Path) -> None:
    want = truth(env.world)
    with VictoriaMetrics(tmp_path / "vm") as vm:
        vm.import_series(series(env.world))
        rows = _report(vm.url, env.slos)
    _check_report(rows, want)


@pytest.fixture(scope="module")
def backfilled(env: Env) -> dict[str, str]:
    """The slice-ratio record backfilled over the day with promtool; the rules' expressions by record name."""
    [service] = load([env.slos / "shop.yaml"]).services
    doc = rule_file(service)
    exprs = {r["record"]: r["expr"] for g in doc["groups"] for r in g["rules"] if "record" in r}
    rules = write_rules(only_records(doc, [SLICE_ERROR]), env.tmp / "slice.rules.yml")
    blocks = backfill_rules(rules, env.tmp / "blocks", env.server.url, START, END, eval_interval="30s")
    assert blocks
    env.server.stop()
    for block in blocks:
        shutil.move(str(block), str(env.tmp / "data" / block.name))
    env.server.start()

    return exprs


def test_recorded_windows_are_the_time_average_of_the_slice_ratio(env: Env, backfilled: dict[str, str]) -> None:
    """Backfill the slice-ratio record over the day; the 1d and 30d records then equal its time average,
    which is close to the report's mean of aligned slices and far from the event-weighted ratio."""
    exprs = backfilled
    selector = 'slo:slice_error:ratio{service="shop",slo="availability"}'
    left_open = env.backend.current  # Prometheus 3 reads ranges (t - 5m, t]; 2.x [t - 5m, t]
    averages = {}
    for window in ("1d", "30d"):
        data = env.server._api("/api/v1/query", {"query": f"{selector}[{window}]", "time": str(END)})
        [matrix] = data["result"]
        recorded = {float(t): float(v) for t, v in matrix["values"]}
        grid = sorted(recorded)
        step = grid[1] - grid[0]
        assert step == 30  # the group's interval
        # every evaluation instant of the grid: a sample exactly where the slice has events (the idle hour
        # and the gap have none: skipped, never NaN or 0), equal to the ratio computed from the increments
        expected = {}
        for t in np.arange(grid[0], grid[-1] + 1, step):
            _, ratio = _window_ratio(env.world, float(t), left_open)
            if ratio is not None:
                expected[float(t)] = ratio
        assert set(recorded) == set(expected), window
        for t, value in recorded.items():
            assert value == pytest.approx(expected[t], rel=1e-6)
        averages[window] = float(np.mean(list(recorded.values())))
        got = env.server.query_value(exprs[f"slo:sli_error:ratio_rate{window}"], END)
        assert got == pytest.approx(averages[window], rel=1e-9), window
    time_average = averages["30d"]
    want = truth(env.world)
    print(f"\nrecorded 30d error ratio {time_average:.6f}; report's slice mean {1 - want['sli']:.6f}")
    assert time_average == pytest.approx(1 - want["sli"], rel=0.05)  # sliding vs aligned slices
    assert time_average > 5 * (1 - want["event_sli"])  # 4.0% against 0.54%


def test_dashboard_shows_the_recorded_slice_ratio(env: Env, backfilled: dict[str, str]) -> None:
    """The slice-mean row: the recorded slice error ratio (backfilled above), no good/bad slice timeline."""
    from generators.grafana import dashboards
    from tests.test_grafana_queries import queries, substitute

    [service] = load([env.slos / "shop.yaml"]).services
    files = dashboards([service], "http://grafana.test")
    found = list(queries(json.loads(files["dashboards/shop.json"])))
    assert not [e for _, e, _ in found if "slo:slice_bad:bool" in e]
    [(where, expr, _)] = [(w, e, i) for w, e, i in found if "Slice error ratio" in w and "targets" in w]
    result = env.server.query_range(substitute(expr), END - 3600, END, 60)
    values = [v for _, vs in result for _, v in vs]
    assert values and all(0 <= v <= 1 for v in values), where


def test_slo_backfill_writes_the_windows_as_time_averages(env: Env, tmp_path: Path) -> None:
    """`slo backfill` over the day: its 1d window is the time average of its own slice-ratio samples."""
    out = tmp_path / "blocks"
    args = ["backfill", str(env.slos / "shop.yaml"), "--prometheus", env.server.url, "--out", str(out), "-q"]
    args += ["--start", str(START), "--end", str(END)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stdout + result.stderr
    data = tmp_path / "data"
    data.mkdir()
    for block in out.iterdir():
        if (block / "meta.json").is_file():
            shutil.copytree(block, data / block.name)
    selector = '{service="shop",slo="availability"}'
    with PrometheusServer(data) as server:
        answer = server._api("/api/v1/query", {"query": f"slo:sli_error:ratio_rate1d{selector}[10m]", "time": str(END)})
        [matrix] = answer["result"]
        at = float(matrix["values"][-1][0])  # the last evaluation the backfill wrote
        window = server.query_value(f"slo:sli_error:ratio_rate1d{selector}", at)
        average = server.query_value(f"avg_over_time(slo:slice_error:ratio{selector}[1d])", at)
        sli = server.query_value(f"slo:sli:ratio_period{selector}", at)
    want = truth(env.world)
    print(f"\nslo backfill: 1d error ratio {window:.6f} at {at:.0f}; report's slice mean {1 - want['sli']:.6f}")
    assert window == pytest.approx(average, rel=1e-9)
    assert window == pytest.approx(1 - want["sli"], rel=0.05)
    assert sli == pytest.approx(1 - window, abs=1e-3)  # the 30d window holds the same day
