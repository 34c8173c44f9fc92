"""Report outputs: a rich terminal table, Markdown, CSV, JSON (DESIGN.md's shape) and a self-contained HTML page."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
from typing import Any

from slo.report.compute import Report, Row
from slo.report.summary import lines as summary_lines
from slo.report.summary import scope

FORMATS = ("table", "markdown", "csv", "json", "html")
STATUS_STYLE = {
    "ok": "green",
    "at-risk": "yellow",
    "breached": "bold red",
    "no-data": "magenta",
    "insufficient-data": "dark_orange",
}
STATUS_TEXT = {
    "ok": "ok",
    "at-risk": "at risk",
    "breached": "BREACHED",
    "no-data": "no data",
    "insufficient-data": "insufficient data",
}
STATUS_COLOUR = {
    "ok": "#1a7f37",
    "at-risk": "#9a6700",
    "breached": "#cf222e",
    "no-data": "#8250df",
    "insufficient-data": "#bc4c00",
}


# -- number formatting ------------------------------------------------------------------------------


def decimals_for(objective: float) -> int:
    """Enough decimals to tell the SLI from its objective (99.9 → 3, 99.99 → 4)."""
    budget = 1 - objective
    return max(2, min(6, math.ceil(-math.log10(budget * 100) - 1e-9) + 2)) if budget > 0 else 3


def pct(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def count(value: float | None) -> str:
    """Event and slice counts for people. increase() extrapolates to the window's edges, so counts
    can be fractional; from a thousand up the fraction is noise to a reader (JSON/CSV keep it)."""
    if value is None:
        return "—"
    whole = abs(value - round(value)) < 0.005 or abs(value) >= 1000
    return f"{value:,.0f}" if whole else f"{value:,.2f}"


def minutes(value: float | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 120:
        return f"{sign}{value / 60:.1f} h"
    return f"{sign}{value:.1f} min"


def number(value: float | None) -> float | int | None:
    """JSON numbers: integral values as integers, others unrounded."""
    if value is None or not math.isfinite(value):
        return None
    if value == int(value) and abs(value) < 2**53:
        return int(value)
    return value


def good_total_text(row: Row) -> str:
    if row.total is None:
        return "—"
    text = f"{count(row.good)} / {count(row.total)} {row.unit}"
    if row.expected is not None and row.expected != row.total:
        text += f" (of {count(row.expected)})"
    return text


def worst_text(row: Row) -> str:
    return f"{row.worst_day} ({pct(row.worst_day_sli, decimals_for(row.objective))})" if row.worst_day else "—"


def budget_text(row: Row) -> str:
    r = row.error_budget_remaining
    return "—" if r is None else f"{r * 100:.1f}% ({minutes(row.error_budget_remaining_minutes)})"


def previous_text(row: Row) -> tuple[str, str]:
    prev = row.previous
    if prev is None:
        return "—", "—"
    if prev.sli is None:
        return "no data", "—"
    now, before = row.error_budget_remaining, prev.error_budget_remaining
    delta = "—" if now is None or before is None else f"{(now - before) * 100:+.1f} pp"
    return pct(prev.sli, decimals_for(row.objective)), delta


def notes(row: Row) -> list[str]:
    """The row's notes, the reasons its answers were incomplete first."""
    return [f"INCOMPLETE: {reason}" for reason in row.incomplete] + list(row.notes) + comparison_notes(row)


def comparison_notes(row: Row) -> list[str]:
    """What ``--compare-previous`` cannot honestly compare: a previous period without (enough) data."""
    prev = row.previous
    if prev is not None and prev.sli is None:
        return ["the previous period has no data: no comparison"]
    if prev is not None and prev.status == "insufficient-data":
        return [f"the previous period has data for {pct(prev.coverage, 1)} of its time only: compare with care"]
    return []


def report_notes(report: Report) -> list[str]:
    """Notes about the whole report: which base the budgets use, the server's retention, its dialect."""
    return [scope(report), *report.notes]


def status_text(row: Row) -> str:
    """The status word, marked when the figures rest on incomplete answers (``--allow-partial``)."""
    return STATUS_TEXT[row.status] + (" (incomplete)" if row.incomplete else "")


def cells(row: Row, compare: bool) -> list[str]:
    d = decimals_for(row.objective)
    out = [
        row.service,
        row.slo,
        pct(row.objective, max(1, d - 2)),
        pct(row.sli, d),
        status_text(row),
        budget_text(row),
        good_total_text(row),
        worst_text(row),
        pct(row.coverage, 2),
    ]
    if compare:
        out.extend(previous_text(row))
    return out


def headers(compare: bool) -> list[str]:
    out = ["Service", "SLO", "Objective", "SLI", "Status", "Budget left", "Good / total", "Worst day", "Coverage"]
    if compare:
        out += ["Previous SLI", "Budget Δ"]
    return out


def report_title(report: Report) -> str:
    return f"SLO report {report.period.title}"


# -- formats ----------------------------------------------------------------------------------------


