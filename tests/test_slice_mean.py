"""Slice-mean SLIs (OpenSLO ``RatioTimeslices``): one model from every format, rules that promtool passes.

The SLI is the mean of the slices' good ratios; the rules record the slice's error ratio and every window
is its time average. The real-Prometheus proof of the figures is in tests/test_slice_mean_prometheus.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from generators.prometheus_rules import rule_file
from generators.service_tests import test_file as promtool_test_file
from generators.yamlout import dump
from slo import promql, ratio
from slo.commands.convert import render
from slo.explain import facts
from slo.loaders import load
from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.selectors import Matcher, Selector
from slo.model.sli import RatioSLI, TimeSliceSLI
from slo.promql.recorded import SLICE_BAD, SLICE_ERROR
from tests.upstream import DATA

YAML = DATA / "slice-mean" / "slos.yaml"
OPENSLO = DATA / "openslo" / "ratio-timeslices.yaml"
EVENTS = RatioSLI(Selector("http_requests_total"), bad=Selector("http_requests_total", (Matcher("code", "=", "500"),)))


def test_model_refuses_a_target_and_needs_whole_minutes() -> None:
    sli = TimeSliceSLI(EVENTS, Duration.parse("5m"), mean=True)
    assert sli.target is None and sli.mean
    with pytest.raises(DefinitionError, match="no slice target"):
        TimeSliceSLI(EVENTS, Duration.parse("5m"), 0.99, mean=True)
    with pytest.raises(DefinitionError, match="whole minutes"):
        TimeSliceSLI(EVENTS, Duration.parse("90s"), mean=True)
    with pytest.raises(DefinitionError, match="needs a slice target"):
        TimeSliceSLI(EVENTS, Duration.parse("5m"))
    with pytest.raises(TypeError, match="no slice target"):
        _ = sli.slice_target


def test_openslo_yaml_and_python_give_the_same_slo() -> None:
    [from_openslo] = load([OPENSLO]).services
    [from_yaml] = [s for s in load([YAML]).services if s.name == "shop"]
    python = ratio(
        "availability",
        99.9,
        total='http_requests_total{job="shop"}',
        bad='http_requests_total{job="shop",code=~"5.."}',
        slice="5m",
        slice_mean=True,
    )
    yaml_slo = next(s for s in from_yaml.slos if s.name == "availability")
    assert python.sli == yaml_slo.sli
    [openslo_slo] = from_openslo.slos
    assert isinstance(openslo_slo.sli, TimeSliceSLI) and openslo_slo.sli.mean
    assert openslo_slo.sli.slice == Duration.parse("5m") and openslo_slo.objective == 0.999
    assert openslo_slo.unit == "slices"
    with pytest.raises(DefinitionError, match="no slice_target"):
        ratio("x", 99, total="t_total", bad='t_total{code="500"}', slice="5m", slice_target=0.9, slice_mean=True)
    with pytest.raises(DefinitionError, match="slice_mean needs slice"):
        ratio("x", 99, total="t_total", bad='t_total{code="500"}', slice_mean=True)


@pytest.mark.parametrize("to", ["toolkit", "openslo"])
def test_convert_round_trips_in_both_directions(tmp_path: Path, to: str) -> None:
    for source in (YAML, OPENSLO):
        before = load([source])
        converted, _ = render((str(source),), to)
        out = tmp_path / to / source.stem
        out.mkdir(parents=True)
        for name, text in converted.items():
            (out / name).write_text(text, encoding="utf-8")
        if to == "openslo":
            assert "budgetingMethod: RatioTimeslices" in "".join(converted.values())
            assert "timeSliceTarget" not in "".join(converted.values())
        else:
            assert "mean: true" in "".join(converted.values())
        after = load([out])
        got = {(s.name, o.name): o.sli for s in after.services for o in s.slos}
        want = {(s.name, o.name): o.sli for s in before.services for o in s.slos}
        assert got == want


def test_rules_average_the_recorded_slice_ratio_without_a_verdict() -> None:
    [service] = load([YAML]).services
    doc = rule_file(service)
    rules = [r for g in doc["groups"] for r in g["rules"] if r.get("labels", {}).get("slo") == "availability"]
    records = {r["record"]: r["expr"] for r in rules if "record" in r}
    assert SLICE_BAD not in records  # no slice target, so no good/bad verdict
    # an idle slice has no ratio (no 'or total * 0'): it is skipped by the window averages, never NaN
    assert records[SLICE_ERROR] == (
        '((sum(rate(http_requests_total{code=~"5..",job="shop"}[5m])) or vector(0)) / '
        '(sum(rate(http_requests_total{job="shop"}[5m])) > 0))'
    )
    selector = 'slo:slice_error:ratio{service="shop",slo="availability"}'
    for window in ("5m", "1h", "6h", "3d", "30d"):
        assert records[f"slo:sli_error:ratio_rate{window}"] == f"avg_over_time({selector}[{window}])"
    fast = next(r for r in rules if r.get("labels", {}).get("tier") == "fast-page")
    # cold start scales the derived 1h window by the coverage of the slice-ratio series
    assert f"count_over_time({selector}[3599999ms])" in fast["expr"]
    assert "slo:sli_bad:rate5m" in fast["expr"]  # low traffic: ten bad events in the long window


def test_explain_says_what_the_sli_and_the_windows_are() -> None:
    [service] = load([OPENSLO]).services
    doc = facts(service, service.slos[0])
    assert doc["sli"].startswith("mean good ratio of 5m slices: every slice with events weighs the same")
    fast = doc["tiers"][0]
    # 1.44% of 1h = 51.8 s of error ratio; the 5m slice ratio ramps up: sqrt(2 × 51.8 × 300) = 176 s, + 90 s
    assert fast["total_outage_minutes"] == 4.5


def test_report_queries_come_from_promql() -> None:
    [service] = load([OPENSLO]).services
    slo_ = service.slos[0]
    ratio_ = promql.report_slice_ratio(slo_, promql.RATE_CLOSED)
    assert "[300001ms]" in ratio_ and " * 0)" not in ratio_  # closed slice window; no idle-slice zero
    assert promql.slice_presence(slo_) == "max(present_over_time(http_requests_total[299999ms]))"
    with pytest.raises(TypeError):
        promql.slice_threshold(slo_)


def test_generated_rules_and_tests_pass_promtool(tmp_path: Path, promtool: str) -> None:
    """Outage, steady burns, zero traffic, cold start, low traffic, flapping, absent and no-error cases."""
    for source in (YAML, OPENSLO):
        [service] = load([source]).services
        rules = tmp_path / f"{service.name}.rules.yml"
        rules.write_text(dump(rule_file(service)), encoding="utf-8")
        check = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        doc = promtool_test_file(service, rules.name)
        names = [t["name"] for t in doc["tests"]]
        assert "shop/availability: a total outage fires fast-page within 5 minutes" in names
        assert "shop/availability: zero traffic fires nothing" in names
        assert any("a 0.9x burn for 30 minutes fires nothing" in n for n in names)
        tests = tmp_path / f"{service.name}.test.yml"
        tests.write_text(dump(doc), encoding="utf-8")
        done = subprocess.run(
            [promtool, "test", "rules", tests.name], capture_output=True, text=True, cwd=tmp_path, timeout=600
        )
        assert done.returncode == 0, done.stdout + done.stderr
