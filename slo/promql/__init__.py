"""The SLI math, written once: PromQL for bad events, total events, error ratios and slices.

This package is the PromQL of the toolkit: this module the SLI queries, :mod:`slo.promql.recorded` the
names and windows of the recorded series, :mod:`slo.promql.guards` when a burn-rate tier may fire, and
:mod:`slo.promql.thresholds` the expressions of threshold alerts.

Rules, dashboards and the report all build their queries here. Every function is pure: model in,
PromQL text out. User values reach the text only through :mod:`slo.model.selectors`.
"""

from __future__ import annotations

from slo.model.durations import Duration
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO
from slo.model.sli import EventSource, LatencySLI, ProbeSLI, PromQLTemplate, RatioSLI, RawRatioSLI, TimeSliceSLI


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


def aggregate(inner: str, by: tuple[str, ...] = (), op: str = "sum") -> str:
    """``sum(x)``, or for a grouped SLO ``sum by (a, b) (x)``: one series per group of the validated labels.

    Every aggregation of an SLI's events goes through here, so a grouped SLO keeps its group labels
    in rates, increases, closed and extrapolated increases alike.
    """
    return f"{op} by ({', '.join(by)}) ({inner})" if by else f"{op}({inner})"


def on_groups(slo: SLO) -> str:
    """The vector matching of a guard that gates an alert: per group for a grouped SLO (``on(route)``),
    any sample at all (``on()``) otherwise."""
    return f"on({', '.join(slo.group_by)})"


def _zero_filled(expr: str, total: str, by: tuple[str, ...], opaque: bool) -> str:
    """``expr`` with a 0 wherever ``total`` has a series and ``expr`` has none (no error counted yet).

    ``vector(0)`` is a single label-less 0: right for a plain ``sum(...)``, but it never matches a
    grouped total (``sum by (route)``, or a user's template such as Sloth's ``sum by (host)(rate(...))``),
    which then gets no ratio at all for an error-free group. ``total * 0`` has the total's labels.
    """
    if by or opaque:
        return f"({expr} or {total} * 0)"
    return f"({expr} or vector(0))"


class NativeUnsupported(ValueError):
    """A query shape native histograms cannot take (VictoriaMetrics' extrapolated increase)."""


def _range(fn: str, selector: Selector, window: Duration | str) -> str:
    """``fn(selector[window])`` per series, for counters and native histograms alike (no aggregation)."""
    if fn in (INCREASE_CLOSED, RATE_CLOSED):
        if not isinstance(window, Duration):
            raise TypeError(f"{fn} needs a fixed window, got {window!r}")
        return f"{fn.removesuffix('_closed')}({selector.render()}[{window.seconds * 1000 + 1}ms])"
    if fn in (EXTRAPOLATED_INCREASE, EXTRAPOLATED_INCREASE_CLOSED):
        raise NativeUnsupported(
            f"{selector}: native histograms are read with Prometheus' histogram functions; this engine "
            "(VictoriaMetrics) has none: use histogram_kind classic for it"
        )
    return f"{fn}({selector.render()}[{window}])"


def _native_events(sli: LatencySLI, fn: str, window: Duration | str) -> tuple[str, str]:
    """(good, total) per series of a native histogram (exponential or NHCB), not yet summed.

    good = the fraction at or under the threshold × the count: ``histogram_fraction`` interpolates
    within the bucket holding the threshold (exact when the threshold is a boundary, as with NHCB
    converted from a classic bucket). A series without observations in the window has a NaN fraction:
    its good events are 0, not NaN, so a sum stays finite.
    """
    h = _range(fn, sli.histogram, window)
    total = f"histogram_count({h})"
    good = f"(histogram_fraction(-Inf, {sli.threshold!r}, {h}) * {total} >= 0 or {total} == 0)"
    return good, total


def _classic_events(sli: LatencySLI, fn: str, window: Duration | str) -> tuple[str, str]:
    """(good, total) per series of a classic histogram, labelled as the native series are (no ``le``)."""
    return f"sum without (le) ({_range(fn, bucket_selector(sli), window)})", _range(fn, sli.count, window)


