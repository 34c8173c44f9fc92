"""``slo backfill --out DIR``: blocks land in DIR only when a run is complete, and a rerun is safe.

A run writes its blocks into ``DIR/.staging-<pid>``; only when every level succeeded are the
blocks of the previous run (listed in ``DIR/slo-backfill.json``) removed and the new ones moved in,
then the manifest is replaced atomically. An interrupted run leaves DIR as it was (its staging
directory is removed by the next run). A DIR written from a *different* version of the rules is
refused: its blocks may already be in Prometheus, and mixing two versions' values would corrupt
the windows.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from slo.local.tsdb import blocks_in
from slo.model.errors import Problem, SpecError
from slo.project.output import write_atomic

MANIFEST = "slo-backfill.json"


def rules_digest(docs: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """A digest of the recording rules (names, expressions, labels, intervals) that made the blocks."""
    text = json.dumps([[o, d] for o, d in docs], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Previous:
    digest: str
    blocks: tuple[str, ...]
    written: str


def previous(out: Path) -> Previous | None:
    """The manifest of the last complete run in ``out``, if any."""
    path = out / MANIFEST
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Previous(str(doc["rules_digest"]), tuple(doc["blocks"]), str(doc.get("written", "?")))
    except (ValueError, KeyError, TypeError):
        raise SpecError(
            Problem(str(path), None, "", "not a slo backfill manifest (remove it or use another --out)")
        ) from None


def check(out: Path, digest: str, replace_other: bool) -> None:
    """Refuse a DIR holding blocks of other rules, or blocks this tool did not write."""
    if out.exists() and not out.is_dir():
        raise SpecError(Problem(str(out), None, "", "--out must be a directory"))
    prev = previous(out) if out.is_dir() else None
    ours = set(prev.blocks) if prev else set()
    foreign = [b.name for b in blocks_in(out)] if out.is_dir() else []
    foreign = [b for b in foreign if b not in ours]
    if foreign:
        raise SpecError(
            Problem(
                str(out),
                None,
                "",
                f"holds {len(foreign)} block(s) not written by slo backfill ({foreign[0]}…): use an empty directory",
            )
        )
    if prev and prev.digest != digest and not replace_other:
        raise SpecError(
            Problem(
                str(out),
                None,
                "",
                f"holds blocks from a different version of the rules (rules digest {prev.digest}, written "
                f"{prev.written}; now {digest}). If those blocks are already in Prometheus, remove them there "
                "first; then rerun with --replace, or use another --out",
            )
        )


def staging(out: Path) -> Path:
    """A fresh staging directory inside ``out``; stale ones of dead runs are removed."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(".staging-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = out / f".staging-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()


def commit(out: Path, stage: Path, digest: str, start: int, end: int) -> list[Path]:
    """Swap the staged blocks in for the previous run's and write the manifest; returns the blocks."""
    prev = previous(out)
    for name in prev.blocks if prev else ():
        shutil.rmtree(out / name, ignore_errors=True)
    new = []
    for block in blocks_in(stage):
        target = out / block.name
        os.replace(block, target)
        new.append(target)
    shutil.rmtree(stage, ignore_errors=True)
    doc = {
        "rules_digest": digest,
        "start": _iso(start),
        "end": _iso(end),
        "written": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "blocks": [b.name for b in new],
    }
    write_atomic(out / MANIFEST, json.dumps(doc, indent=2) + "\n")
    return new


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")
