"""Benchmark: `slo backtest` of N SLOs over D days of synthetic history on a real Prometheus.

Prints wall time and peak memory (this process and the local Prometheus the backtest starts, which
is a child: RUSAGE_CHILDREN covers it and promtool). Usage:

    python benchmarks/backtest.py [--slos 20] [--days 30]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slo.backtest import run
from slo.backtest.evaluate import Client
from slo.dsl.slos import availability, regex, service
from slo.loaders import Definitions
from slo.local.metrics_text import write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics
from slo.report.client import Connection
from tests.backtest_world import DAY, HOUR, build


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slos", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    now = int(time.time()) // 60 * 60
    start = now - args.days * DAY
    warmup = 3 * DAY + HOUR
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        slos = []
        series_count = 0
        t = time.monotonic()
        for i in range(args.slos):
            # One SLO's history at a time, so this process' peak memory is the backtest's, not the data's.
            job = f"job{i}"
            incidents = [(now - (i % args.days + 1) * DAY + 7200, now - (i % args.days + 1) * DAY + 9000, 0.5)]
            series = build(start - warmup, now - 60, incidents, job=job, seed=i).series()
            series_count += len(series)
            write_openmetrics(series, Path(tmp) / "raw.om")
            del series
            backfill_openmetrics(Path(tmp) / "raw.om", data)
            slos.append(
                availability(f"slo{i}", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels={"job": job})
            )
        took = time.monotonic() - t
        print(f"history: {args.slos} SLOs, {args.days}d + 3d warm-up, {series_count} series, {took:.1f}s")
        defs = Definitions(services=(service("bench", *slos),), origins=())
        with (
            PrometheusServer(data, max_runtime=6 * 3600) as server,
            Client(Connection(url=server.url, timeout=600)) as c,
        ):
            t = time.monotonic()
            fired = run.backtest(c, defs, run.rule_docs(defs), run.Window(start, now - 60), lambda *_: None)
            wall = time.monotonic() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"backtest: {len(fired)} alerts, wall {wall:.1f}s")
    print(f"peak RSS: toolkit {own:.0f} MiB, largest child (Prometheus/promtool) {children:.0f} MiB")


if __name__ == "__main__":
    main()
