"""``slo backtest`` against the alerts a real Prometheus fires live over the same data.

A live Prometheus scrapes a synthetic endpoint every second and evaluates the generated rules (group
intervals shortened to 2 s, so a 45-second run holds some twenty evaluations) while an outage makes a
burn tier fire after its ``for`` and a vanished series fires the absent alert and resolves it again
after ``keep_firing_for``-free flapping. The backtest of the same window, against the same server,
must list exactly the alerts Prometheus recorded in ``ALERTS``, starting and ending within an
evaluation or two of Prometheus' own (its evaluation ticks are offset from the backtest's grid).
The ``states`` machine is also checked tick by tick against Prometheus' documented semantics.
"""

from __future__ import annotations

import copy
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from generators.prometheus_rules import rule_file
from slo.backtest import run
from slo.backtest.evaluate import Client
from slo.backtest.replay import FiredAlert, states
from slo.dsl.slos import availability, policy, regex, service
from slo.loaders import Definitions
from slo.local.metrics_text import Series, exposition, write_openmetrics
from slo.local.scrape_endpoint import MetricsEndpoint
from slo.local.servers import PrometheusServer
from slo.local.tsdb import backfill_openmetrics, write_rules
from slo.model.alert_policy import tier
from slo.report.client import Connection
from tests.conftest import Backend, require

pytestmark = pytest.mark.integration

INTERVAL = 2
RATE = 50.0  # requests per second per job: 0.1% errors give 15 bad events per 5m (the guard wants 10)
LIVE = 46  # seconds of live evaluation


# ---------------------------------------------------------------------------------------------
# The state machine, tick by tick


def test_for_waits_and_fires_on_the_tick_it_is_reached() -> None:
    ticks = list(range(0, 100, 10))
    active = {t: 1.0 for t in (20, 30, 40, 50)}
    assert states(ticks, active, 0, 0) == [(20, 60, 1.0)]
    assert states(ticks, active, 20, 0) == [(40, 60, 1.0)]  # pending at 20, 20s later: firing at 40
    assert states(ticks, active, 30, 0) == [(50, 60, 1.0)]
    assert states(ticks, active, 40, 0) == []  # resolved before it could fire


def test_keep_firing_for_bridges_gaps_and_resolves_late() -> None:
    ticks = list(range(0, 200, 10))
    active = {20: 2.0, 30: 5.0, 60: 3.0, 150: 1.0}
    # Without keep_firing_for: three alerts. With 30s: the gap 40..50 is bridged, the one after 60 is not.
    assert states(ticks, active, 0, 0) == [(20, 40, 5.0), (60, 70, 3.0), (150, 160, 1.0)]
    assert states(ticks, active, 0, 30) == [(20, 100, 5.0), (150, 190, 1.0)]
    # A pending alert that goes inactive never fires, keep_firing_for or not.
    assert states(ticks, {20: 1.0, 40: 1.0}, 15, 100) == []


def test_still_firing_at_the_end_has_no_end() -> None:
    assert states([0, 10, 20], {10: 1.0, 20: math.nan}, 0, 0) == [(10, None, 1.0)]


# ---------------------------------------------------------------------------------------------
# Live Prometheus vs backtest


