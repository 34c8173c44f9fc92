"""The report's plain-language summary: one line per status group, breached first, budgets in time or events.

Written for someone who reads "missed 99.9%: 65 min down against 43 min allowed" and not slices,
coverage or budget percentages. Pure functions of the computed report.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo.report.compute import STATUSES, Report, Row

HEADING = {
    "breached": "BREACHED",
    "insufficient-data": "NOT ENOUGH DATA",
    "no-data": "NO DATA",
    "at-risk": "AT RISK",
    "ok": "OK",
}


@dataclass(frozen=True)
class Line:
    """One status group: its status, a heading and the sentence about its SLOs."""

    status: str
    heading: str
    text: str


def objective_text(objective: float) -> str:
    return f"{objective * 100:.6g}%"


def duration_text(minutes: float) -> str:
    """Whole minutes under two hours, then hours, then days: what a reader compares at a glance."""
    minutes = max(0.0, minutes)
    if minutes < 1:
        return f"{minutes * 60:.0f} s"
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def events_text(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def _bad_word(row: Row) -> str:
    return {"latency": "slow", "uptime": "down"}.get(row.sli_kind, "failed")


def spent_text(row: Row) -> str:
    """``65 min down against 43 min allowed`` (slices) or ``1,234 failed requests against 720 allowed``."""
    bad, allowed = row.bad, row.allowed_bad
    if bad is None or allowed is None:
        return ""
    if row.sli_kind == "slice-mean":  # the mean of the slices' ratios: no slice is bad or good as a whole
        return (
            f"mean slice error ratio {(1 - (row.sli or 0)) * 100:.3g}% against {(1 - row.objective) * 100:.3g}% allowed"
        )
    if row.unit == "slices" and row.slice_seconds:
        size = row.slice_seconds / 60
        word = "down" if row.sli_kind == "uptime" else "in bad slices"
        return f"{duration_text(bad * size)} {word} against {duration_text(allowed * size)} allowed"
    if row.sli_kind == "raw-ratio":
        return f"{(1 - (row.sli or 0)) * 100:.3g}% errors against {(1 - row.objective) * 100:.3g}% allowed"
    return f"{events_text(bad)} {_bad_word(row)} events against {events_text(allowed)} allowed"


def _name(row: Row) -> str:
    if row.groups:  # a grouped SLO's figures are its worst group's: say which
        from slo.report.groups import label_text, worst

        return f"{row.service}/{row.slo} (worst: {label_text(worst(row.groups))})"
    return f"{row.service}/{row.slo}"


def _one(row: Row, report: Report) -> str:
    status, target = row.status, objective_text(row.objective)
    spent = spent_text(row)
    period = report.period
    if (
        spent
        and period.running
        and period.asked_end is not None
        and row.unit == "slices"
        and row.sli_kind != "slice-mean"
    ):
        whole = (1 - row.objective) * (period.asked_end - period.start).total_seconds() / 60
        unit = "month" if period.month else "week" if period.week else "period"
        spent += f" so far ({duration_text(whole)} in the whole {unit})"
    if status == "breached":
        return f"{_name(row)} missed {target}" + (f": {spent}" if spent else "")
    if status == "at-risk":
        left = row.error_budget_remaining or 0.0
        return f"{_name(row)} met {target} with {left * 100:.0f}% of its budget left" + (f" ({spent})" if spent else "")
    if status == "insufficient-data":
        coverage = (row.coverage or 0.0) * 100
        so_far = f"{(row.sli or 0.0) * 100:.3f}%"
        need = f"{row.min_coverage * 100:.0f}%"
        return f"{_name(row)} has data for {coverage:.0f}% of the period only (needs {need}): {so_far} where measured"
    return _name(row)


def lines(report: Report) -> list[Line]:
    """The summary, one line per status present, in the order breached, not enough data, no data, at risk, ok."""
    out: list[Line] = []
    for status in STATUSES:
        rows = [r for r in report.rows if r.status == status]
        if not rows:
            continue
        heading = f"{HEADING[status]} ({len(rows)})"
        names = ", ".join(_name(r) for r in rows)
        if status == "no-data":
            text = f"{names}: no data in the period (check the metric names and the server's retention)"
        elif status == "ok":
            text = names + (" met its objective" if len(rows) == 1 else " met their objectives")
        else:
            text = "; ".join(_one(r, report) for r in rows)
        out.append(Line(status, heading, text))
    return out


def scope(report: Report) -> str:
    """Which base the budgets use: the whole period, or the elapsed part of a running one."""
    period = report.period
    if period.running:
        hours = period.seconds / 3600
        elapsed = f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"
        return (
            f"{period.label}: up to {period.end.astimezone(period.zone):%Y-%m-%d %H:%M} ({elapsed} elapsed); "
            "budgets are of the elapsed part, nothing after now is counted"
        )
    return f"{period.label}: budgets are of the whole period"
