"""Latency SLIs on native histograms: ``histogram_kind`` classic | native | auto.

Proof against real components: the generated promtool tests with native-histogram input run on the
current promtool (Debian's 2.42 refuses the notation: pinned below), and a real Prometheus 3.16 scrapes
exponential and classic histograms in the protobuf format (tests/native_exporter.py), converts the
classic one to NHCB while keeping its classic series, and evaluates the generated recording rules:
NHCB and auto equal the classic rules exactly at a bucket boundary (auto counting a histogram kept both
ways once), exponential buckets are exact at a boundary and interpolate between boundaries (the error
is measured and printed).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from statistics import NormalDist
from typing import Any

import pytest
import yaml

from generators import service_tests
from generators.prometheus_rules import rule_file
from slo import promql
from slo.dsl import latency, service
from slo.durations import Duration
from slo.errors import DefinitionError
from slo.live_check import buckets
from slo.loaders import load
from slo.localstack import PrometheusServer, write_rules
from slo.model import LatencySLI
from slo.recorded import BAD_RATE, TOTAL_RATE, error_ratio_name
from slo.selectors import parse_selector
from tests.conftest import Backend, _current_tool_path
from tests.native_exporter import Family, NativeExporter, exponential_index

SLO = str(Path(sys.executable).parent / "slo")  # the worktree's own command
API = {"job": "api"}
W5 = Duration.parse("5m")


def _slo(kind: str, under: str = "250ms", metric: str = "http_request_duration_seconds", name: str = "lat") -> Any:
    return latency(name, 99, metric, under=under, labels=API, histogram_kind=kind)


# --- the model and the PromQL, written once ------------------------------------------------------


def test_the_kind_is_validated_and_classic_by_default() -> None:
    assert _slo("classic").sli == LatencySLI(parse_selector('http_request_duration_seconds{job="api"}'), 0.25)
    with pytest.raises(DefinitionError, match="histogram kind must be one of classic, native, auto, got 'nhcb'"):
        _slo("nhcb")


def test_classic_queries_are_unchanged_and_native_ones_use_histogram_functions() -> None:
    classic, native, auto = (_slo(k) for k in ("classic", "native", "auto"))
    assert promql.total_events(classic, W5) == 'sum(rate(http_request_duration_seconds_count{job="api"}[5m]))'
    h = 'rate(http_request_duration_seconds{job="api"}[5m])'
    assert promql.total_events(native, W5) == f"sum(histogram_count({h}))"
    assert promql.bad_events(native, W5) == (
        f"(sum(histogram_count({h})) - (sum((histogram_fraction(-Inf, 0.25, {h}) * histogram_count({h}) >= 0 "
        f"or histogram_count({h}) == 0)) or vector(0)))"
    )
    # auto: per series (label set), the native histogram when it counts at least as many events, else the classic
    c = 'rate(http_request_duration_seconds_count{job="api"}[5m])'
    native_wins = f"(histogram_count({h}) >= {c} or (histogram_count({h}) unless {c}))"
    assert promql.total_events(auto, W5) == f"sum({native_wins} or {c})"
    assert "sum without (le) (rate(http_request_duration_seconds_bucket" in promql.bad_events(auto, W5)
    assert promql.latency_quantile(native, 0.95, "$__rate_interval") == (
        'histogram_quantile(0.95, sum(rate(http_request_duration_seconds{job="api"}[$__rate_interval])))'
    )
    assert promql.total_absent(native) == 'absent(http_request_duration_seconds{job="api"})'
    assert promql.total_absent(auto) == (
        'absent(http_request_duration_seconds_count{job="api"}) and on() '
        'absent(http_request_duration_seconds{job="api"})'
    )
    with pytest.raises(promql.NativeUnsupported, match="VictoriaMetrics"):
        promql.total_events(native, W5, promql.EXTRAPOLATED_INCREASE)


def test_native_rules_have_no_bucket_guard_and_auto_keeps_it_for_classic_series() -> None:
    native = json.dumps(rule_file(service("shop", _slo("native"))))
    assert "SLOLatencyBucketMissing" not in native and "_bucket" not in native
    auto = rule_file(service("shop", _slo("auto")))
    [missing] = [r for g in auto["groups"] for r in g["rules"] if r.get("alert") == "SLOLatencyBucketMissing"]
    assert missing["expr"].endswith('unless on() count(http_request_duration_seconds{job="api"})')


# --- input formats, conversion, version target ---------------------------------------------------

YAML = """\
apiVersion: slo-toolkit/v1
services:
  - name: shop
    slos:
      - name: lat
        objective: 99
        sli:
          latency:
            histogram: http_request_duration_seconds
            histogram_kind: {kind}
            labels: {{job: api}}
            under: 250ms
