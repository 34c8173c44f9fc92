"""Native histograms on a real Prometheus 3.16: scraped, recorded, reported, checked, charted.

Prometheus scrapes exponential and classic histograms in the protobuf format (tests/native_exporter.py),
converts the classic one to NHCB while keeping its classic series, and evaluates the generated recording
rules: NHCB and auto equal the classic rules exactly at a bucket boundary (auto counting a histogram kept
both ways once), exponential buckets are exact at a boundary and interpolate between boundaries (the
error is measured and printed, by schema).
"""

from __future__ import annotations

import json
import math
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest

from generators.prometheus_rules import rule_file
from slo import promql
from slo.dsl.slos import latency
from slo.live_check import buckets
from slo.loaders import load
from slo.local.servers import PrometheusServer
from slo.local.tsdb import write_rules
from slo.model.durations import Duration
from slo.promql import guards
from slo.promql.recorded import BAD_RATE, TOTAL_RATE
from tests.conftest import Backend
from tests.native_exporter import Family, NativeExporter, exponential_index
from tests.test_native_histograms import API, SLO, W5

# --- a real Prometheus scraping native histograms ------------------------------------------------

# 200 latencies, the quantiles of a log-normal distribution with its median at 280 ms (so many requests lie
# near the thresholds, where interpolation matters): every scrape adds them once more.
BATCH = [0.28 * math.exp(0.5 * NormalDist().inv_cdf((i + 0.5) / 200)) for i in range(200)]
CLASSIC_BOUNDS = (0.1, 0.25, 0.5, 1.0, 2.5)
SCHEMA = 3  # exponential buckets growing by 2^(1/8) = 9.05 %: 0.25 = 2^-2 is a boundary, 0.3 is not
FIGURE_SCHEMAS = (0, 2, 5, 8)  # for the accuracy figure: bucket growth 100 %, 19 %, 2.2 %, 0.27 %


def _truth_bad(threshold: float) -> float:
    return sum(1 for v in BATCH if v > threshold) / len(BATCH)


def _api(url: str, expr: str, at: float) -> list[dict[str, Any]]:
    body = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"}).encode()
    with urllib.request.urlopen(f"{url}/api/v1/query", data=body, timeout=30) as resp:
        return json.load(resp)["data"]["result"]


SOURCE = """\
from slo import latency, service

api = {"job": "api"}
shop = service(
    "shop",
    latency("exp-boundary", 99, "native_seconds", under="250ms", labels=api, histogram_kind="native"),
    latency("exp-between", 99, "native_seconds", under="300ms", labels=api, histogram_kind="native"),
    latency("nhcb", 99, "classic_seconds", under="250ms", labels=api, histogram_kind="native"),
    latency("nhcb-between", 99, "classic_seconds", under="300ms", labels=api, histogram_kind="native"),
    latency("classic", 99, "classic_seconds", under="250ms", labels=api),
    latency("auto", 99, "classic_seconds", under="250ms", labels=api, histogram_kind="auto"),
    latency("classic-on-native", 99, "native_seconds", under="250ms", labels=api),
    latency("native-on-classic", 99, "plain_seconds", under="250ms", labels=api, histogram_kind="native"),
)
"""


# Native histograms are stable from Prometheus 3.8: these tests run on the current column only (Debian's
# 2.42 needs --enable-feature=native-histograms and its promtool cannot read native test input).
pytestmark = pytest.mark.parametrize("backend", ["current"], indirect=True)


