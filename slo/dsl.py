"""The Python DSL: one readable line per SLO.

Each helper returns an ``SLO`` of the model; ``service`` groups them. Label selectors are given as
dicts (``{"job": "api", "status": regex("5..")}``), never as PromQL text, so user values are always
quoted by :mod:`slo.selectors`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from slo.durations import Duration, parse_seconds
from slo.errors import DefinitionError
from slo.model import (
    DEFAULT_MAX_GROUPS,
    DEFAULT_POLICY,
    SLO,
    AlertPolicy,
    BurnRateTier,
    CounterIncrease,
    EventSource,
    HistogramQuantile,
    LatencySLI,
    ProbeSLI,
    RateRatio,
    RatioSLI,
    RawPromQL,
    Service,
    ThresholdAlert,
    ThresholdExpr,
    TimeSliceSLI,
    Utilisation,
    parse_for,
    parse_level,
    parse_period,
)
from slo.routing import (
    DEFAULT_GROUP_BY,
    Email,
    Integration,
    MSTeamsV2,
    Opsgenie,
    PagerDuty,
    Receiver,
    Route,
    Routing,
    Slack,
    Webhook,
    make_routing,
    refuse_literal,
)
from slo.selectors import LabelValue, Not, Regex, Selector, matchers_from, parse_selector

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

    Guard knobs (see slo.guards): ``min_bad_events`` a tier's long window must hold (low traffic; 0
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
        group_by=_labels_arg(group_by),
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


# ---------------------------------------------------------------------------------------------
# Threshold ("symptom") alerts: typed expression shapes and the alert around them.


def _labels_arg(by: Iterable[str]) -> tuple[str, ...]:
    """``by`` as a tuple; a bare string is passed on whole so the model refuses it (not split into letters)."""
    return by if isinstance(by, str) else tuple(by)  # type: ignore[return-value]


def _selector_arg(value: Selector | str, what: str) -> Selector:
    try:
        return parse_selector(value) if isinstance(value, str) else value
    except DefinitionError as exc:
        raise exc.under(what) from None


def rate_ratio(
    numerator: Selector | str,
    denominator: Selector | str,
    *,
    window: str = "5m",
    by: Iterable[str] = (),
) -> RateRatio:
    """``sum(rate(numerator)) / sum(rate(denominator))`` over ``window``, e.g. 5xx responses / all responses."""
    return RateRatio(
        _selector_arg(numerator, "numerator"),
        _selector_arg(denominator, "denominator"),
        Duration.parse(window),
        _labels_arg(by),
    )


def histogram_quantile(
    histogram: str,
    quantile: float,
    *,
    labels: Labels | None = None,
    window: str = "5m",
    by: Iterable[str] = (),
) -> HistogramQuantile:
    """The ``quantile`` (95 or 0.95) of ``histogram``'s observations over ``window``: the p95 response time."""
    return HistogramQuantile(selector(histogram, labels), quantile, Duration.parse(window), _labels_arg(by))


def utilisation(
    used: Selector | str | None = None,
    *,
    limit: Selector | str | None = None,
    free: Selector | str | None = None,
    rate: str | None = None,
    by: Iterable[str] = (),
) -> Utilisation:
    """``used / limit``, ``1 − free / limit`` or a single gauge; ``rate="5m"`` reads ``used`` as a counter (CPU)."""
    return Utilisation(
        _selector_arg(used, "used") if used is not None else None,
        _selector_arg(limit, "limit") if limit is not None else None,
        _selector_arg(free, "free") if free is not None else None,
        Duration.parse(rate) if rate is not None else None,
        _labels_arg(by),
    )


def counter_increase(
    counter: str,
    *,
    window: str,
    labels: Labels | None = None,
    by: Iterable[str] = (),
) -> CounterIncrease:
    """How much ``counter`` grew over ``window``, e.g. container restarts in the last hour."""
    return CounterIncrease(selector(counter, labels), Duration.parse(window), _labels_arg(by))


def raw_promql(expr: str, *, by: Iterable[str] = ()) -> RawPromQL:
    """An opaque PromQL expression (``slo validate`` parses it with promtool); ``by``: labels of its series."""
    return RawPromQL(expr, _labels_arg(by))


