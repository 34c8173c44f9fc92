"""The generated rules, evaluated by a real Prometheus over 32 days of synthetic history.

``promtool test rules`` proves the rules parse and fire; only a real TSDB shows that a 30-day
window derived from recorded 5m rates equals the event-weighted truth, with traffic that varies
by hour, a zero-traffic gap, a counter reset and error ratios that correlate with traffic (so a
time-weighted average, Sloth's, would be visibly wrong — and NaN after the gap).
"""

from __future__ import annotations

import bisect
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from generators.prometheus_rules import rule_file
from slo import promql
from slo.dsl.slos import availability, error_rate, regex, service
from slo.local.metrics_text import Series, write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics, backfill_rules, check_rules, move_blocks, only_records, write_rules
from slo.model.durations import Duration
from slo.model.service import SLO, Service
from slo.model.sli import RatioSLI
from slo.promql.recorded import BAD_RATE, SLICE_BAD, SLICE_ERROR, TOTAL_RATE, error_ratio_name
from slo.tools.toolcheck import version
from tests.conftest import Backend

pytestmark = pytest.mark.integration

MINUTE, HOUR, DAY = 60, 3600, 86400
STEP = MINUTE
END = int(datetime(2025, 6, 1, tzinfo=UTC).timestamp())  # "T": the instant the 30d SLI is checked at
START = END - 32 * DAY - HOUR
PERIOD = 30 * DAY
PEAK = {"a": 120.0, "b": 80.0, "c": 50.0, "d": 20.0}  # requests per minute at the daily peak
ERROR_SHARE = {"a": 1.0, "b": 1.5, "c": 0.7, "d": 2.0}
GAP = (END - 12 * DAY + 2 * HOUR, END - 12 * DAY + 8 * HOUR)  # no traffic at all; counters stay flat
INCIDENT = (END - 5 * DAY + 14 * HOUR, END - 5 * DAY + 14 * HOUR + 40 * MINUTE)  # instance b: 30% errors
CLEAN = (END - 3 * DAY + 3 * HOUR, END - 3 * DAY + 6 * HOUR)  # no errors anywhere
RESET = END - 17 * DAY + 12 * HOUR + 7 * MINUTE  # instance d restarts: its counters drop
NEW_503 = END - 22 * DAY  # instance c starts answering 503 (a new series, from 0)

SERVICE: Service = service(
    "api",
    availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": "api"}),
    error_rate(
        "error-slices",
        99,
        "http_requests_total",
        errors={"code": regex("5..")},
        below="0.1%",
        slice="5m",
        labels={"job": "api"},
    ),
)
AVAILABILITY: SLO = SERVICE.slos[0]
SLICES: SLO = SERVICE.slos[1]
SLOTH_5M = "sloth_style:sli_error:ratio_rate5m"


# ---------------------------------------------------------------------------------------------
# Synthetic history


Samples = list[tuple[int, float]]


@dataclass(frozen=True)
class Counter:
    """One synthetic counter with its events so far at each sample, as ``increase`` counts them."""

    labels: dict[str, str]
    samples: Samples
    times: list[int]
    events: list[float]

    @classmethod
    def of(cls, labels: dict[str, str], samples: Samples) -> Counter:
        events, done, prev = [], 0.0, None
        for _, v in samples:
            if prev is not None:
                done += v - prev if v >= prev else v  # a drop is a reset: the new value counts
            events.append(done)
            prev = v
        return cls(labels, samples, [t for t, _ in samples], events)

    def increase(self, lo: float, hi: float) -> float:
        """Events between the samples that lie in [lo, hi] (what rate()/increase() see, unextrapolated)."""
        i = bisect.bisect_left(self.times, lo)
        j = bisect.bisect_right(self.times, hi) - 1
        return self.events[j] - self.events[i] if j > i else 0.0


History = list[Counter]


def bad_total(history: History, lo: float, hi: float) -> tuple[float, float]:
    """Bad (5xx) and total events of job="api" between the samples in [lo, hi]."""
    bad = total = 0.0
    for counter in history:
        if counter.labels["job"] != "api":
            continue
        n = counter.increase(lo, hi)
        total += n
        if counter.labels["code"].startswith("5"):
            bad += n
    return bad, total


