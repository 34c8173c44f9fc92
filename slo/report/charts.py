"""Error-budget burn-down charts (matplotlib, rendered to SVG text for a self-contained HTML page)."""

from __future__ import annotations

import io
import re

import pandas as pd

from slo.report.compute import Row
from slo.report.periods import ReportPeriod


def burn_down_svg(row: Row, period: ReportPeriod) -> str | None:
    """The remaining error budget over the period as an inline ``<svg>``; None without data."""
    data = burn_down(row, period, "svg")
    if data is None:
        return None
    svg = data.decode("utf-8")
    return svg[svg.index("<svg") :] if "<svg" in svg else svg


def burn_down(row: Row, period: ReportPeriod, fmt: str = "svg") -> bytes | None:
    """The burn-down chart as ``svg`` or ``png`` bytes; None without data."""
    series = row.burn_down
    if series is None or series.empty:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    local = thin(series).copy()
    local.index = local.index.tz_convert(period.timezone)
    values = local.to_numpy() * 100
    with matplotlib.rc_context({"svg.hashsalt": f"{row.service}/{row.slo}", "svg.fonttype": "none"}):
        fig = Figure(figsize=(7.5, 2.6), dpi=100)
        ax = fig.add_subplot()
        ax.plot(local.index, values, color="#1f6feb", linewidth=1.6, drawstyle="steps-post")
        ax.fill_between(local.index, values, 0, where=values >= 0, color="#1f6feb", alpha=0.12, step="post")
        ax.fill_between(local.index, values, 0, where=values < 0, color="#d1242f", alpha=0.25, step="post")
        ax.axhline(0, color="#d1242f", linewidth=0.8)
        ideal_x = [local.index[0], local.index[-1]]
        ax.plot(ideal_x, [100, 0], color="#8c959f", linewidth=0.8, linestyle="--", label="even burn")
        ax.set_ylabel("budget left (%)")
        ax.set_xlim(local.index[0], local.index[-1])
        low = min(0.0, float(values.min()))
        ax.set_ylim(low - 5, 105)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b", tz=local.index.tz))
        ax.grid(True, color="#d0d7de", linewidth=0.5)
        ax.legend(loc="lower left", fontsize=8, frameon=False)
        ax.set_title(
            f"{row.service} / {row.slo}: error budget burn-down ({period.label}, {period.timezone})", fontsize=9
        )
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else {})
    return buffer.getvalue()


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
