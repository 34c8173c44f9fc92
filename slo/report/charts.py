"""Charts for the HTML report (matplotlib, rendered to SVG text for a self-contained page).

Per SLO: the error-budget burn-down from the period's start to its last data point (never into the
future, never across data that do not exist), and the SLI of each day with data as bars against
the objective. Time axes use matplotlib's concise date ticks, which stay readable from one hour
(``14:15``) to a quarter (``Feb``) without repeating the same date on every tick.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

import pandas as pd

from slo.report.compute import Row
from slo.report.periods import ReportPeriod

WIDTH, HEIGHT = 7.5, 2.6
BLUE, RED, GREEN, GREY = "#1f6feb", "#d1242f", "#2da44e", "#8c959f"


def _svg(data: bytes | None) -> str | None:
    if data is None:
        return None
    svg = data.decode("utf-8")
    return svg[svg.index("<svg") :] if "<svg" in svg else svg


def burn_down_svg(row: Row, period: ReportPeriod) -> str | None:
    """The remaining error budget over the period as an inline ``<svg>``; None without data."""
    return _svg(burn_down(row, period, "svg"))


def daily_svg(row: Row, period: ReportPeriod) -> str | None:
    """The SLI of each day with data against the objective as an inline ``<svg>``; None without data."""
    return _svg(daily(row, period, "svg"))


def _figure() -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=100)
    return fig, fig.add_subplot()


def _render(row: Row, period: ReportPeriod, kind: str, fmt: str) -> bytes | None:
    import matplotlib

    with matplotlib.rc_context(
        {"svg.hashsalt": f"{row.service}/{row.slo}/{kind}", "svg.fonttype": "none", "font.size": 8}
    ):
        fig = (burn_down_figure if kind == "burn-down" else daily_figure)(row, period)
        if fig is None:
            return None
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else {})
        return buffer.getvalue()


def _time_axis(ax: Any, period: ReportPeriod) -> None:
    from matplotlib import dates as mdates

    locator = mdates.AutoDateLocator(tz=period.zone, minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    # The offset (the date under short spans) names the last tick, which for a month is the next month.
    short = period.seconds <= 2 * 86400
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=period.zone, show_offset=short))


def burn_down(row: Row, period: ReportPeriod, fmt: str = "svg") -> bytes | None:
    """The burn-down chart as ``svg`` or ``png`` bytes; None without data."""
    return _render(row, period, "burn-down", fmt)


def daily(row: Row, period: ReportPeriod, fmt: str = "svg") -> bytes | None:
    """The daily SLI bars as ``svg`` or ``png`` bytes; None without data."""
    return _render(row, period, "daily", fmt)


def burn_down_figure(row: Row, period: ReportPeriod) -> Any:
    """The burn-down as a matplotlib Figure (None without data)."""
    series = row.burn_down
    if series is None or series.empty:
        return None
    local = thin(series).copy()
    local.index = local.index.tz_convert(period.timezone)
    values = local.to_numpy() * 100
    start = pd.Timestamp(period.start).tz_convert(period.timezone)
    end = pd.Timestamp(period.end).tz_convert(period.timezone)
    fig, ax = _figure()
    ax.plot(local.index, values, color=BLUE, linewidth=1.6, drawstyle="steps-post", label="budget left")
    ax.fill_between(local.index, values, 0, where=values >= 0, color=BLUE, alpha=0.12, step="post")
    ax.fill_between(local.index, values, 0, where=values < 0, color=RED, alpha=0.25, step="post")
    ax.axhline(0, color=RED, linewidth=0.8)
    ax.plot([start, end], [100, 0], color=GREY, linewidth=0.8, linestyle="--", label="even burn")
    low = min(0.0, float(values.min()))
    if local.index[-1] < end:
        ax.axvline(local.index[-1], color=GREY, linewidth=0.6, linestyle=":")
        late = (local.index[-1] - start) > (end - start) * 0.75  # label left of the line near the right edge
        ax.annotate(  # at the bottom: the budget line runs along the top
            "last data",
            (local.index[-1], low - 5),
            xytext=(-3 if late else 3, 3),
            textcoords="offset points",
            ha="right" if late else "left",
            fontsize=7,
            color=GREY,
        )
    ax.set_ylabel("budget left (%)")
    ax.set_xlim(start, end)
    ax.set_ylim(low - 5, 105)
    _time_axis(ax, period)
    ax.grid(True, color="#d0d7de", linewidth=0.5)
    _legend(ax)
    ax.set_title("Error budget burn-down", fontsize=9, loc="left")
    return fig


def daily_figure(row: Row, period: ReportPeriod) -> Any:
    """Bars of the SLI of each local day with data, green at or above the objective, red below."""
    ratios = row.daily
    if ratios is None or ratios.empty:
        return None
    from matplotlib import dates as mdates

    days = pd.to_datetime(list(ratios.index)).tz_localize(period.timezone)
    centres = days + pd.Timedelta(hours=12)
    values = ratios.to_numpy() * 100
    target = row.objective * 100
    colours = [GREEN if v >= target - 1e-9 else RED for v in values]
    fig, ax = _figure()
    ax.bar(mdates.date2num(centres.to_pydatetime()), values, width=0.8, color=colours, label="SLI of the day")
    ax.axhline(target, color="#1f2328", linewidth=0.9, linestyle="--", label=f"objective {target:.6g}%")
    low = min(float(values.min()), target)
    span = max(100 - low, 100 - target, 1e-6)
    ax.set_ylim(max(0.0, low - 0.15 * span), 100 + 0.05 * span)
    ax.yaxis.set_major_formatter(_percent_formatter(span))
    ax.set_ylabel("SLI (%)")
    first = pd.Timestamp(period.start).tz_convert(period.timezone)
    last = pd.Timestamp(period.end).tz_convert(period.timezone)
    left, right = min(first, days[0]), max(last, days[-1] + pd.Timedelta(days=1))
    ax.set_xlim(mdates.date2num(left.to_pydatetime()), mdates.date2num(right.to_pydatetime()))
    _day_axis(ax, period, right - left)
    ax.grid(True, axis="y", color="#d0d7de", linewidth=0.5)
    _legend(ax)
    ax.set_title("SLI per day (days with data)", fontsize=9, loc="left")
    return fig


def _percent_formatter(span: float) -> Any:
    from matplotlib.ticker import FuncFormatter

    decimals = 0 if span >= 5 else 1 if span >= 0.5 else 2 if span >= 0.05 else 3
    return FuncFormatter(lambda v, _pos: f"{v:.{decimals}f}")


def _day_axis(ax: Any, period: ReportPeriod, span: pd.Timedelta) -> None:
    """Day ticks (every k-th day, at most about eight), months beyond two months: bars are days."""
    from matplotlib import dates as mdates

    days = span / pd.Timedelta(days=1)
    if days > 62:
        locator: Any = mdates.MonthLocator(tz=period.zone)
        formatter = mdates.DateFormatter("%b %Y", tz=period.zone)
    else:
        # A daily rule every k days from the axis start: no restart on the 1st, so no cramped pair of ticks.
        rule = mdates.rrulewrapper(
            mdates.DAILY, interval=max(1, math.ceil(days / 8)), byhour=0, byminute=0, bysecond=0, tzinfo=period.zone
        )
        locator = mdates.RRuleLocator(rule, tz=period.zone)
        formatter = mdates.DateFormatter("%d %b", tz=period.zone)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)


def _legend(ax: Any) -> None:
    """Above the plot, right of the title: never on top of a bar or a line."""
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=7, frameon=False, borderaxespad=0.1)


def thin(series: pd.Series, points: int = 800) -> pd.Series:
    """At most about ``points`` points: the value at the end of each bucket (the burn-down only falls)."""
    if len(series) <= points:
        return series
    every = -(-len(series) // points)
    kept = series.iloc[every - 1 :: every]
    return pd.concat([series.iloc[:1], kept, series.iloc[-1:]]).loc[lambda s: ~s.index.duplicated(keep="last")]


def strip_ids(svg: str, prefix: str) -> str:
    """Prefix an SVG's element ids so several charts can share one HTML page."""
    ids = set(re.findall(r'id="([^"]+)"', svg))
    for ident in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{ident}"', f'id="{prefix}{ident}"').replace(f"#{ident})", f"#{prefix}{ident})")
        svg = svg.replace(f'xlink:href="#{ident}"', f'xlink:href="#{prefix}{ident}"')
    return svg
