"""The SLI math, written once: PromQL for bad events, total events, error ratios and slices.

Rules, dashboards and the report all build their queries here. Every function is pure: model in,
PromQL text out. User values reach the text only through :mod:`slo.selectors`.
"""

from __future__ import annotations

from slo.durations import Duration
from slo.model import (
    SLO,
    EventSource,
    LatencySLI,
    ProbeSLI,
    PromQLTemplate,
    RatioSLI,
    RawRatioSLI,
    TimeSliceSLI,
)
from slo.selectors import Matcher, Selector


def _decimal_forms(value: float) -> list[str]:
    """Spellings a client library may use for a bucket boundary (``0.2``, ``2``, ``2.0``, ``1e-05``)."""
    if value == int(value) and abs(value) < 1e15:
        return [str(int(value))]
    return sorted({repr(value), f"{value:g}", f"{value:.12f}".rstrip("0").rstrip(".")})


def le_regex(threshold: float) -> str:
    """A regex matching the ``le`` label of ``threshold`` however the client formatted it.

    Prometheus 3 normalises ``le="1"`` to ``"1.0"``; 2.x keeps the client's text, which may carry
    trailing zeros (``"0.20"``). Trailing zeros after a decimal point are therefore optional.
    """
    alternatives = []
    for form in _decimal_forms(threshold):
        escaped = form.replace(".", "\\.").replace("+", "\\+")
        if "e" in form:
            alternatives.append(escaped)
        elif "." in form:
            alternatives.append(escaped + "0*")
        else:
            alternatives.append(escaped + "(\\.0*)?")
    return "|".join(sorted(set(alternatives)))


def bucket_selector(sli: LatencySLI) -> Selector:
    """The histogram bucket holding the requests at or under the threshold."""
    return sli.bucket.with_matchers(Matcher("le", "=~", le_regex(sli.threshold)))


def _counter(source: EventSource, fn: str, window: Duration) -> str:
    if isinstance(source, PromQLTemplate):
        expr = f"({source.render(window)})"
        # Templates are written as rates (Sloth/OpenSLO convention); increase = rate × range.
        return expr if fn == "rate" else f"{expr} * {window.seconds}"
    return f"sum({fn}({source.render()}[{window}]))"


def _events(sli: RatioSLI | LatencySLI, fn: str, window: Duration) -> tuple[str, str]:
    """(bad, total) events per second (``rate``) or in the window (``increase``)."""
    if isinstance(sli, LatencySLI):
        total = _counter(sli.count, fn, window)
        good = _counter(bucket_selector(sli), fn, window)
        # A missing bucket makes every request bad: loud beats silently never alerting.
        return f"({total} - ({good} or vector(0)))", total
    total = _counter(sli.total, fn, window)
    if sli.bad is not None:
        return f"({_counter(sli.bad, fn, window)} or vector(0))", total
    assert sli.good is not None
    return f"({total} - ({_counter(sli.good, fn, window)} or vector(0)))", total


def bad_events(slo: SLO, window: Duration, fn: str = "rate") -> str:
    """Bad events over ``window``: per second with ``rate``, counted with ``increase``."""
    return _events(_occurrences(slo), fn, window)[0]


def total_events(slo: SLO, window: Duration, fn: str = "rate") -> str:
    """All events over ``window``."""
    return _events(_occurrences(slo), fn, window)[1]


def good_events(slo: SLO, window: Duration, fn: str = "increase") -> str:
    """Good events over ``window`` (total − bad), for reports."""
    bad, total = _events(_occurrences(slo), fn, window)
    return f"({total} - {bad})"


def _occurrences(slo: SLO) -> RatioSLI | LatencySLI:
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if not isinstance(sli, RatioSLI | LatencySLI):
        raise TypeError(f"SLO {slo.name!r} has no countable events ({type(sli).__name__})")
    return sli


def has_events(slo: SLO) -> bool:
    """Whether the SLI (or the slices' inner SLI) counts events: ratio or latency."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    return isinstance(sli, RatioSLI | LatencySLI)


def guarded_ratio(numerator: str, denominator: str) -> str:
    """``numerator / denominator`` that yields no sample (not NaN) when the denominator is zero."""
    return f"{numerator} / ({denominator} > 0)"


def error_ratio(slo: SLO, window: Duration) -> str:
    """Bad/total over ``window`` straight from the source series (occurrence SLIs)."""
    if isinstance(slo.sli, RawRatioSLI):
        return f"({slo.sli.error_ratio.render(window)})"
    sli = _occurrences(slo)
    bad, total = _events(sli, "rate", window)
    return guarded_ratio(bad, total)


def slice_error_ratio(slo: SLO, at_window: Duration | None = None) -> str:
    """The error ratio within one slice (the slice's own window unless ``at_window`` is given)."""
    sli = slo.sli
    if not isinstance(sli, TimeSliceSLI):
        raise TypeError(f"SLO {slo.name!r} is not sliced")
    window = at_window or sli.slice
    if isinstance(sli.inner, ProbeSLI):
        return f"(1 - avg(avg_over_time({sli.inner.selector.render()}[{window}])))"
    bad, total = _events(sli.inner, "rate", window)
    # Zero traffic: the ratio is 0/0; 'or 0 * total' makes an idle slice good (no one was failed).
    return f"({guarded_ratio(bad, total)} or ({total} * 0))"


def slice_threshold(slo: SLO) -> float:
    """A slice is bad when its error ratio exceeds this (1 − slice target)."""
    assert isinstance(slo.sli, TimeSliceSLI)
    return round(1 - slo.sli.target, 12)


def slice_bad(slo: SLO) -> str:
    """1 when the slice ending now is bad, 0 when good, no sample when there is no data."""
    return f"{slice_error_ratio(slo)} > bool {slice_threshold(slo):g}"


def watched_selectors(slo: SLO) -> list[Selector]:
    """The source series whose disappearance blinds the SLO (for the absent-metric alert)."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, LatencySLI):
        return [sli.count, bucket_selector(sli)]
    if isinstance(sli, ProbeSLI):
        return [sli.selector]
    if isinstance(sli, RatioSLI):
        return [s for s in (sli.total, sli.good) if isinstance(s, Selector)]
    return []
