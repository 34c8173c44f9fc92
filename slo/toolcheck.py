"""Running promtool (and amtool) over generated output, with a short pass/fail summary."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = {
    "promtool": "install the Debian package 'prometheus' (apt-get install -y prometheus)",
    "amtool": "install the Debian package 'prometheus-alertmanager' (apt-get install -y prometheus-alertmanager)",
}


class ToolMissing(Exception):
    """A checker binary is not on PATH."""


@dataclass(frozen=True)
class Result:
    step: str
    target: str
    ok: bool
    output: str


def binary(name: str) -> str:
    """The path of ``name``, or a clear error saying how to install it."""
    path = shutil.which(name)
    if path is None:
        raise ToolMissing(f"{name} not found on PATH: {INSTALL_HINT.get(name, 'install it')}")
    return path


def run(step: str, argv: list[str], target: str, cwd: Path | None = None, timeout: int = 600) -> Result:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(step, target, False, f"timed out after {timeout}s")
    return Result(step, target, proc.returncode == 0, (proc.stdout + proc.stderr).strip())


def check_rules(out: Path) -> list[Result]:
    """``promtool check rules`` on every rule file and ``promtool test rules`` on every test file."""
    promtool = binary("promtool")
    results = []
    for path in sorted((out / "rules").glob("*.rules.yml")):
        results.append(run("promtool check rules", [promtool, "check", "rules", str(path)], str(path.relative_to(out))))
    for path in sorted((out / "rules" / "tests").glob("*.test.yml")):
        results.append(
            run(
                "promtool test rules",
                [promtool, "test", "rules", path.name],
                str(path.relative_to(out)),
                cwd=path.parent,
            )
        )
    return results
