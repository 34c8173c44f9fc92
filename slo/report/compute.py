"""Pure math from query results to one row per SLO: SLI, budget, good/total, worst day, coverage.

No I/O here: inputs are the decoded query results, outputs plain data. An SLO without data is
reported as "no data" — never as compliant — and an SLI is never above 1 nor NaN/Inf: NaN or
infinite samples in the source series leave the period without an SLI (the note says why) and
the affected hours out of coverage. An answer that contradicts the query (total events without
the bad-events part, which the query always yields) or that the server flagged with warnings
marks the row ``incomplete``; the CLI refuses to report such rows unless told to.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI, TimeSliceSLI
from slo.report.periods import ReportPeriod

AT_RISK = 0.25  # less than a quarter of the error budget left
MIN_COVERAGE = 0.9  # below this share of the period with data the SLI is shown but not judged
STATUSES = ("breached", "insufficient-data", "no-data", "at-risk", "ok")  # the summary's order
UNKNOWN = ("no-data", "insufficient-data")
TOLERANCE = 1e-12


@dataclass
class Row:
    """One SLO's figures for one period."""

    service: str
    slo: str
    sli_kind: str
    objective: float
    unit: str
    sli: float | None = None
    good: float | None = None
    total: float | None = None
    coverage: float | None = 0.0  # None: not measured
    expected: float | None = None  # slices in the period (with data or not); None for events
    slice_seconds: int | None = None
    min_coverage: float = MIN_COVERAGE
    worst_day: str | None = None
    worst_day_sli: float | None = None
    budget_minutes: float = 0.0
    burn_down: pd.Series | None = field(default=None, repr=False)
    daily: pd.Series | None = field(default=None, repr=False)  # SLI per local day, days with data only
    previous: Row | None = field(default=None, repr=False)
    notes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # why the server's answers may lack data
    groups: list[Row] | None = field(default=None, repr=False)  # a grouped SLO's rows, one per group
    group_labels: dict[str, str] | None = None  # the group a row is about (rows in ``groups``)

    @property
    def has_data(self) -> bool:
        return self.sli is not None

    @property
    def meets_objective(self) -> bool:
        return self.sli is not None and self.sli >= self.objective - TOLERANCE

    @property
    def compliant(self) -> bool | None:
        """True/False when the data can tell; None for ``no-data`` and ``insufficient-data``."""
        return None if self.status in UNKNOWN else self.meets_objective

    @property
    def bad(self) -> float | None:
        return None if self.total is None or self.good is None else max(0.0, self.total - self.good)

    @property
    def allowed_bad(self) -> float | None:
        """The bad events (or slices) the objective allows on the same base as the SLI."""
        return None if self.total is None else (1 - self.objective) * self.total

    @property
    def error_budget_remaining(self) -> float | None:
        if self.sli is None:
            return None
        return budget_remaining(self.sli, self.objective)

    @property
    def error_budget_remaining_minutes(self) -> float | None:
        remaining = self.error_budget_remaining
        return None if remaining is None else remaining * self.budget_minutes

    @property
    def status(self) -> str:
        """``no-data``, ``insufficient-data`` (coverage under ``min_coverage``), ``breached``,
        ``at-risk`` (under a quarter of the budget left) or ``ok``."""
        if self.sli is None:
            return "no-data"
        if self.coverage is not None and self.coverage < self.min_coverage - TOLERANCE:
            return "insufficient-data"
        if not self.meets_objective:
            return "breached"
        remaining = self.error_budget_remaining
        if remaining is not None and remaining < AT_RISK:
            return "at-risk"
        return "ok"


def budget_remaining(sli: float, objective: float) -> float:
    """1 − (1 − sli) / (1 − objective); negative once the budget is overspent."""
    value = 1 - (1 - sli) / (1 - objective)
    return 0.0 if abs(value) < TOLERANCE else value


def sli_kind(slo: SLO) -> str:
    sli = slo.sli
    if isinstance(sli, TimeSliceSLI) and sli.mean:
        return "slice-mean"
    if isinstance(sli, TimeSliceSLI):
        return "uptime" if isinstance(sli.inner, ProbeSLI) else "time-slice"
    if isinstance(sli, LatencySLI):
        return "latency"
    if isinstance(sli, RatioSLI):
        return "ratio"
    if isinstance(sli, RawRatioSLI):
        return "raw-ratio"
    return type(sli).__name__


def _row(service: Service, slo: SLO, period: ReportPeriod) -> Row:
    return Row(
        service=service.name,
        slo=slo.name,
        sli_kind=sli_kind(slo),
        objective=slo.objective,
        unit=slo.unit,
        budget_minutes=(1 - slo.objective) * period.minutes,
    )


