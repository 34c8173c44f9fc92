"""The alert guards: when a burn-rate tier is allowed to fire, as typed pure functions over the model.

The burn-rate policy (budget spent per long window) says *how much* error is worth a page; the
guards say when that measurement can be trusted. Every parameter lives here so the rule
generator, ``slo explain``, ``slo check`` and ``slo backtest`` read the same numbers:

- **time actually failed** (probe SLIs): burn windows average the probe gauge over time instead of
  counting whole bad slices, so one failed 15 s probe is 15 s of downtime, not a bad minute.
- **low traffic**: a tier needs at least :func:`min_bad_events` bad events in its long window, so a
  couple of isolated errors at 1 request/s never page (event and event-slice SLIs).
- **cold start**: a long window derived from recorded series that holds less history than its
  length counts the missing time as healthy (:func:`coverage`): the tier then fires on the budget
  actually spent, never on a ratio over a few hours standing in for 3 days.
- **missing bucket**: a latency tier needs a bucket at its threshold (:func:`bucket_present`);
  without it the misconfiguration alert fires after :data:`BUCKET_FOR`. A native histogram has no
  missing bucket (``histogram_fraction`` interpolates within the bucket holding the threshold), so
  the guard applies to classic histograms, and in ``auto`` only while a series has no native form.
- **never blind**: the total series vanishing fires the absent alert after the policy's
  ``absent_for`` (default 4m), as a page when the SLO has a paging tier (:func:`absent_severity`).
- **flap control**: burn alerts keep firing for :func:`keep_firing_for` after the condition clears,
  and a probe tier's short window needs :data:`PROBE_MIN_FAILED` failed probes, so after an outage
  (still held by the long window) a single failed probe does not page again.
"""

from __future__ import annotations

import math

from slo import promql
from slo.model.alert_policy import BurnRateTier
from slo.model.durations import Duration
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI, TimeSliceSLI
from slo.promql.recorded import BAD_RATE, BASE_WINDOW, PROBE_FAILED, SLICE_BAD, SLICE_ERROR, TOTAL_RATE, series, windows

# Failed probe samples a probe tier's short window must hold: one blip never (re)fires a tier.
PROBE_MIN_FAILED = 2
# How long the bucket must be missing before SLOLatencyBucketMissing fires (issue: within 15 min).
BUCKET_FOR = Duration.parse("5m")
# The rule groups' evaluation interval (the fast group); used for detection-time estimates only.
EVALUATION = Duration.parse("30s")
# Prometheus' default lookback: without staleness markers a vanished series stays visible this long.
LOOKBACK = Duration.parse("5m")

# Default histogram buckets of the common client libraries, in seconds: Prometheus client_golang,
# client_python, client_java, prom-client (Node) and the Ruby client share the first list;
# OpenTelemetry SDKs' default explicit bucket boundaries (milliseconds) add 0.075, 0.75, 7.5.
PROMETHEUS_CLIENT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
OPENTELEMETRY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
COMMON_BUCKETS = tuple(sorted(set(PROMETHEUS_CLIENT_BUCKETS) | set(OPENTELEMETRY_BUCKETS)))


def _inner(slo: SLO) -> object:
    return slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli


def counts_events(slo: SLO) -> bool:
    """Whether the low-traffic guard applies: the SLI (or its slices) counts events from counters."""
    return isinstance(_inner(slo), RatioSLI | LatencySLI)


def is_probe(slo: SLO) -> bool:
    """Probe/uptime SLIs alert on the share of failed probe time."""
    return isinstance(_inner(slo), ProbeSLI)


def min_bad_events(slo: SLO, tier: BurnRateTier) -> int:
    """Bad events the tier's long window must hold before it may fire (0 when the guard is off).

    The tier's own ``min_bad_events`` wins over the policy's (default 10). Probe SLIs count no
    events: 0.
    """
    if not counts_events(slo) or slo.alerting is None:
        return 0
    return tier.min_bad_events if tier.min_bad_events is not None else slo.alerting.min_bad_events


def min_failed_probes(slo: SLO, tier: BurnRateTier) -> int:
    """Failed probe samples the tier's short window must hold (probe SLIs; 0 for the others)."""
    del tier
    return PROBE_MIN_FAILED if is_probe(slo) and slo.alerting is not None else 0


def keep_firing_for(slo: SLO, tier: BurnRateTier) -> Duration | None:
    """How long a burn alert keeps firing after its condition clears (one page, not several)."""
    del tier  # one value per policy for now; the signature leaves room for per-tier values
    return slo.alerting.keep_firing_for if slo.alerting is not None else None


