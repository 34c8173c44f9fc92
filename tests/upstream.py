"""The upstream spec files under tests/data/<corpus>/upstream (see each ORIGIN.md) and a promtool check
of what the toolkit generates from every one of them it accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from generators.bundle import artifacts
from slo.loaders import Definitions, load
from slo.model.errors import SpecError

DATA = Path(__file__).parent / "data"


def files(corpus: str) -> list[Path]:
    root = DATA / corpus / "upstream"
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml"))


def shown(path: Path, corpus: str) -> str:
    return str(path.relative_to(DATA / corpus / "upstream"))


def try_load(paths: list[Path]) -> Definitions | list[str]:
    """The definitions, or the problems as ``file:line: path: message`` strings (file relative to tests/data)."""
    try:
        return load(paths)
    except SpecError as exc:
        return [str(p).replace(str(DATA) + "/", "") for p in exc.problems]


def promtool_check(promtool: str, accepted: dict[str, Definitions], out: Path) -> None:
    """Generate every accepted file's rules into its own directory; one ``promtool check rules`` over all."""
    rule_files = []
    for i, (_name, defs) in enumerate(sorted(accepted.items())):
        target = out / str(i)
        for rel, text in artifacts(defs).items():
            if rel.startswith("rules/") and rel.endswith(".rules.yml") and "/tests/" not in rel:
                path = target / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                rule_files.append(path)
    assert rule_files
    done = subprocess.run(
        [promtool, "check", "rules", *map(str, rule_files)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(rule_files)
