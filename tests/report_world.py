"""A synthetic month of traffic with known truth, for the ``slo report`` integration tests.

March 2025 in Europe/Berlin (743 hours: daylight saving starts on the 30th), with three days of data
either side. The data have a counter reset, a scrape gap of about three hours, a series that
appears mid-month, an idle hour, traffic that varies by hour, error bursts, a slow day and probe
failures (one exactly on a minute boundary, one exactly at the period start). Every count the report
should find is computed here from the generated increments, independently of any PromQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from slo.local.metrics_text import Series
from slo.report.periods import month_period

MONTH = "2025-03"
TZ = "Europe/Berlin"
PERIOD = month_period(MONTH, TZ)
START = int(PERIOD.start.timestamp())
END = int(PERIOD.end.timestamp())


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


DATA_START = ts("2025-02-25T00:00:00")
DATA_END = ts("2025-04-03T00:00:00")
SCRAPE = 60
PROBE_EVERY = 15
GAP = (ts("2025-03-20T10:02:00"), ts("2025-03-20T13:03:00"))  # last sample before, first after
RESET = ts("2025-03-09T14:37:00")  # instance a restarts just after the previous scrape
B_APPEARS = ts("2025-03-12T10:00:00")  # instance b's first sample, value 0
IDLE = (ts("2025-03-16T03:00:00"), ts("2025-03-16T04:00:00"))  # no traffic at all
SLOW_DAY = (ts("2025-03-27T00:00:00"), ts("2025-03-28T00:00:00"))  # latency degraded
BURSTS = [  # (first minute end, last minute end) with 30% errors
    (ts("2025-03-03T14:01:00"), ts("2025-03-03T14:20:00")),
    (ts("2025-03-18T09:07:00"), ts("2025-03-18T09:07:00")),
    (ts("2025-03-25T22:01:00"), ts("2025-03-25T23:00:00")),
    (ts("2025-02-27T10:01:00"), ts("2025-02-27T10:30:00")),  # before the period: must not count
]
PROBE_FAILURES = [
    ts("2025-02-28T23:00:00"),  # exactly the period start: belongs to February's last slice
    ts("2025-03-07T12:30:00"),  # exactly on a minute boundary: only the slice ending 12:30
    *range(ts("2025-03-22T02:00:30"), ts("2025-03-22T02:17:45") + 1, PROBE_EVERY),
    ts("2025-03-31T22:00:00"),  # exactly the period end: the month's last slice
    ts("2025-04-01T00:00:15"),  # after the period
]
# requests per minute by hour of day (UTC)
# fmt: off
PROFILE = [50, 45, 40, 40, 45, 60, 90, 140, 200, 260, 300, 300,
           290, 280, 270, 260, 250, 230, 200, 170, 130, 100, 80, 60]
# fmt: on
BUCKETS = ("0.1", "0.2", "0.5", "+Inf")
SLICE = 300
THRESHOLD = 0.01  # error-rate SLO: a 5-minute slice is bad above 1% errors


@dataclass
class Instance:
    name: str
    times: np.ndarray  # sample times that were scraped
    total: np.ndarray  # increments per minute ending at each minute of the whole range
    bad: np.ndarray
    buckets: dict[str, np.ndarray]
    first: int  # first sample time


@dataclass
class World:
    minutes: np.ndarray  # every minute end of the data range
    instances: list[Instance]
    probe_times: np.ndarray
    probe_values: np.ndarray
    truth: dict[str, float] = field(default_factory=dict)


def _instance(name: str, minutes: np.ndarray, scale: float, first: int) -> Instance:
    hours = (minutes // 3600) % 24
    base = np.array(PROFILE)[hours] * scale
    jitter = (minutes // 60 * 7919) % 23
    total = np.floor(base + jitter).astype(np.int64)
    total[(minutes > IDLE[0]) & (minutes <= IDLE[1])] = 0
    bad = np.where((minutes // 60) % 37 == 0, 1, 0).astype(np.int64)
    for lo, hi in BURSTS:
        inside = (minutes >= lo) & (minutes <= hi)
        bad[inside] = np.floor(total[inside] * 0.3)
    bad = np.minimum(bad, total)
    slow = (minutes > SLOW_DAY[0]) & (minutes <= SLOW_DAY[1])
    good_share = np.where(slow, 0.80, 0.97)
    b01 = np.floor(total * 0.7).astype(np.int64)
    b02 = np.maximum(b01, np.floor(total * good_share).astype(np.int64))
    b05 = np.maximum(b02, np.floor(total * 0.99).astype(np.int64))
    buckets = {"0.1": b01, "0.2": b02, "0.5": b05, "+Inf": total}
    alive = minutes > first
    total, bad = total * alive, bad * alive
    buckets = {k: v * alive for k, v in buckets.items()}
    scraped = (minutes >= first) & ~((minutes > GAP[0]) & (minutes < GAP[1]))
    return Instance(name, minutes[scraped], total, bad, buckets, first)


def build() -> World:
    minutes = np.arange(DATA_START, DATA_END + 1, SCRAPE, dtype=np.int64)
    instances = [_instance("a", minutes, 1.0, DATA_START), _instance("b", minutes, 0.5, B_APPEARS)]
    probe_times = np.arange(DATA_START, DATA_END + 1, PROBE_EVERY, dtype=np.int64)
    probe_times = probe_times[~((probe_times > GAP[0]) & (probe_times < GAP[1]))]
    probe_values = np.ones(len(probe_times))
    probe_values[np.isin(probe_times, PROBE_FAILURES)] = 0
    world = World(minutes, instances, probe_times, probe_values)
    world.truth = truth(world)
    return world


def _counter(minutes: np.ndarray, inc: np.ndarray, times: np.ndarray, reset: int | None) -> list[tuple[float, float]]:
    """Cumulative values at the scraped ``times``; after ``reset`` the counter starts again from 0."""
    values = np.cumsum(inc)
    if reset is not None:
        before = np.searchsorted(minutes, reset) - 1  # the last scrape before the restart
        values = values.copy()
        values[before + 1 :] -= values[before]
    at = np.searchsorted(minutes, times)
    return list(zip(times.tolist(), values[at].astype(float).tolist(), strict=True))


def series(world: World) -> list[Series]:
    out: list[Series] = []
    for inst in world.instances:
        reset = RESET if inst.name == "a" else None
        good = inst.total - inst.bad
        for code, inc in (("200", good), ("500", inst.bad)):
            labels = {"job": "api", "instance": inst.name, "code": code}
            out.append(Series("http_requests_total", labels, _counter(world.minutes, inc, inst.times, reset)))
    for inst in world.instances:
        reset = RESET if inst.name == "a" else None
        for le in BUCKETS:
            labels = {"job": "api", "instance": inst.name, "le": le}
            samples = _counter(world.minutes, inst.buckets[le], inst.times, reset)
            out.append(Series("http_request_duration_seconds_bucket", labels, samples, kind="gauge"))
    for inst in world.instances:
        reset = RESET if inst.name == "a" else None
        samples = _counter(world.minutes, inst.total, inst.times, reset)
        out.append(
            Series("http_request_duration_seconds_count", {"job": "api", "instance": inst.name}, samples, "gauge")
        )
    probe = list(zip(world.probe_times.tolist(), world.probe_values.tolist(), strict=True))
    out.append(Series("probe_success", {"job": "blackbox", "instance": "https://api.example/health"}, probe, "gauge"))
    return out


def truth(world: World, start: int = START, end: int = END) -> dict[str, float]:
    """Every figure the report must find over ``[start, end)`` (by default the month)."""
    m = world.minutes
    in_period = (m > start) & (m <= end)
    total = sum(int(i.total[in_period].sum()) for i in world.instances)
    bad = sum(int(i.bad[in_period].sum()) for i in world.instances)
    fast = sum(int(i.buckets["0.2"][in_period].sum()) for i in world.instances)
    out: dict[str, float] = {
        "events_total": total,
        "availability_good": total - bad,
        "availability_sli": (total - bad) / total,
        "latency_good": fast,
        "latency_sli": fast / total,
    }
    # Latency per Berlin day (by each minute's start), to find the worst day.
    days = pd.to_datetime(m[in_period] - SCRAPE, unit="s", utc=True).tz_convert(TZ).strftime("%Y-%m-%d").to_numpy()
    frame = pd.DataFrame(
        {
            "day": days,
            "total": sum(i.total[in_period] for i in world.instances),
            "fast": sum(i.buckets["0.2"][in_period] for i in world.instances),
        }
    )
    per_day = frame.groupby("day").sum()
    per_day = per_day[per_day["total"] > 0]
    ratios = per_day["fast"] / per_day["total"]
    out["latency_worst_day"] = str(ratios.idxmin())  # type: ignore[assignment]
    out["latency_worst_day_sli"] = float(ratios.min())
    # Error-rate slices: the increments between scraped samples that both lie in [t - 5m, t].
    slice_ends = np.arange(start + SLICE, end + 1, SLICE)
    tot = np.zeros(len(slice_ends), dtype=np.int64)
    bd = np.zeros(len(slice_ends), dtype=np.int64)
    seen = np.zeros(len(slice_ends), dtype=bool)
    for inst in world.instances:
        cum_total = np.concatenate([[0], np.cumsum(inst.total)])  # events up to and including minute i
        cum_bad = np.concatenate([[0], np.cumsum(inst.bad)])
        lo = np.searchsorted(inst.times, slice_ends - SLICE, side="left")
        hi = np.searchsorted(inst.times, slice_ends, side="right") - 1
        ok = hi - lo >= 1  # at least two samples in the window
        first = np.searchsorted(m, inst.times[np.where(ok, lo, 0)]) + 1
        last = np.searchsorted(m, inst.times[np.where(ok, hi, 0)]) + 1
        tot += np.where(ok, cum_total[last] - cum_total[first], 0)
        bd += np.where(ok, cum_bad[last] - cum_bad[first], 0)
        seen |= ok
    ratio = np.where(tot > 0, bd / np.maximum(tot, 1), 0.0)
    out["slices_total"] = len(slice_ends)
    out["slices_good"] = int((seen & (ratio <= THRESHOLD)).sum())
    out["slices_present"] = int(seen.sum())
    out["slice_ratio_margin"] = float(np.min(np.abs(ratio[seen] - THRESHOLD)) / THRESHOLD)
    # Uptime: 1-minute slices (t - 60s, t]; good when every probe in it succeeded.
    ends = np.arange(start + 60, end + 1, 60)
    slot = (world.probe_times - start + 59) // 60  # slice index (1-based) each probe belongs to
    ok = world.probe_values == 1
    n = len(ends)
    has = np.zeros(n + 2, dtype=bool)
    failed = np.zeros(n + 2, dtype=bool)
    keep = (slot >= 1) & (slot <= n)
    has[slot[keep]] = True
    failed[slot[keep & ~ok]] = True
    out["uptime_total"] = n
    out["uptime_present"] = int(has[1 : n + 1].sum())
    out["uptime_good"] = int((has & ~failed)[1 : n + 1].sum())
    # Coverage of the events: 5-minute steps (epoch-aligned) in the period with a sample in (t-5m, t].
    steps = np.arange((start // 300 + 1) * 300, end + 1, 300)
    times = np.union1d(world.instances[0].times, world.instances[1].times)
    idx_hi = np.searchsorted(times, steps, side="right")
    idx_lo = np.searchsorted(times, steps - 300, side="right")
    out["events_steps"] = len(steps)
    out["events_steps_present"] = int(((idx_hi - idx_lo) > 0).sum())
    assert math.isclose(out["availability_sli"], (total - bad) / total)
    return out
