"""Metric text formats of the local stack: OpenMetrics for backfill, Prometheus exposition for scrapes.

OpenMetrics as ``promtool`` (2.42) reads it, checked by hand:

* the text must end with ``# EOF`` (else: "data does not end with # EOF");
* every sample needs a timestamp, in seconds (fractions allowed);
* samples of one series must be in increasing time order: an older sample after a newer one is
  dropped silently, so :class:`OpenMetricsWriter` refuses it instead;
* a counter family ``x`` carries samples named ``x_total``; 2.42 does not enforce this, but the
  OpenMetrics spec does and newer parsers may, so the writer requires it.
* families may not be reopened once another family started (spec; the writer enforces it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
Kind = Literal["counter", "gauge"]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_labels(labels: Mapping[str, str]) -> str:
    """``{a="1",b="2"}`` with OpenMetrics escaping, or ``""`` for no labels; sorted for stable output."""
    for name in labels:
        if not LABEL_NAME.match(name) or name.startswith("__"):
            raise ValueError(f"invalid label name {name!r}")
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"


def format_number(value: float) -> str:
    """Integers without a fraction, other floats exactly (``repr`` round-trips in Go's ParseFloat)."""
    if type(value) is int:
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class OpenMetricsWriter:
    """Streams OpenMetrics text family by family; refuses what promtool would drop or misread."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._family: str | None = None
        self._kind: Kind | None = None
        self._done: set[str] = set()
        self._last_ts: dict[str, float] = {}
        self.samples = 0

    def family(self, name: str, kind: Kind, help_text: str | None = None) -> None:
        """Open a metric family; for a counter ``name`` is the family, samples are ``name_total``."""
        if not METRIC_NAME.match(name):
            raise ValueError(f"invalid metric family name {name!r}")
        if kind == "counter" and name.endswith("_total"):
            raise ValueError(f"counter family {name!r}: give the name without _total (samples get it)")
        if name in self._done or name == self._family:
            raise ValueError(f"family {name!r} was already written: OpenMetrics families must be contiguous")
        if self._family is not None:
            self._done.add(self._family)
        self._family, self._kind = name, kind
        self._last_ts = {}
        if help_text:
            self._out.write(f"# HELP {name} {_escape(help_text)}\n")
        self._out.write(f"# TYPE {name} {kind}\n")

    def series(self, labels: Mapping[str, str], samples: Iterable[tuple[float, float]]) -> None:
        """All samples of one series of the open family, strictly increasing in time."""
        if self._family is None or self._kind is None:
            raise ValueError("open a family first")
        name = self._family + ("_total" if self._kind == "counter" else "")
        prefix = name + render_labels(labels) + " "
        key = prefix
        last = self._last_ts.get(key, -math.inf)
        lines = []
        for ts, value in samples:
            if ts <= last:
                raise ValueError(f"{prefix.strip()}: timestamp {ts} not after {last} (promtool drops it)")
            if self._kind == "counter" and (value < 0 or math.isnan(value)):
                raise ValueError(f"{prefix.strip()}: counter value {value} must be a non-negative number")
            last = ts
            lines.append(f"{prefix}{format_number(value)} {format_number(ts)}\n")
        self._last_ts[key] = last
        self.samples += len(lines)
        self._out.write("".join(lines))

    def close(self) -> None:
        """Write the mandatory ``# EOF``."""
        self._out.write("# EOF\n")


@dataclass(frozen=True)
class Series:
    """One synthetic series: ``name`` is the sample name (``x_total`` for counters)."""

    name: str
    labels: Mapping[str, str]
    samples: Sequence[tuple[float, float]]
    kind: Kind = "counter"

    @property
    def family(self) -> str:
        if self.kind == "counter":
            if not self.name.endswith("_total"):
                raise ValueError(f"counter {self.name!r} must end with _total (OpenMetrics)")
            return self.name[: -len("_total")]
        return self.name


def write_openmetrics(series: Iterable[Series], path: Path) -> int:
    """Write ``series`` grouped by family; returns the number of samples written."""
    by_family: dict[tuple[str, Kind], list[Series]] = {}
    for s in series:
        by_family.setdefault((s.family, s.kind), []).append(s)
    names = [f for f, _ in by_family]
    if len(set(names)) != len(names):
        raise ValueError("a family is used both as counter and gauge")
    with open(path, "w", encoding="utf-8") as out:
        writer = OpenMetricsWriter(out)
        for (fam, kind), members in by_family.items():
            writer.family(fam, kind)
            for s in members:
                writer.series(s.labels, s.samples)
        writer.close()
    return writer.samples


def exposition(samples: Iterable[tuple[str, Mapping[str, str], float]]) -> str:
    """Prometheus text exposition (untyped) of ``(name, labels, value)`` samples, without timestamps."""
    lines = (f"{name}{render_labels(labels)} {format_number(value)}\n" for name, labels, value in samples)
    return "".join(lines)
