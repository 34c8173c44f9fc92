"""The toolkit's own YAML format (``apiVersion: slo-toolkit/v1``), validated by a shipped JSON Schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slo.loaders.schema_errors import split_unknown, validate
from slo.loaders.yamlsrc import Document, join
from slo.model.alert_policy import DEFAULT_POLICY, AlertPolicy, BurnRateTier
from slo.model.durations import Duration, parse_seconds
from slo.model.errors import DefinitionError, Problem, SpecError
from slo.model.grouping import DEFAULT_MAX_GROUPS
from slo.model.periods import parse_period
from slo.model.selectors import Matcher, Selector, normalise, parse_selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, PromQLTemplate, RatioSLI, RawRatioSLI, TimeSliceSLI
from slo.model.thresholds import (
    CounterIncrease,
    HistogramQuantile,
    RateRatio,
    RawPromQL,
    ThresholdAlert,
    ThresholdExpr,
    Utilisation,
    parse_for,
    parse_level,
)
from slo.model.values import normalise_objective

API_VERSION = "slo-toolkit/v1"
SCHEMA = "slo-spec.schema.json"
_OPS = {"equals": "=", "not": "!=", "regex": "=~", "not_regex": "!~"}


def recognises(data: Any) -> bool:
    return isinstance(data, dict) and (data.get("apiVersion") == API_VERSION or "services" in data)


def matchers(spec: dict[str, Any] | None) -> tuple[Matcher, ...]:
    out = []
    for label, value in (spec or {}).items():
        if isinstance(value, str):
            out.append(Matcher(label, "=", value))
        else:
            ((kind, text),) = value.items()
            out.append(Matcher(label, _OPS[kind], text))
    return normalise(out)


def selector(spec: str | dict[str, Any], whole: str = "raw.error_ratio") -> Selector:
    """A selector from text or ``{metric, labels}``; ``whole`` names where a full PromQL expression goes."""
    if isinstance(spec, str):
        try:
            return parse_selector(spec)
        except DefinitionError as exc:
            if "(" not in spec and "[" not in spec:
                raise
            raise DefinitionError(
                f"{exc.message}: give a plain selector such as 'http_requests_total{{code=~\"5..\"}}' "
                f"(the toolkit applies rate() and sum() itself), or put a whole expression in '{whole}'"
            ) from None
    return Selector(spec["metric"], matchers(spec.get("labels")))


def _events(spec: str | dict[str, Any]) -> Selector | PromQLTemplate:
    """A ratio's events: a selector, or ``{promql: …}`` with ``{{.window}}`` (opaque, as Sloth queries are)."""
    if isinstance(spec, dict) and "promql" in spec:
        return PromQLTemplate(spec["promql"])
    return selector(spec)


def _sli(spec: dict[str, Any]) -> Any:
    kinds = [k for k in ("ratio", "latency", "probe", "raw") if k in spec]
    if len(kinds) != 1:
        raise DefinitionError("give exactly one of 'ratio', 'latency', 'probe' or 'raw'")
    kind = kinds[0]
    slices = spec.get("slices")
    if kind == "ratio":
        r = spec["ratio"]
        if ("good" in r) == ("bad" in r):
            raise DefinitionError("give exactly one of 'good' or 'bad' besides 'total'", "ratio")
        sources = {}
        for key in ("total", "good", "bad"):
            try:
                sources[key] = _events(r[key]) if key in r else None
            except DefinitionError as exc:
                raise exc.under(f"ratio.{key}") from None
        try:
            inner: Any = RatioSLI(sources["total"], sources["good"], sources["bad"])
        except DefinitionError as exc:
            raise exc.under("ratio") from None
    elif kind == "latency":
        lat = spec["latency"]
        try:
            inner = LatencySLI(
                Selector(lat["histogram"], matchers(lat.get("labels"))),
                parse_seconds(lat["under"]),
                lat.get("histogram_kind", "classic"),
            )
        except DefinitionError as exc:
            raise exc.under("latency") from None
    elif kind == "probe":
        try:
            inner = ProbeSLI(selector(spec["probe"]))
        except DefinitionError as exc:
            raise exc.under("probe") from None
        if slices is None:
            slices = {"length": "1m", "target": 1.0}
    else:
        if slices is not None:
            raise DefinitionError("a raw error-ratio SLI cannot be sliced", "slices")
        try:
            return RawRatioSLI(PromQLTemplate(spec["raw"]["error_ratio"]))
        except DefinitionError as exc:
            raise exc.under("raw.error_ratio") from None
    if slices is None:
        return inner
    try:
        if slices.get("mean"):  # the mean of the slices' good ratios (OpenSLO RatioTimeslices)
            return TimeSliceSLI(inner, Duration.parse(slices["length"]), slices.get("target"), mean=True)
        return TimeSliceSLI(inner, Duration.parse(slices["length"]), slices.get("target", 1.0))
    except DefinitionError as exc:
        raise exc.under("slices") from None