def threshold(
    name: str,
    expr: ThresholdExpr,
    *,
    warning: float | str | None = None,
    critical: float | str | None = None,
    comparison: str = ">",
    for_: str | None = "5m",
    labels: Mapping[str, str] | None = None,
    summary: str = "",
    description: str = "",
    runbook_url: str | None = None,
) -> ThresholdAlert:
    """A threshold alert: fires ``warning`` and/or ``critical`` while ``expr`` is beyond the level for ``for_``.

    Levels are numbers, percentages of a ratio (``"2%"``) or times for a latency quantile (``"1.5s"``);
    ``comparison="<"`` alerts on values below the levels. Summary and description are alert templates
    (``{{ $value }}``, ``{{ $labels.pod }}``); by default they name the level and the value.
    """
    levels = {}
    for what, value in (("warning", warning), ("critical", critical)):
        try:
            levels[what] = parse_level(value, expr) if value is not None else None
        except DefinitionError as exc:
            raise exc.under(what) from None
    try:
        hold = parse_for(for_)
    except DefinitionError as exc:
        raise exc.under("for_") from None
    return ThresholdAlert(
        name=name,
        expr=expr,
        warning=levels["warning"],
        critical=levels["critical"],
        comparison=comparison,
        for_=hold,
        labels=labels or {},  # type: ignore[arg-type]
        summary=summary,
        description=description,
        runbook_url=runbook_url,
    )


# ---------------------------------------------------------------------------------------------
# Alertmanager routing (see slo.routing). Secrets are given as files, never as values: the literal
# parameters (routing_key=, api_url=, api_key=, auth_password=) exist only to refuse them clearly.


def _receiver(name: str, integration: Callable[[], Integration]) -> Receiver:
    try:
        return Receiver(name, (integration(),))
    except DefinitionError as exc:
        raise exc.under(f"receiver {name!r}") from None


def pagerduty(
    name: str,
    *,
    routing_key_file: str | None = None,
    url: str | None = None,
    send_resolved: bool | None = None,
    description: str | None = None,
    routing_key: str | None = None,
    service_key: str | None = None,
) -> Receiver:
    """A PagerDuty (Events API v2) receiver; the routing key is read from ``routing_key_file``.

    ``description`` (a Go template) replaces the generated notification template's incident title.
    """
    refuse_literal({"routing_key": routing_key, "service_key": service_key}, f"receiver {name!r}")
    return _receiver(name, lambda: PagerDuty(routing_key_file, url, send_resolved, description))  # type: ignore[arg-type]


def slack(
    name: str,
    *,
    api_url_file: str | None = None,
    channel: str | None = None,
    title: str | None = None,
    text: str | None = None,
    send_resolved: bool | None = None,
    app_token_file: str | None = None,
    api_url: str | None = None,
    app_token: str | None = None,
) -> Receiver:
    """A Slack receiver; the webhook URL (a secret) is read from ``api_url_file``, or a Slack app's bot
    token from ``app_token_file`` (Alertmanager 0.30+). ``title``/``text`` replace the generated
    notification templates; ``send_resolved`` defaults to true (Slack's own default is false)."""
    refuse_literal({"app_token": app_token}, f"receiver {name!r}")
    if api_url is not None:
        raise DefinitionError(
            "refusing a literal secret: a Slack webhook URL is itself a secret and generated files must not "
            "contain secrets. Write it to a file readable by Alertmanager and give api_url_file instead",
            f"receiver {name!r}.api_url",
        )
    return _receiver(
        name,
        lambda: Slack(api_url_file, channel, title, text, send_resolved, app_token_file),
    )


def msteamsv2(
    name: str,
    *,
    webhook_url_file: str | None = None,
    title: str | None = None,
    text: str | None = None,
    send_resolved: bool | None = None,
    webhook_url: str | None = None,
) -> Receiver:
    """A Microsoft Teams receiver through a Power Automate workflow (Alertmanager 0.28+); the workflow
    URL (a secret) is read from ``webhook_url_file``."""
    refuse_literal({"webhook_url": webhook_url}, f"receiver {name!r}")
    return _receiver(name, lambda: MSTeamsV2(webhook_url_file, title, text, send_resolved))  # type: ignore[arg-type]


