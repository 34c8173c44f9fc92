"""Small set-ups several test modules share: generated files on disk, amtool's routing verdict."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from generators import alertmanager as am
from generators.bundle import artifacts
from slo.loaders import Definitions


def write_files(out: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``out`` (directories made); returns ``out``."""
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return out


def write_artifacts(out: Path, defs: Definitions, base: am.BaseConfig | None = None) -> Path:
    """Everything ``slo generate`` writes for ``defs`` (merged into ``base``), under ``out``."""
    return write_files(out, artifacts(defs, base))


def amtool_routes(amtool: str, config: Path, labels: Mapping[str, str]) -> str:
    """What Alertmanager's own routing code makes of ``labels``, via amtool, without --verify."""
    args = [f'{k}="{v}"' for k, v in labels.items()]
    done = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config}", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip()
