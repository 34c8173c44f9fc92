"""Rule-evaluation cost: our generated rules vs a Sloth-style rule set, in a real Prometheus.

Run by hand (not in CI), from the repository root::

    python benchmarks/rules_eval.py [--slos 5] [--instances 1000] [--cycles 8]

Why: Sloth (and Pyrra) compute every alerting window, up to 3d, as ``rate()`` over the raw,
high-cardinality counters, on every evaluation. Our rules read raw counters only at 5m and 1h and
derive the longer windows from one recorded series per SLO. This script measures what that buys.

What it does:

* N availability SLOs, each over ``http_requests_total{job="svcN"}``: 1,000 instances with a
  ``code="200"`` counter, every 10th also a ``code="500"`` one (1,100 series per SLO);
* 3 days + 30 minutes of raw history at 60s resolution, and 30 days of each rule set's recorded
  5m series at 30s, backfilled with ``promtool`` in 18h blocks (one block per slot, so Prometheus
  has nothing to compact while we measure);
* a small exporter keeps the counters going so the short windows stay populated;
* for each rule set in turn, a fresh Prometheus (hard-linked copy of the blocks) evaluates the
  rules with every group's interval set to ``--interval`` so that one cycle evaluates each group
  once; ``prometheus_rule_group_last_duration_seconds`` is read from its ``/metrics`` after every
  evaluation; the first ``--warmup`` cycles are dropped.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generators.prometheus_rules import rule_file  # noqa: E402
from slo.dsl.slos import availability, regex, service  # noqa: E402
from slo.local.metrics_text import OpenMetricsWriter  # noqa: E402
from slo.local.scrape_endpoint import MetricsEndpoint  # noqa: E402
from slo.local.servers import PrometheusServer, parse_metric_lines  # noqa: E402
from slo.local.tsdb import backfill_openmetrics, blocks_in, write_rules  # noqa: E402
from slo.model.service import SLO, Service  # noqa: E402
from slo.model.sli import RatioSLI  # noqa: E402
from slo.promql.recorded import BAD_RATE, TOTAL_RATE  # noqa: E402

MINUTE, HOUR, DAY = 60, 3600, 86400
SLOT = 18 * HOUR  # promtool block size: 2h·3², epoch-aligned
RAW_STEP = 60
RECORDED_STEP = 30
SERVICE_NAME = "bench"
SLOTH_WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
SLOTH_5M = "slo:sli_error:ratio_rate5m"


# ---------------------------------------------------------------------------------------------
# The SLOs and the two rule sets


def build_service(slos: int) -> Service:
    """N availability SLOs, one job each."""
    errors = {"code": regex("5..")}
    return service(
        SERVICE_NAME,
        *(
            availability(f"slo{i}", 99.9, "http_requests_total", errors=errors, labels={"job": f"svc{i}"})
            for i in range(slos)
        ),
    )


def ours(svc: Service, interval: str) -> dict[str, Any]:
    """The generated rule file, every group at ``interval`` so one cycle evaluates each once."""
    doc = rule_file(svc)
    for group in doc["groups"]:
        group["interval"] = interval
    return doc


def _sloth_labels(svc: Service, slo: SLO, window: str | None = None) -> dict[str, str]:
    labels = {"sloth_id": f"{svc.name}-{slo.name}", "sloth_service": svc.name, "sloth_slo": slo.name}
    if window:
        labels["sloth_window"] = window
    return labels


def _sel(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


def sloth_style(svc: Service, interval: str) -> dict[str, Any]:
    """Sloth's shape: every window from raw counters, the 30d SLI a time average of 5m ratios."""
    groups = []
    for slo in svc.slos:
        sli = slo.sli
        assert isinstance(sli, RatioSLI) and sli.bad is not None
        bad, total = sli.bad.render(), sli.total.render()  # type: ignore[union-attr]
        ident = _sloth_labels(svc, slo)
        budget = slo.error_budget
        recs = [
            {
                "record": f"slo:sli_error:ratio_rate{w}",
                "expr": f"(sum(rate({bad}[{w}])))\n/\n(sum(rate({total}[{w}])))",
                "labels": _sloth_labels(svc, slo, w),
            }
            for w in SLOTH_WINDOWS
        ]
        recs.append(
            {
                "record": "slo:sli_error:ratio_rate30d",
                "expr": f"avg_over_time({_sel(SLOTH_5M, ident)}[30d])",
                "labels": _sloth_labels(svc, slo, "30d"),
            }
        )
        meta = [
            {"record": "slo:objective:ratio", "expr": f"vector({slo.objective})", "labels": ident},
            {"record": "slo:error_budget:ratio", "expr": f"vector({budget:.12g})", "labels": ident},
            {"record": "slo:time_period:days", "expr": "vector(30)", "labels": ident},
            {
                "record": "slo:current_burn_rate:ratio",
                "expr": f"{_sel(SLOTH_5M, ident)}\n/ on({', '.join(ident)}) group_left\n"
                f"{_sel('slo:error_budget:ratio', ident)}",
                "labels": ident,
            },
            {
                "record": "slo:period_burn_rate:ratio",
                "expr": f"{_sel('slo:sli_error:ratio_rate30d', ident)}\n/ on({', '.join(ident)}) group_left\n"
                f"{_sel('slo:error_budget:ratio', ident)}",
                "labels": ident,
            },
            {
                "record": "slo:period_error_budget_remaining:ratio",
                "expr": f"1 - {_sel('slo:period_burn_rate:ratio', ident)}",
                "labels": ident,
            },
        ]

        def pair(short: str, long: str, factor: float, ident: dict[str, str] = ident, budget: float = budget) -> str:
            return (
                f"(max({_sel(f'slo:sli_error:ratio_rate{short}', ident)} > ({factor} * {budget:.12g})) without "
                f"(sloth_window) and max({_sel(f'slo:sli_error:ratio_rate{long}', ident)} > ({factor} * "
                f"{budget:.12g})) without (sloth_window))"
            )

        alerts = [
            {
                "alert": "SlothPage",
                "expr": f"{pair('5m', '1h', 14.4)}\nor ignoring (sloth_window)\n{pair('30m', '6h', 6)}",
                "labels": {"severity": "critical"},
            },
            {
                "alert": "SlothTicket",
                "expr": f"{pair('2h', '1d', 3)}\nor ignoring (sloth_window)\n{pair('6h', '3d', 1)}",
                "labels": {"severity": "warning"},
            },
        ]
        sid = ident["sloth_id"]
        groups += [
            {"name": f"sloth-slo-sli-recordings-{sid}", "interval": interval, "rules": recs},
            {"name": f"sloth-slo-meta-recordings-{sid}", "interval": interval, "rules": meta},
            {"name": f"sloth-slo-alerts-{sid}", "interval": interval, "rules": alerts},
        ]
    return {"groups": groups}


