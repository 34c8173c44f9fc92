"""Every PromQL expression of every generated dashboard parses and returns data on a real Prometheus.

The bundled example service gets six hours of synthetic history (backfilled with promtool) that
ends in an ongoing incident; a live endpoint continues the same series, and Prometheus evaluates the
generated rules at wall-clock time, so the recorded ``slo:*`` series and the burn-rate alerts
(``ALERTS``) exist. Then every ``expr`` in the dashboards (panel targets, annotations) is run, with
Grafana's variables replaced by values Grafana could choose, as an instant or range query.

Only the rule groups' evaluation interval is shortened (5s): the rules themselves are the generated ones.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generators.grafana import dashboards
from generators.prometheus_rules import rule_file
from slo.loaders import load
from slo.local.metrics_text import Series, exposition, write_openmetrics
from slo.local.scrape_endpoint import MetricsEndpoint
from slo.local.servers import PrometheusError, PrometheusServer
from slo.local.tsdb import backfill_openmetrics, check_rules, write_rules
from tests.conftest import EXAMPLE, Backend, require

HISTORY = 6 * 3600
STEP = 15
INCIDENT = 2 * 3600
EVAL_INTERVAL = "5s"
DEADLINE = 90.0

pytestmark = pytest.mark.integration

# Values Grafana substitutes; $__rate_interval is at least four scrape intervals.
VARIABLES = {
    "$__rate_interval": "1m",
    "${__rate_interval}": "1m",
    "$__interval": "15s",
    "${__interval}": "15s",
    "$__range": "1h",
    "${__range}": "1h",
}

BACKEND = {"job": "ai-assistant-backend", "instance": "backend-1"}
PROBE = {"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}
BUCKETS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, math.inf)
# endpoint -> (requests/s, errors/s before, errors/s during; share at or under each bucket before, during)
TRAFFIC: dict[str, tuple[float, float, float, tuple[float, ...], tuple[float, ...]]] = {
    "/api/chat": (
        10.0,
        0.002,
        1.0,
        (0.5, 0.8, 0.97, 0.99, 0.995, 0.998, 0.999, 1.0),
        (0.002, 0.005, 0.01, 0.2, 0.6, 0.9, 0.99, 1.0),
    ),
    "/api/search": (
        2.0,
        0.0005,
        0.2,
        (0.1, 0.3, 0.6, 0.9, 0.95, 0.985, 0.999, 1.0),
        (0.0, 0.001, 0.002, 0.004, 0.006, 0.01, 0.96, 1.0),
    ),
}


class Synthetic:
    """Counters as functions of wall-clock time, so the backfill and the live endpoint agree."""

    def __init__(self, origin: float, incident: float) -> None:
        self.origin = origin
        self.incident = incident

    def _count(self, before: float, during: float, t: float) -> float:
        return before * (min(t, self.incident) - self.origin) + during * max(0.0, t - self.incident)

    def samples(self, t: float) -> Iterator[tuple[str, dict[str, str], float, str]]:
        """``(name, labels, value, kind)`` at ``t``."""
        for endpoint, (rps, err_before, err_during, fast_before, fast_during) in TRAFFIC.items():
            labels = {**BACKEND, "endpoint": endpoint}
            errors = self._count(err_before, err_during, t)
            total = self._count(rps, rps, t)
            yield "http_requests_total", {**labels, "status": "500"}, errors, "counter"
            yield "http_requests_total", {**labels, "status": "200"}, total - errors, "counter"
            for le, before, during in zip(BUCKETS, fast_before, fast_during, strict=True):
                value = self._count(rps * before, rps * during, t)
                le_text = "+Inf" if le == math.inf else f"{le:g}"
                yield "http_request_duration_seconds_bucket", {**labels, "le": le_text}, value, "gauge"
            yield "http_request_duration_seconds_count", labels, total, "gauge"
        yield "probe_success", PROBE, 0.0 if t >= self.incident else 1.0, "gauge"
        # what the threshold alerts' panels read: cAdvisor, kube-state-metrics and node-exporter series
        pod = {"namespace": "ai-assistant-prod", "pod": "backend-1", "container": "app"}
        yield "container_cpu_usage_seconds_total", pod, 0.5 * (t - self.origin), "counter"
        yield "container_memory_working_set_bytes", pod, 1.5e9, "gauge"
        yield "kube_pod_container_resource_limits", {**pod, "resource": "cpu", "unit": "core"}, 1.0, "gauge"
        yield "kube_pod_container_resource_limits", {**pod, "resource": "memory", "unit": "byte"}, 4e9, "gauge"
        yield "kube_pod_container_status_restarts_total", pod, 1.0 if t >= self.incident else 0.0, "counter"
        disk = {"job": "node-exporter", "instance": "node-1", "mountpoint": "/", "fstype": "ext4"}
        yield "node_filesystem_avail_bytes", disk, 3e10, "gauge"
        yield "node_filesystem_size_bytes", disk, 1e11, "gauge"

    def history(self, end: float) -> list[Series]:
        times = [self.origin + i * STEP for i in range(int((end - self.origin) // STEP) + 1)]
        points: dict[tuple[str, str], tuple[str, dict[str, str], str, list[tuple[float, float]]]] = {}
        for t in times:
            for name, labels, value, kind in self.samples(t):
                key = (name, json.dumps(labels, sort_keys=True))
                points.setdefault(key, (name, labels, kind, []))[3].append((t, value))
        # histogram parts are written as gauges: the OpenMetrics writer knows counters and gauges only
        return [Series(name, labels, samples, kind) for name, labels, kind, samples in points.values()]  # type: ignore[arg-type]

    def live(self) -> str:
        return exposition((name, labels, value) for name, labels, value, _ in self.samples(time.time()))


def substitute(expr: str) -> str:
    for variable in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace(variable, VARIABLES[variable])
    return expr


def queries(dashboard: Any, where: str = "") -> Iterator[tuple[str, str, bool]]:
    """``(where, expr, instant)`` for every ``expr`` anywhere in a dashboard (targets, annotations…)."""
    if isinstance(dashboard, dict):
        if isinstance(dashboard.get("expr"), str):
            yield where, dashboard["expr"], bool(dashboard.get("instant")) and not dashboard.get("range")
        for key, value in dashboard.items():
            yield from queries(value, f"{where}/{key}")
    elif isinstance(dashboard, list):
        for i, item in enumerate(dashboard):
            name = item.get("title") or item.get("name") or item.get("refId") if isinstance(item, dict) else None
            yield from queries(item, f"{where}[{name or i}]")


def all_queries(files: dict[str, str]) -> list[tuple[str, str, bool]]:
    found = []
    for path, text in sorted(files.items()):
        if path.endswith(".json"):
            found.extend((f"{path}{w}", e, i) for w, e, i in queries(json.loads(text)))
    return found


def _has_data(server: PrometheusServer, expr: str, instant: bool, now: float) -> bool:
    if instant:
        return any(math.isfinite(v) for _, v in server.query(expr, now))
    result = server.query_range(expr, now - 300, now, STEP)
    return any(math.isfinite(v) for _, values in result for _, v in values)


def test_every_dashboard_query_returns_data(backend: Backend, tmp_path: Path) -> None:
    require("prometheus")
    require("promtool")
    started = time.monotonic()
    service = load([EXAMPLE / "slos.py"]).services[0]
    files = dashboards([service], "http://grafana.test")
    found = all_queries(files)
    assert len(found) > 50, "the dashboards should hold many queries"
    for where, expr, _ in found:
        assert "$" not in substitute(expr), f"{where}: unknown variable in {expr}"

    rules = rule_file(service)
    for group in rules["groups"]:
        group["interval"] = EVAL_INTERVAL
    rules_path = write_rules(rules, tmp_path / "rules.yml")
    check_rules(rules_path)

    now = time.time()
    synthetic = Synthetic(origin=now - HISTORY, incident=now - INCIDENT)
    data_dir = tmp_path / "data"
    write_openmetrics(synthetic.history(now), tmp_path / "history.om")
    backfill_openmetrics(tmp_path / "history.om", data_dir)

    with MetricsEndpoint(synthetic.live) as endpoint:
        server = PrometheusServer(
            data_dir,
            rule_files=[rules_path],
            scrape_configs=[endpoint.scrape_config(interval="5s")],
            evaluation_interval=EVAL_INTERVAL,
            max_runtime=300,
        )
        with server:
            pending = {(w, substitute(e), i) for w, e, i in found}
            errors: dict[str, str] = {}
            deadline = time.monotonic() + DEADLINE
            # The slice SLO derives every window from recorded slice verdicts, which this freshly started
            # Prometheus holds for seconds: the cold-start guard (slo.promql.guards.coverage, issue #12) keeps its
            # tiers silent until the budget is really spent (~9 min), so its ALERTS queries may stay empty.
            # They are run (and must parse) on every round, but the wait does not wait for them.
            optional = {p for p in pending if "ALERTS" in p[1] and 'slo="error-rate"' in p[1]}
            while pending - optional and time.monotonic() < deadline:
                time.sleep(2)
                at = time.time()
                for item in sorted(pending):
                    where, expr, instant = item
                    try:
                        ok = _has_data(server, expr, instant, at)
                    except PrometheusError as exc:
                        errors[where] = f"{expr}\n    {exc}"
                        pending.discard(item)
                        continue
                    if ok:
                        pending.discard(item)
            assert not errors, "queries Prometheus rejects:\n" + "\n".join(
                f"{w}: {m}" for w, m in sorted(errors.items())
            )
            pending -= optional
            assert not pending, f"{len(pending)} of {len(found)} queries returned no data:\n" + "\n".join(
                f"{w}: {e}" for w, e, _ in sorted(pending)
            )
    assert time.monotonic() - started < 150


def test_queries_of_varied_shapes_parse(backend: Backend, tmp_path: Path) -> None:
    """Every dashboard expression of many SLO shapes is valid PromQL (checked by promtool as rules)."""
    from tests.test_grafana_schema import SHAPES

    promtool = require("promtool")
    files = dashboards(SHAPES, None)
    found = all_queries(files)
    rules = [
        {"record": "grafana:check", "expr": substitute(expr), "labels": {"query": str(i)}}
        for i, (_, expr, _) in enumerate(found)
    ]
    path = write_rules({"groups": [{"name": "dashboard-queries", "rules": rules}]}, tmp_path / "queries.yml")
    proc = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(rf"SUCCESS: {len(rules)} rules found", proc.stdout), proc.stdout