def opsgenie(
    name: str,
    *,
    api_key_file: str | None = None,
    api_url: str | None = None,
    priority: str | None = None,
    send_resolved: bool | None = None,
    message: str | None = None,
    description: str | None = None,
    api_key: str | None = None,
) -> Receiver:
    """An Opsgenie receiver; the API key is read from ``api_key_file``. ``message``/``description``
    replace the generated notification templates. (Atlassian ends Opsgenie's support in April 2027.)"""
    refuse_literal({"api_key": api_key}, f"receiver {name!r}")
    return _receiver(
        name,
        lambda: Opsgenie(api_key_file, api_url, priority, send_resolved, message, description),  # type: ignore[arg-type]
    )


def webhook(
    name: str,
    *,
    url: str | None = None,
    url_file: str | None = None,
    credentials_file: str | None = None,
    max_alerts: int | None = None,
    send_resolved: bool | None = None,
) -> Receiver:
    """A webhook receiver: ``url`` (without credentials) or ``url_file``; bearer credentials from a file."""
    return _receiver(name, lambda: Webhook(url, url_file, credentials_file, max_alerts, send_resolved))


def email(
    name: str,
    *,
    to: str,
    sender: str | None = None,
    smarthost: str | None = None,
    auth_username: str | None = None,
    auth_password_file: str | None = None,
    require_tls: bool | None = None,
    send_resolved: bool | None = None,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    auth_password: str | None = None,
) -> Receiver:
    """An e-mail receiver (``sender`` is Alertmanager's ``from``); the SMTP password from a file.
    ``subject``/``html``/``text`` replace the generated notification templates."""
    refuse_literal({"auth_password": auth_password}, f"receiver {name!r}")
    return _receiver(
        name,
        lambda: Email(
            to, sender, smarthost, auth_username, auth_password_file, require_tls, send_resolved, subject, html, text
        ),
    )


def team_route(
    team: str,
    *,
    critical: str | None = None,
    warning: str | None = None,
    service: str | None = None,
    group_wait: str | None = None,
    group_interval: str | None = None,
    repeat_interval: str | None = None,
) -> Route:
    """Send one team's pages (``critical``) and/or tickets (``warning``) to its own receivers."""
    # Route parses the durations given as text (hence the ignores).
    return Route(team, service, critical, warning, group_wait, group_interval, repeat_interval)  # type: ignore[arg-type]


def service_route(
    service: str,
    *,
    critical: str | None = None,
    warning: str | None = None,
    group_wait: str | None = None,
    group_interval: str | None = None,
    repeat_interval: str | None = None,
) -> Route:
    """Send one service's pages and/or tickets to their own receivers (put it before its team's route)."""
    return Route(None, service, critical, warning, group_wait, group_interval, repeat_interval)  # type: ignore[arg-type]


def routing(
    *receivers: Receiver,
    critical: str | None = None,
    warning: str | None = None,
    default: str | None = None,
    routes: Iterable[Route] = (),
    group_by: Iterable[str] = DEFAULT_GROUP_BY,
    group_wait: str = "10s",
    group_interval: str = "10s",
    repeat_interval: str = "1h",
    inhibit: bool = True,
    cross_inhibit: bool = False,
) -> Routing:
    """Alertmanager routing for the SLO alerts; assign it to a module-level name so the loader finds it.

    Defaults follow the seeds: pages (``severity=critical``) to the pager receiver, tickets
    (``severity=warning``) to the chat receiver, group_wait/group_interval 10s, repeat_interval 1h,
    grouped by alertname, service and slo. ``routes`` (``team_route``/``service_route``) override
    per team or service: the first that matches an alert and names a receiver for its severity wins;
    a severity no route names goes to ``critical``/``warning``. ``cross_inhibit=True`` lets an SLO page
    inhibit the same service's threshold-alert criticals of the same symptom (error ratio, latency).
    """
    return make_routing(
        receivers,
        critical=critical,
        warning=warning,
        default=default,
        routes=routes,
        group_by=group_by,
        group_wait=group_wait,
        group_interval=group_interval,
        repeat_interval=repeat_interval,
        inhibit=inhibit,
        cross_inhibit=cross_inhibit,
    )