def tagged_values(result: list[dict[str, Any]], label: str = "slo_part") -> dict[str, float]:
    """``{tag: value}`` from an instant result, NaN and ±Inf included."""
    return {item.get("metric", {}).get(label, ""): float(item["value"][1]) for item in result}


def tagged_vector(result: list[dict[str, Any]], label: str = "slo_part") -> dict[str, float]:
    """:func:`tagged_values` without NaN and ±Inf."""
    return {k: v for k, v in tagged_values(result, label).items() if np.isfinite(v)}


def _steps(result: list[dict[str, Any]], tag: str, label: str = "slo_part", finite: bool | None = None) -> set[int]:
    """Step times of the ``tag`` series in a range result: all, only finite, or only non-finite ones."""
    out: set[int] = set()
    for item in result:
        if item.get("metric", {}).get(label, "") != tag:
            continue
        for t, v in item["values"]:
            if finite is None or bool(np.isfinite(float(v))) == finite:
                out.add(int(float(t)))
    return out


def server_warnings(row: Row, *answers: list[dict[str, Any]] | None) -> None:
    """The servers' warnings on ``answers``: informational ones as notes, the rest make the row incomplete."""
    from slo.report.client import is_info

    seen: set[str] = set()
    for answer in answers:
        for warning in getattr(answer, "warnings", ()):
            if warning in seen:
                continue
            seen.add(warning)
            if is_info(warning):
                row.notes.append(f"server note: {warning}")
            else:
                row.incomplete.append(f"server warning: {warning}")


NONFINITE = "NaN or infinite samples in the source series"


def coverage_note(row: Row) -> None:
    """Say in words when part of the period had no data (every format shows the notes)."""
    if row.coverage is not None and 0 < row.coverage < 1 - TOLERANCE:
        tail = "; slices without data are left out of the SLI (they lower the coverage only)"
        tail = tail if row.unit == "slices" else ""
        row.notes.append(f"data cover {row.coverage * 100:.2f}% of the period{tail}")


def tagged_frame(result: list[dict[str, Any]], label: str = "slo_part") -> pd.DataFrame:
    """Range results as one column per tag, indexed by UTC step time (NaN/Inf dropped)."""
    columns: dict[str, pd.Series] = {}
    for item in result:
        name = item.get("metric", {}).get(label, "")
        pairs = item["values"]
        if not pairs:
            continue
        times = np.fromiter((int(float(t)) for t, _ in pairs), dtype=np.int64, count=len(pairs))
        numbers = np.fromiter((float(v) for _, v in pairs), dtype=float, count=len(pairs))
        keep = np.isfinite(numbers)
        series = pd.Series(numbers[keep], index=times[keep], dtype=float)
        columns[name] = series[~series.index.duplicated(keep="last")]
    frame = pd.DataFrame(columns) if columns else pd.DataFrame()
    return frame.sort_index()


@functools.lru_cache(maxsize=64)
def _days_of_steps(period: ReportPeriod, step: int) -> pd.Index:
    """Local calendar date (``YYYY-MM-DD``) of each aligned step of ``period``, by the step's start."""
    starts = _expected_steps(period, step) - step
    stamps = pd.to_datetime(starts, unit="s", utc=True).tz_convert(period.timezone)
    return pd.Index(stamps.strftime("%Y-%m-%d"))


def _expected_steps(period: ReportPeriod, step: int) -> np.ndarray:
    """The ends of the whole ``step``-long steps from the period start: where a range query evaluates."""
    start = int(period.start.timestamp())
    count = period.seconds // step
    return start + step * np.arange(1, count + 1, dtype=np.int64)


def _aligned_count(period: ReportPeriod, step: int) -> int:
    """How many multiples of ``step`` (since the epoch) lie in ``(start, end]``."""
    start, end = int(period.start.timestamp()), int(period.end.timestamp())
    return end // step - start // step


def _burn_down(
    period: ReportPeriod, ends: np.ndarray, spent: np.ndarray, budget: float, present: np.ndarray
) -> pd.Series | None:
    """Remaining budget fraction after each step from 1 at the period start, up to the last step with data."""
    if budget <= 0 or not present.any():
        return None
    last = int(np.flatnonzero(present)[-1]) + 1
    index = pd.to_datetime(np.concatenate([[int(period.start.timestamp())], ends[:last]]), unit="s", utc=True)
    values = np.concatenate([[1.0], 1 - np.cumsum(spent[:last]) / budget])
    return pd.Series(values, index=index, name="error_budget_remaining")


