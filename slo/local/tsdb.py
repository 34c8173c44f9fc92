"""TSDB blocks from synthetic history: ``promtool tsdb create-blocks-from`` for series and rules.

Recording rules that read other rules' output cannot be backfilled in one pass (promtool evaluates
each rule against the server's current data): backfill the first level, move the blocks in with
:func:`move_blocks`, restart, and evaluate the second level through :meth:`PrometheusServer.query`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from slo.tools.toolcheck import binary


def _run(cmd: list[str], timeout: float, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}{proc.stdout[-2000:]}")
    return proc


def backfill_openmetrics(path: Path, data_dir: Path, *, max_block: str = "744h", timeout: float = 600) -> None:
    """Turn an OpenMetrics file into blocks in ``data_dir``.

    ``max_block`` (a hidden promtool flag; Go durations, so hours) widens blocks beyond the default
    2h: promtool re-parses the whole file once per block, so 32 days in 2h blocks take 10x longer.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", "--quiet"]
    cmd += [f"--max-block-duration={max_block}", str(path), str(data_dir)]
    _run(cmd, timeout)


def backfill_rules(
    rule_file: Path,
    out_dir: Path,
    url: str,
    start: float,
    end: float,
    *,
    eval_interval: str = "60s",
    max_block: str = "54h",
    timeout: float = 600,
) -> list[Path]:
    """Evaluate ``rule_file``'s recording rules over [start, end] against ``url``; blocks go to ``out_dir``.

    Groups keep their own ``interval``; ``eval_interval`` only applies to groups without one. Only
    rules over raw series give right answers: a rule reading another rule's output sees none.
    promtool runs one range query per rule and block, and Prometheus refuses more than 11,000
    points per series: ``max_block`` / interval must stay below that (54h at 30s is 6,480).

    promtool is given the file's bare name from its own directory: a group's evaluation instants are
    offset by a hash of its file name and group name, so a temporary directory's random path would move
    the evaluation grid from run to run.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = [binary("promtool"), "tsdb", "create-blocks-from", "rules", "--quiet"]
    cmd += [f"--url={url}", f"--start={int(start)}", f"--end={int(end)}", f"--eval-interval={eval_interval}"]
    cmd += [f"--max-block-duration={max_block}", f"--output-dir={out_dir.resolve()}", rule_file.name]
    _run(cmd, timeout, cwd=rule_file.resolve().parent)
    return blocks_in(out_dir)


def blocks_in(directory: Path) -> list[Path]:
    """Block directories (those with a ``meta.json``) in ``directory``."""
    return sorted(p for p in directory.iterdir() if (p / "meta.json").is_file())


def move_blocks(src: Path, data_dir: Path) -> int:
    """Move backfilled blocks into a (stopped) Prometheus' data dir; returns how many moved."""
    moved = 0
    for block in blocks_in(src):
        shutil.move(str(block), str(data_dir / block.name))
        moved += 1
    return moved


def only_records(rule_doc: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """A rule document keeping only the recording rules named ``names`` (groups and intervals kept)."""
    wanted = set(names)
    groups = []
    for group in rule_doc["groups"]:
        rules = [r for r in group["rules"] if r.get("record") in wanted]
        if rules:
            groups.append({**{k: v for k, v in group.items() if k != "rules"}, "rules": rules})
    return {"groups": groups}


def write_rules(rule_doc: Mapping[str, Any], path: Path) -> Path:
    """Write a rule document as YAML."""
    path.write_text(yaml.safe_dump(dict(rule_doc), sort_keys=False, width=1000), encoding="utf-8")
    return path


def check_rules(path: Path) -> str:
    """``promtool check rules``; raises with promtool's message when the file is rejected."""
    return _run([binary("promtool"), "check", "rules", str(path)], 120).stdout