def _demand(t: int, peak: float, rng: random.Random) -> int:
    """Requests in the minute ending at ``t``: a daily curve, quieter weekends, Poisson-like noise."""
    hour = (t % DAY) / HOUR
    mean = peak * (0.55 + 0.45 * math.sin(2 * math.pi * (hour - 8) / 24))
    if (t // DAY + 3) % 7 >= 5:  # 1970-01-01 was a Thursday: weekday 3, Monday = 0
        mean *= 0.7
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _stochastic_round(x: float, rng: random.Random) -> int:
    whole = math.floor(x)
    return whole + (1 if rng.random() < x - whole else 0)


def synthesise() -> list[Counter]:
    """``http_requests_total`` samples every minute from START to END."""
    rng = random.Random(20250601)
    days = range(START // DAY, END // DAY + 1)
    daily_ratio = {d: rng.uniform(0.0002, 0.003) for d in days}
    out: list[Counter] = []
    for inst, peak in PEAK.items():
        ok, err, e503 = float(rng.randint(10_000, 90_000)), float(rng.randint(10, 90)), 0.0
        s_ok: Samples = []
        s_err: Samples = []
        s_503: Samples = []
        for t in range(START, END + 1, STEP):
            requests = 0 if GAP[0] < t <= GAP[1] else _demand(t, peak, rng)
            hour = (t % DAY) // HOUR
            # Errors are likelier at night, when traffic is low: time- and event-weighting disagree.
            p = daily_ratio[t // DAY] * ERROR_SHARE[inst] * (3.0 if hour < 6 else 1.0)
            if inst == "b" and INCIDENT[0] < t <= INCIDENT[1]:
                p = 0.30
            if CLEAN[0] < t <= CLEAN[1]:
                p = 0.0
            bad = min(requests, _stochastic_round(requests * p, rng))
            bad503 = _stochastic_round(requests * 0.0005, rng) if inst == "c" and t > NEW_503 else 0
            bad503 = min(bad503, requests - bad)
            if inst == "d" and t == RESET:
                ok, err = 0.0, 0.0  # the process restarted during this minute
            ok += requests - bad - bad503
            err += bad
            e503 += bad503
            s_ok.append((t, ok))
            s_err.append((t, err))
            if inst == "c" and t >= NEW_503:
                s_503.append((t, e503))
        for code, samples in (("200", s_ok), ("500", s_err), ("503", s_503)):
            if samples:
                out.append(Counter.of({"code": code, "instance": inst, "job": "api"}, samples))
    # Another job with many errors: the selectors must leave it out.
    for code, per_minute in (("200", 10.0), ("500", 5.0)):
        samples = [(t, i * per_minute) for i, t in enumerate(range(START, END + 1, STEP))]
        out.append(Counter.of({"code": code, "instance": "a", "job": "batch"}, samples))
    return out


def truth(history: History, window: int, at: int) -> float:
    """The exact event-weighted error ratio of the ``window`` seconds ending at ``at`` (minute-aligned)."""
    bad, total = bad_total(history, at - window, at)
    return bad / total


def _rate(counter: Counter, at: float, range_: float, left_open: bool = False) -> float | None:
    """``rate(x[range_])`` at ``at`` as Prometheus computes it: a closed range on 2.x, left-open on 3.x (a sample
    exactly at ``at - range_`` is outside), extrapolated to the range's edges."""
    find = bisect.bisect_right if left_open else bisect.bisect_left
    i = find(counter.times, at - range_)
    j = bisect.bisect_right(counter.times, at) - 1
    if j - i < 1:
        return None
    first_t, last_t = counter.times[i], counter.times[j]
    first_v = counter.samples[i][1]
    increase = counter.events[j] - counter.events[i]
    sampled = last_t - first_t
    to_start, to_end = first_t - (at - range_), at - last_t
    if increase > 0 and first_v >= 0:
        to_start = min(to_start, sampled * first_v / increase)  # a counter does not extrapolate below 0
    threshold = sampled / (j - i) * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else sampled / (j - i) / 2
    interval += to_end if to_end < threshold else sampled / (j - i) / 2
    return increase * interval / sampled / range_


def derived(history: History, window: int, at: float, grid: float, step: int = 30) -> float:
    """``sum_over_time(bad rate5m[W]) / sum_over_time(total rate5m[W])`` over evaluations on ``grid``.

    Each event is counted once per evaluation whose 5m range covers it, so the first and last
    5 minutes of the window weigh less than the rest: the exact event ratio, blurred at the edges.
    """
    last = grid + math.floor((at - grid) / step) * step
    bad = total = 0.0
    e = last
    while e >= at - window:
        for counter in history:
            if counter.labels["job"] != "api":
                continue
            r = _rate(counter, e, 5 * MINUTE)
            if r is not None:
                total += r
                if counter.labels["code"].startswith("5"):
                    bad += r
        e -= step
    return bad / total


def time_weighted(history: History, window: int, at: int, slice_: int = 5 * MINUTE) -> float:
    """What averaging 5m ratios over time gives (skipping idle slices): the number we must not produce."""
    ratios = []
    for start in range(at - window, at, slice_):
        bad, total = bad_total(history, start, start + slice_)
        if total:
            ratios.append(bad / total)
    return sum(ratios) / len(ratios)


# ---------------------------------------------------------------------------------------------
# One Prometheus with raw history and backfilled level-1 recordings, shared by the tests


@dataclass
class Env:
    server: PrometheusServer
    history: History
    rules: dict[str, Any]
    rules_path: Path


def recorded_expr(doc: dict[str, Any], record: str, slo: SLO) -> str:
    """The expression the generated file records as ``record`` for ``slo``, verbatim."""
    found = [
        r["expr"]
        for g in doc["groups"]
        for r in g["rules"]
        if r.get("record") == record and r["labels"]["slo"] == slo.name
    ]
    assert len(found) == 1, f"{record} for {slo.name}: {len(found)} rules"
    return str(found[0])


def _sloth_style_group(slo: SLO) -> dict[str, Any]:
    """Sloth's 5m ratio (no zero guard), to show what its 30d average does after an idle spell."""
    sli = slo.sli
    assert isinstance(sli, RatioSLI) and sli.bad is not None
    expr = f"sum(rate({sli.bad.render()}[5m])) / sum(rate({sli.total.render()}[5m]))"  # type: ignore[union-attr]
    return {"name": "sloth-style", "interval": "30s", "rules": [{"record": SLOTH_5M, "expr": expr}]}


@pytest.fixture(scope="module")
def env(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("rules-prometheus")
    began = time.monotonic()
    history = synthesise()
    om = tmp / "history.om"
    write_openmetrics([Series("http_requests_total", c.labels, c.samples) for c in history], om)
    data = tmp / "data"
    backfill_openmetrics(om, data)
    print(f"\nhistory written and backfilled in {time.monotonic() - began:.1f}s")

    doc = rule_file(SERVICE)
    rules_path = write_rules(doc, tmp / "api.rules.yml")
    level1 = only_records(doc, [BAD_RATE, TOTAL_RATE, SLICE_ERROR])
    level1["groups"].append(_sloth_style_group(AVAILABILITY))
    level1_path = write_rules(level1, tmp / "level1.rules.yml")

    with PrometheusServer(data, max_runtime=600) as server:
        # Level 1 reads raw counters: promtool can evaluate it against the running server.
        backfill_rules(level1_path, tmp / "recorded", server.url, START + 10 * MINUTE, END, eval_interval="30s")
        server.stop()
        assert move_blocks(tmp / "recorded", data) > 0
        server.start()
        print(f"level-1 recordings backfilled, server restarted at {time.monotonic() - began:.1f}s")
        yield Env(server, history, doc, rules_path)


# ---------------------------------------------------------------------------------------------
# Tests


def test_generated_rules_pass_promtool_check(env: Env) -> None:
    check_rules(env.rules_path)


def test_30d_error_ratio_is_event_weighted(env: Env) -> None:
    expr = recorded_expr(env.rules, error_ratio_name(Duration(PERIOD)), AVAILABILITY)
    assert "sum_over_time(slo:sli_bad:rate5m" in expr, expr  # derived from the recorded 5m rates
    value = env.server.query_value(expr, END)
    expected = truth(env.history, PERIOD, END)
    resets = sum(1 for c in env.history for (_, v1), (_, v2) in zip(c.samples, c.samples[1:], strict=False) if v2 < v1)
    assert resets == 2, resets  # instance d's two counters, inside the window like the gap
    assert min(RESET, GAP[0]) > END - PERIOD
    assert value is not None and math.isfinite(value), f"{expr} at T gave {value}"
    print(f"\n30d error ratio: prometheus {value:.8f}, truth {expected:.8f}, |diff| {abs(value - expected):.2e}")
    assert abs(value - expected) <= 1e-4

    # The data separates event- from time-weighting: averaging 5m ratios would miss by far more.
    naive = time_weighted(env.history, PERIOD, END)
    print(f"time-weighted average of 5m ratios would give {naive:.8f}")
    assert abs(naive - expected) > 3e-4, (naive, expected)
    # And Sloth's unguarded 5m ratio turns the 30d average into NaN after the idle spell.
    sloth = env.server.query_value(f"avg_over_time({SLOTH_5M}[30d])", END)
    assert sloth is not None and math.isnan(sloth)


def _check_times() -> list[int]:
    """Minute-aligned instants: ordinary hours, across the reset, in and right after the gap, the incident."""
    return [
        END,
        END - 7 * DAY + 13 * HOUR,
        RESET + 30 * MINUTE,
        RESET + 2 * HOUR,
        GAP[0] + 30 * MINUTE,
        GAP[0] + 2 * HOUR,
        GAP[0] + 5 * HOUR,
        GAP[1] + 3 * MINUTE,
        GAP[1] + 30 * MINUTE,
        INCIDENT[0] + 20 * MINUTE,
        CLEAN[0] + HOUR,
    ]


def _raw_ratio(history: History, at: float, range_: float) -> float | None:
    """The raw window's error ratio as the running Prometheus computes it from the source counters."""
    left_open = (version("prometheus") or (2, 0, 0))[0] >= 3
    bad = total = 0.0
    for counter in history:
        r = _rate(counter, at, range_, left_open) if counter.labels["job"] == "api" else None
        if r is not None:
            total += r
            bad += r if counter.labels["code"].startswith("5") else 0.0
    return bad / total if total else None


def test_windows_never_nan_and_match_truth(env: Env) -> None:
    raw_1h = recorded_expr(env.rules, error_ratio_name(Duration(HOUR)), AVAILABILITY)
    derived_5m = recorded_expr(env.rules, error_ratio_name(Duration(5 * MINUTE)), AVAILABILITY)
    derived_1d = recorded_expr(env.rules, error_ratio_name(Duration(DAY)), AVAILABILITY)
    assert "http_requests_total" in raw_1h and "slo:sli_bad:rate5m" not in raw_1h, raw_1h
    assert "slo:sli_bad:rate5m" in derived_5m and "slo:sli_bad:rate5m" in derived_1d
    worst_1h = worst_1d = blur_1d = exact_1h = 0.0
    bad_rate = f'{BAD_RATE}{{service="{SERVICE.name}",slo="{AVAILABILITY.name}"}}'
    grid = env.server.query_value(f"timestamp({bad_rate})", END)  # when the backfilled group evaluated
    assert grid is not None
    for at in _check_times():
        for expr in (raw_1h, derived_5m, derived_1d):
            for _, value in env.server.query(expr, at):
                assert math.isfinite(value), f"{expr} at {at} gave {value}"
        bad, total = bad_total(env.history, at - HOUR, at)
        got_1h = env.server.query_value(raw_1h, at)
        if total == 0:
            assert got_1h is None, f"1h ratio with no traffic must be absent, got {got_1h}"
        else:
            # Minute-aligned: on 2.x 61 samples span the hour exactly, so rate() needs no extrapolation and
            # the ratio is exact; 3.x's left-open range holds 60 (59 minutes of increments, extrapolated).
            assert got_1h is not None
            expected = _raw_ratio(env.history, at, HOUR)
            assert expected is not None
            worst_1h = max(worst_1h, abs(got_1h - expected))
            exact_1h = max(exact_1h, abs(got_1h - bad / total))
        got_1d = env.server.query_value(derived_1d, at)
        assert got_1d is not None
        worst_1d = max(worst_1d, abs(got_1d - derived(env.history, DAY, at, grid)))
        blur_1d = max(blur_1d, abs(got_1d - truth(env.history, DAY, at)))
    # Deep inside the gap the short windows have no traffic: no sample, not NaN.
    assert env.server.query(derived_5m, GAP[0] + 2 * HOUR) == []
    assert env.server.query(raw_1h, GAP[0] + 2 * HOUR) == []
    print(
        f"\nworst |diff|: 1h raw vs exact window {worst_1h:.2e}; 1d derived vs the rules' arithmetic "
        f"{worst_1d:.2e}, vs the exact window {blur_1d:.2e} (an incident in the last minutes weighs less)"
    )
    assert worst_1h <= 1e-9
    # 2.x: exact; 3.x: one minute of the hour's increments is missing from the raw window
    assert exact_1h <= (1e-9 if (version("prometheus") or (2, 0, 0))[0] < 3 else 2e-3)
    assert worst_1d <= 1e-9
    assert blur_1d <= 5e-4


def _slice_ratio(history: History, at: float) -> float | None:
    """The error ratio ``rate(...[5m])`` sees at ``at``: samples in [at-5m, at]; None without traffic.

    Every series shares one sample grid, so rate()'s extrapolation scales bad and total alike and
    the ratio of plain increases is exactly what Prometheus divides.
    """
    bad, total = bad_total(history, at - 5 * MINUTE, at)
    return bad / total if total else None


def test_slice_verdicts(env: Env) -> None:
    verdict_expr = recorded_expr(env.rules, SLICE_BAD, SLICES)
    level1 = f'{SLICE_ERROR}{{service="{SERVICE.name}",slo="{SLICES.name}"}}'
    threshold = promql.slice_threshold(SLICES)
    assert threshold == 0.001
    instants: dict[str, float] = {
        "incident": INCIDENT[0] + 20 * MINUTE,
        "no errors": CLEAN[0] + HOUR,
        "zero traffic": GAP[0] + 3 * HOUR,
        "after reset": RESET + 45 * MINUTE,
    }
    # Two evaluations of the last days whose ratio lies just above / just below the threshold.
    grid = env.server.query_value(f"timestamp({level1})", END)
    assert grid is not None
    evaluations = [grid - k * 30 for k in range(2 * DAY // 30)]
    ratios = {e: _slice_ratio(env.history, e) or 0.0 for e in evaluations}
    instants["just bad"] = min(e for e, r in ratios.items() if threshold < r <= 1.3 * threshold)
    instants["just good"] = min(e for e, r in ratios.items() if 0.7 * threshold <= r <= threshold)
    results = {}
    for name, at in instants.items():
        # The verdict at `at` is the one recorded at the last evaluation before it: judge that one.
        stamp = env.server.query_value(f"timestamp({level1})", at)
        assert stamp is not None and at - 30 <= stamp <= at, (name, stamp)
        ratio = _slice_ratio(env.history, stamp)
        expected = 0.0 if ratio is None else float(ratio > threshold)
        got = env.server.query_value(verdict_expr, at)
        print(f"\nslice verdict, {name}: python ratio {ratio}, expected {expected}, prometheus {got}", end="")
        assert got == expected, f"{name}: verdict {got}, python ratio {ratio} (threshold {threshold})"
        results[name] = (expected, ratio)
    assert results["incident"][0] == 1.0 and results["just bad"][0] == 1.0
    assert results["no errors"] == (0.0, 0.0) and results["just good"][0] == 0.0
    assert results["zero traffic"] == (0.0, None)  # idle: good, and a sample (0) rather than none
