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
from slo.model.durations import Duration
from slo.model.errors import SpecError
from slo.project import config
from slo.tools.toolcheck import find_tool, version
from tests.conftest import EXAMPLE, ROOT, Backend, require

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


# ---------------------------------------------------------------------------------------------
# [tool.slo.rule_groups]: the settings that reach `slo generate` output


def _project(tmp_path: Path, version: str, rule_groups: str) -> Path:
    """A project using the bundled example, generating for Prometheus ``version``."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.slo]\nsources = ["{EXAMPLE / "slos.py"}"]\nprometheus_version = "{version}"\n'
        f"[tool.slo.rule_groups]\n{rule_groups}"
    )
    return tmp_path


def _generate(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    slo = str(Path(sys.executable).with_name("slo"))
    return subprocess.run(
        [slo, "generate", "--out", "out", *args], cwd=project, capture_output=True, text=True, timeout=300
    )


def test_rule_group_settings_are_read_and_checked(tmp_path: Path) -> None:
    settings = config.settings(
        _project(tmp_path, "3.16", 'labels = { cluster = "eu-1" }\nlimit = 500\nquery_offset = "30s"\n')
    )
    assert settings.rule_groups == rule_compat.GroupSettings((("cluster", "eu-1"),), 500, Duration.parse("30s"))
    bad = {
        'query_offset = "30s"': (
            "2.42",
            "tool.slo.rule_groups.query_offset: rule-group field 'query_offset' needs Prometheus 2.53 or later; "
            "prometheus_version is 2.42.0",
        ),
        "limit = 5": ("2.30", "tool.slo.rule_groups.limit: rule-group field 'limit' needs Prometheus 2.31"),
        "limit = -1": ("3", "tool.slo.rule_groups.limit: must be a whole number, 0 (no limit) or more, got -1"),
        'query_offset = "soon"': ("3", "tool.slo.rule_groups.query_offset: 'soon' is not a duration"),
        "interval = 5": ("3", "tool.slo.rule_groups.interval: unknown key (known: labels, limit, query_offset)"),
        "labels = { severity = 'x' }": ("3", "tool.slo.rule_groups.labels.severity: the toolkit sets this label"),
        "labels = { __x = 'x' }": ("3", "tool.slo.rule_groups.labels.__x: a label name is letters"),
        "labels = { n = 1 }": ("3", "tool.slo.rule_groups.labels.n: must be a quoted string, got 1"),
        "labels = 'x'": ("3", "tool.slo.rule_groups.labels: must be a table"),
    }
    for text, (target, message) in bad.items():
        with pytest.raises(SpecError) as caught:
            config.settings(_project(tmp_path, target, text + "\n"))
        assert f"{tmp_path / 'pyproject.toml'}: {message}" in str(caught.value), str(caught.value)


def test_query_offset_for_a_2x_target_is_refused_by_generate_and_nothing_is_written(tmp_path: Path) -> None:
    done = _generate(_project(tmp_path, "2.42", 'query_offset = "30s"\n'))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tool.slo.rule_groups.query_offset: rule-group field 'query_offset' needs Prometheus 2.53" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_a_2x_promtool_refuses_the_group_fields_it_lacks(backend: Backend, tmp_path: Path) -> None:
    """Why the refusal and the 2.x fallback exist: promtool 2.42 rejects query_offset and group labels."""
    for field in ({"query_offset": "30s"}, {"labels": {"cluster": "eu-1"}}):
        doc = _doc()
        doc["groups"][0].update(field)
        rules = tmp_path / "fields.rules.yml"
        rules.write_text(yaml.safe_dump(doc, sort_keys=False))
        check = subprocess.run(
            [require("promtool"), "check", "rules", str(rules)], capture_output=True, text=True, timeout=60
        )
        assert (check.returncode == 0) is backend.current, (field, check.stdout + check.stderr)
        if not backend.current:
            assert next(iter(field)) in check.stdout + check.stderr


def _settings_for(backend: Backend) -> tuple[str, str]:
    """The backend's own version, and every rule-group field it has (2.42: no query_offset)."""
    target = _target(backend)
    fields = 'labels = { cluster = "eu-1" }\nlimit = 0\n'
    if target.at_least(rule_compat.QUERY_OFFSET_FROM):
        fields += 'query_offset = "2m"\n'
    return f"{target.major}.{target.minor}", fields