def group_owner(group: str) -> str:
    """The SLO a rule group belongs to, for both rule sets."""
    name = group.split(";", 1)[-1]
    if name.startswith("sloth-slo-"):
        return name.rsplit("-", 1)[-1]
    return name.split(":")[2]


# ---------------------------------------------------------------------------------------------
# Synthetic data: raw counters (3d) and each rule set's recorded 5m series (30d)


@dataclass(frozen=True)
class Workload:
    slos: int
    instances: int
    t0: float  # counters are 0 here; raw history starts here
    end: float  # history ends here; the exporter takes over
    recorded_from: float

    def counters(self) -> Iterator[tuple[dict[str, str], int, int]]:
        """(labels, requests per minute, phase) of every raw counter."""
        for s in range(self.slos):
            for i in range(self.instances):
                inst = f"i{i:04d}"
                yield {"code": "200", "instance": inst, "job": f"svc{s}"}, 60 + 10 * (i % 7), i
                if i % 10 == 0:
                    yield {"code": "500", "instance": inst, "job": f"svc{s}"}, 1 + i % 3, i

    def value(self, per_minute: int, phase: int, t: float) -> int:
        """A counter with a wobbling but never negative increase (r > 0.6 keeps it monotonic)."""
        m = (t - self.t0) / 60
        return max(0, math.floor(per_minute * m + 3 * math.sin(m / 5 + phase)))

    def rates(self) -> tuple[float, float]:
        """Bad and total events per second of one SLO (identical for all SLOs)."""
        bad = total = 0.0
        for labels, r, _ in self.counters():
            if labels["job"] != "svc0":
                continue
            total += r / 60
            if labels["code"] == "500":
                bad += r / 60
        return bad, total


