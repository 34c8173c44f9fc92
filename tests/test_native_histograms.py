"""Latency SLIs on native histograms: ``histogram_kind`` classic | native | auto.

The model, the PromQL written once, loaders, conversion, the version target, and the generated promtool
tests with native-histogram input: they run on the current promtool (Debian's 2.42 refuses the notation,
pinned below), as does a migration from classic to native counted once. A real Prometheus 3.16 scraping
native histograms is in tests/test_native_prometheus.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generators import service_tests
from generators.prometheus_rules import rule_file
from slo import promql
from slo.dsl.slos import latency, service
from slo.loaders import load
from slo.local.tsdb import write_rules
from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.selectors import parse_selector
from slo.model.sli import LatencySLI
from slo.promql.recorded import TOTAL_RATE, error_ratio_name
from tests.conftest import Backend

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


def test_slo_test_runs_native_tests_or_says_which_promtool_can(backend: Backend, promtool: str, tmp_path: Path) -> None:
    source = tmp_path / "slos.yaml"
    source.write_text(YAML.format(kind="native"), encoding="utf-8")
    proc = subprocess.run([SLO, "test", str(source)], capture_output=True, text=True, timeout=600)
    if backend.current:
        assert proc.returncode == 0, proc.stdout[-3000:]
        assert "PASS  promtool test rules    rules/tests/shop.test.yml" in proc.stdout
    else:
        assert proc.returncode == 1
        assert "FAIL  promtool test rules    rules/tests/shop.test.yml" in proc.stdout
        assert "hint: this promtool (2.42.0) cannot parse the native-histogram input" in proc.stdout, proc.stdout