def _tier(spec: dict[str, Any]) -> BurnRateTier:
    return BurnRateTier(
        spec["name"],
        spec["severity"],
        Duration.parse(spec["long_window"]),
        Duration.parse(spec["short_window"]),
        spec["budget_spent"],
        Duration.parse(spec["for"]) if "for" in spec else None,
        spec.get("min_bad_events"),
    )


def alert_policy(spec: dict[str, Any] | None) -> AlertPolicy | None:
    """``alerting:`` block → policy; ``enabled: false`` → no alerts."""
    if spec is None:
        return DEFAULT_POLICY
    if spec.get("enabled", True) is False:
        return None
    tiers = DEFAULT_POLICY.tiers
    if "tiers" in spec:
        parsed = []
        for i, t in enumerate(spec["tiers"]):
            try:
                parsed.append(_tier(t))
            except DefinitionError as exc:
                raise exc.under(f"tiers[{i}]") from None
        tiers = tuple(parsed)
    policy = AlertPolicy(
        tiers=tiers,
        absent_for=Duration.parse(spec.get("absent_for", str(DEFAULT_POLICY.absent_for))),
        budget_exhausted=spec.get("budget_exhausted", False),
        min_bad_events=spec.get("min_bad_events", DEFAULT_POLICY.min_bad_events),
        keep_firing_for=(
            Duration.parse(spec["keep_firing_for"])
            if spec.get("keep_firing_for") is not None
            else None
            if "keep_firing_for" in spec
            else DEFAULT_POLICY.keep_firing_for
        ),
        absent_severity=spec.get("absent_severity"),
        name=spec.get("name"),
        labels=spec.get("labels", {}),
        annotations=spec.get("annotations", {}),
        page_labels=spec.get("page_labels", {}),
        ticket_labels=spec.get("ticket_labels", {}),
        page_annotations=spec.get("page_annotations", {}),
        ticket_annotations=spec.get("ticket_annotations", {}),
    )
    try:
        return policy.without(*spec.get("disable_tiers", []))
    except DefinitionError as exc:
        raise exc.under("disable_tiers") from None


def _slo(spec: dict[str, Any]) -> SLO:
    try:
        sli = _sli(spec["sli"])
    except DefinitionError as exc:
        raise exc.under("sli") from None
    try:
        period = parse_period(spec.get("period", "30d"), spec.get("timezone"))
    except DefinitionError as exc:
        raise exc.under("period") from None
    try:
        alerting = alert_policy(spec.get("alerting"))
    except DefinitionError as exc:
        raise exc.under("alerting") from None
    try:
        objective = normalise_objective(spec["objective"])
    except DefinitionError as exc:
        raise exc.under("objective") from None
    return SLO(
        name=spec["name"],
        objective=objective,
        sli=sli,
        period=period,
        description=spec.get("description", ""),
        labels=spec.get("labels", {}),
        alerting=alerting,
        group_by=tuple(spec.get("group_by", ())),
        max_groups=spec.get("max_groups", DEFAULT_MAX_GROUPS),
    )


# ---------------------------------------------------------------------------------------------
# alerts: (threshold alerts, see slo.model.ThresholdAlert)

THRESHOLD_SHAPES = ("rate_ratio", "histogram_quantile", "utilisation", "counter_increase", "raw_promql")


def _threshold_expr(kind: str, spec: dict[str, Any]) -> ThresholdExpr:
    def sel(key: str) -> Selector | None:
        if key not in spec:
            return None
        try:
            return selector(spec[key], "raw_promql.expr")
        except DefinitionError as exc:
            raise exc.under(key) from None

    by = tuple(spec.get("by", ()))
    if kind == "rate_ratio":
        return RateRatio(sel("numerator"), sel("denominator"), spec.get("window", "5m"), by)  # type: ignore[arg-type]
    if kind == "histogram_quantile":
        histogram = Selector(spec["histogram"], matchers(spec.get("labels")))
        return HistogramQuantile(histogram, spec["quantile"], spec.get("window", "5m"), by)  # type: ignore[arg-type]
    if kind == "utilisation":
        return Utilisation(sel("used"), sel("limit"), sel("free"), spec.get("rate"), by)  # type: ignore[arg-type]
    if kind == "counter_increase":
        return CounterIncrease(sel("counter"), spec["window"], by)  # type: ignore[arg-type]
    return RawPromQL(spec["expr"], by)


