"""The CI recipes we ship for users run as written: every `slo` command line in them is executed.

Each recipe's commands run in a fresh project holding the bundled example as ``slos.py`` (after a
first ``slo generate``, as a user commits it); the monthly report runs against a real, empty
Prometheus with the token variable set, so options and auth plumbing are the real ones.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from slo.local.servers import PrometheusServer
from tests.conftest import EXAMPLE, ROOT, Backend, require

RECIPES = sorted((ROOT / "examples" / "ci").glob("*.yml"))


def slo_commands(doc: object) -> list[str]:
    """Every shell line starting with ``slo `` anywhere in a CI document (continuations joined)."""
    found: list[str] = []
    if isinstance(doc, dict):
        for value in doc.values():
            found += slo_commands(value)
    elif isinstance(doc, list):
        for value in doc:
            found += slo_commands(value)
    elif isinstance(doc, str):
        for line in doc.replace("\\\n", " ").splitlines():
            if line.strip().startswith("slo "):
                found.append(line.strip())
    return found


def _run(cmd: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(shlex.split(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _base_branch_and_history(project: Path, data: Path) -> None:
    """For the backtest job: the base branch with a looser uptime objective, and probes to replay it on."""
    import time

    from slo.local.metrics_text import Series, write_openmetrics
    from slo.local.tsdb import backfill_openmetrics

    base = project / ".base"
    base.mkdir()
    text = (EXAMPLE / "slos.py").read_text(encoding="utf-8")
    changed = text.replace('uptime("uptime", 99.9,', 'uptime("uptime", 99.5,')
    assert changed != text, "the example's uptime SLO changed shape: update this test"
    (base / "slos.py").write_text(changed, encoding="utf-8")
    now = int(time.time())
    labels = {"job": "blackbox", "instance": "https://ai-assistant.your-company.com/health"}
    probes = [(t, 0.0 if now - 5400 < t <= now - 5100 else 1.0) for t in range(now - 4 * 3600, now - 60, 15)]
    write_openmetrics([Series("probe_success", labels, probes, kind="gauge")], data.parent / "probes.om")
    backfill_openmetrics(data.parent / "probes.om", data)


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.name)
def test_every_slo_command_in_the_recipe_runs(backend: Backend, recipe: Path, tmp_path: Path) -> None:
    require("promtool")
    require("amtool")
    commands = slo_commands(yaml.safe_load(recipe.read_text(encoding="utf-8")))
    assert {c.split()[1] for c in commands} >= {"validate", "generate", "test", "report"}, commands
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(EXAMPLE / "slos.py", project / "slos.py")
    env = {**os.environ, "PROMETHEUS_TOKEN": "t0ken", "SLO_PROMETHEUS_TOKEN": "t0ken"}
    first = _run("slo generate", project, env)
    assert first.returncode == 0, first.stderr
    if any(c.split()[1] == "backtest" for c in commands):
        _base_branch_and_history(project, tmp_path / "prom")
    with PrometheusServer(tmp_path / "prom", max_runtime=300) as prometheus:
        env["PROMETHEUS_URL"] = prometheus.url
        for command in commands:
            command = re.sub(r"\$\{\{\s*vars\.PROMETHEUS_URL\s*\}\}", prometheus.url, command)
            command = command.replace("$PROMETHEUS_URL", prometheus.url)
            done = _run(command, project, env)
            assert done.returncode == 0, f"{recipe.name}: {command}\n{done.stdout}\n{done.stderr}"
    assert (project / "slo-report.md").read_text(encoding="utf-8").startswith("#")
