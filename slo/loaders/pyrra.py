"""Pyrra ``ServiceLevelObjective`` objects (``apiVersion: pyrra.dev/v1alpha1``).

Pyrra has no service: an object's namespace is its service (the Kubernetes manifests keep one team's
SLOs in one namespace), else the SLO's own name. ``ratio`` and ``latency`` indicators become the
typed model (a latency's ``le`` bucket over its ``_count`` is a :class:`LatencySLI`, a
``latencyNative`` histogram and ``latency`` threshold one with ``histogram_kind="native"``); a
``bool_gauge`` such as ``probe_success`` becomes one-minute time slices that are good when the gauge
is 1. Labels prefixed ``pyrra.dev/`` become SLO labels, as Pyrra propagates them to its rules.

``grouping`` becomes the SLO's ``group_by``: one SLI and error budget per value of those labels.
"""

from __future__ import annotations

import math
from typing import Any

from slo.loaders.histograms import BucketMismatch, histogram_latency
from slo.loaders.keys import non_string_keys
from slo.loaders.located import Located as _Failed
from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.schema_errors import split_unknown, validate
from slo.loaders.yamlsrc import Document, join
from slo.model.alert_policy import DEFAULT_POLICY, AlertPolicy
from slo.model.durations import Duration, parse_seconds
from slo.model.errors import DefinitionError, Problem, SpecError
from slo.model.grouping import slo_grouping
from slo.model.periods import Rolling
from slo.model.selectors import Selector, parse_selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, TimeSliceSLI
from slo.model.values import check_name, freeze_labels, normalise_objective

API_VERSION = "pyrra.dev/v1alpha1"
KIND = "ServiceLevelObjective"
SCHEMA = "pyrra-v1alpha1.schema.json"
LABEL_PREFIX = "pyrra.dev/"
# Pyrra's four burn-rate alerts, in the order of the toolkit's default tiers.
SEVERITY_KEYS = {"fastBurn": "fast-page", "mediumBurn": "slow-page", "slowBurn": "fast-ticket"}
SEVERITY_KEYS |= {"longTermBurn": "slow-ticket"}
IGNORED = ("partial_response_strategy", "performanceOverAccuracy", "ruleOutput")


