"""How long ``slo check`` takes per SLO against a real Prometheus, and how many requests it sends.

Backfills N availability SLOs (two counter series each, 8 days at a 5-minute step) with promtool,
loads the generated rules of the service into prometheus 2.42 on a free 127.0.0.1 port, waits for
every rule group's first evaluation and times the whole check (definitions against data, deployed
rules) in-process with ``--concurrency 1`` and with the default 4, counting the HTTP requests per
endpoint. Each figure is the median of the rounds, run interleaved after a warm-up.

Run: ``python benchmarks/check.py [--slos 100] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from slo.commands.common import artifacts, definitions
from slo.live_check import api
from slo.live_check.run import run
from slo.local.metrics_text import Series, write_openmetrics
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics
from slo.report.client import Connection

DAYS = 8
STEP = 300


def source(count: int) -> str:
    lines = ["from slo import availability, regex, service", "", "bench = service(", '    "bench",']
    for i in range(count):
        lines.append(
            f'    availability("slo-{i:03d}", 99.9, "bench_requests_total", errors={{"code": regex("5..")}}, '
            f'labels={{"slo_id": "s{i:03d}"}}),'
        )
    lines.append(")")
    return "\n".join(lines) + "\n"


def history(count: int, end: float) -> list[Series]:
    start = end - DAYS * 86400
    times = [start + i * STEP for i in range(int((end - start) // STEP) + 1)]
    out = []
    for i in range(count):
        for code, rate in (("200", 9.99), ("500", 0.01)):
            points = [(t, rate * (t - start)) for t in times]
            out.append(Series("bench_requests_total", {"slo_id": f"s{i:03d}", "code": code}, points))
    return out


def wait_evaluated(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{url}/api/v1/rules", timeout=30) as resp:
            groups = json.load(resp)["data"]["groups"]
        if groups and all(not g["lastEvaluation"].startswith("0001") for g in groups):
            return
        time.sleep(2)
    raise SystemExit("rule groups not evaluated in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slos", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    requests: collections.Counter[str] = collections.Counter()
    original = api.LivePromClient._call

    def counting(self: api.LivePromClient, endpoint: str, call: object, kind: str) -> object:
        requests[endpoint] += 1
        return original(self, endpoint, call, kind)

    api.LivePromClient._call = counting  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "bench.py").write_text(source(args.slos))
        defs = definitions((str(base / "bench.py"),))
        files = artifacts(defs)
        rules = base / "bench.rules.yml"
        rules.write_text(files["rules/bench.rules.yml"])
        now = time.time()
        t0 = time.perf_counter()
        samples = write_openmetrics(history(args.slos, now - 60), base / "h.om")
        backfill_openmetrics(base / "h.om", base / "data")
        print(
            f"{args.slos} SLOs, {2 * args.slos} series, {samples:,} samples "
            f"backfilled in {time.perf_counter() - t0:.1f}s"
        )
        with PrometheusServer(base / "data", rule_files=[rules], max_runtime=1800, ready_timeout=120) as prom:
            wait_evaluated(prom.url)
            print(f"rules evaluated after {time.perf_counter() - t0:.1f}s", flush=True)
            timings: dict[int, list[float]] = {1: [], 4: []}
            findings = 0
            for round_ in range(args.rounds + 1):
                for concurrency in (1, 4):
                    requests.clear()
                    start = time.perf_counter()
                    with api.LivePromClient(Connection(prom.url)) as client:
                        result = run(defs, files, client, concurrency=concurrency)
                    elapsed = time.perf_counter() - start
                    print(f"round {round_} concurrency {concurrency}: {elapsed:.2f}s", flush=True)
                    if round_:
                        timings[concurrency].append(elapsed)
                    findings = len(result.findings)
            sent = dict(requests)
    total = sum(sent.values())
    for concurrency, values in timings.items():
        if not values:
            continue
        median = statistics.median(values)
        print(
            f"concurrency {concurrency}: {median:.2f}s for {args.slos} SLOs "
            f"({median / args.slos * 1000:.0f} ms per SLO; median of {len(values)})"
        )
    print(f"requests per run: {total} ({total / args.slos:.1f} per SLO): {sent}")
    print(f"findings: {findings}")


if __name__ == "__main__":
    main()