def _recorded_series(work: Workload, svc: Service) -> list[tuple[str, dict[str, str], float]]:
    bad, total = work.rates()
    out = []
    for slo in svc.slos:
        ours_labels = {"service": svc.name, "slo": slo.name}
        out.append((BAD_RATE, ours_labels, bad))
        out.append((TOTAL_RATE, ours_labels, total))
        out.append((SLOTH_5M, _sloth_labels(svc, slo, "5m"), bad / total))
    return out


def write_slot(args: tuple[Workload, int, int, Path]) -> tuple[int, float]:
    """One 18h slot as OpenMetrics, then as one block (``promtool`` reads the file twice)."""
    work, slos, slot, out = args
    svc = build_service(slos)
    lo, hi = slot * SLOT, (slot + 1) * SLOT - 1
    path = out / f"slot-{slot}.om"
    began = time.monotonic()
    with open(path, "w", encoding="utf-8") as fh:
        w = OpenMetricsWriter(fh)
        raw_lo, raw_hi = max(lo, work.t0), min(hi, work.end)
        if raw_lo <= raw_hi:
            first = math.ceil(raw_lo / RAW_STEP) * RAW_STEP
            times = range(int(first), int(raw_hi) + 1, RAW_STEP)
            w.family("http_requests", "counter")
            for labels, r, phase in work.counters():
                w.series(labels, [(t, work.value(r, phase, t)) for t in times])
        rec_lo, rec_hi = max(lo, work.recorded_from), min(hi, work.end)
        if rec_lo <= rec_hi:
            first = math.ceil(rec_lo / RECORDED_STEP) * RECORDED_STEP
            times = range(int(first), int(rec_hi) + 1, RECORDED_STEP)
            by_family: dict[str, list[tuple[dict[str, str], float]]] = {}
            for name, labels, value in _recorded_series(work, svc):
                by_family.setdefault(name, []).append((labels, value))
            for name, members in by_family.items():
                w.family(name, "gauge")
                for labels, value in members:
                    # Vary the values a little so chunks compress like real data, not like constants.
                    w.series(labels, [(t, value * (1 + 0.1 * math.sin(t / 3000))) for t in times])
        w.close()
    blocks = out / f"blocks-{slot}"
    backfill_openmetrics(path, blocks, max_block="18h")
    path.unlink()
    return slot, time.monotonic() - began