class Traffic:
    """Analytic counters: ``RATE`` requests/s per job, 0.1% errors, 100% during ``outage``; ``hidden`` drops a job."""

    def __init__(self, origin: float) -> None:
        self.origin = origin
        self.outage: tuple[float, float] | None = None
        self.hidden: tuple[float, float] | None = None
        self._lock = threading.Lock()

    def counters(self, job: str, t: float) -> tuple[float, float]:
        total = RATE * (t - self.origin)
        bad = total * 0.001
        if job == "shop" and self.outage is not None:
            lo, hi = self.outage
            bad += RATE * 0.999 * max(0.0, min(t, hi) - lo)
        return total - bad, bad

    def render(self) -> str:
        now = time.time()
        samples = []
        with self._lock:
            for job in ("shop", "batch"):
                if job == "batch" and self.hidden and self.hidden[0] <= now < self.hidden[1]:
                    continue
                ok, bad = self.counters(job, now)
                samples.append(("http_requests_total", {"job": job, "code": "200"}, ok))
                samples.append(("http_requests_total", {"job": job, "code": "500"}, bad))
        return exposition(samples)

    def history(self, start: int, end: int, instance: str, step: int = 15) -> list[Series]:
        """The same counters as scraped later (``instance`` is the endpoint's), so they continue."""
        out = []
        for job in ("shop", "batch"):
            times = range(start, end + 1, step)
            ok = [(t, self.counters(job, t)[0]) for t in times]
            bad = [(t, self.counters(job, t)[1]) for t in times]
            for code, samples in (("200", ok), ("500", bad)):
                out.append(Series("http_requests_total", {"job": job, "code": code, "instance": instance}, samples))
        return out


FAST = policy(tiers=[tier("page", "critical", "5m", "1m", 0.001, for_="6s")], keep_firing_for=None, absent_for="6s")
DEFS = Definitions(
    services=(
        service(
            "live",
            availability(
                "shop", 99, "http_requests_total", errors={"code": regex("5..")}, labels={"job": "shop"}, alerting=FAST
            ),
            availability(
                "batch",
                99,
                "http_requests_total",
                errors={"code": regex("5..")},
                labels={"job": "batch"},
                alerting=FAST,
            ),
        ),
    ),
    origins=(),
)


def fast_rules(defs: Definitions) -> dict[str, Any]:
    """The generated rules with every group evaluated every ``INTERVAL`` seconds (rules otherwise verbatim)."""
    doc = copy.deepcopy(rule_file(defs.services[0]))
    for group in doc["groups"]:
        group["interval"] = f"{INTERVAL}s"
    return doc


@dataclass
class Live:
    server: PrometheusServer
    start: int
    end: int
    doc: dict[str, Any]