def to_table(report: Report, color: bool = False, width: int | None = None) -> str:
    from rich.console import Console
    from rich.table import Table

    compare = report.previous_period is not None
    table = Table(header_style="bold")
    for name in headers(compare):
        table.add_column(name, justify="right" if name not in ("Service", "SLO", "Status", "Worst day") else "left")
    for row in report.rows:
        values = cells(row, compare)
        style = STATUS_STYLE[row.status]
        values[4] = f"[{style}]{values[4]}[/]"
        if row.coverage is not None and row.coverage < 0.99:
            values[8] = f"[yellow]{values[8]}[/]"
        table.add_row(*values)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width or (shutil.get_terminal_size((120, 24)).columns if color else 200),
        color_system="standard" if color else None,
    )
    console.print(report_title(report), markup=False, highlight=False, style="bold")
    for line in summary_lines(report):
        console.print(f"[{STATUS_STYLE[line.status]}]{line.heading}[/]: ", end="", highlight=False)
        console.print(line.text, markup=False, highlight=False)
    console.print()
    console.print(table)
    for note in report_notes(report):
        console.print(f"note: {note}", markup=False, highlight=False)
    for note in [f"{r.service}/{r.slo}: {n}" for r in report.rows for n in notes(r)]:
        console.print(f"note: {note}", markup=False, highlight=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(report: Report) -> str:
    compare = report.previous_period is not None
    lines = [f"# {report_title(report)}", ""]
    lines += [f"- **{line.heading}**: {_md_escape(line.text)}" for line in summary_lines(report)] + [""]
    if compare and report.previous_period is not None:
        lines += [f"Compared with {report.previous_period.label}.", ""]
    head = headers(compare)
    lines.append("| " + " | ".join(head) + " |")
    lines.append(
        "|" + "|".join("---" if i < 2 or h in ("Status", "Worst day") else "---:" for i, h in enumerate(head)) + "|"
    )
    for row in report.rows:
        values = cells(row, compare)
        if row.status in ("breached", "no-data"):
            values[4] = f"**{values[4]}**"
        lines.append("| " + " | ".join(_md_escape(v) for v in values) + " |")
    listed = [f"- {n}" for n in report_notes(report)]
    listed += [f"- {r.service}/{r.slo}: {n}" for r in report.rows for n in notes(r)]
    if listed:
        lines += ["", "Notes:", "", *listed]
    lines += [
        "",
        f"_Generated by slo-toolkit at {report.generated}; coverage is the share of the period with data._",
        "",
    ]
    return "\n".join(lines)


CSV_COLUMNS = [
    "service",
    "slo",
    "sli_kind",
    "objective",
    "sli",
    "compliant",
    "status",
    "error_budget_remaining",
    "error_budget_remaining_minutes",
    "good",
    "total",
    "unit",
    "coverage",
    "worst_day",
    "worst_day_sli",
    "period_start",
    "period_end",
    "incomplete",
]


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(number(value))
    return value


def to_csv(report: Report) -> str:
    compare = report.previous_period is not None
    columns = CSV_COLUMNS + (["previous_sli", "previous_error_budget_remaining"] if compare else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in report.rows:
        record = slo_json(row)
        record["worst_day"] = row.worst_day
        record["worst_day_sli"] = row.worst_day_sli
        record["period_start"] = report.period.start.isoformat()
        record["period_end"] = report.period.end.isoformat()
        record["incomplete"] = "; ".join(row.incomplete) or None
        if compare:
            record["previous_sli"] = row.previous.sli if row.previous else None
            record["previous_error_budget_remaining"] = row.previous.error_budget_remaining if row.previous else None
        writer.writerow([_csv_value(record.get(c)) for c in columns])
    return buffer.getvalue()


def slo_json(row: Row) -> dict[str, Any]:
    """One SLO in DESIGN.md's shape (first ten keys), plus extras."""
    out: dict[str, Any] = {
        "service": row.service,
        "slo": row.slo,
        "objective": row.objective,
        "sli": row.sli,
        "error_budget_remaining": row.error_budget_remaining,
        "compliant": row.compliant,
        "good": number(row.good),
        "total": number(row.total),
        "unit": row.unit,
        "coverage": row.coverage,
        "status": row.status,
        "sli_kind": row.sli_kind,
        "error_budget_remaining_minutes": row.error_budget_remaining_minutes,
        "worst_day": {"date": row.worst_day, "sli": row.worst_day_sli} if row.worst_day else None,
    }
    if row.expected is not None:
        out["slices_in_period"] = number(row.expected)  # with data or not; "total" counts those with data
    if row.previous is not None:
        prev = row.previous
        out["previous"] = {
            "sli": prev.sli,
            "error_budget_remaining": prev.error_budget_remaining,
            "compliant": prev.compliant,
            "good": number(prev.good),
            "total": number(prev.total),
            "coverage": prev.coverage,
            "status": prev.status,
        }
        if prev.incomplete:
            out["previous"]["incomplete"] = list(prev.incomplete)
    if row.incomplete:
        out["incomplete"] = list(row.incomplete)
    if row.notes or comparison_notes(row):
        out["notes"] = list(row.notes) + comparison_notes(row)
    return out


def to_json(report: Report) -> str:
    doc: dict[str, Any] = {
        "period": {**report.period.as_json(), "timezone": report.period.timezone, "label": report.period.label},
        "slos": [slo_json(r) for r in report.rows],
    }
    if report.previous_period is not None:
        p = report.previous_period
        doc["previous_period"] = {**p.as_json(), "timezone": p.timezone, "label": p.label}
    doc["summary"] = [{"status": line.status, "text": f"{line.heading}: {line.text}"} for line in summary_lines(report)]
    doc["notes"] = report_notes(report)
    if report.server is not None:
        doc["server"] = report.server
    doc["generated_at"] = report.generated
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def render(report: Report, fmt: str, color: bool = False) -> str:
    if fmt == "table":
        return to_table(report, color=color)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "csv":
        return to_csv(report)
    if fmt == "json":
        return to_json(report)
    if fmt == "html":
        from slo.report.page import to_html

        return to_html(report)
    raise ValueError(f"unknown format {fmt!r}")