def events(
    service: Service,
    slo: SLO,
    period: ReportPeriod,
    totals: list[dict[str, Any]],
    hourly: list[dict[str, Any]] | None,
    step: int,
    coverage_step: int,
) -> Row:
    """Occurrences: SLI from ``increase`` over the whole period; days, chart and coverage from hours."""
    row = _row(service, slo, period)
    server_warnings(row, totals, hourly)
    values = tagged_values(totals)
    total, bad = values.get("total"), values.get("bad")
    if total is not None and bad is None:
        row.incomplete.append("the answer holds the period's total events but not its bad events")
    elif total is not None and bad is not None and not (np.isfinite(total) and np.isfinite(bad)):
        row.notes.append(f"insufficient data: {NONFINITE} make the period's event counts not a number; no SLI")
    elif total is not None and bad is not None and total > 0:
        bad = min(max(bad, 0.0), total)
        row.total, row.good = total, total - bad
        row.sli = min(1.0, row.good / total)
    elif total is not None:
        row.notes.append("no events in the period")
    if hourly is None:
        row.coverage = None
        return row
    if _steps(hourly, "total") - _steps(hourly, "bad"):
        row.incomplete.append("the hourly answer holds total events without bad events for some hours")
    broken = _steps(hourly, "total", finite=False) | _steps(hourly, "bad", finite=False)
    frame = tagged_frame(hourly)
    ends = _expected_steps(period, step)
    frame = frame.reindex(ends)
    covered = frame["covered"].fillna(0).to_numpy() if "covered" in frame else np.zeros(len(ends))
    if broken:
        covered = np.where(np.isin(ends, sorted(broken)), 0.0, covered)
        row.notes.append(f"{len(broken)} step(s) of {step // 60} min with {NONFINITE} are left out of coverage")
    row.coverage = float(min(1.0, covered.sum() / max(1, _aligned_count(period, coverage_step))))
    coverage_note(row)
    if row.sli is None:
        return row
    hour_total = frame["total"].fillna(0).clip(lower=0).to_numpy() if "total" in frame else np.zeros(len(ends))
    hour_bad = frame["bad"].fillna(0).to_numpy() if "bad" in frame else np.zeros(len(ends))
    hour_bad = np.clip(hour_bad, 0, hour_total)
    _worst_day(row, period, step, hour_total - hour_bad, hour_total)
    assert row.total is not None
    row.burn_down = _burn_down(period, ends, hour_bad, (1 - slo.objective) * row.total, covered > 0)
    return row


def _worst_day(row: Row, period: ReportPeriod, step: int, good: np.ndarray, total: np.ndarray) -> None:
    days = pd.DataFrame({"good": good, "total": total}, index=_days_of_steps(period, step))
    per_day = days.groupby(level=0).sum()
    per_day = per_day[per_day["total"] > 0]  # a day without data (or without events) has no SLI
    if per_day.empty:
        return
    ratios = (per_day["good"] / per_day["total"]).clip(upper=1.0)
    row.daily = ratios
    worst = ratios.idxmin()
    row.worst_day, row.worst_day_sli = str(worst), float(ratios[worst])


def _slice_row(
    service: Service, slo: SLO, period: ReportPeriod, answer: list[dict[str, Any]] | None
) -> tuple[Row, int, np.ndarray | None]:
    """A slice SLO's row, its slice length in seconds and the period's aligned slice ends (None, with a note on
    the row, when the period is shorter than one slice): what both slice readings start from."""
    row = _row(service, slo, period)
    server_warnings(row, answer)
    assert isinstance(slo.sli, TimeSliceSLI)
    size = slo.sli.slice.seconds
    row.slice_seconds = size
    ends = _expected_steps(period, size)
    if len(ends) == 0:
        row.notes.append(f"the period is shorter than one {slo.sli.slice} slice")
        return row, size, None
    return row, size, ends


def slices(service: Service, slo: SLO, period: ReportPeriod, verdicts: list[dict[str, Any]] | None) -> Row:
    """Time slices: good slices / slices with data; a slice without data is neither good nor bad.

    Slices without data lower the coverage only, so a month whose data begin on the 20th (or a
    server that keeps 15 days) is judged on the slices it has, and flagged by its coverage.
    """
    row, size, ends = _slice_row(service, slo, period, verdicts)
    if ends is None:
        return row
    frame = tagged_frame(verdicts or [])
    column = frame[frame.columns[0]] if len(frame.columns) else pd.Series(dtype=float)
    observed = column.reindex(ends)
    present = observed.notna().to_numpy()
    good = (observed == 0).to_numpy()
    bad = present & ~good
    row.expected = float(len(ends))
    row.coverage = float(present.sum() / len(ends))
    coverage_note(row)
    if not present.any():
        return row
    row.total = float(present.sum())
    row.good = float(good.sum())
    row.budget_minutes = (1 - slo.objective) * row.total * size / 60
    row.sli = min(1.0, row.good / row.total)
    period_seconds = period.seconds
    if period_seconds % size:
        row.notes.append(f"the last {period_seconds % size}s of the period are shorter than a slice and not counted")
    _worst_day(row, period, size, good.astype(float), present.astype(float))
    row.burn_down = _burn_down(period, ends, bad.astype(float), (1 - slo.objective) * row.total, present)
    return row