@pytest.fixture(scope="module")
def scraped(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Prometheus 3.16 scraping native (exponential) and classic histograms, with the generated rules."""
    tmp = tmp_path_factory.mktemp("native")
    source = tmp / "slos.py"
    source.write_text(SOURCE, encoding="utf-8")
    [svc] = load([source]).services
    slos = svc.slos
    doc = rule_file(svc)
    for group in doc["groups"]:
        group["interval"] = "2s"  # the generated expressions, evaluated often enough for a short test
    rules = write_rules(doc, tmp / "shop.rules.yml")
    families = [
        Family("native_seconds", API, schema=SCHEMA),
        Family("classic_seconds", API, bounds=CLASSIC_BOUNDS),
        *(Family(f"schema{schema}_seconds", API, schema=schema) for schema in FIGURE_SCHEMAS),
    ]
    plain = Family("plain_seconds", API, bounds=CLASSIC_BOUNDS)
    with NativeExporter(families, BATCH) as exporter, NativeExporter([plain], BATCH) as plain_exporter:
        classic_only = {  # no conversion: plain_seconds stays a classic histogram only
            "job_name": "classic-only",
            "scrape_interval": "1s",
            "scrape_timeout": "1s",
            "honor_labels": True,
            "static_configs": [{"targets": [plain_exporter.target]}],
        }
        scrape = {
            "job_name": "native",
            "scrape_interval": "1s",
            "scrape_timeout": "1s",
            "honor_labels": True,
            "scrape_protocols": ["PrometheusProto", "PrometheusText0.0.4"],
            "scrape_native_histograms": True,
            "convert_classic_histograms_to_nhcb": True,
            "always_scrape_classic_histograms": True,  # keep the classic series next to the NHCB
            "static_configs": [{"targets": [exporter.target]}],
        }
        server = PrometheusServer(
            tmp / "data", rule_files=[rules], scrape_configs=[scrape, classic_only], scrape_interval="1s"
        )
        with server:
            deadline = time.monotonic() + 90
            names = [s.name for s in slos]
            while time.monotonic() < deadline:
                now = time.time()
                got = {r["metric"]["slo"] for r in _api(server.url, f"{TOTAL_RATE} > 0", now)}
                enough = _api(server.url, 'count_over_time(native_seconds{job="api"}[1m]) >= 6', now)
                if enough and {n for n in names if "-on-" not in n} <= got:
                    break
                time.sleep(1)
            else:
                pytest.fail(f"no recorded rates after 90 s:\n{server._log_tail()}")
            time.sleep(2.5)  # one more evaluation, so every record reads the same scrapes
            yield server, svc, time.time(), source


def _recorded(server: PrometheusServer, name: str, slo: str, at: float) -> float:
    rows = _api(server.url, f'{name}{{slo="{slo}"}}', at)
    assert len(rows) == 1, (name, slo, rows)
    return float(rows[0]["value"][1])


def _bad_ratio(server: PrometheusServer, slo: str, at: float) -> float:
    return _recorded(server, BAD_RATE, slo, at) / _recorded(server, TOTAL_RATE, slo, at)


def test_nhcb_and_auto_equal_the_classic_rules_exactly_at_a_boundary(scraped: Any) -> None:
    server, svc, at, _ = scraped
    truth = _truth_bad(0.25)
    classic = _bad_ratio(server, "classic", at)
    assert classic == pytest.approx(truth, abs=1e-12)
    assert _bad_ratio(server, "nhcb", at) == pytest.approx(classic, abs=1e-12)
    assert _bad_ratio(server, "auto", at) == pytest.approx(classic, abs=1e-12)
    # the classic series and the NHCB both exist: auto counts the requests once, not twice
    assert _api(server.url, 'count(classic_seconds_bucket{job="api"})', at)
    # the recorded totals come from groups evaluated at different instants: compare the rules' own total
    # expression evaluated at one instant
    by_name = {s.name: s for s in svc.slos}

    def total(name: str) -> float:
        [row] = _api(server.url, promql.total_events(by_name[name], W5), at)
        return float(row["value"][1])

    assert total("auto") == pytest.approx(total("classic"), rel=1e-12)
    assert total("nhcb") == pytest.approx(total("classic"), rel=1e-12)
    assert total("auto") > 0
    # the guards over the same data: auto's bucket guard holds, no total is absent
    assert _api(server.url, guards.bucket_present(by_name["auto"]) or "", at)
    for name in ("auto", "nhcb", "exp-boundary"):
        assert _api(server.url, promql.total_absent(by_name[name]) or "", at) == [], name


def test_every_generated_rule_evaluates_without_error(scraped: Any) -> None:
    """Prometheus' own verdict on every recording and alerting rule over native, NHCB and classic data."""
    server, _svc, _at, _ = scraped
    with urllib.request.urlopen(f"{server.url}/api/v1/rules", timeout=30) as resp:
        groups = json.load(resp)["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    assert len(rules) > 100 and {r["type"] for r in rules} == {"recording", "alerting"}
    failed = [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"]
    assert failed == [], failed[:5]


def test_exponential_buckets_are_exact_at_a_boundary_and_interpolate_between(scraped: Any) -> None:
    server, _svc, at, _ = scraped
    assert _bad_ratio(server, "exp-boundary", at) == pytest.approx(_truth_bad(0.25), abs=1e-12)
    truth, estimate = _truth_bad(0.3), _bad_ratio(server, "exp-between", at)
    # the bucket holding 0.3 s: its requests are split by linear interpolation, so the error is at most their share
    index = exponential_index(0.3, SCHEMA)
    in_bucket = sum(1 for v in BATCH if exponential_index(v, SCHEMA) == index) / len(BATCH)
    error = abs(estimate - truth)
    print(
        f"\nexponential schema {SCHEMA}: slow share over 0.3 s: truth {truth:.6f}, histogram_fraction {estimate:.6f}, "
        f"error {error:.6f} ({error / truth * 100:.3f}% of the slow share; bucket share {in_bucket:.4f})"
    )
    assert 0 < error <= in_bucket
    nhcb_truth, nhcb = _truth_bad(0.3), _bad_ratio(server, "nhcb-between", at)
    low = sum(1 for v in BATCH if 0.25 < v <= 0.5) / len(BATCH)
    print(f"NHCB (0.25, 0.5] bucket: slow share over 0.3 s: truth {nhcb_truth:.6f}, interpolated {nhcb:.6f}")
    assert 0 < abs(nhcb - nhcb_truth) <= low


def test_slo_check_names_the_kind_and_the_interpolation(scraped: Any) -> None:
    server, svc, at, _ = scraped
    by_name = {s.name: s for s in svc.slos}

    def query(expr: str) -> list[dict]:
        return _api(server.url, expr, at)

    def count(expr: str) -> float | None:
        rows = query(expr)
        return float(rows[0]["value"][1]) if rows else None

    def check(name: str) -> tuple[list[Any], dict[str, object]]:
        return buckets.check_buckets(svc, by_name[name], query, count)

    findings, facts = check("exp-boundary")
    assert findings == [] and facts["threshold_exact"] is True and facts["native_buckets"] == "exponential"
    [finding], facts = check("exp-between")
    assert finding.severity == "info" and "lies inside the exponential bucket (0.29" in finding.message
    [finding], facts = check("nhcb-between")
    assert finding.severity == "warning" and facts["native_buckets"] == "custom (NHCB)"
    assert '0.3s is not a custom bucket boundary of classic_seconds{job="api"} (NHCB)' in finding.message
    assert "(0.25, 0.5]" in finding.message
    findings, facts = check("nhcb")
    assert findings == [] and facts["threshold_exact"] is True
    [finding], _ = check("auto")
    assert finding.severity == "info" and "counted once" in finding.message
    [finding], _ = check("classic-on-native")
    assert finding.severity == "error" and "histogram_kind is classic" in finding.message
    assert "set histogram_kind: native (or auto)" in finding.fix
    [finding], _ = check("native-on-classic")
    assert finding.severity == "error" and 'histogram_kind is native but plain_seconds{job="api"}' in finding.message
    assert "set histogram_kind: classic (or auto)" in finding.fix


def _over_last_two_minutes(
    command: str, source: Path, url: str, at: float, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``slo COMMAND SOURCE --prometheus URL`` over the two minutes up to ``at`` (the scraped data)."""
    start = datetime.fromtimestamp(at - 120, UTC).replace(microsecond=0)
    end = datetime.fromtimestamp(at, UTC).replace(microsecond=0)
    argv = [SLO, command, str(source), "--prometheus", url, "--start", start.isoformat(), "--end", end.isoformat()]
    return subprocess.run([*argv, *extra], capture_output=True, text=True, timeout=300)


def test_the_report_counts_nhcb_auto_and_classic_alike(scraped: Any) -> None:
    server, _svc, at, source = scraped
    proc = _over_last_two_minutes("report", source, server.url, at, "--format", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    rows = {r["slo"]: r for r in json.loads(proc.stdout)["slos"]}
    classic = rows["classic"]
    assert classic["total"] > 0
    for name in ("nhcb", "auto"):  # the same increase (extrapolated alike to the span's start) of one histogram
        assert rows[name]["good"] == pytest.approx(classic["good"], rel=1e-12), name
        assert rows[name]["total"] == pytest.approx(classic["total"], rel=1e-12), name
    assert classic["good"] / classic["total"] == pytest.approx(1 - _truth_bad(0.25), abs=1e-12)
    boundary = rows["exp-boundary"]
    assert boundary["good"] / boundary["total"] == pytest.approx(1 - _truth_bad(0.25), abs=1e-12)


def test_dashboard_panels_over_native_histograms_return_data(scraped: Any) -> None:
    from generators.grafana import service_dashboard
    from tests.test_grafana_queries import queries

    server, svc, at, _ = scraped
    raw = [
        (where, expr)
        for where, expr, _ in queries(service_dashboard(svc, None))
        if ("native_seconds" in expr or "classic_seconds" in expr) and "slo:" not in expr
    ]
    quantiles = [e for _, e in raw if e.startswith("histogram_quantile(0.99, sum(rate(native_seconds{")]
    assert quantiles, "the native latency panel reads the native histogram"
    checked = 0
    for where, expr in raw:
        if 'slo="classic-on-native"' in where or "classic-on-native" in where:
            continue
        text = expr.replace("$__rate_interval", "30s").replace("${__rate_interval}", "30s")
        rows = _api(server.url, text, at)
        if "native_seconds_" in expr:  # the classic-on-native SLO: no such series, as slo check says
            assert rows == [], (where, expr)
            continue
        values = [float(r["value"][1]) for r in rows]
        assert values and all(v == v for v in values), (where, expr, rows)
        checked += 1
    assert checked >= 12, checked


def test_backtest_refuses_native_slis_by_name(scraped: Any) -> None:
    server, _svc, at, source = scraped
    proc = _over_last_two_minutes("backtest", source, server.url, at, "--warmup", "1m")
    assert proc.returncode == 1, proc.stderr
    assert "shop/nhcb: histogram_kind 'native': backtest replays the rules over raw series" in proc.stderr
    assert "shop/auto: histogram_kind 'auto'" in proc.stderr and "shop/classic:" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_interpolation_error_by_schema(scraped: Any) -> None:
    """The figure: the slow share over 0.3 s read through the rules' own PromQL at several resolutions."""
    server, _svc, at, _ = scraped
    truth = _truth_bad(0.3)
    lines = [f"slow share over 0.3 s, truth {truth:.6f}:"]
    for schema in FIGURE_SCHEMAS:
        slo = latency("fig", 99, f"schema{schema}_seconds", under="300ms", labels=API, histogram_kind="native")
        [row] = _api(server.url, promql.error_ratio(slo, Duration.parse("1m")), at)
        estimate = float(row["value"][1])
        index = exponential_index(0.3, schema)
        share = sum(1 for v in BATCH if exponential_index(v, schema) == index) / len(BATCH)
        growth = (2 ** (2.0**-schema) - 1) * 100
        error = abs(estimate - truth)
        lines.append(
            f"  schema {schema} (buckets {growth:.3g}% wide): {estimate:.6f}, error {error:.6f} "
            f"({error / truth * 100:.3g}% of the slow share; at most the bucket's share {share:.4f})"
        )
        assert error <= share + 1e-12, lines
    print("\n" + "\n".join(lines))


def test_backfill_runs_over_native_slis(scraped: Any, tmp_path: Any) -> None:
    """Backfill evaluates the recording rules on the server (native series in, float records out).

    Unlike backtest it copies no raw series into local blocks, so native SLIs need no refusal there. (The
    fixture's seconds of data are too short to compare the records; the rules' values are compared above.)
    """
    server, _svc, at, source = scraped
    start = datetime.fromtimestamp(at - 120, UTC).replace(microsecond=0)
    end = datetime.fromtimestamp(at, UTC).replace(microsecond=0)
    out = tmp_path / "blocks"
    proc = subprocess.run(
        [
            SLO,
            "backfill",
            str(source),
            "--prometheus",
            server.url,
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote ") and f"block(s) to {out}" in proc.stdout, proc.stdout