"""


def test_toolkit_yaml_reads_the_kind_and_names_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "slos.yaml"
    good.write_text(YAML.format(kind="native"), encoding="utf-8")
    [slo] = load([good]).services[0].slos
    assert slo.sli == _slo("native").sli
    bad = tmp_path / "bad.yaml"
    bad.write_text(YAML.format(kind="exponential"), encoding="utf-8")
    proc = subprocess.run([SLO, "validate", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert f"{bad}:10: services[0].slos[0].sli.latency.histogram_kind:" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["native", "auto"])
def test_convert_round_trips_the_kind_and_openslo_refuses_it(tmp_path: Path, kind: str) -> None:
    source = tmp_path / "slos.yaml"
    source.write_text(YAML.format(kind=kind), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run(
        [SLO, "convert", str(source), "--to", "toolkit", "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert load([out]).services == load([source]).services
    proc = subprocess.run([SLO, "convert", str(source), "--to", "openslo"], capture_output=True, text=True)
    assert proc.returncode == 1
    assert f"histogram_kind '{kind}': OpenSLO v1 counts events from two counter queries" in proc.stderr


@pytest.mark.parametrize(("version", "refused"), [("2.42", True), ("3.7", True), ("3.8", False)])
def test_a_target_before_prometheus_3_8_refuses_native_histograms(tmp_path: Path, version: str, refused: bool) -> None:
    (tmp_path / "slos.yaml").write_text(YAML.format(kind="auto"), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f'[tool.slo]\nprometheus_version = "{version}"\n', encoding="utf-8")
    proc = subprocess.run([SLO, "generate", "--out", "out"], cwd=tmp_path, capture_output=True, text=True)
    if not refused:
        assert proc.returncode == 0, proc.stderr
        return
    assert proc.returncode == 1, proc.stderr
    assert (
        f"shop/lat: histogram_kind 'auto' reads native histograms, stable from Prometheus 3.8; prometheus_version "
        f'is {version}.0: set [tool.slo] prometheus_version = "3.8" or later' in proc.stderr
    ), proc.stderr
    assert not (tmp_path / "out").exists(), "nothing is written"


# --- generated promtool tests with native-histogram input ----------------------------------------


def _native_test_file(tmp_path: Path) -> Path:
    svc = service(
        "shop",
        _slo("native", name="native"),
        _slo("auto", name="auto"),
        latency(
            "sliced",
            99,
            "rpc_seconds",
            under="300ms",
            labels=API,
            histogram_kind="native",
            slice="5m",
            slice_target=0.95,
        ),
    )
    write_rules(rule_file(svc), tmp_path / "shop.rules.yml")
    doc = service_tests.test_file(svc, "shop.rules.yml")
    path = tmp_path / "shop.test.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def test_generated_tests_feed_native_histograms(backend: Backend, promtool: str, tmp_path: Path) -> None:
    path = _native_test_file(tmp_path)
    text = path.read_text(encoding="utf-8")
    for case in yaml.safe_load(text)["tests"]:
        inputs = json.dumps(case["input_series"])
        native_fed = not case["name"].startswith("shop/auto:") or case["name"].endswith("(native histogram input)")
        assert ("{{schema:0 count:" in inputs) == native_fed, case["name"]
        assert ("_bucket" in inputs) == (not native_fed), case["name"]
    # auto is fed classic series, and a native histogram in an outage and a 0.9x burn of its own
    names = [case["name"] for case in yaml.safe_load(text)["tests"]]
    assert "shop/auto: a total outage fires fast-page within 10 minutes (native histogram input)" in names
    assert "shop/auto: a 0.9x burn for 30 minutes fires nothing (native histogram input)" in names
    proc = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=600)
    if backend.current:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert "SUCCESS" in proc.stdout
    else:  # Debian's promtool 2.42 has no native-histogram input notation: why 2.x targets refuse the kind
        assert proc.returncode == 1
        assert "unexpected character in series sequence: '{'" in proc.stdout + proc.stderr


def test_auto_counts_a_migration_once_and_never_drops_events(backend: Backend, promtool: str, tmp_path: Path) -> None:
    """Classic series 0-35m, the native histogram from 30m (both scraped for 5 minutes), 100 requests/s, 10% slow.

    Per series auto takes the form counting more events in the window: the classic one while the native
    series is younger than the window (its rate would extrapolate only part of it), then the native one;
    where both hold the window they are equal and counted once. Every 5m record is 100 requests/s at 10%.
    """
    from generators.synthetic import counter_values, native_values, series_text

    svc = service("shop", _slo("auto"))
    write_rules(rule_file(svc), tmp_path / "shop.rules.yml")
    per = 100.0 * 60
    base = {"job": "api"}
    classic = counter_values([(36, per)]) + " _x25"
    good = counter_values([(36, per * 0.9)]) + " _x25"
    series = [
        {"series": series_text("http_request_duration_seconds_count", base), "values": classic},
        {"series": series_text("http_request_duration_seconds_bucket", {**base, "le": "0.25"}), "values": good},
        {"series": series_text("http_request_duration_seconds_bucket", {**base, "le": "+Inf"}), "values": classic},
        {
            "series": series_text("http_request_duration_seconds", base),
            "values": "_x30 " + native_values([(31, per * 0.9, per * 0.1)], 0.25),
        },
    ]
    total = f'{TOTAL_RATE}{{slo="lat"}}'
    ratio = f'{error_ratio_name(W5)}{{slo="lat"}}'
    checks = []
    for minute in [6, 20, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 40, 45, 50, 60]:
        for expr, want in ((total, 100), (ratio, 0.1)):
            checks.append(
                {
                    "expr": f"count(abs({expr} - {want}) < 1e-9) or vector(0)",
                    "eval_time": f"{minute}m",
                    "exp_samples": [{"labels": "{}", "value": 1}],
                }
            )
    doc = {
        "rule_files": ["shop.rules.yml"],
        "evaluation_interval": "30s",
        "tests": [{"name": "migration", "interval": "1m", "input_series": series, "promql_expr_test": checks}],
    }
    path = tmp_path / "migration.test.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    proc = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=300)
    if not backend.current:  # 2.42: no native-histogram input notation
        assert proc.returncode == 1 and "unexpected character in series sequence" in proc.stdout + proc.stderr
        return
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


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


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Prometheus 3.16 scraping native (exponential) and classic histograms, with the generated rules."""
    saved = os.environ.get("SLO_TOOL_PATH")
    os.environ["SLO_TOOL_PATH"] = _current_tool_path()
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
    try:
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
    finally:
        if saved is None:
            os.environ.pop("SLO_TOOL_PATH", None)
        else:
            os.environ["SLO_TOOL_PATH"] = saved


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