def _latency_events(sli: LatencySLI, fn: str, window: Duration | str, by: tuple[str, ...] = ()) -> tuple[str, str]:
    """(good, total) summed over the histogram's series (per group with ``by``), for the SLI's histogram kind.

    ``auto`` reads each series (label set ``L``: the native histogram ``x{L}`` and the classic
    ``x_count{L}`` share it once the functions drop the name) from one form only: the native histogram
    when it counts at least as many events as the classic count in the window, or when there is no
    classic count; the classic buckets otherwise. A histogram scraped both ways
    (``always_scrape_classic_histograms``, NHCB conversion keeping the classic series) counts the same
    events in both, so it is counted once, never twice; during a migration the form whose samples
    cover more of the window wins (the classic one until the native series holds a window's worth).
    """
    if sli.histogram_kind == "classic":
        return _counter(bucket_selector(sli), fn, window, by), _counter(sli.count, fn, window, by)
    native_good, native_total = _native_events(sli, fn, window)
    if sli.histogram_kind == "native":
        return aggregate(native_good, by), aggregate(native_total, by)
    classic_good, classic_total = _classic_events(sli, fn, window)
    native = f"({native_total} >= {classic_total} or ({native_total} unless {classic_total}))"
    good = aggregate(f"({native_good} and {native}) or ({classic_good} unless {native})", by)
    return good, aggregate(f"{native} or {classic_total}", by)


def _counter(source: EventSource, fn: str, window: Duration | str, by: tuple[str, ...] = ()) -> str:
    if isinstance(source, PromQLTemplate):
        expr = f"({source.render(window)})"
        if by:  # a grouped SLO over a template: the template must keep the group labels
            expr = f"({aggregate(source.render(window), by)})"
        # Templates are written as rates (Sloth/OpenSLO convention); increase = rate × range.
        if fn == "rate":
            return expr
        if not isinstance(window, Duration):
            raise TypeError(f"increase over a template needs a fixed window, got {window!r}")
        return f"{expr} * {window.seconds}"
    if fn in (INCREASE_CLOSED, RATE_CLOSED):
        if not isinstance(window, Duration):
            raise TypeError(f"{fn} needs a fixed window, got {window!r}")
        return aggregate(f"{fn.removesuffix('_closed')}({source.render()}[{window.seconds * 1000 + 1}ms])", by)
    if fn in (EXTRAPOLATED_INCREASE, EXTRAPOLATED_INCREASE_CLOSED):
        if not isinstance(window, Duration):
            raise TypeError(f"{fn} needs a fixed window, got {window!r}")
        return aggregate(extrapolated_increase(source.render(), window, fn == EXTRAPOLATED_INCREASE_CLOSED), by)
    return aggregate(f"{fn}({source.render()}[{window}])", by)


# Closed-range readings: one millisecond longer than the window, so the sample at the window's start is
# the base of the increase on Prometheus 3 (left-open ranges) as on 2.x (closed ranges). Reports use
# them: a period's increments are then counted exactly, on every version.
INCREASE_CLOSED = "increase_closed"
RATE_CLOSED = "rate_closed"
EXTRAPOLATED_INCREASE = "extrapolated_increase"  # not a server function: see extrapolated_increase()
EXTRAPOLATED_INCREASE_CLOSED = "extrapolated_increase_closed"  # the same over Prometheus 2.x's closed range


