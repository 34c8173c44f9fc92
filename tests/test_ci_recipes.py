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

from slo.localstack import PrometheusServer
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
    with PrometheusServer(tmp_path / "prom", max_runtime=300) as prometheus:
        env["PROMETHEUS_URL"] = prometheus.url
        for command in commands:
            command = re.sub(r"\$\{\{\s*vars\.PROMETHEUS_URL\s*\}\}", prometheus.url, command)
            command = command.replace("$PROMETHEUS_URL", prometheus.url)
            done = _run(command, project, env)
            assert done.returncode == 0, f"{recipe.name}: {command}\n{done.stdout}\n{done.stderr}"
    assert (project / "slo-report.md").read_text(encoding="utf-8").startswith("#")
