"""Which promtool and amtool the toolkit would run, and their versions, for ``slo --version``.

Bug reports need both: generated rules are checked by whatever promtool is first on PATH, and
version-dependent output is only as right as the binaries it was tested with.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from importlib import metadata

from slo.tools.toolcheck import find_tool

_VERSION = re.compile(r"version\s+v?(\d+\.\d+\.\d+[^\s]*)")


@dataclass(frozen=True)
class ToolVersion:
    name: str
    path: str | None
    version: str | None

    def line(self) -> str:
        """``promtool 2.42.0+ds (/usr/bin/promtool)``, or why there is no version."""
        if self.path is None:
            return f"{self.name}: not found on PATH"
        return f"{self.name} {self.version or 'unknown version'} ({self.path})"


def toolkit_version() -> str:
    """The installed distribution's version (``0+unknown`` when run from a bare source tree)."""
    try:
        return metadata.version("slo-toolkit")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def tool_version(name: str, timeout: float = 10.0) -> ToolVersion:
    """Ask ``name --version``; a missing, hanging or unparseable binary is reported, not raised."""
    path = find_tool(name)
    if path is None:
        return ToolVersion(name, None, None)
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return ToolVersion(name, path, None)
    match = _VERSION.search(proc.stdout + proc.stderr)
    return ToolVersion(name, path, match.group(1) if match else None)


def version_text(tools: tuple[str, ...] = ("promtool", "amtool")) -> str:
    """The lines ``slo --version`` prints."""
    return "\n".join([f"slo-toolkit {toolkit_version()}", *(tool_version(t).line() for t in tools)])