def extrapolated_increase(series: str, window: Duration, closed: bool = False) -> str:
    """Prometheus' ``increase(series[window])`` for engines that compute increase differently.

    VictoriaMetrics' ``increase`` starts from the sample before the window and its
    ``increase_prometheus`` does not extrapolate; this rebuilds Prometheus' result from rollups
    both engines have: the increase between the first and last sample in the window, extrapolated
    to the window's edges when the samples reach within 1.1 average intervals of them (else by
    half an interval), never below the counter's zero point. Per series; a single sample gives
    nothing. The window is left-open ``(t - window, t]`` as Prometheus 3 reads it, or with
    ``closed`` ``[t - window, t]`` as Prometheus 2.x does (one millisecond longer, left-open).
    """
    w = f"[{window.seconds * 1000 + 1}ms]" if closed else f"[{window}]"
    delta = f"increase_prometheus({series}{w})"
    first_t, last_t = f"tfirst_over_time({series}{w})", f"tlast_over_time({series}{w})"
    sampled = f"({last_t} - {first_t})"
    average = f"({sampled} / (count_over_time({series}{w}) - 1))"
    span = f"{window.seconds}.001" if closed else f"{window.seconds}"  # the range's length in seconds
    to_start = f"({first_t} - (time() - {span}))"
    to_zero = f"({sampled} * clamp_min(first_over_time({series}{w}), 0) / {delta})"
    to_start = f"(({to_zero} < {to_start}) or {to_start})"  # the smaller: a counter starts at zero
    to_end = f"(time() - {last_t})"
    limit = f"({average} * 1.1)"
    start = f"(({to_start} < {limit}) or ({average} / 2))"
    end = f"(({to_end} < {limit}) or ({average} / 2))"
    return f"({delta} * ({sampled} + {start} + {end}) / {sampled})"


def _events(sli: RatioSLI | LatencySLI, fn: str, window: Duration | str, by: tuple[str, ...] = ()) -> tuple[str, str]:
    """(bad, total) events per second (``rate``) or in the window (``increase``), per group with ``by``."""
    if isinstance(sli, LatencySLI):
        good, total = _latency_events(sli, fn, window, by)
        # A missing bucket makes every request bad: loud beats silently never alerting.
        return f"({total} - {_zero_filled(good, total, by, False)})", total
    total = _counter(sli.total, fn, window, by)
    other = sli.bad if sli.bad is not None else sli.good
    assert other is not None
    opaque = isinstance(sli.total, PromQLTemplate) or isinstance(other, PromQLTemplate)
    counted = _zero_filled(_counter(other, fn, window, by), total, by, opaque)
    if sli.bad is not None:
        return counted, total
    return f"({total} - {counted})", total


def bad_events(slo: SLO, window: Duration, fn: str = "rate") -> str:
    """Bad events over ``window``: per second with ``rate``, counted with ``increase``."""
    return _events(_occurrences(slo), fn, window, slo.group_by)[0]


def total_events(slo: SLO, window: Duration, fn: str = "rate") -> str:
    """All events over ``window``."""
    return _events(_occurrences(slo), fn, window, slo.group_by)[1]


def good_events(slo: SLO, window: Duration, fn: str = "increase") -> str:
    """Good events over ``window`` (total − bad), for reports."""
    bad, total = _events(_occurrences(slo), fn, window, slo.group_by)
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


def error_ratio(slo: SLO, window: Duration | str) -> str:
    """Bad/total over ``window`` straight from the source series (occurrence SLIs).

    ``window`` is a duration, or for dashboards a Grafana range variable (see :func:`grafana_range`).
    """
    window = grafana_range(window)
    if isinstance(slo.sli, RawRatioSLI):
        return f"({slo.sli.error_ratio.render(window)})"
    sli = _occurrences(slo)
    bad, total = _events(sli, "rate", window, slo.group_by)
    return guarded_ratio(bad, total)


