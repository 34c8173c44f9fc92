"""Report periods: a calendar month, an ISO week (or an explicit start/end) in a time zone, as an aligned UTC span.

A Berlin month starts at local midnight on the 1st, so its UTC bounds move with daylight saving
time and its length is not always a whole number of days (March: 743 hours). Everything downstream
works on the UTC instants and the length in seconds; the time zone is kept for labelling days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slo.model.durations import Duration
from slo.model.errors import SpecError

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


@dataclass(frozen=True)
class ReportPeriod:
    """``[start, end)`` in UTC; ``label`` names it for people (``2026-10`` or the two dates)."""

    start: datetime
    end: datetime
    timezone: str
    label: str
    month: tuple[int, int] | None = None
    asked_end: datetime | None = None  # the end asked for, when the period is still running and ends at now
    week: tuple[int, int] | None = None  # ISO (year, week) of a calendar-week period

    @property
    def running(self) -> bool:
        """Whether the period was cut at now (month-to-date): budgets are of the elapsed part only."""
        return self.asked_end is not None and self.asked_end > self.end

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("period bounds must be time-zone aware")
        if self.end <= self.start:
            raise SpecError(f"the report period must end after it starts ({self.start} .. {self.end})")

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def duration(self) -> Duration:
        return Duration(self.seconds)

    @property
    def minutes(self) -> float:
        return self.seconds / 60

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, instant: datetime) -> date:
        """The calendar day, in the report's time zone, that ``instant`` falls on."""
        return instant.astimezone(self.zone).date()

    def previous(self) -> ReportPeriod:
        """The month (week) before a month (week), else the span of equal length just before this one."""
        if self.week is not None:
            monday = date.fromisocalendar(*self.week, 1) - timedelta(days=7)
            return week_period(iso_week(monday), self.timezone)
        if self.month is not None:
            year, month = self.month
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            return month_period(f"{year:04d}-{month:02d}", self.timezone)
        length = self.end - self.start
        start = self.start - length
        zone = self.zone
        label = f"{start.astimezone(zone):%Y-%m-%d %H:%M} .. {self.start.astimezone(zone):%Y-%m-%d %H:%M}"
        return ReportPeriod(start, self.start, self.timezone, label)

    def as_json(self) -> dict[str, str | bool]:
        out: dict[str, str | bool] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.running and self.asked_end is not None:
            out["running"] = True
            out["full_end"] = self.asked_end.isoformat()
        return out

    @property
    def title(self) -> str:
        """The label with the local bounds once (``2025-03 (Europe/Berlin)``, ``2026-12 to date …``)."""
        if not self.running:
            return f"{self.label} ({self.timezone})"
        if self.month is not None or self.week is not None:
            return f"{self.label} ({self.timezone}, up to {self.end.astimezone(self.zone):%Y-%m-%d %H:%M})"
        return f"{self.start.astimezone(self.zone):%Y-%m-%d %H:%M} .. now ({self.timezone})"


RUNNING_ALIGN = 300  # a running period ends at the last whole 5 minutes before now


def until_now(period: ReportPeriod, now: datetime | None = None) -> ReportPeriod:
    """``period`` cut at now when it has not ended yet: nothing in the future is counted.

    The end is the last whole five minutes (one minute at first) after the start, so slices and
    steps stay aligned; a period that has not begun, or began less than a minute ago, is an error.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if moment >= period.end:
        return period
    elapsed = int((moment - period.start).total_seconds())
    if elapsed < 60:
        when = "starts" if elapsed < 0 else "started less than a minute ago"
        raise SpecError(f"the report period {period.label} {when} ({period.start.isoformat()}): nothing to report yet")
    align = RUNNING_ALIGN if elapsed >= RUNNING_ALIGN else 60
    end = period.start + timedelta(seconds=elapsed - elapsed % align)
    if period.month is not None:
        label = f"{period.label} month-to-date"
    elif period.week is not None:
        label = f"{period.label} week-to-date"
    else:
        label = f"{period.label} (to date)"
    return ReportPeriod(period.start, end, period.timezone, label, period.month, period.end, period.week)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise SpecError(f"--timezone: unknown time zone {name!r} (use an IANA name such as Europe/Berlin)") from None


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    # zoneinfo resolves a non-existent or ambiguous local time with fold=0; midnight is rarely either.
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def month_period(text: str, timezone: str = "UTC") -> ReportPeriod:
    """``YYYY-MM`` in ``timezone``: local midnight on the 1st to local midnight on the next 1st."""
    m = MONTH.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1970:
        raise SpecError(f"--month: expected YYYY-MM (e.g. 2026-10), got {text!r}")
    year, month = int(m.group(1)), int(m.group(2))
    tz = zone(timezone)
    first = date(year, month, 1)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return ReportPeriod(
        _local_midnight(first, tz), _local_midnight(following, tz), timezone, text.strip(), (year, month)
    )


def iso_week(day: date) -> str:
    """``YYYY-Www``, the ISO week ``day`` falls in (its year is the ISO year: 2024-12-30 is 2025-W01)."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def week_period(text: str, timezone: str = "UTC") -> ReportPeriod:
    """``YYYY-Www`` (ISO 8601 week, e.g. 2026-W49) in ``timezone``: local midnight on its Monday to the next
    Monday's, 167 to 169 hours when daylight saving time changes inside it."""
    m = WEEK.match(text.strip()) if isinstance(text, str) else None
    year, week = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    try:
        monday = date.fromisocalendar(year, week, 1) if m and year >= 1970 else None
    except ValueError:
        monday = None
    if monday is None:
        raise SpecError(f"--week: expected an ISO week YYYY-Www (e.g. 2026-W49, weeks 01 to 52 or 53), got {text!r}")
    tz = zone(timezone)
    return ReportPeriod(
        _local_midnight(monday, tz),
        _local_midnight(monday + timedelta(days=7), tz),
        timezone,
        iso_week(monday),
        week=(year, week),
    )


