"""Sloth ``prometheus/v1`` specs, the ``PrometheusServiceLevel`` CRD and ``AlertWindows``.

Queries of the common shape ``sum(rate(SELECTOR[{{.window}}]))`` become typed selectors, so a Sloth
SLO is the same model as its DSL twin and gets the same event-weighted, NaN-safe rules. Every other
query stays an opaque :class:`PromQLTemplate`.

Keys are read in both of Sloth's spellings (``error_query`` in prometheus/v1, ``errorQuery`` in the
CRD): Sloth's own test data mixes them. Label values are stringified as Sloth does (``tier: 2`` is
``"2"``). The SLO period is the ``default_period`` setting (Sloth's ``--default-slo-period``, 30d);
an ``AlertWindows`` document for that period replaces the default burn-rate windows, as Sloth's
``--slo-period-windows-path`` does. SLI plugins and plugins that change the output are refused with a
located message rather than dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slo.loaders.keys import non_string_keys
from slo.loaders.located import Located as _Failed
from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.schema_errors import split_unknown, validate
from slo.loaders.yamlsrc import Document, join
from slo.model.alert_policy import DEFAULT_POLICY, AlertPolicy, BurnRateTier
from slo.model.durations import Duration
from slo.model.errors import DefinitionError, Problem, SpecError
from slo.model.periods import Rolling
from slo.model.selectors import parse_selector
from slo.model.service import SLO, Service
from slo.model.sli import WINDOW_PLACEHOLDER, EventSource, PromQLTemplate, RatioSLI, RawRatioSLI
from slo.model.values import check_name, freeze_labels, normalise_objective

VERSION = "prometheus/v1"
CRD_API_VERSION = "sloth.slok.dev/v1"
CRD_KIND = "PrometheusServiceLevel"
WINDOWS_KIND = "AlertWindows"
SCHEMA = "sloth-v1.schema.json"
WINDOWS_SCHEMA = "sloth-windows.schema.json"
PERIOD = "30d"  # Sloth's default SLO period (--default-slo-period)
# Plugins whose effect is Sloth's standard output (or a check): the toolkit's output stands in for them.
NEUTRAL_PLUGINS = re.compile(r"^sloth\.dev/(core/[a-z_]+|contrib/validate_[a-z_]+)/v\d+$")
# Sloth's alert windows → the toolkit's tier names.
TIER_NAMES = {("page", "quick"): "fast-page", ("page", "slow"): "slow-page"}
TIER_NAMES |= {("ticket", "quick"): "fast-ticket", ("ticket", "slow"): "slow-ticket"}

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
_SUM_RATE = re.compile(
    r"^\s*sum\s*\(\s*rate\s*\(\s*(?P<selector>.+)\[\s*\{\{\s*\.window\s*\}\}\s*\]\s*\)\s*\)\s*$",
    re.DOTALL,
)


def recognises(data: Any) -> bool:
    """Sloth by content: ``version: prometheus/…`` or ``apiVersion: sloth.slok.dev/…``.

    Prefixes, not exact versions, so an unsupported version gets a message naming it instead of
    "not a recognised SLO definition".
    """
    if not isinstance(data, dict):
        return False
    version, api = data.get("version"), data.get("apiVersion")
    return (isinstance(version, str) and version.startswith("prometheus/")) or (
        isinstance(api, str) and api.startswith("sloth.slok.dev/")
    )


def is_windows(data: Any) -> bool:
    """An ``AlertWindows`` document (burn-rate windows for one SLO period), not an SLO spec."""
    return isinstance(data, dict) and data.get("kind") == WINDOWS_KIND and recognises(data)


def _pick(doc: Document, path: str, spec: dict[str, Any], snake: str) -> tuple[str, Any]:
    """``(key, value)`` of a key given in Sloth's snake_case or camelCase spelling; ``("", None)`` if absent."""
    head, *rest = snake.split("_")
    camel = head + "".join(part.title() for part in rest)
    present = [k for k in dict.fromkeys((snake, camel)) if k in spec]
    if len(present) > 1:
        raise _fail(doc, join(path, camel), f"give {snake!r} or {camel!r} (the same key), not both")
    return (present[0], spec[present[0]]) if present else ("", None)