def slice_error_ratio(
    slo: SLO, at_window: Duration | None = None, *, finite_only: bool = False, counter_fn: str = "rate"
) -> str:
    """The error ratio within one slice (the slice's own window unless ``at_window`` is given).

    ``finite_only`` (reports) drops slices whose ratio or total is NaN or ±Inf — a NaN compares
    false, so ``> bool`` would otherwise call such a slice good. ``counter_fn`` may name another
    counter function whose ratio equals rate's (:data:`EXTRAPOLATED_INCREASE` for VictoriaMetrics).
    """
    sli = slo.sli
    if not isinstance(sli, TimeSliceSLI):
        raise TypeError(f"SLO {slo.name!r} is not sliced")
    window = at_window or sli.slice
    if isinstance(sli.inner, ProbeSLI):
        ratio = f"(1 - {aggregate(f'avg_over_time({sli.inner.selector.render()}[{window}])', slo.group_by, 'avg')})"
        return finite(ratio) if finite_only else ratio
    bad, total = _events(sli.inner, counter_fn, window, slo.group_by)
    if finite_only:
        total = finite(total)
    if sli.mean:
        # A slice mean has no ratio for a slice without events (0/0): no sample, so it is skipped in means.
        ratio = f"({guarded_ratio(bad, total)})"
        return finite(ratio) if finite_only else ratio
    # Zero traffic: the ratio is 0/0; 'or 0 * total' makes an idle slice good (no one was failed).
    ratio = f"({guarded_ratio(bad, total)} or ({total} * 0))"
    return finite(ratio) if finite_only else ratio


def finite(expr: str) -> str:
    """``expr`` without its NaN and ±Inf samples (every comparison with NaN is false, so it drops out)."""
    return f"(({expr}) > -Inf < Inf)"


def slice_threshold(slo: SLO) -> float:
    """A slice is bad when its error ratio exceeds this (1 − slice target)."""
    assert isinstance(slo.sli, TimeSliceSLI)
    return round(1 - slo.sli.slice_target, 12)


def slice_bad(slo: SLO) -> str:
    """1 when the slice ending now is bad, 0 when good, no sample when there is no data."""
    return f"{slice_error_ratio(slo)} > bool {slice_threshold(slo):g}"


def total_selector(slo: SLO) -> Selector | None:
    """The series that exists whenever the SLI is measured: total events, the histogram count, the probe.

    The blind-SLO alert watches it (never a bad-events series, which only appears with the first error);
    None when the total is opaque PromQL.
    """
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, LatencySLI):
        return sli.histogram if sli.histogram_kind == "native" else sli.count
    if isinstance(sli, ProbeSLI):
        return sli.selector
    if isinstance(sli, RatioSLI) and isinstance(sli.total, Selector):
        return sli.total
    return None


def total_absent(slo: SLO) -> str | None:
    """PromQL with a sample while no total series exists (the blind-SLO alert); None for opaque totals.

    An ``auto`` latency SLI is blind only when both its classic count and its native histogram are gone.
    """
    total = total_selector(slo)
    if total is None:
        return None
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, LatencySLI) and sli.histogram_kind == "auto":
        return f"absent({total}) and on() absent({sli.histogram})"
    return f"absent({total})"


def bucket_boundaries(slo: SLO) -> str:
    """Every ``le`` boundary of a latency SLI's histogram as a sample value (label ``le`` kept).

    PromQL cannot read a label as a number, but ``histogram_quantile(1, h)`` of a histogram holding
    one bucket ``b`` and ``+Inf`` (both counting 1) returns ``b``; one such histogram per existing
    boundary turns the boundaries into values that can be compared with the threshold.
    """
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if not isinstance(sli, LatencySLI):
        raise TypeError(f"SLO {slo.name!r} has no latency histogram ({type(sli).__name__})")
    each = f'label_replace(count by (le) ({sli.bucket.render()}) * 0 + 1, "boundary", "$1", "le", "(.*)")'
    inf = f'label_replace({each}, "le", "+Inf", "le", ".*")'
    return f"histogram_quantile(1, {each} or {inf})"


