"""Alert quality of the generated rules over a synthetic month of the bundled example (issue #12).

A month of 15 s samples for the ai-assistant example: diurnal traffic with quiet nights, isolated
baseline errors and slow requests, probe blips several times a day, a deploy that resets every
counter and misses a scrape, and a handful of labelled incidents of different sizes. The data is
backfilled into a real Prometheus; ``slo backtest``'s engine (slo.backtest) evaluates the generated
recording rules over the month and replays the alerting rules with Prometheus' for/keep_firing_for
states. Prints per SLO: pages, tickets, false pages and false notifications (no labelled incident
behind them), missed incidents and the time to detect each incident.

    python benchmarks/alert_quality.py [--days 30] [--seed 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slo.backtest import run  # noqa: E402
from slo.backtest.evaluate import Client  # noqa: E402
from slo.backtest.replay import FiredAlert  # noqa: E402
from slo.loaders import load  # noqa: E402
from slo.local.metrics_text import Series, write_openmetrics  # noqa: E402
from slo.local.servers import PrometheusServer  # noqa: E402
from slo.local.tsdb import backfill_openmetrics  # noqa: E402
from slo.report.client import Connection  # noqa: E402

STEP = 15
MIN, HOUR, DAY = 60, 3600, 86400
JOB = "ai-assistant-backend"
HEALTH = {"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}
ENDPOINTS = {"/api/chat": 12.0, "/api/search": 3.0}  # requests per second at the daily peak
BUCKETS = (0.1, 0.2, 0.5, 1.0, 2.0, 2.5, 5.0, math.inf)
# where a request of each kind lands: fast, slow for api-latency (> 0.2 s), slow for search (> 2 s)
FAST, SLOW_API, SLOW_SEARCH = 0.05, 0.4, 4.0


@dataclass(frozen=True)
class Incident:
    """A labelled real incident: what breaks, when, and which SLOs should page (or at least ticket)."""

    name: str
    start: int  # seconds from the month's start
    minutes: float
    errors: float = 0.0  # share of chat and search requests answering 5xx
    slow_api: float = 0.0  # share of non-search requests slower than 0.2 s
    slow_search: float = 0.0  # share of search requests slower than 2 s
    probe_down: bool = False
    pages: tuple[str, ...] = ()  # SLOs that must page
    may_alert: tuple[str, ...] = ()  # SLOs whose alerts it explains (tickets, smaller pages)

    @property
    def end(self) -> int:
        return self.start + round(self.minutes * 60)


INCIDENTS = (
    Incident(
        "total outage (10 min, afternoon)",
        4 * DAY + 14 * HOUR,
        10,
        errors=1.0,
        probe_down=True,
        pages=("uptime", "error-rate"),
    ),
    Incident("night error spike (5% for 30 min, ~1 req/s)", 7 * DAY + 3 * HOUR, 30, errors=0.05, pages=("error-rate",)),
    Incident(
        "latency regression (all API requests slow, 60 min)",
        14 * DAY + 10 * HOUR,
        60,
        slow_api=1.0,
        pages=("api-latency",),
    ),
    Incident(
        "search backend stuck (all searches > 2 s, 75 min)",
        21 * DAY + 16 * HOUR,
        75,
        slow_search=1.0,
        pages=("search-latency",),
    ),
    Incident(
        "short site outage (3 min)",
        25 * DAY + 9 * HOUR,
        3,
        errors=1.0,
        probe_down=True,
        pages=("uptime",),
        may_alert=("error-rate",),
    ),
    Incident("slow burn (0.5% errors for 8 h, night)", 27 * DAY + 1 * HOUR, 480, errors=0.005, pages=("error-rate",)),
)
DEPLOY = 9 * DAY + 11 * HOUR  # every counter resets; one scrape is missed


def diurnal(t: np.ndarray) -> np.ndarray:
    """Traffic share of the peak: ~8% at 03:00, 100% at 15:00."""
    hour = (t % DAY) / HOUR
    return 0.08 + 0.92 * (0.5 - 0.5 * np.cos((hour - 3) / 24 * 2 * math.pi)) ** 1.5


def synthesise(days: int, seed: int) -> tuple[list[Series], list[tuple[int, int]]]:
    """The month's series (times relative to 0) and the probe blips (start, end)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, days * DAY + STEP, STEP)
    n = len(t)
    errors = np.zeros(n)
    slow_api = np.full(n, 0.02)  # 2% of API requests above 0.2 s: 0.4x the 95% SLO's budget
    slow_search = np.full(n, 0.01)
    probe = np.ones(n)
    for inc in INCIDENTS:
        span = (t >= inc.start) & (t < inc.end)
        errors[span] = np.maximum(errors[span], inc.errors)
        slow_api[span] = np.maximum(slow_api[span], inc.slow_api)
        slow_search[span] = np.maximum(slow_search[span], inc.slow_search)
        if inc.probe_down:
            probe[span] = 0.0
    blips = []
    for day in range(days):
        for at in rng.uniform(day * DAY, (day + 1) * DAY, size=4):  # four single failed probes a day
            i = int(at // STEP)
            if probe[i] == 1.0:
                probe[i] = 0.0
                blips.append((int(t[i]), int(t[i]) + STEP))
    series: list[Series] = []
    keep = np.ones(n, dtype=bool)
    keep[int(DEPLOY // STEP) + 1] = False  # the missed scrape during the deploy
    reset = int(DEPLOY // STEP)
    for endpoint, peak in ENDPOINTS.items():
        requests = rng.poisson(peak * diurnal(t) * STEP).astype(float)
        bad = rng.binomial(requests.astype(int), errors).astype(float)
        # isolated baseline errors: about two a day per endpoint, one request each
        lone = rng.random(n) < 2 / (DAY / STEP)
        bad = np.minimum(requests, bad + lone)
        share = slow_search if endpoint == "/api/search" else slow_api
        slow = rng.binomial(requests.astype(int), share).astype(float)
        latency_of_slow = SLOW_SEARCH if endpoint == "/api/search" else SLOW_API
        base = {"job": JOB, "endpoint": endpoint}
        for status, counts in (("500", bad), ("200", requests - bad)):
            series.append(_counter("http_requests_total", {**base, "status": status}, t, counts, keep, reset))
        for le in BUCKETS:
            in_bucket = (requests - slow) * (le >= FAST) + slow * (latency_of_slow <= le)
            name = "http_request_duration_seconds_bucket"
            label = "+Inf" if le == math.inf else f"{le:g}"
            series.append(_counter(name, {**base, "le": label}, t, in_bucket, keep, reset))
        series.append(_counter("http_request_duration_seconds_count", base, t, requests, keep, reset))
    samples = [(float(a), float(b)) for a, b, k in zip(t, probe, keep, strict=True) if k]
    series.append(Series("probe_success", HEALTH, samples, kind="gauge"))
    return series, blips


def _counter(name: str, labels: dict[str, str], t: np.ndarray, per_step: np.ndarray, keep, reset: int) -> Series:
    """Cumulative counts, reset to zero at ``reset`` (a deploy), without the missed sample.

    Histogram series are written as gauges (OpenMetrics counters must end in _total); Prometheus
    stores the same samples either way.
    """
    values = np.cumsum(per_step)
    values[reset:] -= values[reset - 1]
    values[reset] = 0.0
    kind = "counter" if name.endswith("_total") else "gauge"
    samples = [(float(a), float(v)) for a, v, k in zip(t, values, keep, strict=True) if k]
    return Series(name, labels, samples, kind=kind)


def classify(fired: list[FiredAlert], origin: int, blips: list[tuple[int, int]]) -> dict[str, dict]:
    """Per SLO: pages, tickets, false pages/notifications, and each incident's detection."""
    from slo.model.alert_policy import DEFAULT_TIERS

    reach = {t.name: t.long_window.seconds for t in DEFAULT_TIERS}
    out: dict[str, dict] = {}
    seen: set[tuple[str, str, str]] = set()
    for a in sorted(fired, key=lambda f: f.start):
        row = out.setdefault(a.slo, {"pages": 0, "tickets": 0, "false_pages": 0, "false": 0, "repeats": 0})
        start = a.start - origin
        page = a.severity == "critical"
        row["pages" if page else "tickets"] += 1
        # an alert is explained by an incident its long window holds (absent/bucket alerts: the last hour)
        window = reach.get(a.tier, HOUR)
        behind = [
            inc
            for inc in INCIDENTS
            if a.slo in inc.pages + inc.may_alert and inc.start <= start and inc.end >= start - window
        ]
        for inc in behind[-1:]:
            key = (a.slo, a.tier, inc.name)
            row["repeats"] += key in seen
            seen.add(key)
        if not behind:
            row["false"] += 1
            row["false_pages"] += int(page)
            row.setdefault("false_list", []).append(f"{a.alertname}/{a.tier or '-'} at {_when(start)}")
    return out


def detections(fired: list[FiredAlert], origin: int) -> list[tuple[Incident, str, float | None]]:
    """(incident, slo, minutes to the first page) for every SLO an incident must page; None: missed."""
    rows = []
    for inc in INCIDENTS:
        for slo in inc.pages:
            starts = [
                a.start - origin
                for a in fired
                if a.slo == slo and a.severity == "critical" and inc.start <= a.start - origin <= inc.end + 6 * HOUR
            ]
            rows.append((inc, slo, (min(starts) - inc.start) / 60 if starts else None))
    return rows


def _when(seconds: int) -> str:
    return f"day {seconds // DAY + 1} {seconds % DAY // HOUR:02d}:{seconds % HOUR // MIN:02d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, default=None, help="keep the work directory here")
    parser.add_argument("--dump", type=Path, default=None, help="write the replayed alerts as JSON")
    parser.add_argument("--load", type=Path, default=None, help="classify alerts saved by --dump (no replay)")
    args = parser.parse_args()
    began = time.monotonic()
    if args.load is not None:
        saved = json.loads(args.load.read_text())
        fired = [FiredAlert(**{k: v for k, v in a.items() if k != "budget_spent"}) for a in saved["alerts"]]
        report(fired, saved["origin"], [tuple(b) for b in saved["blips"]], saved["days"])
        return 0
    defs = load([ROOT / "examples/ai-assistant/slos.py"])
    docs = run.rule_docs(defs)
    work = Path(tempfile.mkdtemp(prefix="alert-quality-"))
    try:
        end = int(time.time()) // HOUR * HOUR - HOUR
        origin = end - args.days * DAY
        series, blips = synthesise(args.days, args.seed)
        shifted = [Series(s.name, s.labels, [(a + origin, v) for a, v in s.samples], s.kind) for s in series]
        om = work / "month.om"
        count = write_openmetrics(shifted, om)
        backfill_openmetrics(om, work / "data")
        print(
            f"synthesised {count:,} samples ({len(series)} series, {args.days} days at {STEP}s) "
            f"in {time.monotonic() - began:.0f}s",
            flush=True,
        )
        server = PrometheusServer(work / "data", max_runtime=7200)
        with server, Client(Connection(url=server.url, timeout=600)) as client:
            t0 = time.monotonic()
            fired = run.backtest(
                client, defs, docs, run.Window(origin + 3 * DAY, end), lambda *_: None, scratch=work, warmup=3 * DAY
            )
            print(f"backfilled the rules and replayed the alerts in {time.monotonic() - t0:.0f}s", flush=True)
        if args.dump is not None:
            alerts = [
                {
                    "alertname": a.alertname,
                    "labels": dict(a.labels),
                    "start": a.start,
                    "end": a.end,
                    "peak_value": a.peak_value,
                    "interval": a.interval,
                }
                for a in fired
            ]
            doc = {"origin": origin, "days": args.days, "blips": blips, "alerts": alerts}
            args.dump.write_text(json.dumps(doc))
        report(fired, origin, blips, args.days)
    finally:
        if args.keep is not None:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"total {time.monotonic() - began:.0f}s")
    return 0


def report(fired: list[FiredAlert], origin: int, blips: list[tuple[int, int]], days: int) -> None:
    slos = ("uptime", "api-latency", "error-rate", "search-latency")
    rows = classify(fired, origin, blips)
    print(
        f"\nalerts replayed over days 4-{days} (the first 3 days fill the 3d windows); "
        f"{len(blips)} probe blips, 1 deploy with counter reset and a missed scrape\n"
    )
    print(f"{'SLO':<16}{'pages':>7}{'tickets':>9}{'false pages':>13}{'false notif.':>14}{'repeats':>9}")
    total = false = 0
    for slo in slos:
        r = rows.get(slo, {"pages": 0, "tickets": 0, "false_pages": 0, "false": 0, "repeats": 0})
        total += r["pages"] + r["tickets"]
        false += r["false"]
        print(f"{slo:<16}{r['pages']:>7}{r['tickets']:>9}{r['false_pages']:>13}{r['false']:>14}{r['repeats']:>9}")
        for item in r.get("false_list", []):
            print(f"{'':<16}  false: {item}")
    noise = false / total if total else 0.0
    print(f"\nnoise (false notifications / all notifications): {false}/{total} = {noise:.1%}")
    print("(repeats: the same tier firing again for an incident its long window still holds, e.g. a probe blip")
    print(" in the short window after an outage; counted as explained, not as noise)")
    print("\nincident → SLO: time to first page")
    missed = 0
    for inc, slo, minutes in detections(fired, origin):
        note = " (before the replayed span)" if inc.start < 3 * DAY else ""
        text = f"{minutes:.1f} min" if minutes is not None else "MISSED"
        missed += minutes is None and not note
        print(f"  {inc.name:<52} {slo:<15} {text}{note}")
    print(f"missed paging incidents: {missed}")


if __name__ == "__main__":
    raise SystemExit(main())