def _text(value: object) -> str:
    """A label value as Sloth writes it: YAML scalars stringified (``2`` → ``"2"``, ``true`` → ``"true"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Windows:
    """The burn-rate tiers an ``AlertWindows`` document gives SLOs of its period."""

    period: Duration
    tiers: tuple[BurnRateTier, ...]
    file: str
    line: int | None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def load_windows(doc: Document) -> Windows:
    """``AlertWindows`` → tiers named like the toolkit's (page quick = fast-page …), budget % as fractions."""
    problems = non_string_keys(doc) or validate(doc, WINDOWS_SCHEMA)
    if problems:
        raise SpecError(problems)
    spec = doc.data["spec"]
    found: list[Problem] = []
    try:
        period = _call(doc, "spec.sloPeriod", lambda: Rolling(Duration.parse(spec["sloPeriod"]))).window
    except _Failed as failed:
        raise SpecError(failed.problems) from None
    tiers = []
    for (kind, speed), name in TIER_NAMES.items():
        window, path = spec[kind][speed], f"spec.{kind}.{speed}"
        try:
            long = _call(doc, join(path, "longWindow"), lambda w=window: Duration.parse(w["longWindow"]))
            short = _call(doc, join(path, "shortWindow"), lambda w=window: Duration.parse(w["shortWindow"]))
            severity = "critical" if kind == "page" else "warning"
            budget = window["errorBudgetPercent"] / 100
            tiers.append(
                _call(doc, path, lambda n=name, s=severity, lo=long, sh=short, b=budget: BurnRateTier(n, s, lo, sh, b))
            )
        except _Failed as failed:
            found.extend(failed.problems)
    if found:
        raise SpecError(found)
    return Windows(period, tuple(tiers), doc.file, doc.line("spec.sloPeriod"))


def _query(doc: Document, path: str, text: str) -> EventSource:
    """A Sloth events query: a typed selector when it is ``sum(rate(SELECTOR[{{.window}}]))``, else opaque."""
    if not _WINDOW.search(text):
        raise _fail(
            doc,
            path,
            f"Sloth query must contain {WINDOW_PLACEHOLDER} where the rate window goes, "
            f"e.g. sum(rate(http_requests_total[{WINDOW_PLACEHOLDER}])); got {text.strip()!r}",
        )
    shape = _SUM_RATE.match(text)
    if shape:
        try:
            return parse_selector(shape.group("selector"))
        except DefinitionError:
            pass  # e.g. two rates divided: not a single selector, keep it opaque
    return _call(doc, path, lambda: PromQLTemplate(_WINDOW.sub(WINDOW_PLACEHOLDER, text.strip())))


def _sli(doc: Document, path: str, spec: dict[str, Any]) -> RatioSLI | RawRatioSLI:
    if "plugin" in spec:
        plugin = spec["plugin"]
        ident = plugin.get("id") if isinstance(plugin, dict) else None
        raise _fail(
            doc,
            join(path, "plugin"),
            f"Sloth SLI plugins{f' ({ident})' if ident else ''} are Go code the toolkit cannot run: write the "
            "SLI as events (error_query/total_query) or raw (error_ratio_query)",
        )
    kinds = [k for k in ("events", "raw") if k in spec]
    if len(kinds) != 1:
        raise _fail(doc, path, "give exactly one of 'events' (error_query/total_query) or 'raw' (error_ratio_query)")
    if kinds[0] == "raw":
        raw = join(path, "raw")
        key, text = _pick(doc, raw, spec["raw"], "error_ratio_query")
        if not key:
            raise _fail(doc, raw, "missing required key 'error_ratio_query' (errorRatioQuery in the CRD)")
        raw_path = join(raw, key)
        if not _WINDOW.search(text):
            raise _fail(doc, raw_path, f"Sloth query must contain {WINDOW_PLACEHOLDER}; got {text.strip()!r}")
        return _call(doc, raw_path, lambda: RawRatioSLI(PromQLTemplate(_WINDOW.sub(WINDOW_PLACEHOLDER, text.strip()))))
    events_path = join(path, "events")
    events = spec["events"]
    problems: list[Problem] = []
    sources: dict[str, EventSource] = {}
    for snake in ("error_query", "total_query"):
        try:
            key, text = _pick(doc, events_path, events, snake)
            if not key:
                camel = "errorQuery" if snake == "error_query" else "totalQuery"
                raise _fail(doc, events_path, f"missing required key {snake!r} ({camel} in the CRD)")
            sources[snake] = _query(doc, join(events_path, key), text)
        except _Failed as failed:
            problems.extend(failed.problems)
    if problems:
        raise _Failed(problems)
    return _call(doc, events_path, lambda: RatioSLI(total=sources["total_query"], bad=sources["error_query"]))


def _labels(doc: Document, path: str, labels: dict[str, Any] | None) -> dict[str, str]:
    """Labels stringified and checked one by one, so a bad key is reported at its own line."""
    problems = []
    out: dict[str, str] = {}
    for key, value in (labels or {}).items():
        try:
            freeze_labels({key: _text(value)})
            out[key] = _text(value)
        except DefinitionError as exc:
            problems.append(doc.problem(join(path, str(key)), exc.message))
    if problems:
        raise _Failed(problems)
    return out