def build_history(work: Workload, slos: int, data: Path, jobs: int) -> None:
    """All slots, ``jobs`` at a time; blocks end up in ``data``."""
    scratch = data.parent / "slots"
    scratch.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    first, last = int(work.recorded_from // SLOT), int(work.end // SLOT)
    tasks = [(work, slos, k, scratch) for k in range(first, last + 1)]
    # Largest slots first so the pool finishes together.
    tasks.sort(key=lambda t: -max(0.0, min((t[2] + 1) * SLOT, work.end) - max(t[2] * SLOT, work.t0)))
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for _slot, _secs in pool.imap_unordered(write_slot, tasks):
            pass
    for k in range(first, last + 1):
        src = scratch / f"blocks-{k}"
        if src.exists():
            for block in blocks_in(src):
                shutil.move(str(block), str(data / block.name))
    shutil.rmtree(scratch)


def exporter(work: Workload) -> MetricsEndpoint:
    """Serves the counters' current values so the 5m and 1h windows stay full during the run."""
    counters = [
        ("http_requests_total{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "} ", r, phase)
        for labels, r, phase in work.counters()
    ]

    def render() -> str:
        now = time.time()
        body = "".join(f"{p}{work.value(r, ph, now)}\n" for p, r, ph in counters)
        return "# TYPE http_requests_total counter\n" + body

    return MetricsEndpoint(render)


# ---------------------------------------------------------------------------------------------
# Measurement


@dataclass
class Run:
    name: str
    durations: dict[str, list[float]]  # group -> durations of the measured cycles, in order
    missed: float
    compactions: float
    wall: float


def _metric(text: str, name: str) -> dict[str, float]:
    return {labels.get("rule_group", ""): v for labels, v in parse_metric_lines(text, name)}


def _total(text: str, name: str) -> float:
    return sum(v for _, v in parse_metric_lines(text, name))


def measure(
    name: str, doc: dict[str, Any], template: Path, work_dir: Path, endpoint: MetricsEndpoint, args: Any
) -> Run:
    """Start a Prometheus with ``doc`` on a copy of the history; collect per-group durations."""
    data = work_dir / f"tsdb-{name}"
    subprocess.run(["cp", "-al", str(template), str(data)], check=True)  # blocks are immutable: hard links
    rules = write_rules(doc, work_dir / f"{name}.rules.yml")
    groups = {f"{rules.resolve()};{g['name']}" for g in doc["groups"]}
    want = args.warmup + args.cycles
    scrape = {
        "job_name": "synthetic",
        "honor_labels": True,
        "scrape_interval": f"{RAW_STEP}s",
        "static_configs": [{"targets": [endpoint.target]}],
    }
    interval_s = float(args.interval.rstrip("s"))
    budget = 120 + want * interval_s * 3
    server = PrometheusServer(
        data,
        rule_files=[rules],
        scrape_configs=[scrape],
        evaluation_interval=args.interval,
        # One block per 18h slot and no compaction above 18h: nothing to compact while we measure.
        extra_args=["--storage.tsdb.min-block-duration=2h", "--storage.tsdb.max-block-duration=18h"],
        ready_timeout=180,
        max_runtime=budget + 300,
    )
    seen: dict[str, dict[float, float]] = {g: {} for g in groups}
    began = time.monotonic()
    with server:
        text = server.metrics()
        compactions0 = _total(text, "prometheus_tsdb_compactions_total")
        while min(len(v) for v in seen.values()) < want:
            if time.monotonic() - began > budget:
                raise SystemExit(f"{name}: only {min(len(v) for v in seen.values())} of {want} cycles in {budget:.0f}s")
            time.sleep(0.5)
            text = server.metrics()
            stamps = _metric(text, "prometheus_rule_group_last_evaluation_timestamp_seconds")
            lasts = _metric(text, "prometheus_rule_group_last_duration_seconds")
            for g in groups:
                ts = stamps.get(g, 0.0)
                if ts > 0:
                    # The duration is set just before the timestamp: the first reading of a stamp is right.
                    seen[g].setdefault(ts, lasts[g])
        missed = _total(text, "prometheus_rule_group_iterations_missed_total")
        compactions = _total(text, "prometheus_tsdb_compactions_total") - compactions0
        if args.sanity:
            check = 'count_over_time(http_requests_total{job="svc0",code="200",instance="i0000"}[3d])'
            got = server.query_value(check, time.time())
            print(f"  {name}: raw samples in the 3d window of one series: {got:.0f}", flush=True)
    durations = {g.split(";", 1)[1]: [d for _, d in sorted(v.items())][args.warmup : want] for g, v in seen.items()}
    return Run(name, durations, missed, compactions, time.monotonic() - began)


def per_slo(run: Run) -> dict[str, list[float]]:
    """Per SLO, the summed duration of its groups in each measured cycle."""
    out: dict[str, list[float]] = {}
    for group, durations in run.durations.items():
        slo = group_owner(group)
        acc = out.setdefault(slo, [0.0] * len(durations))
        for i, d in enumerate(durations):
            acc[i] += d
    return out


def _ms(x: float) -> str:
    return f"{x * 1000:8.1f}"


def report(our: Run, sloth: Run, args: Any, setup: float) -> None:
    a, b = per_slo(our), per_slo(sloth)
    print()
    print(f"per-SLO rule evaluation time per cycle, ms ({args.cycles} cycles after {args.warmup} warm-up)")
    print(f"{'SLO':8} {'ours med':>9} {'ours max':>9} {'sloth med':>10} {'sloth max':>10} {'ratio med':>10}")
    ratios = []
    for slo in sorted(a):
        om, ox = statistics.median(a[slo]), max(a[slo])
        sm, sx = statistics.median(b[slo]), max(b[slo])
        ratios.append(om / sm)
        print(f"{slo:8} {_ms(om):>9} {_ms(ox):>9} {_ms(sm):>10} {_ms(sx):>10} {om / sm:10.3f}")
    all_ours = [sum(c) for c in zip(*a.values(), strict=True)]
    all_sloth = [sum(c) for c in zip(*b.values(), strict=True)]
    print(
        f"{'all':8} {_ms(statistics.median(all_ours)):>9} {_ms(max(all_ours)):>9} "
        f"{_ms(statistics.median(all_sloth)):>10} {_ms(max(all_sloth)):>10} "
        f"{statistics.median(all_ours) / statistics.median(all_sloth):10.3f}"
    )
    print(f"median of per-SLO ratios: {statistics.median(ratios):.3f} (target <= 0.2)")
    fast = [d for g, d in our.durations.items() if not g.endswith(":long")]
    slow = [d for g, d in our.durations.items() if g.endswith(":long")]
    fast_med = statistics.median(x for ds in fast for x in ds)
    slow_med = statistics.median(x for ds in slow for x in ds)
    sloth_med = statistics.median(x for ds in b.values() for x in ds)
    print(
        "evaluation seconds per SLO per minute at the real intervals: ours "
        f"{2 * fast_med + slow_med:.4f} (fast group 30s: {_ms(fast_med).strip()} ms, slow group 1m: "
        f"{_ms(slow_med).strip()} ms); Sloth-style at a 30s global interval {2 * sloth_med:.4f}"
    )
    print(
        f"missed iterations: ours {our.missed:.0f}, sloth {sloth.missed:.0f}; "
        f"compactions while measuring: ours {our.compactions:.0f}, sloth {sloth.compactions:.0f}"
    )
    print(f"wall time: setup {setup:.0f}s, ours {our.wall:.0f}s, sloth {sloth.wall:.0f}s")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(["prometheus", "--version"], capture_output=True, text=True).stdout.splitlines()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({model}), {mem:.0f} GiB, {platform.platform()}; {version[0] if version else ''}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slos", type=int, default=5)
    parser.add_argument("--instances", type=int, default=1000, help="per SLO; every 10th also has a 5xx counter")
    parser.add_argument("--raw-days", type=float, default=3 + 1 / 48, help="raw counter history (3d windows)")
    parser.add_argument("--interval", default="15s", help="evaluation interval of every group while measuring")
    parser.add_argument("--cycles", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel history writers")
    parser.add_argument("--workdir", type=Path, default=None, help="kept afterwards when given")
    parser.add_argument("--no-sanity", dest="sanity", action="store_false")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}")
    svc = build_service(args.slos)
    end = math.floor(time.time() / 60) * 60
    work = Workload(args.slos, args.instances, end - args.raw_days * DAY, end, end - 30 * DAY - 10 * MINUTE)
    series = sum(1 for _ in work.counters())
    print(
        f"{args.slos} SLOs x {series // args.slos} raw series, {args.raw_days:.2f}d at {RAW_STEP}s; "
        f"recorded 5m series 30d at {RECORDED_STEP}s"
    )
    work_dir = args.workdir or Path(tempfile.mkdtemp(prefix="slo-rules-bench-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        began = time.monotonic()
        template = work_dir / "history"
        build_history(work, args.slos, template, args.jobs)
        setup = time.monotonic() - began
        print(f"history backfilled in {setup:.0f}s ({len(blocks_in(template))} blocks)", flush=True)
        with exporter(work) as endpoint:
            our = measure("ours", ours(svc, args.interval), template, work_dir, endpoint, args)
            print(f"  ours measured in {our.wall:.0f}s", flush=True)
            sloth = measure("sloth", sloth_style(svc, args.interval), template, work_dir, endpoint, args)
            print(f"  sloth-style measured in {sloth.wall:.0f}s", flush=True)
        report(our, sloth, args, setup)
    finally:
        if args.workdir is None:
            shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
