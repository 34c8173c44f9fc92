"""Grouped SLOs in the report: one row per value of the SLO's ``group_by`` labels.

The queries of a grouped SLO (:mod:`slo.promql`, ``sum by (route)``) answer one series per group;
each group's answers are computed as an SLO of their own (:mod:`slo.report.compute`), and the SLO's
row is its worst group: an SLO of one budget per route holds only while every route holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from slo.model.service import SLO
from slo.report.client import Answer
from slo.report.compute import STATUSES, Row

GroupKey = tuple[tuple[str, str], ...]


def group_key(item: Mapping[str, Any], by: tuple[str, ...]) -> GroupKey:
    """The group an answer's series belongs to (a missing label is the empty value, as in PromQL)."""
    metric = item.get("metric", {})
    return tuple((label, str(metric.get(label, ""))) for label in by)


def split(answer: list[dict[str, Any]] | None, by: tuple[str, ...]) -> dict[GroupKey, Answer]:
    """An answer's series per group; each part keeps the server's warnings."""
    warnings = list(getattr(answer, "warnings", ()))
    out: dict[GroupKey, Answer] = {}
    for item in answer or []:
        out.setdefault(group_key(item, by), Answer(warnings=warnings)).append(item)
    return out


def _severity(row: Row) -> tuple[int, float]:
    """Sort key: the worst status first, then the least budget left."""
    remaining = row.error_budget_remaining
    return (STATUSES.index(row.status), remaining if remaining is not None else float("inf"))


def worst(rows: list[Row]) -> Row:
    """The group closest to breaking (or past it): its status is the SLO's."""
    return min(rows, key=_severity)


def grouped_row(
    slo: SLO,
    answers: Mapping[str, list[dict[str, Any]] | None],
    compute_one: Callable[[Mapping[str, list[dict[str, Any]] | None]], Row],
) -> Row:
    """The SLO's row for a grouped SLO: its worst group's figures, with every group in ``groups``.

    ``answers`` are the SLO's query results by name; ``compute_one`` turns one group's (or, without
    any series at all, the empty) answers into a row.
    """
    parts = {name: split(answer, slo.group_by) for name, answer in answers.items()}
    keys = sorted({key for part in parts.values() for key in part})
    if not keys:
        row = compute_one({name: Answer(warnings=list(getattr(a, "warnings", ()))) for name, a in answers.items()})
        row.groups = []
        return row
    rows = []
    for key in keys:
        group = compute_one({name: part.get(key, Answer()) for name, part in parts.items()})
        group.group_labels = dict(key)
        rows.append(group)
    headline = worst(rows)
    row = _copy(headline)
    row.group_labels = None
    row.groups = sorted(rows, key=lambda r: tuple(sorted((r.group_labels or {}).items())))
    row.notes = [
        f"grouped by {', '.join(slo.group_by)}: {len(rows)} group(s); figures of the worst, {_label_text(headline)}"
    ]
    row.notes += headline.notes
    return row


def _label_text(row: Row) -> str:
    return ", ".join(f"{k}={v}" for k, v in (row.group_labels or {}).items())


def label_text(row: Row) -> str:
    """``route=/search`` for a group's row."""
    return _label_text(row)


def _copy(row: Row) -> Row:
    import copy

    return copy.copy(row)


def shown(row: Row) -> Row:
    """A group's row as listed under its SLO in tables: the SLO column names the group."""
    out = _copy(row)
    labels = ",".join(f"{k}={json.dumps(v)}" for k, v in (row.group_labels or {}).items())
    out.slo = f"{row.slo}{{{labels}}}"  # as PromQL writes a series: availability{route="/search"}
    return out


def table_rows(rows: list[Row]) -> list[Row]:
    """The report's rows for tables (terminal, Markdown, CSV, HTML): each grouped SLO followed by its groups."""
    out: list[Row] = []
    for row in rows:
        out.append(row)
        out += [shown(g) for g in row.groups or []]
    return out


def groups_json(row: Row, one: Callable[[Row], dict[str, Any]]) -> dict[str, Any]:
    """``groups`` (one entry per group: ``labels`` and the SLO's figures) and ``worst_group`` for JSON."""
    if row.groups is None:
        return {}
    listed = []
    for group in row.groups:
        entry = {"labels": dict(group.group_labels or {})}
        entry.update({k: v for k, v in one(group).items() if k not in ("service", "slo", "objective", "unit")})
        listed.append(entry)
    headline = worst(row.groups) if row.groups else None
    return {"worst_group": dict(headline.group_labels or {}) if headline else None, "groups": listed}
