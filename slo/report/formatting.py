"""Texts and cells every report format shares: percentages, counts, budgets, statuses, the title.

The terminal/Markdown/CSV/JSON renderers (:mod:`slo.report.render`) and the HTML page
(:mod:`slo.report.page`) both build on these, so a figure reads the same in every format.
"""

from __future__ import annotations

import math

from slo.report.compute import Report, Row
from slo.report.summary import scope

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