def test_the_report_counts_nhcb_auto_and_classic_alike(scraped: Any) -> None:
    server, _svc, at, source = scraped
    start = datetime.fromtimestamp(at - 120, UTC).replace(microsecond=0)
    end = datetime.fromtimestamp(at, UTC).replace(microsecond=0)
    proc = subprocess.run(
        [
            SLO,
            "report",
            str(source),
            "--prometheus",
            server.url,
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            "--format",
            "json",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
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


def test_a_report_on_victoriametrics_refuses_native_slis_by_name(backend: Backend, tmp_path: Path) -> None:
    from tests.vmserver import VictoriaMetrics

    source = tmp_path / "slos.yaml"
    source.write_text(YAML.format(kind="native"), encoding="utf-8")
    with VictoriaMetrics(tmp_path / "vm") as vm:
        proc = subprocess.run(
            [SLO, "report", str(source), "--prometheus", vm.url, "--month", "2026-10", "--quiet"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'shop/lat: histogram_kind: http_request_duration_seconds{job="api"}: native histograms are read' in (
        proc.stderr
    ), proc.stderr
    assert "Traceback" not in proc.stderr


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
    start = datetime.fromtimestamp(at - 120, UTC).replace(microsecond=0)
    end = datetime.fromtimestamp(at, UTC).replace(microsecond=0)
    proc = subprocess.run(
        [
            SLO,
            "backtest",
            str(source),
            "--prometheus",
            server.url,
            "--start",
            start.isoformat(),
            "--end",
            end.isoformat(),
            "--warmup",
            "1m",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    assert "shop/nhcb: histogram_kind 'native': backtest replays the rules over raw series" in proc.stderr
    assert "shop/auto: histogram_kind 'auto'" in proc.stderr and "shop/classic:" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_explain_says_how_each_kind_counts(tmp_path: Path) -> None:
    source = tmp_path / "slos.yaml"
    for kind, expected in (
        ("native", "Native histogram: histogram_fraction counts the requests under 0.25s, interpolating"),
        ("auto", "Histogram kind auto: a series' native histogram when it has one"),
    ):
        source.write_text(YAML.format(kind=kind), encoding="utf-8")
        proc = subprocess.run([SLO, "explain", str(source)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert f"(http_request_duration_seconds histogram, {kind})" in proc.stdout
        assert expected in proc.stdout
        assert ("Missing bucket" in proc.stdout) == (kind == "auto")


def test_any_threshold_is_valid_on_a_native_histogram(tmp_path: Path) -> None:
    source = tmp_path / "slos.yaml"
    for kind, valid in (("native", True), ("auto", False), ("classic", False)):
        source.write_text(YAML.format(kind=kind).replace("under: 250ms", "under: 0.2137"), encoding="utf-8")
        proc = subprocess.run([SLO, "validate", str(source)], capture_output=True, text=True)
        assert (proc.returncode == 0) == valid, (kind, proc.stderr)
        assert ("is not a plausible histogram bucket boundary" in proc.stderr) == (not valid), (kind, proc.stderr)


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
