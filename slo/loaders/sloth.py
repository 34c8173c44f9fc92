"""Sloth ``prometheus/v1`` specs, plain or wrapped in the ``PrometheusServiceLevel`` CRD.

Queries of the common shape ``sum(rate(SELECTOR[{{.window}}]))`` become typed selectors, so a Sloth
SLO is the same model as its DSL twin and gets the same event-weighted, NaN-safe rules. Every other
query stays an opaque :class:`PromQLTemplate`. What the model cannot express (SLI plugins, per-alert
annotations) is refused with a located message rather than dropped.
"""

from __future__ import annotations

import re
from typing import Any

from slo.durations import Duration
from slo.errors import DefinitionError, Problem, SpecError
from slo.loaders.keys import non_string_keys
from slo.loaders.located import Located as _Failed
from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.schema_errors import validate
from slo.loaders.yamlsrc import Document, join
from slo.model import (
    DEFAULT_POLICY,
    SLO,
    WINDOW_PLACEHOLDER,
    AlertPolicy,
    EventSource,
    PromQLTemplate,
    RatioSLI,
    RawRatioSLI,
    Rolling,
    Service,
    check_name,
    freeze_labels,
    normalise_objective,
)
from slo.selectors import parse_selector

VERSION = "prometheus/v1"
CRD_API_VERSION = "sloth.slok.dev/v1"
CRD_KIND = "PrometheusServiceLevel"
SCHEMA = "sloth-v1.schema.json"
PERIOD = "30d"  # Sloth's default SLO period

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
        raise _fail(
            doc,
            join(path, "plugin"),
            "Sloth SLI plugins are not supported: write the SLI as events (error_query/total_query) "
            "or raw (error_ratio_query)",
        )
    kinds = [k for k in ("events", "raw") if k in spec]
    if len(kinds) != 1:
        raise _fail(doc, path, "give exactly one of 'events' (error_query/total_query) or 'raw' (error_ratio_query)")
    if kinds[0] == "raw":
        raw_path = join(join(path, "raw"), "error_ratio_query")
        text = spec["raw"]["error_ratio_query"]
        if not _WINDOW.search(text):
            raise _fail(doc, raw_path, f"Sloth query must contain {WINDOW_PLACEHOLDER}; got {text.strip()!r}")
        return _call(doc, raw_path, lambda: RawRatioSLI(PromQLTemplate(_WINDOW.sub(WINDOW_PLACEHOLDER, text.strip()))))
    events_path = join(path, "events")
    events = spec["events"]
    problems: list[Problem] = []
    sources: dict[str, EventSource] = {}
    for key in ("error_query", "total_query"):
        try:
            sources[key] = _query(doc, join(events_path, key), events[key])
        except _Failed as failed:
            problems.extend(failed.problems)
    if problems:
        raise _Failed(problems)
    return _call(doc, events_path, lambda: RatioSLI(total=sources["total_query"], bad=sources["error_query"]))


def _labels(doc: Document, path: str, labels: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    """Labels checked one by one so a bad key is reported at its own line."""
    problems = []
    for key, value in (labels or {}).items():
        try:
            freeze_labels({key: value})
        except DefinitionError as exc:
            problems.append(doc.problem(join(path, str(key)), exc.message))
    if problems:
        raise _Failed(problems)
    return freeze_labels(labels or {})


def _alert_policy(doc: Document, path: str, spec: dict[str, Any] | None) -> AlertPolicy:
    """Sloth ``alerting`` → the default burn-rate tiers with Sloth's names, labels and switches.

    Sloth's page alert is our critical tiers, its ticket alert our warning tiers; disabling one
    drops those tiers. With both disabled the policy keeps no tiers but the absent-metric alert.
    """
    if spec is None:
        return DEFAULT_POLICY
    alerts: dict[str, dict[str, Any]] = {}
    for key in ("page_alert", "ticket_alert"):
        alert = spec.get(key) or {}
        if "annotations" in alert:
            raise _fail(
                doc,
                join(join(path, key), "annotations"),
                "per-alert annotations are not supported: put them under alerting.annotations "
                "(they apply to every tier)",
            )
        alerts[key] = alert
    labels = _labels(doc, join(path, "labels"), spec.get("labels"))
    page_labels = _labels(doc, join(join(path, "page_alert"), "labels"), alerts["page_alert"].get("labels"))
    ticket_labels = _labels(doc, join(join(path, "ticket_alert"), "labels"), alerts["ticket_alert"].get("labels"))
    policy = _call(
        doc,
        path,
        lambda: AlertPolicy(
            name=spec.get("name"),
            labels=labels,
            annotations=spec.get("annotations") or {},
            page_labels=page_labels,
            ticket_labels=ticket_labels,
        ),
    )
    dropped = set()
    if alerts["page_alert"].get("disable"):
        dropped.add("critical")
    if alerts["ticket_alert"].get("disable"):
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


def _slo(doc: Document, path: str, spec: dict[str, Any]) -> SLO:
    problems: list[Problem] = []
    parts: dict[str, Any] = {}
    steps = {
        "name": lambda: _checked_name(doc, join(path, "name"), "SLO", spec["name"]),
        "objective": lambda: _objective(doc, join(path, "objective"), spec["objective"]),
        "sli": lambda: _sli(doc, join(path, "sli"), spec["sli"]),
        "labels": lambda: _labels(doc, join(path, "labels"), spec.get("labels")),
        "alerting": lambda: _alert_policy(doc, join(path, "alerting"), spec.get("alerting")),
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
            period=Rolling(Duration.parse(PERIOD)),
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
                doc.problem("kind", f"unsupported Sloth kind {data.get('kind')!r}: only {CRD_KIND} is supported")
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


def load(doc: Document) -> list[Service]:
    """One Sloth spec → one service; every problem of every SLO is reported at once."""
    base = _envelope(doc)
    problems = non_string_keys(doc) or validate(doc, SCHEMA)
    if problems:
        raise SpecError(problems)
    spec = doc.data[base] if base else doc.data
    labels = dict(spec.get("labels") or {})
    # Sloth has no owner field; its examples carry the team as a label. `team` moves to the field
    # (Service.all_labels puts it back on every series); `owner` stays a label as Sloth would emit it.
    team = labels.pop("team", None) or labels.get("owner")
    found: list[Problem] = []
    name, service_labels = "", ()
    try:
        name = _checked_name(doc, join(base, "service"), "service", spec["service"])
    except _Failed as failed:
        found.extend(failed.problems)
    try:
        service_labels = _labels(doc, join(base, "labels"), labels)
    except _Failed as failed:
        found.extend(failed.problems)
    slos: list[SLO] = []
    seen: dict[str, str] = {}
    for i, slo_spec in enumerate(spec["slos"]):
        path = join(join(base, "slos"), i)
        try:
            slo = _slo(doc, path, slo_spec)
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
        raise SpecError(found)

    def build() -> Service:
        return Service(name=name, slos=tuple(slos), team=team, owner=labels.get("owner"), labels=service_labels)

    try:
        return [_call(doc, base, build)]
    except _Failed as failed:
        raise SpecError(failed.problems) from None