def recognises(data: Any) -> bool:
    """Any ``pyrra.dev/…`` API version, so an unsupported one is named rather than unrecognised."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and data["apiVersion"].startswith("pyrra.dev/")
    )


def _selector(doc: Document, path: str, text: str) -> Selector:
    try:
        return parse_selector(text)
    except DefinitionError as exc:
        raise _fail(
            doc, path, f'Pyrra metrics are plain selectors such as http_requests_total{{job="api"}}: {exc.message}'
        ) from None


def _latency(doc: Document, path: str, spec: dict[str, Any]) -> LatencySLI:
    """``X_bucket{…, le="0.2"}`` over ``X_count{…}`` (the same labels) → latency under 0.2 s."""
    success_path, total_path = join(path, "success.metric"), join(path, "total.metric")
    success = _selector(doc, success_path, spec["success"]["metric"])
    total = _selector(doc, total_path, spec["total"]["metric"])
    le = [m for m in success.matchers if m.label == "le"]
    if not success.metric.endswith("_bucket") or len(le) != 1 or le[0].op != "=":
        raise _fail(
            doc, success_path, 'success must be a histogram bucket with le="<seconds>", e.g. x_bucket{le="0.2"}'
        )
    try:
        histogram, threshold = histogram_latency(success, le[0], total, "success")
    except BucketMismatch as exc:
        raise _fail(doc, total_path if exc.field == "total" else success_path, exc.message) from None
    return _call(doc, success_path, lambda: LatencySLI(histogram, threshold))


def _latency_native(doc: Document, path: str, spec: dict[str, Any]) -> LatencySLI:
    """``total.metric`` is the native histogram (base name), ``latency`` the threshold (``200ms``)."""
    total_path = join(path, "total.metric")
    histogram = _selector(doc, total_path, spec["total"]["metric"])
    latency_path = join(path, "latency")
    try:
        threshold = parse_seconds(spec["latency"])
    except DefinitionError as exc:
        raise _fail(doc, latency_path, exc.message) from None
    return _call(doc, total_path, lambda: LatencySLI(histogram, threshold, "native"))


def _sli(doc: Document, path: str, spec: dict[str, Any]) -> RatioSLI | LatencySLI | TimeSliceSLI:
    kinds = [k for k in ("ratio", "latency", "latencyNative", "bool_gauge") if k in spec]
    if len(kinds) != 1:
        raise _fail(doc, path, "give exactly one indicator: ratio, latency, latencyNative or bool_gauge")
    kind = kinds[0]
    where = join(path, kind)
    if kind == "latencyNative":
        return _latency_native(doc, where, spec[kind])
    if kind == "ratio":
        errors = _selector(doc, join(where, "errors.metric"), spec[kind]["errors"]["metric"])
        total = _selector(doc, join(where, "total.metric"), spec[kind]["total"]["metric"])
        return _call(doc, where, lambda: RatioSLI(total=total, bad=errors))
    if kind == "latency":
        return _latency(doc, where, spec[kind])
    gauge = _selector(doc, join(where, "metric"), spec[kind]["metric"])
    return _call(doc, where, lambda: TimeSliceSLI(ProbeSLI(gauge), Duration.parse("1m"), 1.0))


def _grouping(doc: Document, path: str, spec: dict[str, Any]) -> tuple[str, ...]:
    """``indicator.<kind>.grouping``: one SLI and error budget per value of these labels."""
    kinds = [k for k in ("ratio", "latency", "latencyNative", "bool_gauge") if k in spec]
    if len(kinds) != 1:
        return ()  # _sli reports it
    where = join(join(path, kinds[0]), "grouping")
    labels = spec[kinds[0]].get("grouping") or ()
    try:
        return slo_grouping(tuple(labels) if isinstance(labels, list) else labels)
    except DefinitionError as exc:
        hint = ""
        if "set by the toolkit" in exc.message:
            hint = " (relabel the source series, e.g. with metric_relabel_configs, to group by it)"
        raise _fail(doc, where, exc.message + hint) from None


def _target(doc: Document, path: str, value: str | float) -> float:
    try:
        percent = float(value)
    except ValueError:
        raise _fail(doc, path, f'must be a percentage such as "99.9", got {value!r}') from None
    if not math.isfinite(percent) or not 0 < percent < 100:
        raise _fail(
            doc, path, f'must be a percentage between 0 and 100 such as "99.9" (100 leaves no budget), got {value!r}'
        )
    return _call(doc, path, lambda: normalise_objective(percent / 100))


def _policy(doc: Document, path: str, spec: dict[str, Any] | None, warnings: list[Problem]) -> AlertPolicy | None:
    """Pyrra ``alerting`` → the default tiers: disabled → none; burnrates: false → absent alert only."""
    if not spec:
        return DEFAULT_POLICY
    if spec.get("disabled"):
        return None
    tiers = DEFAULT_POLICY.tiers
    problems: list[Problem] = []
    severities = spec.get("severities") or {}
    for key, value in severities.items():
        if key == "absent":
            continue
        if value not in ("critical", "warning"):
            problems.append(
                doc.problem(
                    join(join(path, "severities"), key),
                    f"must be 'critical' or 'warning' (the severities routing knows), got {value!r}",
                )
            )
            continue
        tiers = tuple(t if t.name != SEVERITY_KEYS[key] else _with_severity(t, value) for t in tiers)
    if problems:
        raise _Failed(problems)
    if spec.get("burnrates") is False:
        tiers = ()
    if spec.get("absent") is False or "absentName" in spec or "absent" in severities:
        warnings.append(
            doc.problem(
                path,
                "absent-alert options ignored: the toolkit always alerts on a missing SLI metric "
                "(SLOMetricAbsent, severity warning)",
            )
        )
    return _call(doc, path, lambda: AlertPolicy(tiers=tiers, name=spec.get("name") or None))


def _with_severity(tier: Any, severity: str) -> Any:
    import dataclasses

    return dataclasses.replace(tier, severity=severity)


def _labels(doc: Document, metadata: dict[str, Any]) -> dict[str, str]:
    """``pyrra.dev/<name>`` labels → SLO label ``<name>``; other labels select the PrometheusRule object."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in (metadata.get("labels") or {}).items():
        if not key.startswith(LABEL_PREFIX):
            continue
        name = key[len(LABEL_PREFIX) :]
        try:
            freeze_labels({name: value})
            out[name] = value
        except DefinitionError as exc:
            problems.append(doc.problem(join("metadata.labels", key), exc.message))
    if problems:
        raise _Failed(problems)
    return out


