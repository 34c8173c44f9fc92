"""One line per finding: what is wrong, how bad, and the fix; rendered as a table, Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SEVERITIES = ("error", "warning", "info")
FORMATS = ("table", "markdown", "json")


@dataclass(frozen=True)
class Finding:
    """A problem found on the live servers.

    ``error`` means alerts are wrong or blind, ``warning`` that they may misfire or a setting drifted,
    ``info`` is worth knowing and does not fail the command.
    """

    severity: str
    check: str
    subject: str
    message: str
    fix: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def fails(self) -> bool:
        """Whether this finding makes ``slo check`` exit 1."""
        return self.severity != "info"

    def line(self) -> str:
        fix = f" — fix: {self.fix}" if self.fix else ""
        return f"{self.severity.upper():7} {self.check:10} {self.subject}: {self.message}{fix}"

    def as_dict(self) -> dict[str, str]:
        return {
            "severity": self.severity,
            "check": self.check,
            "subject": self.subject,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass(frozen=True)
class CheckResult:
    """The findings of one run, and the figures behind them (per SLO) for JSON consumers."""

    findings: tuple[Finding, ...]
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    at: str = ""
    checked: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return any(f.fails for f in self.findings)


def ordered(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then infos; stable within a severity (the order checks ran)."""
    return tuple(sorted(findings, key=lambda f: SEVERITIES.index(f.severity)))


def _summary(result: CheckResult) -> str:
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in SEVERITIES}
    what = ", ".join(result.checked)
    if not result.findings:
        return f"OK: no findings ({what}; data as of {result.at})"
    parts = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    return f"{parts} ({what}; data as of {result.at})"


def to_table(result: CheckResult) -> str:
    lines = [f.line() for f in result.findings]
    lines.append(_summary(result))
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(result: CheckResult) -> str:
    out = ["# slo check", "", _summary(result), ""]
    if result.findings:
        out += ["| severity | check | subject | finding | fix |", "|---|---|---|---|---|"]
        out += [
            f"| {f.severity} | {f.check} | {_md(f.subject)} | {_md(f.message)} | {_md(f.fix)} |"
            for f in result.findings
        ]
        out.append("")
    return "\n".join(out)


def to_json(result: CheckResult) -> str:
    doc = {
        "at": result.at,
        "checked": list(result.checked),
        "ok": not result.failed,
        "findings": [f.as_dict() for f in result.findings],
        "slos": {key: dict(value) for key, value in result.facts.items()},
    }
    return json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"


def render(result: CheckResult, fmt: str) -> str:
    """The result in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "table":
        return to_table(result)
    if fmt == "markdown":
        return to_markdown(result)
    if fmt == "json":
        return to_json(result)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
