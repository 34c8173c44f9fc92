"""The alert guards (slo.promql.guards) against real promtool: every generated guard scenario passes on
ratio, latency, probe and slice SLOs at 95-99.99%, and each scenario fails when its guard is off."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from generators import guard_tests, prometheus_rules
from generators.prometheus_rules import BUCKET_ALERT, rule_file
from generators.service_tests import test_file as promtool_test_file
from generators.yamlout import dump
from slo import availability, error_rate, latency, policy, regex, service, uptime
from slo.model.service import Service
from slo.promql import guards

API = {"job": "api"}
SWEEP = [
    service(
        "sweep-a",
        availability("ratio-95", 95, "http_requests_total", errors={"code": regex("5..")}, labels=API),
        latency("latency-999", 99.9, "http_request_duration_seconds", under="250ms", labels=API),
        uptime("probe-9999", 99.99, "probe_success", labels={"job": "blackbox"}),
        error_rate("slices-99", 99, "http_requests_total", errors={"code": regex("5..")}, below="0.1%", labels=API),
    ),
    service(
        "sweep-b",
        availability("ratio-9999", 99.99, "http_requests_total", errors={"code": regex("5..")}, labels=API),
        latency("latency-95", 95, "http_request_duration_seconds", under="1s", labels=API),
        uptime("probe-99", 99, "probe_success", labels={"job": "blackbox"}),
        error_rate(
            "slices-999",
            99.9,
            "http_requests_total",
            errors={"code": regex("5..")},
            below="1%",
            slice="10m",
            labels=API,
        ),
    ),
]


def _run(promtool: str, folder: Path, svc: Service, tests: dict[str, Any], rules: dict[str, Any]) -> subprocess.Popen:
    (folder / f"{svc.name}.rules.yml").write_text(dump(rules), encoding="utf-8")
    (folder / f"{svc.name}.test.yml").write_text(dump(tests), encoding="utf-8")
    return subprocess.Popen(
        [promtool, "test", "rules", f"{svc.name}.test.yml"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _only(doc: dict[str, Any], *needles: str) -> dict[str, Any]:
    return {**doc, "tests": [t for t in doc["tests"] if any(n in t["name"] for n in needles)]}


GUARD_NAMES = ("cold start", "isolated errors", "low-traffic incident", "no bucket", "oscillating", "SLOMetricAbsent")


def test_guard_scenarios_pass_across_kinds_and_objectives(tmp_path: Path, promtool: str) -> None:
    runs = []
    names: list[str] = []
    for svc in SWEEP:
        doc = _only(promtool_test_file(svc, f"{svc.name}.rules.yml"), *GUARD_NAMES)
        names += [t["name"] for t in doc["tests"]]
        runs.append(_run(promtool, tmp_path, svc, doc, rule_file(svc)))
    for run in runs:
        out, _ = run.communicate(timeout=900)
        assert run.returncode == 0, out
    # every kind got its cases (probes count no events: no low-traffic cases for them)
    for slo_name in ("ratio-95", "latency-999", "slices-99", "ratio-9999", "latency-95", "slices-999"):
        assert any(f"/{slo_name}: three isolated errors" in n for n in names), slo_name
        assert any(f"/{slo_name}: a low-traffic incident" in n for n in names), slo_name
    for slo_name in ("probe-99", "probe-9999", "ratio-95", "slices-99"):
        assert any(f"/{slo_name}: the target goes away" in n for n in names), slo_name
        assert any(f"/{slo_name}: samples stop without staleness" in n for n in names), slo_name
    assert any("/probe-99: cold start" in n for n in names)
    assert not any("/probe-9999: cold start" in n for n in names), "one 15s failure is 5.8% of a 99.99% budget"
    assert any("/latency-999: no bucket at 0.25s" in n for n in names)
    assert any("/latency-95: no bucket at 1s" in n for n in names)
    assert any(
        "/slices-99: a low-traffic incident (1 request/s, 5% errors for 20 minutes) pages within" in n for n in names
    )
    assert any("/ratio-9999: a burn oscillating" in n for n in names)


SLICES = service(
    "guards", error_rate("errors", 99, "http_requests_total", errors={"code": regex("5..")}, below="0.1%", labels=API)
)
RATIO = service("guards", availability("avail", 99.9, "http_requests_total", errors={"code": regex("5..")}, labels=API))
LATENCY = service("guards", latency("lat", 99, "http_request_duration_seconds", under="300ms", labels=API))
PROBE = service("guards", uptime("up", 99.9, "probe_success", labels={"job": "blackbox"}))


def _without(svc: Service, **knobs: Any) -> Service:
    return service(svc.name, replace(svc.slos[0], alerting=policy(**knobs)))


def _fails_without_guard(
    tmp_path: Path,
    promtool: str,
    svc: Service,
    needle: str,
    weakened: Service | None = None,
    patch: Callable[[], Any] | None = None,
) -> str:
    """The scenario passes with the guard and fails when the guard is off; promtool's output."""
    doc = _only(promtool_test_file(svc, f"{svc.name}.rules.yml"), needle)
    assert doc["tests"], f"no {needle!r} case generated"
    good = _run(promtool, tmp_path, svc, doc, rule_file(svc))
    out, _ = good.communicate(timeout=600)
    assert good.returncode == 0, out
    rules = rule_file(weakened) if weakened is not None else patch()  # type: ignore[misc]
    bad = _run(promtool, tmp_path, svc, doc, rules)
    out, _ = bad.communicate(timeout=600)
    assert bad.returncode != 0, f"the {needle!r} case passes without its guard: it proves nothing"
    return out