def slice_mean(service: Service, slo: SLO, period: ReportPeriod, answer: list[dict[str, Any]] | None) -> Row:
    """A slice mean: SLI = the mean of the good ratios of the period's aligned slices that have events.

    Every slice with events weighs the same, whatever its traffic. A slice whose series had data but no
    events has no ratio: it is left out of the mean and still counts as covered; a slice without data
    (or with NaN/infinite samples) lowers the coverage only. ``good`` is the sum of the slices' good
    ratios and ``total`` the slices with events, so ``good / total`` is the SLI.
    """
    row, size, ends = _slice_row(service, slo, period, answer)
    if ends is None:
        return row
    frame = tagged_frame(answer or []).reindex(ends)
    ratio = frame["error_ratio"] if "error_ratio" in frame else pd.Series(np.nan, index=ends)
    measured = ratio.notna().to_numpy()
    present = (frame["present"].notna().to_numpy() if "present" in frame else measured) | measured
    broken = _steps(answer or [], "error_ratio", finite=False)
    if broken:
        present = present & ~np.isin(ends, sorted(broken))
        row.notes.append(f"{len(broken)} slice(s) with {NONFINITE} are left out of the SLI and of coverage")
    row.expected = float(len(ends))
    row.coverage = float(present.sum() / len(ends))
    coverage_note(row)
    if not measured.any():
        if present.any():
            row.notes.append("no events in the period")
        return row
    idle = int((present & ~measured).sum())
    if idle:
        row.notes.append(
            f"{idle} slice(s) with data but no ratio (no events, or one sample) are left out of the mean (covered)"
        )
    bad = ratio.fillna(0).clip(0, 1).to_numpy() * measured
    row.total = float(measured.sum())
    row.good = float(row.total - bad.sum())
    row.budget_minutes = (1 - slo.objective) * row.total * size / 60
    row.sli = min(1.0, max(0.0, row.good / row.total))
    if period.seconds % size:
        row.notes.append(f"the last {period.seconds % size}s of the period are shorter than a slice and not counted")
    _worst_day(row, period, size, (1 - bad) * measured, measured.astype(float))
    row.burn_down = _burn_down(period, ends, bad, (1 - slo.objective) * row.total, measured)
    return row


def raw(
    service: Service,
    slo: SLO,
    period: ReportPeriod,
    totals: list[dict[str, Any]],
    hourly: list[dict[str, Any]] | None,
    step: int,
) -> Row:
    """An opaque error ratio: the SLI is 1 − ratio over the period; hours are time-weighted."""
    row = _row(service, slo, period)
    server_warnings(row, totals, hourly)
    row.notes.append("opaque error-ratio SLI: no event counts; days are averaged over hours")
    value = tagged_values(totals).get("error_ratio")
    if value is not None and not np.isfinite(value):
        row.notes.append(f"insufficient data: {NONFINITE} make the period's error ratio not a number; no SLI")
    elif value is not None:
        row.sli = float(min(1.0, max(0.0, 1 - value)))
    if hourly is None:
        row.coverage = None
        return row
    ends = _expected_steps(period, step)
    frame = tagged_frame(hourly).reindex(ends)
    ratio = frame["error_ratio"] if "error_ratio" in frame else pd.Series(np.nan, index=ends)
    present = ratio.notna().to_numpy()
    row.coverage = float(present.mean()) if len(ends) else 0.0
    coverage_note(row)
    if row.sli is None:
        return row
    bad = ratio.fillna(0).clip(0, 1).to_numpy()
    _worst_day(row, period, step, (1 - bad) * present, present.astype(float))
    row.burn_down = _burn_down(period, ends, bad * step, (1 - slo.objective) * period.seconds, present)
    return row


def generated_at() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass
class Report:
    """Everything a renderer needs: the period, the rows, and (with --compare-previous) the period before."""

    period: ReportPeriod
    rows: list[Row]
    previous_period: ReportPeriod | None = None
    source: str = ""
    generated: str = field(default_factory=generated_at)
    notes: list[str] = field(default_factory=list)  # about the whole report (server retention, dialect)
    server: dict[str, Any] | None = None  # what the server said it is (kind, version, retention)

    def statuses(self) -> set[str]:
        return {row.status for row in self.rows}
