"""The backend matrix itself, and rule-group fields that depend on the Prometheus version.

Each test using ``backend`` runs on Debian's binaries and on the current releases built by
scripts/build-backends.py; version-dependent output is proven by the promtool of the version it targets.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generators import rule_compat
from generators.rule_compat import CompatError, PrometheusTarget
from slo import config
from slo.durations import Duration
from slo.errors import SpecError
from slo.toolcheck import find_tool, version
from tests.conftest import ROOT, Backend, require

# What each column must be: a regression to the wrong binaries (PATH order, a stale cache) fails here.
EXPECTED_MAJOR = {
    "debian": {"promtool": 2, "prometheus": 2, "amtool": 0, "alertmanager": 0},
    "current": {"promtool": 3, "prometheus": 3, "amtool": 0, "alertmanager": 0},
}


def test_each_backend_runs_its_own_binaries(backend: Backend) -> None:
    for tool, major in EXPECTED_MAJOR[backend.name].items():
        found = version(tool if tool != "alertmanager" or find_tool("alertmanager") else "prometheus-alertmanager")
        assert found is not None, f"{tool}: no version from {require(tool if tool != 'alertmanager' else 'amtool')}"
        assert found[0] == major, (tool, found)
    if backend.current:
        assert version("promtool")[:2] >= (3, 16)
        assert version("amtool")[:2] >= (0, 35)
        assert all(str(Path(require(t)).parent) in backend.tool_path.split(":") for t in ("promtool", "amtool"))
    else:
        assert version("promtool")[:2] < (3, 0)
        assert version("amtool")[:2] < (0, 27)


def test_current_build_records_its_pins(backend: Backend) -> None:
    if not backend.current:
        return  # the Debian column is whatever apt installed
    for bin_dir in backend.tool_path.split(":"):
        stamp = json.loads((Path(bin_dir).parent / "BUILD.json").read_text())
        assert stamp["version"].startswith("v") and stamp["module"].startswith("github.com/")
        assert Path(bin_dir).parent.name.endswith(stamp["release"])


def test_build_script_prints_the_path_tests_use() -> None:
    script = ROOT / "scripts" / "build-backends.py"
    done = subprocess.run(
        [sys.executable, str(script), "--print-path", "--cache", "/nonexistent/cache"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    dirs = done.stdout.strip().split(":")
    assert [Path(d).parent.name.split("-")[0] for d in dirs] == ["prometheus", "alertmanager", "victoria"]
    assert all(d.startswith("/nonexistent/cache/") and d.endswith("/bin") for d in dirs)


def test_tool_path_comes_before_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "promtool"
    fake.write_text("#!/bin/sh\necho 'promtool, version 9.8.7 (branch: x)'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("SLO_TOOL_PATH", str(tmp_path))
    assert find_tool("promtool") == str(fake)
    assert version("promtool") == (9, 8, 7)


# ---------------------------------------------------------------------------------------------
# rule-group fields by target version


def _target(backend: Backend) -> PrometheusTarget:
    found = version("promtool")
    assert found is not None
    return PrometheusTarget(*found)


def _doc() -> dict:
    return {
        "groups": [
            {
                "name": "compat",
                "interval": "30s",
                "rules": [
                    {"record": "compat:up", "expr": "vector(1)"},
                    {"alert": "CompatAlert", "expr": "vector(1) > 0", "labels": {"severity": "warning"}},
                ],
            }
        ]
    }


def test_version_dependent_fields_load_in_the_promtool_they_target(backend: Backend, tmp_path: Path) -> None:
    """Written for the backend's own version, group labels reach the alert on 2.x (per rule) and 3.x (group)."""
    target = _target(backend)
    offset = Duration.parse("1m") if target.at_least(rule_compat.QUERY_OFFSET_FROM) else None
    doc = rule_compat.rule_file(
        _doc(), target, labels={"team": "sre", "severity": "critical"}, limit=10, query_offset=offset
    )
    group = doc["groups"][0]
    assert ("labels" in group) is target.at_least(rule_compat.GROUP_LABELS_FROM)
    assert ("query_offset" in group) is target.at_least(rule_compat.QUERY_OFFSET_FROM)
    rules = tmp_path / "compat.rules.yml"
    rules.write_text(yaml.safe_dump(doc, sort_keys=False))
    promtool = require("promtool")
    check = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = {
        "rule_files": [rules.name],
        "evaluation_interval": "30s",
        "tests": [
            {
                "interval": "30s",
                "input_series": [],
                "alert_rule_test": [
                    {
                        "eval_time": "2m",
                        "alertname": "CompatAlert",
                        # the rule's own severity wins over the group's on both versions
                        "exp_alerts": [{"exp_labels": {"severity": "warning", "team": "sre"}}],
                    }
                ],
            }
        ],
    }
    (tmp_path / "compat.test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    run = subprocess.run(
        [promtool, "test", "rules", "compat.test.yml"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_group_labels_written_for_3x_are_refused_by_2x_promtool(backend: Backend, tmp_path: Path) -> None:
    """The difference the target setting exists for: 2.x does not know the group field ``labels``."""
    doc = rule_compat.rule_file(_doc(), PrometheusTarget(3, 16), labels={"team": "sre"})
    rules = tmp_path / "three.rules.yml"
    rules.write_text(yaml.safe_dump(doc, sort_keys=False))
    check = subprocess.run(
        [require("promtool"), "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
    )
    if backend.current:
        assert check.returncode == 0, check.stdout + check.stderr
    else:
        assert check.returncode != 0
        assert "labels" in check.stdout + check.stderr


def test_fields_the_target_lacks_are_refused_with_the_version_they_need() -> None:
    old = PrometheusTarget.parse("2.42")
    with pytest.raises(CompatError, match=r"'query_offset' needs Prometheus 2.53 or later; prometheus_version is 2.42"):
        rule_compat.rule_file(_doc(), old, query_offset=Duration.parse("1m"))
    with pytest.raises(CompatError, match=r"'limit' needs Prometheus 2.31"):
        rule_compat.rule_file(_doc(), PrometheusTarget.parse("2.30.3"), limit=5)
    with pytest.raises(CompatError, match="limit must be 0"):
        rule_compat.rule_file(_doc(), old, limit=-1)
    # labels have a 2.x equivalent: on every rule, the rule's own value first
    rules = rule_compat.rule_file(_doc(), old, labels={"team": "a", "severity": "x"})["groups"][0]["rules"]
    assert [r["labels"] for r in rules] == [{"team": "a", "severity": "x"}, {"team": "a", "severity": "warning"}]


@pytest.mark.parametrize(
    ("text", "parsed"), [("3", (3, 0, 0)), ("2.42", (2, 42, 0)), ("v3.16.1", (3, 16, 1)), (" 2.53 ", (2, 53, 0))]
)
def test_target_versions_parse(text: str, parsed: tuple[int, int, int]) -> None:
    target = PrometheusTarget.parse(text)
    assert (target.major, target.minor, target.patch) == parsed
    assert target.utf8_names is (parsed[0] >= 3)


@pytest.mark.parametrize("text", ["", "three", "1.8", "3.x", "3.16.0.1"])
def test_bad_target_versions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Prometheus version"):
        PrometheusTarget.parse(text)


def test_prometheus_version_setting(tmp_path: Path) -> None:
    assert config.settings(tmp_path).prometheus_version == rule_compat.DEFAULT_PROMETHEUS
    (tmp_path / "pyproject.toml").write_text('[tool.slo]\nprometheus_version = "2.42"\n')
    assert config.settings(tmp_path).prometheus_version == "2.42"
    for bad, message in (("3.10", "quoted string"), ('"3.x"', "is not a Prometheus version")):
        (tmp_path / "pyproject.toml").write_text(f"[tool.slo]\nprometheus_version = {bad}\n")
        with pytest.raises(SpecError) as caught:
            config.settings(tmp_path)
        text = str(caught.value)
        assert "tool.slo.prometheus_version" in text and message in text, text
