"""The parallel plan (tests/xdist_plan.py) keeps a module's shared state on one worker and spreads the rest.

A small project is run with two real xdist workers: the tests of a module using a module-scoped fixture
must all run on the worker that built it, in order (each test reads what the one before it left); tests
without shared state are spread over both workers; the plan's scratch directory is gone afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from tests.conftest import ROOT

CONFTEST = """
from tests.xdist_plan import (  # noqa: F401
    pytest_collection_finish,
    pytest_configure_node,
    pytest_unconfigure,
    pytest_xdist_make_scheduler,
)
"""

STATEFUL = """
import json, os
import pytest

@pytest.fixture(scope="module")
def state():
    return []

@pytest.mark.parametrize("i", range(6))
def test_step(state, i):
    assert state == list(range(i)), "an earlier step ran elsewhere"
    state.append(i)
    with open(os.environ["RECORD"], "a") as out:
        out.write(json.dumps(["NAME", i, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")
"""

FREE = """
import json, os, time
import pytest

@pytest.mark.parametrize("i", range(8))
def test_free(i):
    time.sleep(0.3)
    with open(os.environ["RECORD"], "a") as out:
        out.write(json.dumps(["free", i, os.environ["PYTEST_XDIST_WORKER"]]) + "\\n")
"""


def test_module_state_stays_on_one_worker_and_the_rest_spreads(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    for name in ("first", "second"):
        (project / f"test_{name}.py").write_text(STATEFUL.replace("NAME", name), encoding="utf-8")
    (project / "test_free.py").write_text(FREE, encoding="utf-8")
    record = tmp_path / "record.jsonl"
    plans = tmp_path / "tmp"
    plans.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECORD": str(record), "TMPDIR": str(plans)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", "--rootdir", str(project)]
    cmd += ["--basetemp", str(tmp_path / "base"), str(project)]
    done = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "20 passed" in done.stdout, done.stdout

    workers: dict[str, set[str]] = defaultdict(set)
    for line in record.read_text(encoding="utf-8").splitlines():
        module, _, worker = json.loads(line)
        workers[module].add(worker)
    assert len(workers["first"]) == 1, workers
    assert len(workers["second"]) == 1, workers
    assert len(workers["free"]) == 2, workers
    assert not list(plans.glob("slo-xdist-plan-*")), "the plan's directory was left behind"