def last_complete_week(timezone: str = "UTC", now: datetime | None = None) -> ReportPeriod:
    """The ISO week before the current one, in ``timezone``."""
    local = (now or datetime.now(UTC)).astimezone(zone(timezone)).date()
    return week_period(iso_week(local - timedelta(days=7)), timezone)


def last_complete_month(timezone: str = "UTC", now: datetime | None = None) -> ReportPeriod:
    """The calendar month before the current one, in ``timezone``."""
    tz = zone(timezone)
    local = (now or datetime.now(UTC)).astimezone(tz)
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return month_period(f"{year:04d}-{month:02d}", timezone)


def parse_instant(text: str, timezone: str, what: str) -> datetime:
    """ISO 8601 date or date-time; without an offset it is read in ``timezone``; whole seconds only."""
    tz = zone(timezone)
    raw = text.strip()
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise SpecError(
            f"{what}: expected an ISO 8601 date or time such as 2026-10-01 or 2026-10-01T12:00:00Z, got {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    if value.microsecond:
        raise SpecError(f"{what}: use whole seconds, got {text!r}")
    return value.astimezone(UTC)


def span_period(start: str, end: str, timezone: str = "UTC") -> ReportPeriod:
    """An explicit ``--start``/``--end`` span (end exclusive); whole minutes so slices can align."""
    s = parse_instant(start, timezone, "--start")
    e = parse_instant(end, timezone, "--end")
    if e <= s:
        raise SpecError(f"--end ({end}) must be after --start ({start})")
    if (e - s).total_seconds() % 60:
        raise SpecError("--start and --end must be a whole number of minutes apart")
    tz = zone(timezone)
    label = f"{s.astimezone(tz):%Y-%m-%d %H:%M} .. {e.astimezone(tz):%Y-%m-%d %H:%M}"
    return ReportPeriod(s, e, timezone, label)


def resolve(
    month: str | None,
    start: str | None,
    end: str | None,
    timezone: str,
    now: datetime | None = None,
    *,
    week: str | None = None,
    weekly: bool = False,
) -> ReportPeriod:
    """The command line's choice: ``--month``, ``--week``, or ``--start`` with ``--end``; else the last
    complete week when ``weekly`` (every SLO has a calendar-week period), the last complete month otherwise."""
    chosen = [flag for flag, given in (("--month", month), ("--week", week), ("--start/--end", start or end)) if given]
    if len(chosen) > 1:
        raise SpecError(f"give one of --month, --week or --start/--end, not {' and '.join(chosen)}")
    if (start is None) != (end is None):
        raise SpecError("--start and --end go together")
    if month:
        return until_now(month_period(month, timezone), now)
    if week:
        return until_now(week_period(week, timezone), now)
    if start is not None and end is not None:
        return until_now(span_period(start, end, timezone), now)
    return last_complete_week(timezone, now) if weekly else last_complete_month(timezone, now)


def step_for(period: ReportPeriod, preferred: int = 3600) -> int:
    """The largest of 1h/30m/15m/5m/1m (at most ``preferred``) that divides the period."""
    for step in (3600, 1800, 900, 300, 60):
        if step <= preferred and period.seconds % step == 0:
            return step
    return 60


def instants(start: datetime, count: int, step: int) -> list[datetime]:
    """``start + step``, ``start + 2·step`` … (``count`` of them): the ends of aligned steps."""
    return [start + timedelta(seconds=step * (i + 1)) for i in range(count)]
