"""How long ``slo report`` takes for 100 SLOs over a 30-day month, next to the bare queries it needs.

Builds a TSDB with promtool (100 availability SLOs: 200 counter series scraped every 60 s for the
30 days of April 2025), starts prometheus on a free 127.0.0.1 port and times, one query after
another with plain ``requests``:

* A: ``sum(increase(total[30d]))`` and ``sum(increase(bad[30d]))`` at the month's end per SLO;
* B: A plus the hourly ``increase(...[1h])`` range queries of total and bad events the report needs
  for the worst day and the burn-down chart — all the ``increase()`` queries the report needs;
* C: exactly the queries the report sends (B's, tagged two-in-one, plus the 5-minute coverage
  count), bare;

and then ``slo report --format json`` in-process (load, plan, query, pandas, render) with
``--concurrency 1`` (the same sequence) and with the default 4.

``--victoria`` also imports the same samples into a VictoriaMetrics and times the report's queries
there with MetricsQL's own ``increase``/``rate`` (V0) and with Prometheus' reading rebuilt from
rollups, as the report sends them (V1), and the report itself (VR4).

Run: ``python benchmarks/report.py [--slos 100] [--rounds 5] [--keep DIR] [--victoria]``. Each figure is the
median of the rounds, run interleaved after one warm-up each, so load from elsewhere on the
machine hits every case alike.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner

from slo import promql
from slo.commands.report import report
from slo.dsl.slos import availability, regex, service
from slo.loaders import Definitions
from slo.local.metrics_text import OpenMetricsWriter
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics
from slo.model.durations import Duration
from slo.report import queries
from slo.report.periods import month_period

MONTH = "2025-04"
PERIOD = month_period(MONTH, "UTC")
START, END = int(PERIOD.start.timestamp()), int(PERIOD.end.timestamp())


def slos_source(count: int) -> str:
    lines = ["from slo import availability, regex, service", "", "bench = service(", '    "bench",']
    for i in range(count):
        lines.append(
            f'    availability("slo-{i:03d}", 99.9, "bench_requests_total", errors={{"code": regex("5..")}}, '
            f'labels={{"slo": "s{i:03d}"}}),'
        )
    lines.append(")")
    return "\n".join(lines) + "\n"


def write_data(path: Path, count: int) -> int:
    times = range(START, END + 1, 60)
    with open(path, "w", encoding="utf-8") as out:
        writer = OpenMetricsWriter(out)
        writer.family("bench_requests", "counter")
        for i in range(count):
            for code, rate in (("200", 100 + i), ("500", 1 + i % 3)):
                value = 0
                samples = []
                for k, t in enumerate(times):
                    value += rate + (k * 7919 + i) % 11
                    samples.append((t, value))
                writer.series({"slo": f"s{i:03d}", "code": code}, samples)
        writer.close()
    return writer.samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slos", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="Keep (and reuse) the TSDB in this directory.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--victoria", action="store_true", help="Also time VictoriaMetrics (same samples).")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="slo-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"tsdb-{args.slos}"
    if not data.exists():
        t0 = time.perf_counter()
        samples = write_data(work / "data.om", args.slos)
        backfill_openmetrics(work / "data.om", data, max_block="2000h")
        (work / "data.om").unlink()
        print(f"built {samples:,} samples in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    slos_file = work / "slos.py"
    slos_file.write_text(slos_source(args.slos), encoding="utf-8")
    svc = service(
        "bench",
        *(
            availability(
                f"slo-{i:03d}", 99.9, "bench_requests_total", errors={"code": regex("5..")}, labels={"slo": f"s{i:03d}"}
            )
            for i in range(args.slos)
        ),
    )
    defs = Definitions((svc,), (("bench", str(slos_file)),))
    span = PERIOD.duration
    hour = Duration(3600)

    with PrometheusServer(data) as server, requests.Session() as session:
        url = server.url

        def get(path: str, params: dict) -> None:
            r = session.get(f"{url}{path}", params=params, timeout=120)
            r.raise_for_status()
            r.json()

        def bare_period() -> None:
            for slo in defs.services[0].slos:
                for expr in (promql.total_events(slo, span, "increase"), promql.bad_events(slo, span, "increase")):
                    get("/api/v1/query", {"query": expr, "time": END})

        def bare_increase() -> None:
            bare_period()
            first = START + 3600
            for slo in defs.services[0].slos:
                for expr in (promql.total_events(slo, hour, "increase"), promql.bad_events(slo, hour, "increase")):
                    get("/api/v1/query_range", {"query": expr, "start": first, "end": END, "step": 3600})

        def bare_all() -> None:
            for slo in defs.services[0].slos:
                for q in queries.plan(slo, PERIOD).values():
                    if isinstance(q, queries.Instant):
                        get("/api/v1/query", {"query": q.expr, "time": q.at.timestamp()})
                    else:
                        params = {
                            "query": q.expr,
                            "start": q.first.timestamp(),
                            "end": q.last.timestamp(),
                            "step": q.step,
                        }
                        get("/api/v1/query_range", params)

        def run_report(concurrency: int) -> None:
            result = CliRunner().invoke(
                report,
                [str(slos_file), "--prometheus", url, "--month", MONTH, "--timezone", "UTC", "--format", "json", "-q",
                 "--concurrency", str(concurrency)],
            )  # fmt: skip
            assert result.exit_code == 0, result.stderr

        cases = {
            "period": bare_period,
            "increase": bare_increase,
            "all": bare_all,
            "report1": lambda: run_report(1),
            "report4": lambda: run_report(4),
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for func in cases.values():
            func()  # warm-up
        for _ in range(args.rounds):  # interleaved, so load from elsewhere hits every case alike
            for name, func in cases.items():
                t0 = time.perf_counter()
                func()
                times[name].append(time.perf_counter() - t0)
        t = {name: statistics.median(values) for name, values in times.items()}
        if args.victoria:
            t.update(victoria_cases(work, args, slos_file, defs))

    n = args.slos
    print(f"slo report: {n} SLOs x 30 days (April 2025, 60 s scrapes, {2 * n} series, {2 * n * 43201:,} samples)")
    print(f"median of {args.rounds} interleaved rounds; every query evaluated at an explicit time")
    rows = [
        ("A  bare period increase, 2 instant queries per SLO", t["period"]),
        ("B  A + bare hourly increase range queries (all increase() the report needs)", t["increase"]),
        ("C  every query the report sends, bare (B + coverage, tagged)", t["all"]),
        ("R1 slo report --format json --concurrency 1", t["report1"]),
        ("R4 slo report --format json (default --concurrency 4)", t["report4"]),
    ]
    for label, value in rows:
        print(f"  {label:<80} {value:7.3f} s")
    print(f"  R1 / B = {t['report1'] / t['increase']:.2f}x   R4 / B = {t['report4'] / t['increase']:.2f}x   "
          f"R1 / A = {t['report1'] / t['period']:.2f}x   R1 / C = {t['report1'] / t['all']:.2f}x")  # fmt: skip
    if args.victoria:
        print("VictoriaMetrics, same samples, sequential:")
        for label, key in (
            ("V0 the report's queries with MetricsQL's own increase()/rate() (not Prometheus' figures)", "vm_native"),
            ("V1 the report's queries as sent: Prometheus' increase rebuilt from rollups", "vm_compat"),
            ("VR4 slo report --format json against VictoriaMetrics (--concurrency 4)", "vm_report4"),
        ):
            print(f"  {label:<80} {t[key]:7.3f} s")
        print(f"  V1 / V0 = {t['vm_compat'] / t['vm_native']:.2f}x   VR4 / R4 = {t['vm_report4'] / t['report4']:.2f}x")


def victoria_cases(work: Path, args: argparse.Namespace, slos_file: Path, defs: Definitions) -> dict[str, float]:
    """Import the benchmark's samples into VictoriaMetrics and time the report's queries both ways."""
    from slo.report.client import Connection, PromClient
    from tests.vmserver import VictoriaMetrics

    def series():
        from slo.local.metrics_text import Series

        times = range(START, END + 1, 60)
        for i in range(args.slos):
            for code, rate in (("200", 100 + i), ("500", 1 + i % 3)):
                value, samples = 0, []
                for k, t in enumerate(times):
                    value += rate + (k * 7919 + i) % 11
                    samples.append((t, value))
                yield Series("bench_requests_total", {"slo": f"s{i:03d}", "code": code}, samples)

    vm_dir = work / f"vm-{args.slos}"
    fresh = not vm_dir.exists()
    with VictoriaMetrics(vm_dir) as vm, PromClient(Connection(vm.url, timeout=300)) as client:
        if fresh:
            t0 = time.perf_counter()
            sent = vm.import_series(series())
            print(f"imported {sent:,} samples into VictoriaMetrics in {time.perf_counter() - t0:.1f}s", file=sys.stderr)

        def bare(dialect: queries.Dialect) -> None:
            jobs = [((i, k), q) for i, slo in enumerate(defs.services[0].slos)
                    for k, q in queries.plan(slo, PERIOD, dialect=dialect).items()]  # fmt: skip
            queries.run(client, jobs, concurrency=1)

        def report4() -> None:
            result = CliRunner().invoke(
                report, [str(slos_file), "--prometheus", vm.url, "--month", MONTH, "--timezone", "UTC",
                         "--format", "json", "-q"],
            )  # fmt: skip
            assert result.exit_code == 0, result.stderr

        cases = {
            "vm_native": lambda: bare(queries.PROMETHEUS),
            "vm_compat": lambda: bare(queries.VICTORIAMETRICS),
            "vm_report4": report4,
        }
        times: dict[str, list[float]] = {name: [] for name in cases}
        for func in cases.values():
            func()
        for _ in range(args.rounds):
            for name, func in cases.items():
                t0 = time.perf_counter()
                func()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(values) for name, values in times.items()}


if __name__ == "__main__":
    main()
