"""Prometheus-style durations (``5m``, ``1h30m``, ``30d``) as whole seconds.

Windows are compared, divided and rendered back into PromQL, so they are kept as exact integers
rather than floats or ``timedelta``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from slo.model.errors import DefinitionError

_UNITS: dict[str, int] = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)(w|d|h|m|s)")
_WHOLE = re.compile(r"^(?:\d+(?:w|d|h|m|s))+$")


@dataclass(frozen=True, order=True)
class Duration:
    """A positive whole number of seconds, rendered the way Prometheus writes durations."""

    seconds: int

    def __post_init__(self) -> None:
        if not isinstance(self.seconds, int) or isinstance(self.seconds, bool) or self.seconds <= 0:
            raise DefinitionError(f"duration must be a positive whole number of seconds, got {self.seconds!r}")

    def __str__(self) -> str:
        rest, out = self.seconds, []
        for unit in ("d", "h", "m", "s"):
            size = _UNITS[unit]
            if rest >= size:
                count, rest = divmod(rest, size)
                out.append(f"{count}{unit}")
        return "".join(out)

    @property
    def minutes(self) -> float:
        return self.seconds / 60

    @classmethod
    def parse(cls, text: str | Duration) -> Duration:
        """Parse ``1h30m``-style text; units w, d, h, m, s, largest first, each at most once."""
        if isinstance(text, Duration):
            return text
        if not isinstance(text, str):
            raise DefinitionError(f"expected a duration such as '5m' or '30d', got {text!r}")
        if not _WHOLE.match(text):
            raise DefinitionError(f"{text!r} is not a duration (use e.g. '30s', '5m', '1h30m', '28d')")
        parts = _PART.findall(text)
        units = [u for _, u in parts]
        order = list(_UNITS)
        if len(set(units)) != len(units) or units != sorted(units, key=order.index):
            raise DefinitionError(f"{text!r}: units must appear once each, largest first")
        seconds = sum(int(n) * _UNITS[u] for n, u in parts)
        if seconds <= 0:
            raise DefinitionError(f"{text!r}: a duration must be longer than zero")
        return cls(seconds)


_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


def parse_seconds(value: str | float | int) -> float:
    """A latency threshold: ``"200ms"``, ``"2s"``, ``"1.5s"`` or a number of seconds."""
    if isinstance(value, bool):
        raise DefinitionError(f"expected a latency such as '200ms' or 0.2, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    m = _SECONDS.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise DefinitionError(f"expected a latency such as '200ms', '2s' or 0.2 (seconds), got {value!r}")
    number, unit = float(m.group(1)), m.group(2)
    return round(number * {"ms": 0.001, "s": 1.0, "m": 60.0}[unit], 9)
