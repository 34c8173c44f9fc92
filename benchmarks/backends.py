"""What the backend matrix costs: build time per current backend, and test time per column.

    python benchmarks/backends.py                      # build figures from the cache's BUILD.json files
    python benchmarks/backends.py --suite tests/test_rules.py tests/test_report_prometheus.py

With ``--suite`` the given test files run once per column (``SLO_BACKENDS=debian``, then ``current``) and the
wall time of each run is printed; the figures go into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "build-backends.py"


def build_figures() -> list[tuple[str, float, str]]:
    """(backend directory, build seconds, Go version) for each built backend."""
    path = subprocess.run([sys.executable, str(SCRIPT), "--print-path"], capture_output=True, text=True, check=True)
    rows = []
    for bin_dir in path.stdout.strip().split(os.pathsep):
        stamp = Path(bin_dir).parent / "BUILD.json"
        if stamp.is_file():
            doc = json.loads(stamp.read_text())
            rows.append((Path(bin_dir).parent.name, float(doc["build_seconds"]), doc["go"]))
        else:
            rows.append((Path(bin_dir).parent.name, float("nan"), "not built"))
    return rows


def suite_seconds(files: list[str], column: str) -> tuple[float, int]:
    """Wall seconds and pytest's exit code for ``files`` on one column."""
    env = {**os.environ, "SLO_BACKENDS": column}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files], cwd=ROOT, env=env, check=False
    )
    return time.monotonic() - started, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", nargs="+", metavar="TEST_FILE", help="time these test files on each column")
    args = parser.parse_args()
    print("| backend | build seconds | Go |\n|---|---:|---|")
    for name, seconds, go in build_figures():
        print(f"| {name} | {seconds:.0f} | {go} |")
    if args.suite:
        print("\n| column | seconds | pytest exit |\n|---|---:|---:|")
        for column in ("debian", "current"):
            seconds, code = suite_seconds(args.suite, column)
            print(f"| {column} | {seconds:.0f} | {code} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