def _annotations(spec: dict[str, Any] | None) -> dict[str, str]:
    return {str(k): _text(v) for k, v in (spec or {}).items()}


def _alert_policy(
    doc: Document, path: str, spec: dict[str, Any] | None, tiers: tuple[BurnRateTier, ...]
) -> AlertPolicy:
    """Sloth ``alerting`` → the burn-rate tiers with Sloth's names, labels, annotations and switches.

    Sloth's page alert is our critical tiers, its ticket alert our warning tiers; disabling one
    drops those tiers. With both disabled the policy keeps no tiers but the absent-metric alert.
    """
    base = DEFAULT_POLICY if tiers == DEFAULT_POLICY.tiers else AlertPolicy(tiers=tiers)
    if spec is None:
        return base
    alerts: dict[str, tuple[str, dict[str, Any]]] = {}
    problems: list[Problem] = []
    for snake in ("page_alert", "ticket_alert"):
        try:
            key, alert = _pick(doc, path, spec, snake)
            alerts[snake] = (join(path, key or snake), alert or {})
        except _Failed as failed:
            problems.extend(failed.problems)
            alerts[snake] = (join(path, snake), {})
    (page_path, page), (ticket_path, ticket) = alerts["page_alert"], alerts["ticket_alert"]
    labels: dict[str, dict[str, str]] = {}
    for name, where, value in (
        ("all", join(path, "labels"), spec.get("labels")),
        ("page", join(page_path, "labels"), page.get("labels")),
        ("ticket", join(ticket_path, "labels"), ticket.get("labels")),
    ):
        try:
            labels[name] = _labels(doc, where, value)
        except _Failed as failed:
            problems.extend(failed.problems)
    if problems:
        raise _Failed(problems)
    policy = _call(
        doc,
        path,
        lambda: AlertPolicy(
            tiers=base.tiers,
            name=spec.get("name") or None,
            labels=labels["all"],
            annotations=_annotations(spec.get("annotations")),
            page_labels=labels["page"],
            ticket_labels=labels["ticket"],
            page_annotations=_annotations(page.get("annotations")),
            ticket_annotations=_annotations(ticket.get("annotations")),
        ),
    )
    dropped = {"critical"} if page.get("disable") else set()
    if ticket.get("disable"):
        dropped.add("warning")
    return policy.without(*(t.name for t in policy.tiers if t.severity in dropped))


def _objective(doc: Document, path: str, value: float) -> float:
    if not 0 < value < 100:
        raise _fail(
            doc,
            path,
            f"must be a percentage between 0 and 100 such as 99.9 (100 leaves no budget), got {value!r}",
        )
    return _call(doc, path, lambda: normalise_objective(value / 100))


def _plugins(doc: Document, path: str, spec: dict[str, Any] | None) -> None:
    """SLO plugin chains: Sloth's core plugins and validators are its standard output; others change it."""
    chain = (spec or {}).get("chain") or []
    problems = [
        doc.problem(
            join(join(path, "chain"), i),
            f"Sloth SLO plugin {plugin['id']!r} changes the generated rules with Go code the toolkit cannot "
            "run: remove it (the toolkit's rules stand in for Sloth's core plugins only)",
        )
        for i, plugin in enumerate(chain)
        if not NEUTRAL_PLUGINS.match(plugin["id"])
    ]
    if problems:
        raise _Failed(problems)


def _slo(doc: Document, path: str, spec: dict[str, Any], period: Rolling, tiers: tuple[BurnRateTier, ...]) -> SLO:
    problems: list[Problem] = []
    parts: dict[str, Any] = {}
    steps = {
        "name": lambda: _checked_name(doc, join(path, "name"), "SLO", spec["name"]),
        "objective": lambda: _objective(doc, join(path, "objective"), spec["objective"]),
        "sli": lambda: _sli(doc, join(path, "sli"), spec["sli"]),
        "labels": lambda: _labels(doc, join(path, "labels"), spec.get("labels")),
        "alerting": lambda: _alert_policy(doc, join(path, "alerting"), spec.get("alerting"), tiers),
        "plugins": lambda: _plugins(doc, join(path, "plugins"), spec.get("plugins")),
    }
    for key, step in steps.items():
        try:
            parts[key] = step()
        except _Failed as failed:
            problems.extend(failed.problems)
    if problems:
        raise _Failed(problems)
    return _call(
        doc,
        path,
        lambda: SLO(
            name=parts["name"],
            objective=parts["objective"],
            sli=parts["sli"],
            period=period,
            description=spec.get("description", ""),
            labels=parts["labels"],
            alerting=parts["alerting"],
        ),
    )