def pages(slo: SLO) -> bool:
    """Whether the SLO has a paging (critical) tier."""
    return slo.alerting is not None and any(t.severity == "critical" for t in slo.alerting.tiers)


def absent_severity(slo: SLO) -> str:
    """Severity of the blind-SLO alerts (absent metric, missing bucket): pages for a paging SLO."""
    if slo.alerting is not None and slo.alerting.absent_severity is not None:
        return slo.alerting.absent_severity
    return "critical" if pages(slo) else "warning"


def blind_detection_minutes(slo: SLO, staleness_markers: bool) -> float:
    """Worst case from the last sample of the total series to the absent alert firing.

    With staleness markers (target gone, series dropped) the series vanishes at once; without them
    (remote-write or federation gap) it stays visible for Prometheus' 5m lookback first.
    """
    assert slo.alerting is not None
    lookback = 0 if staleness_markers else LOOKBACK.seconds
    return (lookback + slo.alerting.absent_for.seconds + EVALUATION.seconds) / 60


def threshold(slo: SLO, tier: BurnRateTier) -> float:
    """The bad ratio (events, failed time or bad slices) both windows must exceed: factor × budget."""
    return tier.factor(slo.period) * slo.error_budget


def reachable(slo: SLO, tier: BurnRateTier) -> bool:
    """Whether a total outage can fire the tier at all (its threshold is below a 100% error ratio)."""
    return threshold(slo, tier) < 1


def raw_windows(slo: SLO) -> frozenset[Duration]:
    """Windows read straight from the source series: the fastest tier's long window and sub-5m ones.

    Deriving the fastest page from smoothed 5m rates would delay it by minutes (MTTD < 2 min).
    Slice SLOs read every window from their recorded slice verdicts.
    """
    if isinstance(slo.sli, RawRatioSLI):
        return frozenset(windows(slo))  # an opaque ratio has no recorded series to derive from
    if isinstance(slo.sli, TimeSliceSLI) and not is_probe(slo):
        return frozenset()
    out = {w for w in windows(slo) if w < BASE_WINDOW}
    if slo.alerting is not None and slo.alerting.tiers:
        out.add(min(t.long_window for t in slo.alerting.tiers))
    return frozenset(out)


def coverage_series(service: Service, slo: SLO) -> str:
    """The recorded series whose sample count tells how much history a derived window holds."""
    if is_probe(slo):
        return str(series(PROBE_FAILED, service, slo))
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean:
        return str(series(SLICE_ERROR, service, slo))
    if isinstance(slo.sli, TimeSliceSLI):
        return str(series(SLICE_BAD, service, slo))
    return str(series(TOTAL_RATE, service, slo))


def cold_start_scaled(slo: SLO, window: Duration) -> bool:
    """Whether a long window is derived from recorded series and so scaled by its coverage."""
    return window not in raw_windows(slo) and window > BASE_WINDOW


def coverage(service: Service, slo: SLO, window: Duration) -> str | None:
    """PromQL: the share of ``window`` the recorded series cover, in [0, 1]; None for raw windows.

    Sample intervals in the window over what the last 5 minutes' sample rate predicts for the whole
    window, so the result does not depend on the evaluation interval (30s live, 1m in promtool tests).
    Scaling a derived window's error ratio by it counts missing history as healthy: at constant
    traffic the product is the budget actually spent, the quantity the policy is written in.
    """
    if not cold_start_scaled(slo, window):
        return None
    rec = coverage_series(service, slo)
    ratio = window.seconds / BASE_WINDOW.seconds
    # Ranges a millisecond short of the window hold the same samples on Prometheus 2.x (closed ranges) and 3.x
    # (left-open): count[5m - 1ms] is the intervals per 5 minutes on both, where count[5m] - 1 undercounts on
    # 3.x by one and made the guard ~11% weaker (tests/test_rules.py::test_slice_burn_scenarios_hold[current-*]).
    intervals = f"(count_over_time({rec}[{_short_of(window)}]) - 1)"
    expected = f"(count_over_time({rec}[{_short_of(BASE_WINDOW)}]) * {ratio:g} - 1)"
    return f"clamp_max({intervals} / {expected}, 1)"


def _short_of(window: Duration) -> str:
    """``window`` minus a millisecond, as a PromQL duration."""
    return f"{window.seconds * 1000 - 1}ms"


