"""Synthetic request counters with known incidents, for the backfill and backtest tests and benchmark.

Traffic varies by hour; ``incidents`` are ``(start, end, error ratio)`` spans. Samples are per
``step`` seconds, counters start at a random offset, and the exact number of requests and errors
between any two sample times is known, so the 30d truth needs no PromQL.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from slo.local.metrics_text import Series

HOUR, DAY = 3600, 86400


@dataclass(frozen=True)
class World:
    """Counters of ``job`` (instances a and b, codes 200 and 500) sampled at ``times``."""

    job: str
    times: np.ndarray
    ok: dict[str, np.ndarray]
    bad: dict[str, np.ndarray]

    def series(self) -> list[Series]:
        out = []
        for inst in self.ok:
            for code, values in (("200", self.ok[inst]), ("500", self.bad[inst])):
                labels = {"job": self.job, "instance": inst, "code": code}
                samples = list(zip(self.times.tolist(), values.tolist(), strict=True))
                out.append(Series("http_requests_total", labels, samples))
        return out

    def truth(self, lo: float, hi: float) -> tuple[float, float]:
        """Bad and total events between the samples in ``[lo, hi]`` (what ``increase`` sees)."""
        i = int(np.searchsorted(self.times, lo, side="left"))
        j = int(np.searchsorted(self.times, hi, side="right")) - 1
        bad = total = 0.0
        for inst in self.ok:
            b = float(self.bad[inst][j] - self.bad[inst][i])
            bad += b
            total += b + float(self.ok[inst][j] - self.ok[inst][i])
        return bad, total


def build(
    start: int,
    end: int,
    incidents: Sequence[tuple[int, int, float]],
    *,
    step: int = 60,
    per_second: float = 20.0,
    base_ratio: float = 0.0002,
    job: str = "shop",
    seed: int = 17,
) -> World:
    """Counters from ``start`` to ``end`` every ``step`` seconds; errors at ``base_ratio`` plus incidents."""
    rng = np.random.default_rng(seed)
    times = np.arange(start - start % step, end + 1, step, dtype=np.int64)
    hour = (times % DAY) / HOUR
    shape = 0.6 + 0.4 * np.sin(2 * math.pi * (hour - 8) / 24)
    ok: dict[str, np.ndarray] = {}
    bad: dict[str, np.ndarray] = {}
    for inst, scale in (("a", 0.6), ("b", 0.4)):
        requests = rng.poisson(per_second * step * scale * shape).astype(np.float64)
        ratio = np.full(times.shape, base_ratio)
        for lo, hi, r in incidents:
            ratio[(times > lo) & (times <= hi)] = r
        errors = np.minimum(requests, rng.binomial(requests.astype(np.int64), ratio).astype(np.float64))
        requests[0] = errors[0] = 0.0
        ok[inst] = float(rng.integers(1000, 9000)) + np.cumsum(requests - errors)
        bad[inst] = float(rng.integers(10, 90)) + np.cumsum(errors)
    return World(job, times, ok, bad)