def _checked_name(doc: Document, path: str, kind: str, name: str) -> str:
    return _call(doc, path, lambda: check_name(kind, name))


def _envelope(doc: Document) -> str:
    """Check version/kind before the schema so a wrong version is named, not just "must be …"."""
    data = doc.data
    if not isinstance(data, dict):
        raise SpecError(doc.problem("", f"expected a mapping at the top level, got {type(data).__name__}"))
    if "apiVersion" in data:
        if data["apiVersion"] != CRD_API_VERSION:
            raise SpecError(
                doc.problem(
                    "apiVersion",
                    f"unsupported Sloth API version {data['apiVersion']!r}: use {CRD_API_VERSION}",
                )
            )
        if data.get("kind") != CRD_KIND:
            raise SpecError(
                doc.problem(
                    "kind",
                    f"unsupported Sloth kind {data.get('kind')!r}: only {CRD_KIND} and {WINDOWS_KIND} are supported",
                )
            )
        return "spec"
    if data.get("version") != VERSION:
        raise SpecError(
            doc.problem(
                "version",
                f"unsupported Sloth spec version {data.get('version')!r}: only {VERSION} is supported",
            )
        )
    return ""


def slo_lines(doc: Document) -> dict[str, int | None]:
    """Where each SLO of a (schema-valid) spec is named: for duplicate reports across files."""
    base = "spec" if "apiVersion" in doc.data else ""
    spec = doc.data.get(base) if base else doc.data
    slos = spec.get("slos") if isinstance(spec, dict) else None
    if not isinstance(slos, list):  # a malformed spec: load() reports it
        return {}
    return {
        s["name"]: doc.line(join(join(join(base, "slos"), i), "name"))
        for i, s in enumerate(slos)
        if isinstance(s, dict) and isinstance(s.get("name"), str)
    }


def load(doc: Document, period: str | None = None, windows: Windows | None = None) -> list[Service]:
    """One Sloth spec → one service; every problem of every SLO is reported at once.

    ``period`` is the default SLO period (Sloth has none per spec); ``windows`` the ``AlertWindows``
    for that period, if the sources hold one.
    """
    base = _envelope(doc)
    problems = non_string_keys(doc) or validate(doc, SCHEMA)
    # Unknown keys alone do not stop the semantic checks: every defect is reported at once.
    unknown, blocking = split_unknown(problems)
    if blocking:
        raise SpecError(problems)
    spec = doc.data[base] if base else doc.data
    rolling = Rolling(Duration.parse(period or PERIOD))
    tiers = windows.tiers if windows is not None and windows.period == rolling.window else DEFAULT_POLICY.tiers
    found: list[Problem] = list(unknown)
    labels: dict[str, str] = {}
    name = ""
    try:
        name = _checked_name(doc, join(base, "service"), "service", spec["service"])
    except _Failed as failed:
        found.extend(failed.problems)
    try:
        labels = _labels(doc, join(base, "labels"), spec.get("labels"))
    except _Failed as failed:
        found.extend(failed.problems)
    try:
        _plugins(
            doc, join(base, "sloPlugins" if base else "slo_plugins"), spec.get("sloPlugins" if base else "slo_plugins")
        )
    except _Failed as failed:
        found.extend(failed.problems)
    # Sloth has no owner field; its examples carry the team as a label. `team` moves to the field
    # (Service.all_labels puts it back on every series); `owner` stays a label as Sloth would emit it.
    team = labels.pop("team", None) or labels.get("owner")
    slos: list[SLO] = []
    seen: dict[str, str] = {}
    for i, slo_spec in enumerate(spec["slos"]):
        path = join(join(base, "slos"), i)
        try:
            slo = _slo(doc, path, slo_spec, rolling, tiers)
        except _Failed as failed:
            found.extend(failed.problems)
            continue
        if slo.name in seen:
            first = doc.line(join(seen[slo.name], "name"))
            found.append(doc.problem(join(path, "name"), f"duplicate SLO name {slo.name!r} (first at line {first})"))
            continue
        seen[slo.name] = path
        slos.append(slo)
    if found:
        raise SpecError(sorted(found, key=lambda p: (p.line or 0, p.path)))

    def build() -> Service:
        return Service(name=name, slos=tuple(slos), team=team, owner=labels.get("owner"), labels=labels)

    try:
        return [_call(doc, base, build)]
    except _Failed as failed:
        raise SpecError(failed.problems) from None