def load(doc: Document, warnings: list[Problem]) -> list[tuple[Service, dict[str, str]]]:
    """One Pyrra object → one service holding its SLO, with where the SLO is named (for merging)."""
    data = doc.data
    if data.get("apiVersion") != API_VERSION:
        raise SpecError(
            doc.problem("apiVersion", f"unsupported Pyrra API version {data.get('apiVersion')!r}: use {API_VERSION}")
        )
    if data.get("kind") != KIND:
        raise SpecError(doc.problem("kind", f"unsupported Pyrra kind {data.get('kind')!r}: only {KIND} is read"))
    problems = non_string_keys(doc) or validate(doc, SCHEMA)
    unknown, blocking = split_unknown(problems)
    if blocking:
        raise SpecError(problems)
    found: list[Problem] = list(unknown)
    metadata, spec = data["metadata"], data["spec"]
    ignored = [k for k in IGNORED if k in spec]
    if ignored:
        warnings.append(
            doc.problem("spec", f"Pyrra option(s) {', '.join(ignored)} ignored: they tune Pyrra's own rule output")
        )
    parts: dict[str, Any] = {}
    steps = {
        "name": lambda: _call(doc, "metadata.name", lambda: check_name("SLO", metadata["name"])),
        "service": lambda: _call(
            doc,
            "metadata.namespace" if "namespace" in metadata else "metadata.name",
            lambda: check_name("service", metadata.get("namespace") or metadata["name"]),
        ),
        "objective": lambda: _target(doc, "spec.target", spec["target"]),
        "period": lambda: _call(doc, "spec.window", lambda: Rolling(Duration.parse(spec["window"]))),
        "sli": lambda: _sli(doc, "spec.indicator", spec["indicator"]),
        "group_by": lambda: _grouping(doc, "spec.indicator", spec["indicator"]),
        "alerting": lambda: _policy(doc, "spec.alerting", spec.get("alerting"), warnings),
        "labels": lambda: _labels(doc, metadata),
    }
    for key, step in steps.items():
        try:
            parts[key] = step()
        except _Failed as failed:
            found.extend(failed.problems)
    if found:
        raise SpecError(sorted(found, key=lambda p: (p.line or 0, p.path)))
    try:
        slo = _call(
            doc,
            "spec",
            lambda: SLO(
                name=parts["name"],
                objective=parts["objective"],
                sli=parts["sli"],
                period=parts["period"],
                description=spec.get("description") or "",
                labels=parts["labels"],
                alerting=parts["alerting"],
                group_by=parts["group_by"],
            ),
        )
        service = _call(doc, "metadata", lambda: Service(name=parts["service"], slos=(slo,)))
    except _Failed as failed:
        raise SpecError(failed.problems) from None
    return [(service, {slo.name: f"{doc.file}:{doc.line('metadata.name')}"})]
