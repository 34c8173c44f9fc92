"""The SLI kinds: where good, bad and total events come from.

Occurrences from counters (:class:`RatioSLI`) or a histogram (:class:`LatencySLI`), a 0/1 gauge
(:class:`ProbeSLI`), an opaque error ratio (:class:`RawRatioSLI`), and any of the first three cut into
time slices (:class:`TimeSliceSLI`). Immutable, validated on construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.selectors import Selector
from slo.model.values import normalise_fraction

WINDOW_PLACEHOLDER = "{{.window}}"


@dataclass(frozen=True)
class PromQLTemplate:
    """A user-written PromQL expression, kept opaque; ``{{.window}}`` is replaced by a range."""

    expr: str

    def __post_init__(self) -> None:
        if not isinstance(self.expr, str) or not self.expr.strip():
            raise DefinitionError("PromQL expression must be a non-empty string")
        if WINDOW_PLACEHOLDER not in self.expr:
            raise DefinitionError(
                f"PromQL expression must contain {WINDOW_PLACEHOLDER} where the rate window goes: {self.expr!r}"
            )

    def render(self, window: Duration | str) -> str:
        return self.expr.replace(WINDOW_PLACEHOLDER, str(window))


EventSource = Selector | PromQLTemplate


@dataclass(frozen=True)
class RatioSLI:
    """Occurrences from counters: good/total or bad/total events."""

    total: EventSource
    good: EventSource | None = None
    bad: EventSource | None = None

    def __post_init__(self) -> None:
        if (self.good is None) == (self.bad is None):
            raise DefinitionError("a ratio SLI needs exactly one of 'good' or 'bad' besides 'total'")
        if (self.good or self.bad) == self.total:
            raise DefinitionError("the good/bad events and the total events are the same series")


# How a latency SLI's histogram is stored: ``classic`` (``_bucket``/``_count`` series, the default),
# ``native`` (one native histogram series under the base name: exponential buckets, or custom buckets
# (NHCB) from Prometheus' classic-to-native conversion), ``auto`` (native where a series has it, else
# classic; never both for one series). Native and auto need Prometheus 3.8 (stable native histograms).
HISTOGRAM_KINDS = ("classic", "native", "auto")


@dataclass(frozen=True)
class LatencySLI:
    """Occurrences from a histogram: good = requests at or under ``threshold`` seconds."""

    histogram: Selector
    threshold: float
    histogram_kind: str = "classic"  # see HISTOGRAM_KINDS

    def __post_init__(self) -> None:
        if self.histogram_kind not in HISTOGRAM_KINDS:
            raise DefinitionError(
                f"histogram kind must be one of {', '.join(HISTOGRAM_KINDS)}, got {self.histogram_kind!r}"
            )
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t <= 0:
            raise DefinitionError(f"latency threshold must be a positive number of seconds, got {t!r}")
        object.__setattr__(self, "threshold", float(t))
        for suffix in ("_bucket", "_count", "_sum"):
            if self.histogram.metric.endswith(suffix):
                raise DefinitionError(
                    f"give the histogram's base name without {suffix!r}: {self.histogram.metric[: -len(suffix)]!r}"
                )
        if any(m.label == "le" for m in self.histogram.matchers):
            raise DefinitionError("do not match 'le' yourself: it is derived from the threshold")

    @property
    def bucket(self) -> Selector:
        return self.histogram.with_metric(self.histogram.metric + "_bucket")

    @property
    def count(self) -> Selector:
        return self.histogram.with_metric(self.histogram.metric + "_count")

    @property
    def reads_classic(self) -> bool:
        """Whether the rules read classic ``_bucket``/``_count`` series (kinds ``classic`` and ``auto``)."""
        return self.histogram_kind != "native"

    @property
    def reads_native(self) -> bool:
        """Whether the rules read native (exponential or NHCB) series under the base name."""
        return self.histogram_kind != "classic"


@dataclass(frozen=True)
class ProbeSLI:
    """A 0/1 gauge such as ``probe_success`` or ``up``; only meaningful sliced over time."""

    selector: Selector


@dataclass(frozen=True)
class RawRatioSLI:
    """An opaque error-ratio expression (Sloth's raw SLI); cannot be event-weighted across windows."""

    error_ratio: PromQLTemplate


@dataclass(frozen=True)
class TimeSliceSLI:
    """The period cut into slices of ``slice`` length, in one of two modes.

    - good slices (``mean=False``, OpenSLO ``Timeslices``): a slice is good when its good ratio is at
      least ``target``; the SLI is good slices / slices with data.
    - slice mean (``mean=True``, OpenSLO ``RatioTimeslices``): the SLI is the mean of the slices' good
      ratios; every slice with events weighs the same, whatever its traffic. There is no ``target``.
    """

    inner: RatioSLI | LatencySLI | ProbeSLI
    slice: Duration
    target: float | None = None
    mean: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.inner, RatioSLI | LatencySLI | ProbeSLI):
            raise DefinitionError("a time-slice SLI wraps a ratio, latency or probe SLI")
        if self.slice.seconds < 60 or self.slice.seconds % 60:
            raise DefinitionError(f"slice length must be whole minutes, at least 1m, got {self.slice}")
        if not isinstance(self.mean, bool):
            raise DefinitionError(f"mean must be true or false, got {self.mean!r}")
        if self.mean:
            if self.target is not None:
                raise DefinitionError(
                    "a slice-mean SLI averages the slices' good ratios: it has no slice target (drop the target, "
                    "or drop mean to count good slices)"
                )
            return
        if self.target is None:
            raise DefinitionError("a time-slice SLI needs a slice target: the good ratio a slice must reach")
        object.__setattr__(self, "target", normalise_fraction(self.target, "slice target"))

    @property
    def slice_target(self) -> float:
        """The good ratio a slice must reach (good-slices mode only)."""
        if self.target is None:
            raise TypeError("a slice-mean SLI has no slice target")
        return self.target


SLI = RatioSLI | LatencySLI | TimeSliceSLI | RawRatioSLI


def is_slice_mean(sli: object) -> bool:
    """Whether an SLI is a slice mean (OpenSLO ``RatioTimeslices``): the mean of its slices' good ratios."""
    return isinstance(sli, TimeSliceSLI) and sli.mean
