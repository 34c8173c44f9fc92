"""How a parallel run (pytest-xdist, ``-n N``; scripts/test.sh passes it) shares the tests out.

Tests that use a module-scoped fixture (a backfilled server, a built wheel) may depend on what the tests
before them did to it, and the fixture is expensive: such tests run on one worker, one group per module
and backend column. Every other test is a unit of its own. Groups and tests that wait on real servers are
handed out first, so their waits overlap with the many short tests instead of trailing at the end.

xdist's own ``--dist loadgroup`` reads ``xdist_group`` marks by rewriting the test ids, which pytest 9.2
no longer lets a plugin do (the id became a structured value): the marks were ignored and a module's
tests spread over several workers. So the workers write the groups they computed into a directory the
controller names (``workerinput``), and the controller's scheduler reads them.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

PLAN_DIR = "slo_xdist_plan_dir"


def _shares_module_state(item: pytest.Item) -> bool:
    fixtureinfo = getattr(item, "_fixtureinfo", None)
    if fixtureinfo is None:
        return False
    scopes = (defs[-1].scope for defs in fixtureinfo.name2fixturedefs.values() if defs)
    return any(scope in ("module", "class", "package") for scope in scopes)


def xdist_group(item: pytest.Item) -> str | None:
    """The worker group of ``item``: ``<module>[<backend>]`` when it shares module state, else None."""
    if not _shares_module_state(item):
        return None
    callspec = getattr(item, "callspec", None)
    column = callspec.params.get("backend") if callspec is not None else None
    return item.module.__name__ + (f"[{column}]" if column else "")


def _waits(item: pytest.Item) -> bool:
    return xdist_group(item) is not None or item.get_closest_marker("integration") is not None


# --- on each worker -----------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Before the worker reports its collection: the waiting tests first (a stable sort, after pytest's
    reordering by fixture), and the groups written where the controller reads them."""
    workerinput: dict[str, Any] | None = getattr(session.config, "workerinput", None)
    if workerinput is None or PLAN_DIR not in workerinput:
        return
    session.items.sort(key=lambda item: not _waits(item))
    groups = {item.nodeid: group for item in session.items if (group := xdist_group(item)) is not None}
    target = Path(workerinput[PLAN_DIR]) / f"{workerinput['workerid']}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(groups), encoding="utf-8")
    os.replace(partial, target)


# --- on the controller --------------------------------------------------------------------------------


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    config = node.config
    if not hasattr(config, "_slo_plan_dir"):
        config._slo_plan_dir = tempfile.mkdtemp(prefix="slo-xdist-plan-")
    node.workerinput[PLAN_DIR] = config._slo_plan_dir


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Plain ``-n N`` (``--dist load``) or ``--dist loadgroup``: the plan's scheduler; other modes: xdist's."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        """Load scheduling whose work units are the groups above (every other test alone), handed out in
        the workers' collection order."""

        _groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._groups is None:
                self._groups = _read_groups(Path(config._slo_plan_dir))  # type: ignore[attr-defined]
            return self._groups.get(nodeid, nodeid)

    config.option.loadscopereorder = False  # the workers' order is the plan
    return GroupScheduling(config, log)


def _read_groups(plan_dir: Path) -> dict[str, str]:
    """The groups every worker computed (all alike: their collections are checked to be identical)."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(plan_dir.glob("*.json"))]
    if not found:
        raise RuntimeError(f"no worker wrote its test groups into {plan_dir}")
    if any(groups != found[0] for groups in found[1:]):
        raise RuntimeError(f"the workers computed different test groups (see {plan_dir})")
    return found[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    plan_dir = getattr(config, "_slo_plan_dir", None)
    if plan_dir is not None:
        shutil.rmtree(plan_dir, ignore_errors=True)
