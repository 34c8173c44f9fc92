"""How ``slo generate``'s rendering scales: every artifact for 10 to 5,000 SLOs.

For each size a definitions file is written (services of 10 SLOs each, the SLI kinds in turn —
availability, latency, error-rate time slices, uptime probes, ratio of two counters — seven teams,
and Alertmanager routing with a route per team), loaded, and turned into every artifact with
``generators.bundle.artifacts`` (rules, promtool tests, PrometheusRule objects, dashboards,
Alertmanager config and route tests). Each size runs in a fresh Python process, so the peak
resident memory (``ru_maxrss``) is that size's alone; the time is the median of ``--rounds``
renderings in that process. Nothing is written to disk: the atomic writer is measured by
tests/test_atomic_output.py, not here.

Run: ``python benchmarks/generate.py [--sizes 10,100,1000,5000] [--rounds 3] [--reference]
[--profile N]``. ``--reference`` renders YAML through pure-Python PyYAML without shortcuts (the
bytes are the same; it shows what the fast path saves). ``--profile N`` prints cProfile's top
functions for N SLOs instead.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_SERVICE = 10
TEAMS = 7


def definitions(count: int) -> str:
    """A Python definitions file with ``count`` SLOs of every kind and routing."""
    lines = [
        "from slo import (availability, error_rate, latency, pagerduty, ratio, regex, routing, service, slack,",
        "                 team_route, uptime)",
        "",
        'errors = {"code": regex("5..")}',
    ]
    for first in range(0, count, PER_SERVICE):
        s = first // PER_SERVICE
        slos = []
        for i in range(first, min(count, first + PER_SERVICE)):
            j = i - first
            labels = f'{{"job": "svc{s:04d}", "handler": "/h{j}"}}'
            slos.append(
                [
                    f'availability("avail-{j}", 99.9, "http_requests_total", errors=errors, labels={labels})',
                    f'latency("latency-{j}", 95, "http_request_duration_seconds", under="200ms", labels={labels})',
                    f'error_rate("errors-{j}", 99, "http_requests_total", errors=errors, below="0.1%", '
                    f"labels={labels})",
                    f'uptime("uptime-{j}", 99.9, "probe_success", labels={{"instance": "https://svc{s}.example/h{j}"}})',
                    f'ratio("jobs-{j}", 99.5, total=\'jobs_total{{job="svc{s:04d}"}}\', '
                    f"bad='jobs_failed_total{{job=\"svc{s:04d}\"}}')",
                ][i % 5]
            )
        joined = ",\n    ".join(slos)
        lines.append(
            f'svc{s:04d} = service(\n    "svc-{s:04d}",\n    {joined},\n    team="team-{s % TEAMS}",\n'
            f'    runbook_url="https://runbooks.example/svc-{s:04d}",\n)'
        )
    routes = ", ".join(f'team_route("team-{t}", critical="pager", warning="chat")' for t in range(TEAMS))
    lines.append(
        'alert_routing = routing(pagerduty("pager", routing_key_file="/etc/alertmanager/pd"), '
        'slack("chat", api_url_file="/etc/alertmanager/slack", channel="#alerts"), '
        f'critical="pager", warning="chat", routes=[{routes}])'
    )
    return "\n".join(lines) + "\n"


def measure(count: int, rounds: int, reference: bool) -> dict[str, float]:
    """Load and render ``count`` SLOs in this process; figures as a dict."""
    from generators import yamlout
    from generators.bundle import artifacts
    from slo.loaders import load

    with tempfile.TemporaryDirectory(prefix="slo-bench-generate-") as tmp:
        path = Path(tmp) / "slos.py"
        path.write_text(definitions(count), encoding="utf-8")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        defs = load([path])
        load_s = time.perf_counter() - t0
    times = []
    files: dict[str, str] = {}
    for _ in range(rounds):
        files = {}  # let the previous round's output go before the next one is built
        t0 = time.perf_counter()
        if reference:
            with yamlout.reference():
                files = artifacts(defs)
        else:
            files = artifacts(defs)
        times.append(time.perf_counter() - t0)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # From 16 services up, rendering runs in worker processes (generators.bundle): their peak counts too.
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "slos": sum(len(s.slos) for s in defs.services),
        "services": len(defs.services),
        "load_s": load_s,
        "render_s": statistics.median(times),
        "files": len(files),
        "megabytes": sum(len(t.encode()) for t in files.values()) / 1e6,
        "peak_rss_mib": rss_peak / 1024,
        "rss_growth_mib": (rss_peak - rss_before) / 1024,
        "worker_peak_rss_mib": worker_peak / 1024,
    }


def profile(count: int) -> None:
    import cProfile
    import pstats

    from generators.bundle import artifacts
    from slo.loaders import load

    with tempfile.TemporaryDirectory(prefix="slo-bench-generate-") as tmp:
        path = Path(tmp) / "slos.py"
        path.write_text(definitions(count), encoding="utf-8")
        defs = load([path])
    profiler = cProfile.Profile()
    profiler.runcall(artifacts, defs)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,1000,5000", help="comma-separated SLO counts")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", action="store_true", help="pure-Python PyYAML, no shortcuts")
    parser.add_argument("--profile", type=int, metavar="N", help="cProfile the rendering of N SLOs")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size, JSON out
    args = parser.parse_args()
    if args.profile:
        profile(args.profile)
        return
    if args.one:
        print(json.dumps(measure(args.one, args.rounds, args.reference)))
        return
    print(f"slo generate rendering (generators.bundle.artifacts), median of {args.rounds} rounds per size"
          + (", pure-Python YAML (--reference)" if args.reference else ""))  # fmt: skip
    print(f"{'SLOs':>6} {'services':>8} {'files':>6} {'MB out':>7} {'load s':>7} {'render s':>9} "
          f"{'ms/SLO':>7} {'peak RSS MiB':>13} {'RSS growth MiB':>15} {'worker peak MiB':>16}")  # fmt: skip
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(size), "--rounds", str(args.rounds)]
        if args.reference:
            cmd.append("--reference")
        done = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        row = json.loads(done.stdout)
        rows.append(row)
        print(f"{row['slos']:>6} {row['services']:>8} {row['files']:>6} {row['megabytes']:>7.1f} "
              f"{row['load_s']:>7.2f} {row['render_s']:>9.2f} {1000 * row['render_s'] / row['slos']:>7.2f} "
              f"{row['peak_rss_mib']:>13.0f} {row['rss_growth_mib']:>15.0f} "
              f"{row['worker_peak_rss_mib']:>16.0f}", flush=True)  # fmt: skip
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        scale = (last["render_s"] / last["slos"]) / (first["render_s"] / first["slos"])
        print(f"time per SLO at {last['slos']} vs {first['slos']} SLOs: {scale:.2f}x (1.00x = linear)")


if __name__ == "__main__":
    main()
