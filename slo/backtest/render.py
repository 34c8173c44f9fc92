"""Backtest results as a text table, Markdown (for a pull-request comment) or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slo.backtest.diff import Change, SloSummary
from slo.backtest.replay import FiredAlert

FORMATS = ("table", "markdown", "json")


@dataclass(frozen=True)
class Result:
    """One backtest, optionally with the version it was compared against."""

    start: int
    end: int
    alerts: Sequence[FiredAlert]
    slos: int
    against: Sequence[FiredAlert] | None = None
    changes: Sequence[Change] = ()
    summary: Sequence[SloSummary] = ()
    notes: Sequence[str] = field(default_factory=tuple)


def iso(t: int | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def _short(t: int | None) -> str:
    return "ongoing" if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


def _span(a: FiredAlert, end: int) -> str:
    seconds = (a.end if a.end is not None else end) - a.start
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def alert_json(a: FiredAlert) -> dict[str, Any]:
    return {
        "service": a.service,
        "slo": a.slo,
        "alertname": a.alertname,
        "tier": a.tier or None,
        "severity": a.severity or None,
        "start": iso(a.start),
        "end": iso(a.end),
        "ongoing": a.end is None,
        "peak_burn_rate": a.peak_burn_rate,
        "budget_spent": a.budget_spent,
        "labels": dict(sorted(a.labels.items())),
        **({"group": dict(a.group)} if a.group else {}),
    }


def to_json(result: Result) -> str:
    doc: dict[str, Any] = {
        "window": {"start": iso(result.start), "end": iso(result.end)},
        "alerts": [alert_json(a) for a in result.alerts],
    }
    if result.against is not None:
        doc["against"] = {"alerts": [alert_json(a) for a in result.against]}
        doc["changes"] = [
            {"change": c.kind, **alert_json(c.alert), "base": alert_json(c.base) if c.base else None}
            for c in result.changes
            if c.kind != "same"
        ]
        doc["summary"] = [
            {
                "service": s.service,
                "slo": s.slo,
                "change": s.what,
                "pages": {"base": s.pages[0], "head": s.pages[1]},
                "tickets": {"base": s.tickets[0], "head": s.tickets[1]},
            }
            for s in result.summary
        ]
    return json.dumps(doc, indent=2) + "\n"


def _rows(alerts: Sequence[FiredAlert], end: int, marks: dict[int, str] | None = None) -> list[list[str]]:
    rows = []
    for a in alerts:
        row = [
            f"{a.service}/{a.slo}",
            a.alertname,
            a.tier or "-",
            a.severity or "-",
            _short(a.start),
            _short(a.end),
            _span(a, end),
            _num(a.peak_burn_rate, ".1f"),
            "-" if a.budget_spent is None else f"{a.budget_spent * 100:.1f}%",
        ]
        if marks is not None:
            row.insert(0, marks.get(id(a), ""))
        rows.append(row)
    return rows


HEAD = ["slo", "alert", "tier", "severity", "start (UTC)", "end", "firing", "peak burn", "budget spent"]


def _summary_lines(result: Result) -> list[str]:
    lines = []
    for s in result.summary:
        dp, dt = s.pages[1] - s.pages[0], s.tickets[1] - s.tickets[0]
        lines.append(
            f"{s.service}/{s.slo} ({s.what}): pages {s.pages[0]} → {s.pages[1]} ({dp:+d}), "
            f"tickets {s.tickets[0]} → {s.tickets[1]} ({dt:+d})"
        )
    return lines


def _changed(result: Result) -> tuple[list[FiredAlert], dict[int, str]]:
    shown: list[FiredAlert] = []
    marks: dict[int, str] = {}
    for c in result.changes:
        if c.kind == "same":
            continue
        a = c.alert
        shown.append(a)
        marks[id(a)] = {"added": "+", "removed": "-", "changed": "~"}[c.kind]
    return shown, marks


def to_table(result: Result) -> str:
    out = [f"backtest {iso(result.start)} .. {iso(result.end)}: {len(result.alerts)} alert(s), {result.slos} SLO(s)"]
    out += list(result.notes)
    rows = _rows(result.alerts, result.end)
    if rows:
        out.append(_grid(HEAD, rows))
    if result.against is not None:
        out.append(f"against the other version: {len(result.against)} alert(s)")
        out += _summary_lines(result)
        shown, marks = _changed(result)
        if shown:
            out.append(_grid(["", *HEAD], _rows(shown, result.end, marks)))
        else:
            out.append("no difference in the alerts")
    return "\n".join(out) + "\n"


def _grid(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [head, *rows]]
    return "\n".join(lines)


def _md_table(head: list[str], rows: list[list[str]]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(result: Result) -> str:
    out = [f"### SLO backtest {_short(result.start)} → {_short(result.end)} UTC", ""]
    out += [f"> {n}" for n in result.notes]
    if result.against is not None:
        out += [f"- {line}" for line in _summary_lines(result)] or ["- no SLO's rules changed"]
        out.append("")
        shown, marks = _changed(result)
        if shown:
            out.append("Alerts that differ (`+` only with this change, `-` only before it, `~` other times):")
            out.append("")
            out.append(_md_table(["", *HEAD], _rows(shown, result.end, marks)))
        else:
            out.append("The change fires exactly the same alerts.")
        out.append("")
        out.append(f"<details><summary>All {len(result.alerts)} alert(s) with this change</summary>")
        out.append("")
    if result.alerts:
        out.append(_md_table(HEAD, _rows(result.alerts, result.end)))
    else:
        out.append("No alert would have fired.")
    if result.against is not None:
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


def render(result: Result, fmt: str) -> str:
    if fmt == "json":
        return to_json(result)
    if fmt == "markdown":
        return to_markdown(result)
    return to_table(result)
