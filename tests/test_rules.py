"""The rule generator: promtool accepts and passes everything it writes, for many SLO shapes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generators.bundle import artifacts
from generators.prometheus_rules import rule_file
from generators.yamlout import dump
from slo import availability, latency, policy, ratio, regex, selector, service, tier, uptime
from slo.cli import main
from slo.loaders import Definitions, load
from tests.conftest import EXAMPLE, ROOT, Backend
from tests.helpers import write_artifacts


def _defs(*services) -> Definitions:
    return Definitions(tuple(services), tuple((s.name, "test") for s in services))


def _promtool(promtool: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def _alerts(doc: dict) -> list[dict]:
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


VARIED = service(
    "shapes",
    # 28-day period: factors recomputed (13.44, 5.6, 2.8, 0.933).
    availability(
        "avail-28d", 99.5, "requests_total", errors={"code": regex("5..|429")}, labels={"job": "shop"}, period="28d"
    ),
    # good/total on the same metric, and good/total on different metrics.
    ratio(
        "good-total",
        99,
        good=selector("jobs_processed_total", {"queue": "mail", "result": "ok"}),
        total=selector("jobs_processed_total", {"queue": "mail"}),
    ),
    ratio("separate-metrics", 99.9, bad="payment_failures_total", total="payment_attempts_total"),
    # latency sliced per 5 minutes, calendar month in a time zone
    latency(
        "checkout-p99",
        99,
        "checkout_duration_seconds",
        under="500ms",
        slice="5m",
        slice_target=95,
        period="month",
        timezone="Europe/Berlin",
    ),
    team="shop",
)
VARIED_MORE = service(
    "shapes-more",
    uptime("probe", 99.5, "up", labels={"job": "shop"}),
    # a custom policy: two tiers only, and the budget-exhausted alert
    availability(
        "custom-policy",
        99.9,
        "requests_total",
        errors={"code": regex("5..")},
        labels={"job": "search"},
        alerting=policy(
            tiers=[tier("page", "critical", "1h", "5m", 0.02), tier("ticket", "warning", "1d", "2h", 0.1)],
            budget_exhausted=True,
        ),
    ),
    availability(
        "no-slow-ticket", 99, "requests_total", errors={"code": regex("5..")}, alerting=policy(disable=["slow-ticket"])
    ),
    availability("silent", 99, "requests_total", errors={"code": "500"}, labels={"job": "silent"}, alerting=None),
    team="shop",
)


def test_committed_example_output_passes_promtool(backend: Backend) -> None:
    """The golden files under rules/ are executed: promtool check rules + promtool test rules."""
    result = CliRunner().invoke(main, ["test", "--out", str(ROOT)])
    assert result.exit_code == 0, result.output
    # (the amtool checks of the committed alertmanager/ run too: tests/test_alertmanager.py)
    assert "PASS  promtool check rules   rules/ai-assistant.rules.yml" in result.output
    assert "PASS  promtool test rules    rules/tests/ai-assistant.test.yml" in result.output
    assert " passed, 0 failed" in result.output


def test_committed_example_output_is_up_to_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["generate", "--check"])
    assert result.exit_code == 0, result.output


def test_varied_shapes_pass_promtool_check_and_generated_tests(tmp_path: Path, promtool: str) -> None:
    out = write_artifacts(tmp_path, _defs(VARIED, VARIED_MORE))
    for name in ("shapes", "shapes-more"):
        check = _promtool(promtool, "check", "rules", str(out / f"rules/{name}.rules.yml"))
        assert check.returncode == 0, check.stdout + check.stderr
    names = [
        t["name"]
        for name in ("shapes", "shapes-more")
        for t in yaml.safe_load((out / f"rules/tests/{name}.test.yml").read_text())["tests"]
    ]
    assert any("avail-28d: a total outage" in n for n in names)
    assert any("checkout-p99: errors at half the slice threshold" in n for n in names)
    assert any("probe: the target goes away" in n for n in names)
    assert not any("silent" in n for n in names), "an SLO with alerting disabled gets no alert tests"
    # the two services' tests run side by side (2 cores)
    runs = [
        subprocess.Popen(
            [promtool, "test", "rules", f"{name}.test.yml"],
            cwd=out / "rules/tests",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("shapes", "shapes-more")
    ]
    for run in runs:
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output


SLICE_SHAPES = [
    ("ratio-99-5m", 99, "5m", "ratio"),
    ("ratio-99-10m", 99, "10m", "ratio"),
]


@pytest.mark.parametrize(("name", "objective", "length", "kind"), SLICE_SHAPES, ids=[s[0] for s in SLICE_SHAPES])
def test_slice_burn_scenarios_hold(
    tmp_path: Path, promtool: str, name: str, objective: float, length: str, kind: str
) -> None:
    """The bounds behind the generated slice-burn scenarios are conservative for ratio and probe slices."""
    from generators.service_tests import test_file as promtool_test_file
    from slo import error_rate

    if kind == "ratio":
        slo_ = error_rate(name, objective, "http_requests_total", errors={"code": "500"}, below="1%", slice=length)
    else:
        slo_ = uptime(name, objective, "probe_success", slice=length)
    svc = service("slices", slo_)
    (tmp_path / "slices.rules.yml").write_text(dump(rule_file(svc)), encoding="utf-8")
    doc = promtool_test_file(svc, "slices.rules.yml")
    doc["tests"] = [t for t in doc["tests"] if " burn (" in t["name"]]
    assert doc["tests"], f"{name}: no slice burn scenario generated"
    (tmp_path / "slices.test.yml").write_text(dump(doc), encoding="utf-8")
    done = _promtool(promtool, "test", "rules", str(tmp_path / "slices.test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_factors_follow_the_period_and_thresholds_equal_factor_times_budget() -> None:
    doc = rule_file(VARIED)
    by_slo: dict[str, dict[str, str]] = {}
    for rule in _alerts(doc):
        if rule["alert"] == "SLOErrorBudgetBurn":
            by_slo.setdefault(rule["labels"]["slo"], {})[rule["labels"]["tier"]] = rule["expr"]
    factors_28d = {k: float(re.search(r"> ([0-9.]+)\n", v).group(1)) for k, v in by_slo["avail-28d"].items()}
    assert factors_28d == pytest.approx(
        {"fast-page": 13.44, "slow-page": 5.6, "fast-ticket": 2.8, "slow-ticket": 0.933333}
    )
    factors_month = {k: float(re.search(r"> ([0-9.]+)\n", v).group(1)) for k, v in by_slo["checkout-p99"].items()}
    assert factors_month == pytest.approx({"fast-page": 14.4, "slow-page": 6, "fast-ticket": 3, "slow-ticket": 1})
    # burn rate = error ratio / (1 - objective): the threshold on the error ratio is factor × budget
    burn = [
        r
        for g in doc["groups"]
        for r in g["rules"]
        if r.get("record") == "slo:burn_rate:rate1h" and r["labels"]["slo"] == "avail-28d"
    ]
    assert burn[0]["expr"].endswith("/ 0.005")


def test_tier_overrides_and_disabled_alerting() -> None:
    alerts = _alerts(rule_file(VARIED_MORE))
    tiers = {(a["labels"]["slo"], a["labels"].get("tier")) for a in alerts}
    assert ("custom-policy", "page") in tiers and ("custom-policy", "ticket") in tiers
    assert ("custom-policy", "fast-page") not in tiers
    assert ("no-slow-ticket", "slow-ticket") not in tiers and ("no-slow-ticket", "fast-ticket") in tiers
    assert not [a for a in alerts if a["labels"]["slo"] == "silent"]
    assert any(a["alert"] == "SLOErrorBudgetExhausted" and a["labels"]["slo"] == "custom-policy" for a in alerts)
    every = [a for a in alerts if a["alert"] == "SLOErrorBudgetBurn"]
    for a in every:
        assert {"service", "slo", "severity", "tier", "long_window", "short_window", "team"} <= set(a["labels"])
        assert a["labels"]["severity"] in ("critical", "warning")
        assert {"summary", "description"} <= set(a["annotations"])


def test_one_alert_per_tier_never_an_or() -> None:
    for a in _alerts(rule_file(VARIED)) + _alerts(rule_file(VARIED_MORE)):
        if a["alert"] == "SLOErrorBudgetBurn":  # windows joined by 'and'; 'or vector(0)' only inside a guard
            assert "\nor" not in a["expr"] and "or slo:burn_rate" not in a["expr"], a["expr"]
            assert a["expr"].count("slo:burn_rate:") == 2


def test_generation_is_deterministic() -> None:
    defs = load([EXAMPLE / "slos.py"])
    assert artifacts(defs) == artifacts(load([EXAMPLE / "slos.py"]))
    assert dump(rule_file(VARIED)) == dump(rule_file(VARIED))


def test_hostile_label_values_are_quoted(tmp_path: Path, promtool: str) -> None:
    hostile = '"} or vector(1) # \\ \n'
    svc = service("hostile", availability("a", 99, "requests_total", errors={"code": "500"}, labels={"job": hostile}))
    path = tmp_path / "hostile.rules.yml"
    path.write_text(dump(rule_file(svc)))
    check = _promtool(promtool, "check", "rules", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    text = path.read_text()
    assert 'job="\\"} or vector(1) # \\\\ \\n"' in text
    assert "or vector(1) #\n" not in text


def test_check_mode_reports_drift_and_writes_nothing(tmp_path: Path) -> None:
    runner = CliRunner()
    src = str(EXAMPLE / "slos.py")
    assert runner.invoke(main, ["generate", src, "--out", str(tmp_path)]).exit_code == 0
    rules = tmp_path / "rules/ai-assistant.rules.yml"
    edited = rules.read_text().replace("> 14.4", "> 99")
    rules.write_text(edited)
    result = runner.invoke(main, ["generate", src, "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1
    assert "-  slo:burn_rate:rate1h" in result.output or "> 99" in result.output
    assert "+++ b/rules/ai-assistant.rules.yml" in result.output
    assert rules.read_text() == edited, "--check must not write"
    # a missing file is drift too
    (tmp_path / "rules/tests/ai-assistant.test.yml").unlink()
    result = runner.invoke(main, ["generate", src, "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1 and "/dev/null" in result.output


def test_stale_generated_files_are_removed_but_hand_written_ones_kept(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["generate", str(EXAMPLE / "slos.py"), "--out", str(tmp_path)]).exit_code == 0
    stale = tmp_path / "rules/old-service.rules.yml"
    stale.write_text("# Generated by slo-toolkit from gone.py.\ngroups: []\n")
    mine = tmp_path / "rules/hand-written.rules.yml"
    mine.write_text("groups: []\n")
    result = runner.invoke(main, ["generate", str(EXAMPLE / "slos.py"), "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert not stale.exists() and mine.exists()
    assert "removed stale" in result.output


def test_slo_test_reports_promtool_failures(backend: Backend, tmp_path: Path) -> None:
    runner = CliRunner()
    spec = tmp_path / "one.py"
    spec.write_text(
        "from slo import availability, regex, service\n"
        "one = service('one', availability('a', 99.9, 'http_requests_total', errors={'code': regex('5..')}))\n"
    )
    assert runner.invoke(main, ["generate", str(spec), "--out", str(tmp_path)]).exit_code == 0
    rules = tmp_path / "rules/one.rules.yml"
    rules.write_text(rules.read_text().replace("> 14.4", "> 1e9", 1))
    result = runner.invoke(main, ["test", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "FAIL  promtool test rules" in result.output
    assert "fast-page" in result.output  # promtool's own message names the failing check


def test_no_nan_guard_on_every_ratio() -> None:
    for group in rule_file(VARIED)["groups"] + rule_file(VARIED_MORE)["groups"]:
        for r in group["rules"]:
            averaged = "avg_over_time" in r["expr"] or "slo:probe_failed:" in r["expr"]  # means: no denominator
            if r.get("record", "").startswith("slo:sli_error:ratio_rate") and not averaged:
                assert "> 0)" in r["expr"], r["expr"]