def threshold_alert(spec: dict[str, Any]) -> ThresholdAlert:
    """One entry of a service's ``alerts:`` list (the schema has checked the shapes)."""
    kinds = [k for k in THRESHOLD_SHAPES if k in spec]
    if len(kinds) != 1:
        names = ", ".join(f"'{k}'" for k in THRESHOLD_SHAPES[:-1])
        raise DefinitionError(f"give exactly one expression: {names} or '{THRESHOLD_SHAPES[-1]}'")
    kind = kinds[0]
    try:
        expr = _threshold_expr(kind, spec[kind])
    except DefinitionError as exc:
        raise exc.under(kind) from None
    levels: dict[str, float | None] = {}
    for key in ("warning", "critical"):
        try:
            levels[key] = parse_level(spec[key], expr) if key in spec else None
        except DefinitionError as exc:
            raise exc.under(key) from None
    try:
        hold = parse_for(spec.get("for", "5m"))
    except DefinitionError as exc:
        raise exc.under("for") from None
    return ThresholdAlert(
        name=spec["name"],
        expr=expr,
        warning=levels["warning"],
        critical=levels["critical"],
        comparison=spec.get("comparison", ">"),
        for_=hold,
        labels=spec.get("labels", {}),
        summary=spec.get("summary", ""),
        description=spec.get("description", ""),
        runbook_url=spec.get("runbook_url"),
    )


def _service(spec: dict[str, Any], clean: Callable[[str], bool] = lambda _: True) -> Service:
    """Build a service; ``clean(path)`` says whether the schema passed that subtree.

    SLOs the schema already rejected are skipped (their problems are reported), the others are
    still built so their model problems are reported in the same run.
    """
    slos = []
    problems: list[DefinitionError] = []
    for i, s in enumerate(spec["slos"]):
        if not clean(f"slos[{i}]"):
            continue
        try:
            slos.append(_slo(s))
        except DefinitionError as exc:
            problems.append(exc.under(f"slos[{i}]"))
    alerts = []
    for i, a in enumerate(spec.get("alerts") or []):
        if not clean(f"alerts[{i}]"):
            continue
        try:
            alerts.append(threshold_alert(a))
        except DefinitionError as exc:
            problems.append(exc.under(f"alerts[{i}]"))
    if problems or not clean(""):
        raise _Many(problems)
    return Service(
        name=spec["name"],
        slos=tuple(slos),
        team=spec.get("team"),
        owner=spec.get("owner"),
        labels=spec.get("labels", {}),
        runbook_url=spec.get("runbook_url"),
        dashboard_url=spec.get("dashboard_url"),
        description=spec.get("description", ""),
        alerts=tuple(alerts),
    )


class _Many(Exception):
    def __init__(self, errors: list[DefinitionError]) -> None:
        self.errors = errors


def load(doc: Document) -> list[Service]:
    """Validate one document against the schema, then build the model; all problems at once."""
    problems = validate(doc, SCHEMA)
    # Unknown keys alone do not stop the semantic checks: every defect is reported at once.
    blocking = split_unknown(problems)[1]
    if any(not p.path.startswith("services[") for p in blocking):
        raise SpecError(problems)
    services: list[Service] = []
    found: list[Problem] = list(problems)
    for i, spec in enumerate(doc.data["services"]):
        base = f"services[{i}]"
        if not isinstance(spec, dict) or not isinstance(spec.get("slos"), list):
            continue  # the schema has reported it

        def clean(path: str, base: str = base, among: list[Problem] = blocking) -> bool:
            prefix = join(base, path) if path else base
            return not any(p.path == prefix or p.path.startswith((f"{prefix}.", f"{prefix}[")) for p in among)

        def strict(path: str, base: str = base) -> bool:
            return clean(path, base, problems)

        try:
            try:
                services.append(_service(spec, clean))
            except (KeyError, TypeError, AttributeError):
                # An unknown key where the builder expects a known one (a matcher operator): skip what
                # the schema rejected, as before.
                services.append(_service(spec, strict))
        except _Many as many:
            found.extend(doc.problem(e.under(base).path, e.message) for e in many.errors)
        except DefinitionError as exc:
            err = exc.under(base)
            found.append(doc.problem(err.path, err.message))
    if found:
        raise SpecError(sorted(set(found), key=lambda p: (p.line or 0, p.path, p.message)))
    return services


