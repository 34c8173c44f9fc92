"""SLO periods: rolling windows of whole days, calendar months and ISO weeks in a time zone."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slo.model.durations import Duration
from slo.model.errors import DefinitionError


@dataclass(frozen=True)
class Rolling:
    """A rolling window such as the last 30 days."""

    window: Duration

    def __post_init__(self) -> None:
        if self.window.seconds < 86400 or self.window.seconds % 86400:
            raise DefinitionError(f"a rolling period must be whole days (e.g. 7d, 28d, 30d), got {self.window}")

    @property
    def alerting_window(self) -> Duration:
        return self.window

    def __str__(self) -> str:
        return str(self.window)


@dataclass(frozen=True)
class CalendarMonth:
    """A calendar month in a time zone; alerting and dashboards approximate it as 30 days."""

    timezone: str = "UTC"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise DefinitionError(
                f"unknown time zone {self.timezone!r} (use an IANA name such as Europe/Berlin)"
            ) from None

    @property
    def alerting_window(self) -> Duration:
        return Duration(30 * 86400)

    def __str__(self) -> str:
        return "month" if self.timezone == "UTC" else f"month ({self.timezone})"


@dataclass(frozen=True)
class CalendarWeek:
    """An ISO calendar week (Monday 00:00 to Monday 00:00) in a time zone; 7 days for alerting."""

    timezone: str = "UTC"

    def __post_init__(self) -> None:
        CalendarMonth(self.timezone)  # the same time-zone check

    @property
    def alerting_window(self) -> Duration:
        return Duration(7 * 86400)

    def __str__(self) -> str:
        return "week" if self.timezone == "UTC" else f"week ({self.timezone})"


Period = Rolling | CalendarMonth | CalendarWeek


def parse_period(value: object, timezone: str | None = None) -> Period:
    """``30d``/``28d``/``7d`` → rolling; ``month``/``week`` → calendar month/week (optionally in ``timezone``)."""
    if value in ("month", "monthly", "calendar-month"):
        return CalendarMonth(timezone or "UTC")
    if value in ("week", "weekly", "calendar-week"):
        return CalendarWeek(timezone or "UTC")
    if timezone is not None:
        raise DefinitionError("a time zone only applies to a calendar period ('month')")
    if not isinstance(value, str | Duration):
        raise DefinitionError(f"period must be a rolling window such as '30d' or 'month', got {value!r}")
    return Rolling(Duration.parse(value))