def nearest_boundary(slo: SLO, side: str) -> str:
    """The histogram's largest boundary below (``side="below"``) or smallest above the threshold."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    assert isinstance(sli, LatencySLI)
    if side == "below":
        return f"max({bucket_boundaries(slo)} < {sli.threshold!r})"
    if side == "above":
        return f"min({bucket_boundaries(slo)} > {sli.threshold!r})"
    raise ValueError(f"side must be 'below' or 'above', got {side!r}")


def probe_failed_samples(slo: SLO, window: Duration) -> str:
    """How many probe samples failed within ``window`` (a 0/1 gauge: samples minus their sum)."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if not isinstance(sli, ProbeSLI):
        raise TypeError(f"SLO {slo.name!r} is not a probe SLI ({type(sli).__name__})")
    sel = sli.selector.render()
    return aggregate(f"count_over_time({sel}[{window}]) - sum_over_time({sel}[{window}])", slo.group_by)


def probe_failure_ratio(slo: SLO, window: Duration | str) -> str:
    """The share of failed probes over ``window``: time actually failed, not slices rounded up."""
    return f"(1 - {probe_success_ratio(slo, window)})"


def watched_selectors(slo: SLO) -> list[Selector]:
    """The source series whose disappearance blinds the SLO (for the absent-metric alert)."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, LatencySLI):
        classic = [sli.count, bucket_selector(sli)] if sli.reads_classic else []
        return classic + ([sli.histogram] if sli.reads_native else [])
    if isinstance(sli, ProbeSLI):
        return [sli.selector]
    if isinstance(sli, RatioSLI):
        return [s for s in (sli.total, sli.good) if isinstance(s, Selector)]
    return []


# ---------------------------------------------------------------------------------------------
# Dashboard signals: the raw series behind an SLI, over a window Grafana may choose.

GRAFANA_RANGES = ("$__rate_interval", "$__interval", "$__range")


def grafana_range(window: Duration | str) -> Duration | str:
    """A range for ``[...]``: a :class:`Duration`, or one of Grafana's range variables (nothing else)."""
    if isinstance(window, Duration):
        return window
    if window in GRAFANA_RANGES:
        return window
    raise ValueError(f"a range must be a Duration or one of {', '.join(GRAFANA_RANGES)}, got {window!r}")


def event_rates(slo: SLO, window: Duration | str) -> tuple[str, str]:
    """(bad, total) events per second over ``window``, e.g. failed and all requests per second."""
    return _events(_occurrences(slo), "rate", grafana_range(window), slo.group_by)


def latency_quantile(slo: SLO, quantile: float, window: Duration | str) -> str:
    """The ``quantile`` (e.g. 0.95) of a latency SLI's histogram over ``window``, in seconds."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if not isinstance(sli, LatencySLI):
        raise TypeError(f"SLO {slo.name!r} has no latency histogram ({type(sli).__name__})")
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must lie in (0, 1), got {quantile!r}")
    window = grafana_range(window)
    by = slo.group_by
    classic = f"histogram_quantile({quantile:.12g}, {aggregate(f'rate({sli.bucket.render()}[{window}])', ('le', *by))})"
    native = f"histogram_quantile({quantile:.12g}, {aggregate(f'rate({sli.histogram.render()}[{window}])', by)})"
    if sli.histogram_kind == "classic":
        return classic
    return native if sli.histogram_kind == "native" else f"{native} or {classic}"


def probe_success_ratio(slo: SLO, window: Duration | str) -> str:
    """The share of successful probes over ``window`` (probe/uptime SLIs)."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if not isinstance(sli, ProbeSLI):
        raise TypeError(f"SLO {slo.name!r} is not a probe SLI ({type(sli).__name__})")
    return aggregate(f"avg_over_time({sli.selector.render()}[{grafana_range(window)}])", slo.group_by, "avg")


# ---------------------------------------------------------------------------------------------
# Report queries: the same SLI math, shaped for one report evaluated at explicit instants.


def report_slice_bad(slo: SLO, counter_fn: str = "rate") -> str:
    """:func:`slice_bad` for a range query stepping slice by slice: each sample lands in one slice.

    Counter slices keep the slice's own window (``rate`` needs the sample at the slice's start as its
    base). Probe slices average gauge samples, so a sample at a slice boundary must not count in
    both neighbours: the window is left-open, one millisecond short of the slice, which gives
    ``(t - slice, t]`` on Prometheus 2.x, 3.x and VictoriaMetrics alike. A slice whose ratio is NaN or
    infinite (such samples in the source series) has no verdict: no data, not good.
    ``counter_fn`` lets a report ask VictoriaMetrics for Prometheus' reading of counter slices
    (:data:`EXTRAPOLATED_INCREASE`).
    """
    return f"{_report_slice_error(slo, counter_fn)} > bool {slice_threshold(slo):g}"