# ---------------------------------------------------------------------------------------------
# routing: (Alertmanager receivers and routes, see slo.model.routing)

_RECEIVER_KEYS = {
    "pagerduty": ("routing_key_file", "url", "send_resolved", "description"),
    "slack": ("api_url_file", "channel", "title", "text", "send_resolved", "app_token_file"),
    "opsgenie": ("api_key_file", "api_url", "priority", "send_resolved", "message", "description"),
    "webhook": ("url", "url_file", "credentials_file", "max_alerts", "send_resolved"),
    "email": (
        "to",
        "from",
        "smarthost",
        "auth_username",
        "auth_password_file",
        "require_tls",
        "send_resolved",
        "subject",
        "html",
        "text",
    ),
    "msteamsv2": ("webhook_url_file", "title", "text", "send_resolved"),
}
# Accepted by the schema only so that they can be refused with a clear message here.
_LITERAL = {
    "pagerduty": ("routing_key", "service_key"),
    "slack": ("api_url", "app_token"),
    "opsgenie": ("api_key",),
    "webhook": (),
    "email": ("auth_password", "auth_secret"),
    "msteamsv2": ("webhook_url",),
}


def _integration(kind: str, spec: dict[str, Any]) -> Any:
    from slo.model.receivers import KINDS, refuse_literal

    literal = {k: spec[k] for k in _LITERAL[kind] if k in spec}
    if kind == "slack" and "api_url" in literal:
        raise DefinitionError(
            "refusing a literal secret: a Slack webhook URL is itself a secret and generated files must not "
            "contain secrets. Write it to a file readable by Alertmanager and give api_url_file instead",
            "api_url",
        )
    refuse_literal(literal)
    values = {("sender" if k == "from" else k): spec.get(k) for k in _RECEIVER_KEYS[kind]}
    return KINDS[kind](**values)


def routing_spec(spec: dict[str, Any]) -> Any:
    """``routing:`` block → :class:`slo.model.routing.Routing` (the schema has checked the shapes)."""
    from slo.model.receivers import Receiver
    from slo.model.routing import Route, make_routing

    receivers = []
    for i, r in enumerate(spec.get("receivers", [])):
        integrations = []
        for kind in _RECEIVER_KEYS:
            if kind in r:
                try:
                    integrations.append(_integration(kind, r[kind]))
                except DefinitionError as exc:
                    raise exc.under(f"receivers[{i}].{kind}") from None
        try:
            receivers.append(Receiver(r["name"], tuple(integrations)))
        except DefinitionError as exc:
            raise DefinitionError(exc.message, f"receivers[{i}]") from None
    routes = []
    for i, r in enumerate(spec.get("routes", [])):
        try:
            routes.append(
                Route(
                    r.get("team"),
                    r.get("service"),
                    r.get("critical"),
                    r.get("warning"),
                    r.get("group_wait"),
                    r.get("group_interval"),
                    r.get("repeat_interval"),
                )
            )
        except DefinitionError as exc:
            raise exc.under(f"routes[{i}]") from None
    options = {
        k: spec[k]
        for k in ("critical", "warning", "default", "group_by", "group_wait", "group_interval", "repeat_interval")
        if k in spec
    }
    return make_routing(
        receivers,
        routes=routes,
        inhibit=spec.get("inhibit", True),
        cross_inhibit=spec.get("cross_inhibit", False),
        **options,
    )


def load_routing(doc: Document) -> Any:
    """The document's ``routing:`` block as a model, or None; problems located by file:line:path."""
    if not isinstance(doc.data, dict) or "routing" not in doc.data:
        return None
    problems = [p for p in validate(doc, SCHEMA) if p.path == "routing" or p.path.startswith(("routing.", "routing["))]
    if problems:
        raise SpecError(problems)
    try:
        return routing_spec(doc.data["routing"])
    except DefinitionError as exc:
        err = exc.under("routing")
        raise SpecError(doc.problem(err.path, err.message)) from None