def test_sparse_errors_page_without_the_low_traffic_guard(tmp_path: Path, promtool: str) -> None:
    out = _fails_without_guard(tmp_path, promtool, SLICES, "isolated errors", _without(SLICES, min_bad_events=0))
    assert "page" in out  # the failing check counts the burn alerts of the paging tiers


def test_oscillation_pages_twice_without_keep_firing_for(tmp_path: Path, promtool: str) -> None:
    _fails_without_guard(tmp_path, promtool, RATIO, "oscillating", _without(RATIO, keep_firing_for=None))


def test_cold_start_tickets_without_coverage(tmp_path: Path, promtool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def uncovered() -> dict[str, Any]:
        monkeypatch.setattr(guards, "coverage", lambda *a: "1")  # every window taken as full
        try:
            return rule_file(RATIO)
        finally:
            monkeypatch.undo()

    out = _fails_without_guard(tmp_path, promtool, RATIO, "cold start", patch=uncovered)
    assert "SLOErrorBudgetBurn" in out


def test_missing_bucket_pages_without_the_bucket_guard(
    tmp_path: Path, promtool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unguarded() -> dict[str, Any]:
        monkeypatch.setattr(guards, "bucket_present", lambda *a: None)
        try:
            return rule_file(LATENCY)
        finally:
            monkeypatch.undo()

    out = _fails_without_guard(tmp_path, promtool, LATENCY, "no bucket", patch=unguarded)
    assert "SLOErrorBudgetBurn" in out


def test_probe_blip_pages_when_counted_in_slices(
    tmp_path: Path, promtool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's blip: one failed 15 s probe after hours healthy. Counted as a bad minute it pages."""

    def sliced() -> dict[str, Any]:
        monkeypatch.setattr(prometheus_rules, "failed_time", lambda *a: False)
        monkeypatch.setattr(guards, "min_failed_probes", lambda *a: 0)  # only the slice rounding differs
        try:
            return rule_file(PROBE)
        finally:
            monkeypatch.undo()

    # a 15 s blip: ask for one sample
    monkeypatch.setattr(guard_tests, "BLIP_SHARE", 15 / (0.001 * 30 * 86400) + 1e-9)
    _fails_without_guard(tmp_path, promtool, PROBE, "cold start", patch=sliced)


def test_one_blip_repages_after_an_outage_without_the_probe_minimum(
    tmp_path: Path, promtool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unguarded() -> dict[str, Any]:
        monkeypatch.setattr(guards, "min_failed_probes", lambda *a: 0)
        try:
            return rule_file(PROBE)
        finally:
            monkeypatch.undo()

    _fails_without_guard(tmp_path, promtool, PROBE, "does not page again", patch=unguarded)


def test_bucket_alert_names_the_nearest_boundaries(tmp_path: Path, promtool: str) -> None:
    svc = LATENCY
    slo = svc.slos[0]
    rules = rule_file(svc)
    alert = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == BUCKET_ALERT)
    case = guard_tests.missing_bucket_case(svc, slo)
    assert case is not None
    labels = {**{k: v for k, v in alert["labels"].items()}, "alertname": BUCKET_ALERT}
    described = alert["annotations"]["description"]
    expected = described.split("Nearest boundaries:")[0] + (
        "Nearest boundaries: 0.15s below and 0.6s above. Add the bucket or set the threshold to a boundary."
    )
    doc = {
        "rule_files": [f"{svc.name}.rules.yml"],
        "evaluation_interval": "60s",
        "tests": [
            {
                "interval": "60s",
                "input_series": case["input_series"],
                "alert_rule_test": [
                    {
                        "eval_time": "10m",
                        "alertname": BUCKET_ALERT,
                        "exp_alerts": [
                            {
                                "exp_labels": labels,
                                "exp_annotations": {**alert["annotations"], "description": expected},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    run = _run(promtool, tmp_path, svc, doc, rules)
    out, _ = run.communicate(timeout=300)
    assert run.returncode == 0, out


def test_guard_parameters_are_importable_and_typed() -> None:
    slo = RATIO.slos[0]
    fast = slo.alerting.tiers[0]
    assert guards.min_bad_events(slo, fast) == 10
    assert guards.min_bad_events(PROBE.slos[0], fast) == 0, "probes count no events"
    assert guards.absent_severity(slo) == "critical"
    assert guards.absent_severity(_without(RATIO, tiers=[fast.__class__("t", "warning", *_windows())]).slos[0]) == (
        "warning"
    )
    assert str(guards.keep_firing_for(slo, fast)) == "10m"
    assert guards.blind_detection_minutes(slo, staleness_markers=True) <= 5
    assert guards.blind_detection_minutes(slo, staleness_markers=False) <= 15
    assert guards.total_outage_minutes(slo, fast) <= 2
    assert guards.bucket_hint(LATENCY.slos[0]) is not None and "0.25s and 0.5s" in guards.bucket_hint(LATENCY.slos[0])
    assert guards.bucket_hint(service("x", latency("l", 99, "h", under="250ms")).slos[0]) is None


def _windows() -> tuple[Any, ...]:
    from slo.model.durations import Duration

    return (Duration.parse("1d"), Duration.parse("2h"), 0.1)


def test_opaque_ratio_windows_are_read_raw_so_no_coverage_guard() -> None:
    """A raw error-ratio SLI (Sloth's raw) records no base series: its windows are all read raw."""
    from slo.model.service import SLO
    from slo.model.sli import PromQLTemplate, RawRatioSLI

    raw = SLO(
        "raw",
        99.9,
        RawRatioSLI(PromQLTemplate("sum(rate(errors_total[{{.window}}])) / sum(rate(req_total[{{.window}}]))")),
    )
    doc = rule_file(service("raw", raw))
    burns = [r for g in doc["groups"] for r in g["rules"] if r.get("alert") == "SLOErrorBudgetBurn"]
    assert len(burns) == 4
    assert not any("count_over_time" in r["expr"] or "slo:sli_total" in r["expr"] for r in burns)
