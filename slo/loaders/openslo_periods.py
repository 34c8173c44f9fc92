"""OpenSLO ``timeWindow`` → the model's period: rolling days/weeks, or a calendar month or week.

A calendar window's ``startTime`` is checked against the anchor the model uses (the 1st, or a
Monday, at midnight); any other anchor would shift every period, so it is refused.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.yamlsrc import Document, join
from slo.model.durations import Duration
from slo.model.periods import CalendarMonth, CalendarWeek, Period, Rolling

DEFAULT_PERIOD = "30d"
_CALENDAR_UNITS = re.compile(r"^\d+[MQY]$")


def _start_time(doc: Document, path: str, value: Any, week: bool = False) -> None:
    """Calendar months start on the 1st at midnight, weeks on a Monday at midnight; any other anchor
    would shift every period."""
    if isinstance(value, datetime):
        start = value
    elif isinstance(value, date):
        start = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            start = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _fail(doc, path, f"{value!r} is not a date and time such as 2024-01-01 00:00:00") from None
    else:
        raise _fail(doc, path, f"must be a date and time such as 2024-01-01 00:00:00, got {value!r}")
    if week:
        if start.weekday() != 0 or (start.hour, start.minute, start.second, start.microsecond) != (0, 0, 0, 0):
            raise _fail(
                doc,
                path,
                f"calendar weeks start on a Monday at 00:00 (ISO weeks); startTime {value!s} would shift every week",
            )
        return
    if (start.day, start.hour, start.minute, start.second, start.microsecond) != (1, 0, 0, 0, 0):
        raise _fail(
            doc,
            path,
            f"calendar months start on the 1st at 00:00; startTime {value!s} would shift every month",
        )


def time_window(doc: Document, path: str, windows: list[dict[str, Any]] | None) -> Period:
    """``timeWindow`` → rolling days/weeks, or a calendar month in its time zone (default 30d rolling)."""
    if windows is None:
        return Rolling(Duration.parse(DEFAULT_PERIOD))
    if len(windows) != 1:
        raise _fail(doc, path, f"give exactly one time window (OpenSLO v1 allows one), got {len(windows)}")
    window, where = windows[0], join(path, 0)
    duration = window["duration"]
    rolling = window.get("isRolling", "calendar" not in window)
    if rolling:
        if "calendar" in window:
            raise _fail(doc, join(where, "calendar"), "a rolling window takes no calendar (set isRolling: false)")
        if _CALENDAR_UNITS.match(duration):
            raise _fail(
                doc,
                join(where, "duration"),
                f"a rolling window must be whole days or weeks such as 28d, 30d or 4w; {duration!r} is only "
                "supported as a calendar month (duration: 1M, isRolling: false)",
            )
        return _call(doc, join(where, "duration"), lambda: Rolling(Duration.parse(duration)))
    if duration not in ("1M", "1w"):
        raise _fail(
            doc,
            join(where, "duration"),
            f"only calendar months and weeks are supported as calendar windows (duration: 1M or 1w), got {duration!r}",
        )
    week = duration == "1w"
    calendar = window.get("calendar") or {}
    if "startTime" in calendar:
        _start_time(doc, join(join(where, "calendar"), "startTime"), calendar["startTime"], week)
    timezone = calendar.get("timeZone", "UTC")
    kind = CalendarWeek if week else CalendarMonth
    return _call(doc, join(join(where, "calendar"), "timeZone"), lambda: kind(timezone))