def _report_slice_error(slo: SLO, counter_fn: str) -> str:
    """The error ratio of the slice ending at each step of a report's range query (see report_slice_bad)."""
    sli = slo.sli
    if not isinstance(sli, TimeSliceSLI):
        raise TypeError(f"SLO {slo.name!r} is not sliced")
    if isinstance(sli.inner, ProbeSLI):
        window = f"{sli.slice.seconds * 1000 - 1}ms"
        gauge = aggregate(f"avg_over_time({sli.inner.selector.render()}[{window}])", slo.group_by, "avg")
        return finite(f"(1 - {gauge})")
    return slice_error_ratio(slo, finite_only=True, counter_fn=counter_fn)


def report_slice_ratio(slo: SLO, counter_fn: str = "rate") -> str:
    """A slice-mean SLO's error ratio of each slice, for a range query stepping slice by slice.

    No sample for a slice without events (nothing to average) or with a NaN/infinite ratio; the
    report's SLI is 1 − the mean of these over the period's slices.
    """
    if not (isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean):
        raise TypeError(f"SLO {slo.name!r} is not a slice mean")
    return _report_slice_error(slo, counter_fn)


def slice_presence(slo: SLO) -> str:
    """1 when the SLI's source series had a sample within the slice ending now (left-open), for coverage."""
    assert isinstance(slo.sli, TimeSliceSLI)
    window = f"{slo.sli.slice.seconds * 1000 - 1}ms"
    if isinstance(slo.sli.inner, ProbeSLI):
        return aggregate(f"present_over_time({slo.sli.inner.selector.render()}[{window}])", slo.group_by, "max")
    return events_presence(slo, window)


def events_presence(slo: SLO, window: Duration | str) -> str:
    """1 when the SLO's total-events series had a sample within ``window``; no sample otherwise."""
    sli = _occurrences(slo)
    if isinstance(sli, LatencySLI):
        totals = ([sli.count] if sli.reads_classic else []) + ([sli.histogram] if sli.reads_native else [])
        return aggregate(" or ".join(f"present_over_time({t.render()}[{window}])" for t in totals), slo.group_by, "max")
    total = sli.total
    if isinstance(total, PromQLTemplate):
        return f"({_counter(total, 'rate', window, slo.group_by)} * 0 + 1)"
    return aggregate(f"present_over_time({total.render()}[{window}])", slo.group_by, "max")


def raw_ratio_presence(slo: SLO, window: Duration) -> str:
    """1 when an opaque error-ratio SLI had a value over ``window``."""
    return f"({error_ratio(slo, window)} * 0 + 1)"


def steps_with_data(presence: str, span: Duration, step: Duration) -> str:
    """How many ``step``-aligned instants in the left-open ``span`` ending now have ``presence``.

    The subquery range is one second short of ``span`` so an instant on the boundary is counted in
    exactly one span (Prometheus 2.x subqueries include their start).
    """
    inner = Duration(span.seconds - 1) if span.seconds > 1 else span
    return f"count_over_time(({presence})[{inner}:{step}])"


def tagged(parts: dict[str, str], label: str = "slo_part") -> str:
    """Several single-series expressions in one query, each result marked ``label="<name>"``.

    One HTTP request then evaluates e.g. the bad and the total events at the same instant.
    """
    from slo.model.selectors import quote

    if not parts:
        raise ValueError("nothing to tag")
    return " or ".join(
        f"label_replace({expr}, {quote(label)}, {quote(name)}, {quote('__name__')}, {quote('.*')})"
        for name, expr in parts.items()
    )
