"""The Python DSL for SLOs: one readable line per SLO.

Each helper returns an ``SLO`` of the model; ``service`` groups them. Label selectors are given as
dicts (``{"job": "api", "status": regex("5..")}``), never as PromQL text, so user values are always
quoted by :mod:`slo.model.selectors`. Threshold alerts are written with :mod:`slo.dsl.thresholds`,
Alertmanager routing with :mod:`slo.dsl.routing`; ``slo`` re-exports all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from slo.model.alert_policy import DEFAULT_POLICY, AlertPolicy, BurnRateTier
from slo.model.durations import Duration, parse_seconds
from slo.model.errors import DefinitionError
from slo.model.grouping import DEFAULT_MAX_GROUPS
from slo.model.periods import parse_period
from slo.model.selectors import LabelValue, Not, Regex, Selector, matchers_from, parse_selector
from slo.model.service import SLO, Service
from slo.model.sli import EventSource, LatencySLI, ProbeSLI, RatioSLI, TimeSliceSLI
from slo.model.thresholds import ThresholdAlert

Labels = Mapping[str, LabelValue]
_DEFAULT = object()


def regex(pattern: str) -> Regex:
    """A label value matched as a regular expression (``=~``)."""
    return Regex(pattern)


def not_regex(pattern: str) -> Regex:
    """A label value that must not match a regular expression (``!~``)."""
    return Regex(pattern, negate=True)


def not_equal(value: str) -> Not:
    """A label value that must differ (``!=``)."""
    return Not(value)


def selector(metric: str, labels: Labels | None = None) -> Selector:
    """``metric{labels}`` as a typed selector."""
    return Selector(metric, matchers_from(labels))


def label_names(by: Iterable[str]) -> tuple[str, ...]:
    """``by`` as a tuple; a bare string is passed on whole so the model refuses it (not split into letters)."""
    return by if isinstance(by, str) else tuple(by)  # type: ignore[return-value]


def _source(value: EventSource | str) -> EventSource:
    return parse_selector(value) if isinstance(value, str) else value


def policy(
    *,
    tiers: Iterable[BurnRateTier] | None = None,
    disable: Iterable[str] = (),
    absent_for: str = "4m",
    budget_exhausted: bool = False,
    min_bad_events: int = DEFAULT_POLICY.min_bad_events,
    keep_firing_for: str | None = "10m",
    absent_severity: str | None = None,
) -> AlertPolicy:
    """An alerting policy: the default four tiers unless ``tiers`` replaces them; ``disable`` drops some.

    Guard knobs (see slo.promql.guards): ``min_bad_events`` a tier's long window must hold (low traffic; 0
    turns the guard off), ``keep_firing_for`` on burn alerts (None: off), ``absent_severity`` of the
    blind-SLO alerts (None: critical when a tier pages, else warning).
    """
    base = AlertPolicy(
        tuple(tiers) if tiers is not None else DEFAULT_POLICY.tiers,
        Duration.parse(absent_for),
        budget_exhausted,
        min_bad_events=min_bad_events,
        keep_firing_for=Duration.parse(keep_firing_for) if keep_firing_for else None,
        absent_severity=absent_severity,
    )
    return base.without(*disable)


def _slo(
    name: str,
    objective: float,
    sli: RatioSLI | LatencySLI | TimeSliceSLI,
    period: str,
    timezone: str | None,
    description: str,
    labels: Mapping[str, str] | None,
    alerting: AlertPolicy | object | None,
    group_by: Iterable[str] = (),
    max_groups: int = DEFAULT_MAX_GROUPS,
) -> SLO:
    return SLO(
        name=name,
        objective=objective,
        sli=sli,
        period=parse_period(period, timezone),
        description=description,
        labels=labels or {},  # type: ignore[arg-type]
        alerting=DEFAULT_POLICY if alerting is _DEFAULT else alerting,  # type: ignore[arg-type]
        group_by=label_names(group_by),
        max_groups=max_groups,
    )


def _maybe_sliced(
    sli: RatioSLI | LatencySLI, slice: str | None, slice_target: float | None, slice_mean: bool = False
) -> RatioSLI | LatencySLI | TimeSliceSLI:
    if slice is None:
        if slice_target is not None:
            raise DefinitionError("slice_target needs slice (e.g. slice='5m')")
        if slice_mean:
            raise DefinitionError("slice_mean needs slice (e.g. slice='5m')")
        return sli
    if slice_mean:  # the mean of the slices' good ratios (OpenSLO RatioTimeslices)
        if slice_target is not None:
            raise DefinitionError("slice_mean averages the slices' good ratios: give no slice_target")
        return TimeSliceSLI(sli, Duration.parse(slice), mean=True)
    if slice_target is None:
        raise DefinitionError("a sliced SLO needs slice_target: the good ratio a slice must reach")
    return TimeSliceSLI(sli, Duration.parse(slice), slice_target)


def ratio(
    name: str,
    objective: float,
    *,
    total: EventSource | str,
    good: EventSource | str | None = None,
    bad: EventSource | str | None = None,
    period: str = "30d",
    timezone: str | None = None,
    slice: str | None = None,
    slice_target: float | None = None,
    slice_mean: bool = False,
    description: str = "",
    labels: Mapping[str, str] | None = None,
    alerting: AlertPolicy | object | None = _DEFAULT,
    group_by: Iterable[str] = (),
    max_groups: int = DEFAULT_MAX_GROUPS,
) -> SLO:
    """Good (or bad) events over total events from counters.

    ``slice``/``slice_target``: good slices (a slice is good when its good ratio reaches the target);
    ``slice``/``slice_mean=True``: the mean of the slices' good ratios (OpenSLO ``RatioTimeslices``).
    """
    sli = RatioSLI(
        _source(total), _source(good) if good is not None else None, _source(bad) if bad is not None else None
    )
    return _slo(
        name,
        objective,
        _maybe_sliced(sli, slice, slice_target, slice_mean),
        period,
        timezone,
        description,
        labels,
        alerting,
        group_by,
        max_groups,
    )


def availability(
    name: str,
    objective: float,
    metric: str,
    *,
    errors: Labels,
    labels: Labels | None = None,
    period: str = "30d",
    timezone: str | None = None,
    description: str = "",
    slo_labels: Mapping[str, str] | None = None,
    alerting: AlertPolicy | object | None = _DEFAULT,
    group_by: Iterable[str] = (),
    max_groups: int = DEFAULT_MAX_GROUPS,
) -> SLO:
    """Requests that did not fail: bad = ``metric{labels, errors}``, total = ``metric{labels}``."""
    if not errors:
        raise DefinitionError("availability needs 'errors', the labels that mark a failed request")
    total = selector(metric, labels)
    bad = selector(metric, {**(labels or {}), **errors})
    return _slo(
        name,
        objective,
        RatioSLI(total, bad=bad),
        period,
        timezone,
        description,
        slo_labels,
        alerting,
        group_by,
        max_groups,
    )


def latency(
    name: str,
    objective: float,
    histogram: str,
    *,
    under: str | float,
    labels: Labels | None = None,
    histogram_kind: str = "classic",
    period: str = "30d",
    timezone: str | None = None,
    slice: str | None = None,
    slice_target: float | None = None,
    slice_mean: bool = False,
    description: str = "",
    slo_labels: Mapping[str, str] | None = None,
    alerting: AlertPolicy | object | None = _DEFAULT,
    group_by: Iterable[str] = (),
    max_groups: int = DEFAULT_MAX_GROUPS,
) -> SLO:
    """``objective`` % of requests faster than ``under`` — "p95 < 200 ms" is ``latency(..., 95, under="200ms")``.

    ``histogram_kind``: ``"classic"`` (``_bucket``/``_count`` series), ``"native"`` (a native histogram,
    exponential or NHCB, under the base name) or ``"auto"`` (native where a series has it, else classic).
    """
    sli = LatencySLI(selector(histogram, labels), parse_seconds(under), histogram_kind)
    return _slo(
        name,
        objective,
        _maybe_sliced(sli, slice, slice_target, slice_mean),
        period,
        timezone,
        description,
        slo_labels,
        alerting,
        group_by,
        max_groups,
    )


def error_rate(
    name: str,
    objective: float,
    metric: str,
    *,
    errors: Labels,
    below: str | float,
    slice: str = "5m",
    labels: Labels | None = None,
    period: str = "30d",
    timezone: str | None = None,
    description: str = "",
    slo_labels: Mapping[str, str] | None = None,
    alerting: AlertPolicy | object | None = _DEFAULT,
    group_by: Iterable[str] = (),
    max_groups: int = DEFAULT_MAX_GROUPS,
) -> SLO:
    """Slices in which the error rate stayed below ``below`` ("0.1%" or 0.001) make up ``objective`` %."""
    if isinstance(below, str):
        text = below.strip()
        if not text.endswith("%"):
            raise DefinitionError(
                f"below must be a percentage such as '0.1%' or a fraction such as 0.001, got {below!r}"
            )
        try:
            limit = float(text[:-1]) / 100
        except ValueError:
            raise DefinitionError(f"below: {below!r} is not a percentage") from None
    elif isinstance(below, int | float) and not isinstance(below, bool) and 0 < below < 1:
        limit = float(below)
    else:
        raise DefinitionError(f"below must be a percentage such as '0.1%' or a fraction in (0, 1), got {below!r}")
    if not 0 < limit < 1:
        raise DefinitionError(f"below must lie strictly between 0% and 100%, got {below!r}")
    total = selector(metric, labels)
    bad = selector(metric, {**(labels or {}), **errors})
    sli = TimeSliceSLI(RatioSLI(total, bad=bad), Duration.parse(slice), round(1 - limit, 10))
    return _slo(name, objective, sli, period, timezone, description, slo_labels, alerting, group_by, max_groups)


def uptime(
    name: str,
    objective: float,
    metric: str = "probe_success",
    *,
    labels: Labels | None = None,
    slice: str = "1m",
    min_success: float = 1.0,
    period: str = "month",
    timezone: str | None = None,
    description: str = "",
    slo_labels: Mapping[str, str] | None = None,
    alerting: AlertPolicy | object | None = _DEFAULT,
    group_by: Iterable[str] = (),
    max_groups: int = DEFAULT_MAX_GROUPS,
) -> SLO:
    """Good minutes (``slice``) in which the probe gauge held.

    ``min_success`` is the share of probe samples in a slice that must succeed (default: all).
    """
    sli = TimeSliceSLI(ProbeSLI(selector(metric, labels)), Duration.parse(slice), min_success)
    return _slo(name, objective, sli, period, timezone, description, slo_labels, alerting, group_by, max_groups)


def service(
    name: str,
    *slos: SLO,
    team: str | None = None,
    owner: str | None = None,
    labels: Mapping[str, str] | None = None,
    runbook_url: str | None = None,
    dashboard_url: str | None = None,
    description: str = "",
    alerts: Iterable[ThresholdAlert] = (),
) -> Service:
    """A service, its SLOs and its threshold alerts; assign it to a module-level name so the loader finds it."""
    return Service(
        name=name,
        slos=tuple(slos),
        team=team,
        owner=owner,
        labels=labels or {},  # type: ignore[arg-type]
        runbook_url=runbook_url,
        dashboard_url=dashboard_url,
        description=description,
        alerts=tuple(alerts),
    )