def test_generated_rules_with_group_settings_pass_promtool_check_and_their_tests(
    backend: Backend, tmp_path: Path
) -> None:
    """Labels, limit and (3.x) query_offset from [tool.slo.rule_groups] in rules/*.yml and the PrometheusRule;
    promtool check rules and the generated promtool tests (delayed by the offset) pass."""
    version, fields = _settings_for(backend)
    project = _project(tmp_path, version, fields)
    done = _generate(project)
    assert done.returncode == 0, done.stderr
    out = project / "out" / "rules"
    for path in (out / "ai-assistant.rules.yml", out / "ai-assistant.alerts.yml"):
        groups = yaml.safe_load(path.read_text())["groups"]
        for group in groups:
            assert group["limit"] == 0
            assert ("query_offset" in group) is backend.current
            if backend.current:
                assert group["labels"] == {"cluster": "eu-1"} and group["query_offset"] == "2m"
            else:  # 2.x: the group labels on every rule instead
                assert "labels" not in group and all(r["labels"]["cluster"] == "eu-1" for r in group["rules"])
    k8s = yaml.safe_load((out / "kubernetes" / "ai-assistant.yaml").read_text())
    assert [g["limit"] for g in k8s["spec"]["groups"]] == [0] * len(k8s["spec"]["groups"])
    assert all(("query_offset" in g) is backend.current for g in k8s["spec"]["groups"])
    slo = str(Path(sys.executable).with_name("slo"))
    test = subprocess.run([slo, "test", "--out", "out"], cwd=project, capture_output=True, text=True, timeout=600)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "0 failed" in test.stdout and "FAIL " not in test.stdout


def test_promtool_honours_query_offset_so_the_generated_tests_must_follow_it(backend: Backend, tmp_path: Path) -> None:
    """The same scenario written without the offset fails against rules evaluated 2m late (the records of its
    last check are not written yet); the delayed one passes. 2.x has no query_offset to honour."""
    from generators import offset_tests, prometheus_rules, promtool_tests
    from slo.loaders import load

    service = load([EXAMPLE / "slos.py"]).services[0]
    offset = Duration.parse("2m")
    settings = rule_compat.GroupSettings(query_offset=offset)
    if not backend.current:  # the field is refused for the version this column runs
        with pytest.raises(CompatError, match=r"'query_offset' needs Prometheus 2\.53"):
            rule_compat.apply(prometheus_rules.rule_file(service), _target(backend), settings)
        return
    rules = rule_compat.apply(prometheus_rules.rule_file(service), PrometheusTarget(3, 16), settings)
    (tmp_path / "r.rules.yml").write_text(yaml.safe_dump(rules, sort_keys=False))
    outage = next(c for s in service.slos if (c := promtool_tests.outage_case(service, s)) is not None)
    plain = {"rule_files": ["r.rules.yml"], "evaluation_interval": f"{promtool_tests.EVAL}s", "tests": [outage]}
    results = {}
    for name, doc in (("plain", plain), ("delayed", offset_tests.delayed(plain, offset))):
        (tmp_path / f"{name}.test.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
        run = subprocess.run(
            [require("promtool"), "test", "rules", f"{name}.test.yml"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        results[name] = (run.returncode, run.stdout + run.stderr)
    assert results["plain"][0] != 0 and "FAILED" in results["plain"][1]
    assert results["delayed"][0] == 0, results["delayed"][1]


def test_a_real_prometheus_loads_the_group_settings(backend: Backend, tmp_path: Path) -> None:
    """A running Prometheus of the backend's version loads the generated file: the group carries limit (and
    query_offset on 3.x), recorded series carry the group label, stamped query_offset in the past (the rules
    API does not show query_offset; the samples' timestamps do)."""
    import time
    import urllib.request

    from slo.local.servers import PrometheusServer

    version, fields = _settings_for(backend)
    project = _project(tmp_path, version, fields)
    assert _generate(project).returncode == 0
    rules = project / "out" / "rules" / "ai-assistant.rules.yml"
    with PrometheusServer(tmp_path / "data", rule_files=[rules], evaluation_interval="5s") as server:
        with urllib.request.urlopen(f"{server.url}/api/v1/rules", timeout=30) as resp:
            groups = json.load(resp)["data"]["groups"]
        assert groups and all(g["limit"] == 0 for g in groups)
        assert all(not r.get("lastError") for g in groups for r in g["rules"]), groups
        # `slo check` reads the loaded groups as the generated ones (3.x lists group labels on each rule)
        from slo.live_check import deployed

        files = {"rules/ai-assistant.rules.yml": rules.read_text()}
        by_name = {g["name"]: g for g in groups}
        for gen in deployed.generated_groups(files):
            assert deployed.compare_group(gen, by_name[gen.name]) == [], gen.name
        assert deployed.compare_group(gen, {**by_name[gen.name], "limit": 7}) == ["limit is 7, generated 0"]
        deadline = time.time() + 90
        found: list = []
        while time.time() < deadline and not found:
            found = server.query('timestamp(slo:objective:ratio{cluster="eu-1"})', time.time())
            time.sleep(1)
        assert found, "no recorded objective with the group label"
        lag = time.time() - found[0][1]
        assert (115 < lag < 200) if backend.current else (lag < 60), lag