def bad_events(service: Service, slo: SLO, window: Duration) -> str:
    """PromQL: bad events within ``window`` (single series without labels; ``0`` when none yet; one series
    per group, with only the group labels, for a grouped SLO).

    The raw window counts them from the source counters; derived windows integrate the recorded
    5m bad-event rate over the time the window covers.
    """
    if window in raw_windows(slo):
        return promql.bad_events(slo, window, "increase")
    rec = series(BAD_RATE, service, slo)
    if slo.group_by:  # per group; a group without a sample has no events and fails a minimum > 0 anyway
        if window <= BASE_WINDOW:
            return f"({promql.aggregate(str(rec), slo.group_by)} * {window.seconds})"
        scaled = f"avg_over_time({rec}[{window}]) * {coverage(service, slo, window)}"
        return f"({promql.aggregate(scaled, slo.group_by)} * {window.seconds})"
    if window <= BASE_WINDOW:
        return f"(sum({rec}) * {window.seconds} or vector(0))"
    return f"(sum(avg_over_time({rec}[{window}]) * {coverage(service, slo, window)}) * {window.seconds} or vector(0))"


def bucket_present(slo: SLO) -> str | None:
    """PromQL that has a sample while a bucket matches a latency SLI's threshold; None otherwise."""
    sli = _inner(slo)
    if not isinstance(sli, LatencySLI) or sli.histogram_kind == "native":
        return None  # a native histogram has every boundary: nothing can be missing
    classic = f"count({promql.bucket_selector(sli)}) > 0"
    if sli.histogram_kind == "auto":  # a series read from its native histogram needs no bucket
        return f"({classic} or count({sli.histogram}) > 0)"
    return classic


def total_outage_minutes(slo: SLO, tier: BurnRateTier) -> float | None:
    """Minutes of a total outage (every event bad, every probe failed) until the tier fires.

    The long window must hold threshold × window of failure (the short window fills sooner); a window
    derived from 5m rates lags about half of 5m, a slice verdict up to a minute; then ``for``. None when
    no outage can fire the tier. Low traffic adds the time to collect :func:`min_bad_events`.
    """
    if not reachable(slo, tier):
        return None
    needed = threshold(slo, tier) * tier.long_window.seconds
    if isinstance(slo.sli, TimeSliceSLI) and slo.sli.mean and not is_probe(slo):
        wait = tier.for_.seconds if tier.for_ else 0
        return math.ceil((slice_mean_outage_seconds(slo, needed) + 60 + EVALUATION.seconds + wait) / 6) / 10
    if isinstance(slo.sli, TimeSliceSLI) and not is_probe(slo):
        lag = 60.0
    elif tier.long_window in raw_windows(slo):
        lag = 15.0
    else:
        lag = BASE_WINDOW.seconds / 2
    wait = tier.for_.seconds if tier.for_ else 0
    return math.ceil((needed + lag + EVALUATION.seconds + wait) / 6) / 10


def slice_mean_outage_seconds(slo: SLO, needed: float) -> float:
    """Seconds of total outage until a slice mean's window holds ``needed`` seconds of error ratio.

    The recorded slice ratio is a sliding slice: it ramps from 0 to 1 over one slice length ``s``, so
    the window's integral is t²/2s during the ramp and t − s/2 after it.
    """
    assert isinstance(slo.sli, TimeSliceSLI)
    s = slo.sli.slice.seconds
    return math.sqrt(2 * needed * s) if needed <= s / 2 else needed + s / 2


def common_bucket(threshold_seconds: float) -> bool:
    """Whether a latency threshold is a default bucket of the common client libraries."""
    return any(math.isclose(threshold_seconds, b, rel_tol=1e-9) for b in COMMON_BUCKETS)


def nearest_common_buckets(threshold_seconds: float) -> tuple[float | None, float | None]:
    """The common default buckets just below and above a threshold (None past either end)."""
    below = [b for b in COMMON_BUCKETS if b < threshold_seconds]
    above = [b for b in COMMON_BUCKETS if b > threshold_seconds]
    return (below[-1] if below else None, above[0] if above else None)


def bucket_hint(slo: SLO) -> str | None:
    """A ``slo validate`` hint when a latency threshold is not a default bucket of client libraries."""
    sli = _inner(slo)
    if not isinstance(sli, LatencySLI) or sli.histogram_kind == "native" or common_bucket(sli.threshold):
        return None
    below, above = nearest_common_buckets(sli.threshold)
    near = " and ".join(f"{b:g}s" for b in (below, above) if b is not None)
    return (
        f"latency threshold {sli.threshold:g}s is not a default bucket of the common client libraries "
        f"(nearest defaults: {near}); make sure the histogram declares a {sli.threshold:g} bucket, or burn "
        "alerts stay off and SLOLatencyBucketMissing fires"
    )
