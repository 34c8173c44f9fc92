"""Shared fixtures: real binaries are required, never silently skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = ROOT / "examples" / "ai-assistant"


def require(name: str) -> str:
    """The path of a binary the test needs; fail loudly (not skip) when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run the README's test command (scripts/test.sh), which installs "
            "the Debian packages prometheus and prometheus-alertmanager",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return require("promtool")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    return require("prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    return require("amtool")


@pytest.fixture(scope="session")
def alertmanager_bin() -> str:
    """The Alertmanager server binary (``alertmanager`` upstream, ``prometheus-alertmanager`` on Debian)."""
    from slo.localstack import alertmanager_binary

    if not (shutil.which("alertmanager") or shutil.which("prometheus-alertmanager")):
        require("prometheus-alertmanager")  # fails the test with the install hint
    return alertmanager_binary()
