"""Shared fixtures: real binaries are required, never silently skipped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.xdist_plan import (  # noqa: F401 - hooks of parallel runs, see tests/xdist_plan.py
    pytest_collection_finish,
    pytest_configure_node,
    pytest_unconfigure,
    pytest_xdist_make_scheduler,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = ROOT / "examples" / "ai-assistant"


def require(name: str) -> str:
    """The path of a binary the test needs (the active backend's, see ``backend``); fail loudly, never skip."""
    from slo.tools.toolcheck import find_tool

    path = find_tool(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run the README's test command (scripts/test.sh), which installs "
            "the Debian packages prometheus and prometheus-alertmanager",
            pytrace=False,
        )
    return path


# --- the backend matrix ----------------------------------------------------------------------------
# Every real-component test runs on "debian" (the packages on PATH: Prometheus 2.42, Alertmanager 0.25,
# VictoriaMetrics 1.79) and on "current" (the pinned releases scripts/build-backends.py builds). A test takes
# part by using ``backend`` or a fixture below; the active backend is exported as $SLO_TOOL_PATH, so the
# toolkit's own lookups (slo.tools.toolcheck.find_tool) and `slo` subprocesses run the same binaries.
# SLO_BACKENDS=debian (or current) runs one column only.
BACKEND_NAMES = tuple(
    name for name in os.environ.get("SLO_BACKENDS", "debian,current").split(",") if name in ("debian", "current")
)
BACKEND_TOOLS = ("promtool", "prometheus", "amtool", "alertmanager", "victoria-metrics")
# Every module runs on both columns. SLO_BACKENDS_QUICK=1 (for a quick local run, never CI) keeps the current
# column to the modules that carry the compatibility proof: promtool check/test of generated rules and tests,
# version-dependent output, report exactness on both engines, amtool strict mode and live routing, the demo;
# the other modules' "current" items are deselected, and pytest's summary counts them.
CURRENT_MODULES = frozenset(
    {
        "test_alertmanager",
        "test_alertmanager_live",
        "test_backends",
        "test_e2e",
        "test_grouped",
        "test_native_histograms",
        "test_native_prometheus",
        "test_report_prometheus",
        "test_rules",
        "test_slice_mean",
        "test_slice_mean_prometheus",
        "test_utf8_names",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the columns SLO_BACKENDS leaves out, and with SLO_BACKENDS_QUICK=1 the current column of modules
    outside :data:`CURRENT_MODULES`."""
    full = os.environ.get("SLO_BACKENDS_QUICK") != "1"
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        column = callspec.params.get("backend") if callspec is not None else None
        on_current = column == "current"
        outside = on_current and not full and item.module.__name__.split(".")[-1] not in CURRENT_MODULES
        # a module pinned to one column (indirect parametrisation) follows SLO_BACKENDS too
        (drop if outside or (column is not None and column not in BACKEND_NAMES) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@dataclass(frozen=True)
class Backend:
    """One column of the matrix: where its binaries are (None: PATH) and their versions."""

    name: str
    tool_path: str | None

    @property
    def current(self) -> bool:
        return self.name == "current"

    def version(self, tool: str) -> tuple[int, int, int] | None:
        from slo.tools.toolcheck import version

        return version(tool)


def _current_tool_path() -> str:
    """$SLO_CURRENT_BACKEND_PATH (scripts/test.sh exports it) or the build script's cache; fail if unbuilt."""
    path = os.environ.get("SLO_CURRENT_BACKEND_PATH")
    if not path:
        script = ROOT / "scripts" / "build-backends.py"
        proc = subprocess.run([sys.executable, str(script), "--print-path"], capture_output=True, text=True)
        path = proc.stdout.strip()
    missing = [t for t in BACKEND_TOOLS if shutil.which(t, path=path) is None]
    if missing:
        pytest.fail(
            f"the current backend lacks {', '.join(missing)} in {path!r}: run scripts/build-backends.py "
            "(scripts/test.sh does), or SLO_BACKENDS=debian to run Debian's column only",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session", params=BACKEND_NAMES)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """The active backend; its binaries come first in every lookup while it is active."""
    saved = os.environ.get("SLO_TOOL_PATH")
    chosen = Backend(request.param, _current_tool_path() if request.param == "current" else None)
    if chosen.tool_path is None:
        os.environ.pop("SLO_TOOL_PATH", None)
    else:
        os.environ["SLO_TOOL_PATH"] = chosen.tool_path
    try:
        yield chosen
    finally:
        if saved is None:
            os.environ.pop("SLO_TOOL_PATH", None)
        else:
            os.environ["SLO_TOOL_PATH"] = saved


def _export(chosen: Backend) -> None:
    if chosen.tool_path is None:
        os.environ.pop("SLO_TOOL_PATH", None)
    else:
        os.environ["SLO_TOOL_PATH"] = chosen.tool_path


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Iterator[None]:
    """Before a fixture that takes ``backend`` starts servers or finds binaries, export that backend.

    A module fixture is set up before the test's own autouse re-export below, while $SLO_TOOL_PATH may
    still hold the column of the test that ran before it."""
    if "backend" in fixturedef.argnames:
        _export(request.getfixturevalue("backend"))
    yield


@pytest.fixture(autouse=True)
def _active_backend(request: pytest.FixtureRequest) -> None:
    """Re-export the test's own backend: tests without one may have run in between under another."""
    if "backend" in request.fixturenames:
        _export(request.getfixturevalue("backend"))


@pytest.fixture(scope="session")
def promtool(backend: Backend) -> str:
    return require("promtool")


@pytest.fixture(scope="session")
def prometheus_bin(backend: Backend) -> str:
    return require("prometheus")


@pytest.fixture(scope="session")
def amtool(backend: Backend) -> str:
    return require("amtool")


@pytest.fixture(scope="session")
def alertmanager_bin(backend: Backend) -> str:
    """The Alertmanager server binary (``alertmanager`` upstream, ``prometheus-alertmanager`` on Debian)."""
    from slo.tools.toolcheck import alertmanager_binary, find_tool

    if not (find_tool("alertmanager") or find_tool("prometheus-alertmanager")):
        require("prometheus-alertmanager")  # fails the test with the install hint
    return alertmanager_binary()