@pytest.fixture(scope="module")
def live(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    require("prometheus")
    require("promtool")
    tmp = tmp_path_factory.mktemp("backtest-live")
    now = int(time.time())
    traffic = Traffic(origin=now - 3600)
    doc = fast_rules(DEFS)
    rules = write_rules(doc, tmp / "live.rules.yml")
    with MetricsEndpoint(traffic.render) as endpoint:
        om = tmp / "history.om"
        write_openmetrics(traffic.history(now - 1800, now - 15, endpoint.target), om)
        backfill_openmetrics(om, tmp / "data")
        server = PrometheusServer(
            tmp / "data",
            rule_files=[rules],
            scrape_configs=[endpoint.scrape_config("synthetic", "1s")],
            evaluation_interval=f"{INTERVAL}s",
            scrape_interval="1s",
            max_runtime=600,
        )
        with server:
            start = int(time.time()) + 1
            with traffic._lock:
                traffic.outage = (start + 4.0, start + 60.0)
                traffic.hidden = (start + 8.0, start + 22.0)
            time.sleep(max(0.0, start + LIVE - time.time()))
            end = int(time.time()) - 1
            yield Live(server, start, end, doc)


def live_alerts(live: Live) -> list[tuple[tuple[str, str, str], float, float | None]]:
    """What Prometheus itself recorded: firing spans from its ``ALERTS`` series, sampled every second."""
    out = []
    for labels, points in live.server.query_range('ALERTS{alertstate="firing"}', live.start, live.end, 1):
        times = [t for t, _ in points]
        runs: list[list[float]] = []
        for t in times:
            if runs and t - runs[-1][-1] <= 1.0:
                runs[-1].append(t)
            else:
                runs.append([t])
        for r in runs:
            end = None if r[-1] >= live.end else r[-1] + 1
            out.append(((labels["alertname"], labels["slo"], labels.get("tier", "")), r[0], end))
    return sorted(out, key=lambda a: (a[1], a[0]))


def test_backtest_lists_exactly_the_alerts_prometheus_fired_live(live: Live, tmp_path: Path) -> None:
    expected = live_alerts(live)
    with Client(Connection(url=live.server.url)) as client:
        fired: list[FiredAlert] = run.backtest(
            client, DEFS, [("live", live.doc)], run.Window(live.start, live.end), lambda *_: None, warmup=900
        )
    got = sorted((((a.alertname, a.slo, a.tier), a.start, a.end) for a in fired), key=lambda a: (a[1], a[0]))
    print("\nlive:    ", expected, "\nbacktest:", got)
    names = {a[0] for a in expected}
    assert names == {("SLOErrorBudgetBurn", "shop", "page"), ("SLOMetricAbsent", "batch", "")}, expected
    assert [a[0] for a in got] == [a[0] for a in expected]
    slack = 2 * INTERVAL + 1  # Prometheus' ticks are offset from the grid; ALERTS is sampled each second
    for (_, live_start, live_end), (_, start, end) in zip(expected, got, strict=True):
        assert abs(start - live_start) <= slack, (start, live_start)
        assert (end is None) == (live_end is None), (end, live_end)
        if end is not None and live_end is not None:
            assert abs(end - live_end) <= slack, (end, live_end)
    page = next(a for a in fired if a.tier == "page")
    assert page.severity == "critical" and page.peak_burn_rate is not None and page.peak_burn_rate > 8.64
    assert page.budget_spent is not None and page.budget_spent > 0


# ---------------------------------------------------------------------------------------------
# --against: the difference a tighter objective makes, through the command line

VERSION = """\
from slo import availability, policy, regex, service, tier

FAST = policy(tiers=[tier("page", "critical", "5m", "1m", 0.001, for_="6s")], keep_firing_for=None, absent_for="6s")
live = service(
    "live",
    availability("shop", 99, "http_requests_total", errors={{"code": regex("5..")}}, labels={{"job": "shop"}},
                 alerting=FAST),
    availability("batch", {batch}, "http_requests_total", errors={{"code": regex("5..")}}, labels={{"job": "batch"}},
                 alerting=FAST),
)
"""


def test_against_shows_the_pages_a_tighter_objective_adds(live: Live, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    head, base = tmp_path / "head.py", tmp_path / "base.py"
    head.write_text(VERSION.format(batch=99.99), encoding="utf-8")
    base.write_text(VERSION.format(batch=99), encoding="utf-8")
    args = ["--prometheus", live.server.url, "--start", str(live.start - 1200), "--end", str(live.end)]
    cmd = [sys.executable, "-c", "from slo.cli import main; main()", "backtest", str(head), *args, "--warmup", "10m"]
    done = subprocess.run([*cmd, "--against", str(base), "--format", "json", "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    # Only the changed SLO is replayed; its 0.1% errors burn a 99.99% budget ten times too fast.
    assert {a["slo"] for a in doc["alerts"]} == {"batch"}
    assert ("SLOErrorBudgetBurn", "page") in {(a["alertname"], a["tier"]) for a in doc["alerts"]}
    added = [c for c in doc["changes"] if c["change"] == "added"]
    assert [(c["slo"], c["tier"], c["severity"]) for c in added] == [("batch", "page", "critical")], doc["changes"]
    assert all(c["change"] != "removed" for c in doc["changes"])
    for key in ("service", "slo", "alertname", "tier", "severity", "start", "end", "peak_burn_rate", "budget_spent"):
        assert key in added[0]
    assert added[0]["start"].endswith("Z") and added[0]["peak_burn_rate"] > 8.64
    (summary,) = doc["summary"]
    assert summary["change"] == "objective 99% → 99.99%"
    assert summary["pages"]["head"] - summary["pages"]["base"] == 1
    pages = f"pages {summary['pages']['base']} → {summary['pages']['head']} (+1)"
    md = subprocess.run([*cmd, "--against", str(base), "--format", "markdown", "-q"], capture_output=True, text=True)
    assert md.returncode == 0, md.stderr
    assert f"live/batch (objective 99% → 99.99%): {pages}" in md.stdout
    assert "| + | live/batch | SLOErrorBudgetBurn | page | critical |" in md.stdout


# ---------------------------------------------------------------------------------------------
# Rule documents as data


def test_plan_orders_levels_and_finds_what_each_alert_reads() -> None:
    from slo.backtest.plan import build

    doc = {
        "groups": [
            {
                "name": "g",
                "interval": "30s",
                "rules": [
                    {"record": "c:rate5m", "expr": 'sum(rate(x_total{a="1"}[5m]))'},
                    {"record": "c:rate1d", "expr": "sum_over_time(c:rate5m[1d]) / 288"},
                    {"record": "c:burn", "expr": "c:rate1d / 0.001"},
                    {
                        "alert": "Mixed",
                        "expr": 'c:burn > 1 and on() sum(increase(x_total{a="1"}[1h])) > 5',
                        "for": "2m",
                    },
                    {"alert": "Raw", "expr": 'absent(x_total{a="1"})', "keep_firing_for": "10m"},
                ],
            },
            {"name": "slow", "rules": [{"record": "c:ratio30d", "expr": "avg_over_time(c:burn[30d] offset 1h)"}]},
        ]
    }
    plan = build([("doc", doc)])
    levels = [sorted(r.record for r in level) for level in plan.levels]
    assert levels == [["c:rate5m"], ["c:rate1d"], ["c:burn"], ["c:ratio30d"]]
    by_name = {r.record: r for r in plan.recordings}
    assert by_name["c:rate1d"].lookback == 86400 + 300
    # its own range and offset, then c:burn's instant look-back, c:rate1d's day, c:rate5m's 5 minutes
    assert by_name["c:ratio30d"].lookback == 30 * 86400 + 3600 + 300 + 86400 + 300
    assert by_name["c:ratio30d"].interval == 60  # a group without interval: the default
    mixed, raw = plan.alerts
    assert (mixed.for_, mixed.keep_firing_for, raw.for_, raw.keep_firing_for) == (120, 0, 0, 600)
    assert mixed.mixed and not raw.mixed and raw.raw_inputs == {"x_total"}
    assert mixed.raw_selectors == {'x_total{a="1"}': 3600}
    assert {r.record for r in plan.needed_by([mixed]).recordings} == {"c:rate5m", "c:rate1d", "c:burn"}
    assert plan.needed_by([raw]).recordings == ()


def test_plan_refuses_cycles_and_bad_promql() -> None:
    from slo.backtest.plan import build
    from slo.model.errors import SpecError

    cycle = {"groups": [{"name": "g", "rules": [{"record": "a:x", "expr": "b:x"}, {"record": "b:x", "expr": "a:x"}]}]}
    with pytest.raises(SpecError, match="cycle"):
        build([("doc", cycle)])
    broken = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "sum(rate(x[5m])"}]}]}
    with pytest.raises(SpecError, match="g: A: PromQL does not parse"):
        build([("doc", broken)])


def test_backtest_bad_input_and_server_down(tmp_path: Path) -> None:
    import subprocess
    import sys

    from slo.local.servers import free_port

    defs = tmp_path / "slos.py"
    defs.write_text(VERSION.format(batch=99), encoding="utf-8")
    cli = [sys.executable, "-c", "from slo.cli import main; main()", "backtest", str(defs)]
    url = f"http://127.0.0.1:{free_port()}"
    bad = subprocess.run([*cli, "--prometheus", url, "--since", "30x"], capture_output=True, text=True)
    assert bad.returncode == 1 and "--since" in bad.stderr and "Traceback" not in bad.stderr
    both = subprocess.run([*cli, "--prometheus", url, "--since", "1d", "--start", "2d"], capture_output=True, text=True)
    assert both.returncode == 1 and "either --since or --start" in both.stderr
    down = subprocess.run(
        [*cli, "--prometheus", url, "--since", "1h", "--retries", "0", "-q"], capture_output=True, text=True
    )
    assert down.returncode == 2, down.stderr
    assert "connection refused" in down.stderr and "Traceback" not in down.stderr
