"""OpenSLO v1 documents (``apiVersion: openslo/v1``): SLO, SLI, Service and DataSource kinds.

All OpenSLO documents of a source set are resolved together, because an SLO may name an SLI, a
Service or a DataSource defined in another file. Prometheus counter selectors become the typed
model, and a ``_bucket{le=…}``/``_count`` pair becomes a latency SLI, so an OpenSLO SLO equals its
DSL twin. What the model cannot express faithfully — alert policies, raw or gauge ratios,
RatioTimeslices, composite objectives, non-Prometheus sources — is refused with a located message,
never dropped.

This module reads and cross-references the documents and builds services; SLI specs are read by
``openslo_indicators``, objectives by ``openslo_objectives``, time windows by ``openslo_periods``,
alert policies by ``openslo_alerts`` and v1alpha/v2alpha documents by ``openslo_versions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from slo.loaders.keys import non_string_keys
from slo.loaders.located import Located as _Failed
from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.openslo_alerts import AlertObject, notification_warning
from slo.loaders.openslo_alerts import tiers as alert_tiers
from slo.loaders.openslo_indicators import Indicator, read_indicator
from slo.loaders.openslo_objectives import objective_sli, objective_target
from slo.loaders.openslo_periods import time_window
from slo.loaders.openslo_versions import V1ALPHA, V2ALPHA, draft_warning, from_v1alpha, from_v2alpha
from slo.loaders.schema_errors import split_unknown, validate
from slo.loaders.yamlsrc import Document, join
from slo.model.alert_policy import DEFAULT_POLICY, AlertPolicy
from slo.model.errors import DefinitionError, Problem, SpecError
from slo.model.periods import Period
from slo.model.service import SLO, Service
from slo.model.sli import SLI
from slo.model.values import check_name, freeze_labels

API_VERSION = "openslo/v1"
SCHEMA = "openslo-v1.schema.json"
KINDS = ("SLO", "SLI", "Service", "DataSource")
ALERT_KINDS = ("AlertPolicy", "AlertCondition", "AlertNotificationTarget")


def recognises(data: Any) -> bool:
    """Any ``openslo/…`` API version, so an unsupported one is named rather than unrecognised."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and data["apiVersion"].startswith(("openslo/", "openslo.com/"))
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63].strip("-")


@dataclass
class _Object:
    """One OpenSLO document of a supported kind; ``valid`` once it passed the schema."""

    doc: Document
    kind: str
    name: str | None
    data: dict[str, Any]
    valid: bool


@dataclass(frozen=True)
class _Built:
    """One SLO of the model with where its name came from (for duplicate reports)."""

    slo: SLO
    service: str
    doc: Document
    name_path: str


def _labels(doc: Document, path: str, raw: dict[str, Any] | None) -> dict[str, str]:
    """OpenSLO labels → Prometheus labels; list values (allowed by OpenSLO) are joined with commas."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in (raw or {}).items():
        where = join(path, str(key))
        if isinstance(value, list):
            if not value:
                problems.append(doc.problem(where, "an empty list cannot become a label value"))
                continue
            value = ",".join(value)
        try:
            freeze_labels({key: value})
        except DefinitionError as exc:
            problems.append(
                doc.problem(where, f"{exc.message}: OpenSLO labels become Prometheus labels (letters, digits, '_')")
            )
            continue
        out[key] = value
    if problems:
        raise _Failed(problems)
    return out


def _policy_name(item: Any) -> str | None:
    """The name of an ``alertPolicies`` entry: a reference, or an inline AlertPolicy's metadata.name."""
    if isinstance(item, str):
        return item
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("alertPolicyRef"), str):
        return item["alertPolicyRef"]
    metadata = item.get("metadata")
    return metadata.get("name") if isinstance(metadata, dict) and isinstance(metadata.get("name"), str) else None


class _Resolver:
    """Cross-document state: objects by kind and name, and every problem found so far."""

    def __init__(self, warnings: list[Problem] | None = None) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = warnings if warnings is not None else []
        self.alert_objects: dict[str, dict[str, AlertObject]] = {"AlertPolicy": {}, "AlertCondition": {}}
        self.objects: list[_Object] = []
        self.by_name: dict[str, dict[str, _Object]] = {kind: {} for kind in KINDS}
        self.indicators: dict[str, Indicator] = {}

    # -- reading documents -------------------------------------------------------------------

    def read(self, doc: Document) -> None:
        data = doc.data
        if not isinstance(data, dict):
            self.problems.append(doc.problem("", f"expected a mapping at the top level, got {type(data).__name__}"))
            return
        if data.get("apiVersion") == V1ALPHA:
            for translated in from_v1alpha(doc):
                self.read(translated)
            return
        if data.get("apiVersion") == V2ALPHA:
            self.warnings.append(draft_warning(doc))
            self.read(from_v2alpha(doc))
            return
        if data.get("apiVersion") != API_VERSION:
            self.problems.append(
                doc.problem(
                    "apiVersion",
                    f"unsupported OpenSLO version {data.get('apiVersion')!r}: {API_VERSION}, {V1ALPHA} and "
                    f"{V2ALPHA} (a draft) are read",
                )
            )
            return
        kind = data.get("kind")
        if kind in ALERT_KINDS:
            metadata = data.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            if kind in self.alert_objects and isinstance(name, str):
                first = self.alert_objects[kind].get(name)
                if first is None:
                    self.alert_objects[kind][name] = AlertObject(doc, data)
                    return  # mapped when an SLO refers to it (openslo_alerts); else a warning at the end
                where = f"{first.doc.file}:{first.doc.line('metadata.name')}"
                self.warnings.append(
                    doc.problem("metadata.name", f"{kind} {name!r} ignored: already defined at {where}")
                )
                return
            if kind == "AlertNotificationTarget":
                self.warnings.append(doc.problem("spec", notification_warning(str(name), data.get("spec"))))
                return
            self.warnings.append(
                doc.problem(
                    "kind",
                    f"{kind} {name!r} ignored: the toolkit derives multi-window, multi-burn-rate alerts from each "
                    "SLO itself (tune tiers and routing in the toolkit's own format)",
                )
            )
            return
        if kind not in KINDS:
            message = (
                "missing required key 'kind'"
                if kind is None
                else f"unknown kind {kind!r} (supported OpenSLO v1 kinds: {', '.join(KINDS)})"
            )
            self.problems.append(doc.problem("kind" if kind is not None else "", message))
            return
        schema_problems = non_string_keys(doc) or validate(doc, SCHEMA)
        self.problems.extend(schema_problems)
        # Unknown keys alone do not stop the semantic checks: every defect is reported at once.
        blocking = split_unknown(schema_problems)[1]
        metadata = data.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        obj = _Object(doc, kind, name if isinstance(name, str) else None, data, not blocking)
        self.objects.append(obj)
        if obj.name is None:
            return
        if kind == "SLO":
            return  # SLO names are per service in the model: duplicates are found per service
        first = self.by_name[kind].get(obj.name)
        if first is not None:
            obj.valid = False
            where = f"{first.doc.file}:{first.doc.line('metadata.name')}"
            self.problems.append(doc.problem("metadata.name", f"duplicate {kind} {obj.name!r} (first at {where})"))
            return
        self.by_name[kind][obj.name] = obj

    # -- SLIs --------------------------------------------------------------------------------

    def _lookup(self, kind: str, name: str, doc: Document, path: str) -> _Object:
        found = self.by_name[kind].get(name)
        if found is None:
            known = sorted(self.by_name[kind])
            listing = f"known: {', '.join(known)}" if known else f"no {kind} document was loaded"
            raise _fail(doc, path, f"no {kind} named {name!r} ({listing})")
        if not found.valid:
            raise _Failed([])  # its own problems are already reported
        return found

    def indicator(self, doc: Document, path: str, spec: dict[str, Any]) -> Indicator:
        """An SLI spec (standalone or inline) → counters or a gauge; problems located in its own file."""
        return read_indicator(doc, path, spec, self._data_source, self.warnings)

    def _data_source(self, name: str, doc: Document, path: str) -> dict[str, Any]:
        return self._lookup("DataSource", name, doc, path).data["spec"]

    def slo_indicator(self, obj: _Object) -> Indicator:
        spec = obj.data["spec"]
        if ("indicator" in spec) == ("indicatorRef" in spec):
            raise _fail(
                obj.doc,
                "spec",
                "give exactly one of indicator (an inline SLI) or indicatorRef (an SLI's name)",
            )
        if "indicator" in spec:
            return self.indicator(obj.doc, "spec.indicator.spec", spec["indicator"]["spec"])
        name = spec["indicatorRef"]
        self._lookup("SLI", name, obj.doc, "spec.indicatorRef")
        found = self.indicators.get(name)
        if found is None:
            raise _Failed([])  # the SLI's own problems are reported once, by check_slis
        return found

    def check_slis(self) -> None:
        """Read every SLI document once, referenced or not, so its problems are always reported."""
        for name, obj in self.by_name["SLI"].items():
            if not obj.valid:
                continue
            try:
                self.indicators[name] = self.indicator(obj.doc, "spec", obj.data["spec"])
            except _Failed as failed:
                self.problems.extend(failed.problems)

    # -- SLOs --------------------------------------------------------------------------------

    def _objective(
        self, obj: _Object, i: int, objective: dict[str, Any], indicator: Indicator | None
    ) -> tuple[str, str, float, SLI]:
        """One objective → (SLO name, where the name came from, objective, SLI); all its problems at once."""
        doc, metadata, method = obj.doc, obj.data["metadata"], obj.data["spec"]["budgetingMethod"]
        path = f"spec.objectives[{i}]"
        composite = [k for k in ("indicator", "indicatorRef", "compositeWeight") if k in objective]
        if composite:
            raise _fail(doc, join(path, composite[0]), "composite SLOs (per-objective indicators) are not supported")
        if len(obj.data["spec"]["objectives"]) == 1:
            name, name_path = metadata["name"], "metadata.name"
        else:
            key = "name" if "name" in objective else "displayName"
            suffix = objective.get("name") or _slug(objective.get("displayName") or "") or str(i)
            name = f"{metadata['name']}-{suffix}"
            name_path = join(path, key) if key in objective else path
        problems: list[Problem] = []
        results: list[Any] = []
        steps: list[Callable[[], Any]] = [
            partial(_call, doc, name_path, partial(check_name, "SLO", name)),
            partial(objective_target, doc, path, objective),
        ]
        if indicator is not None:
            steps.append(partial(objective_sli, doc, path, method, objective, indicator))
        for step in steps:
            try:
                results.append(step())
            except _Failed as failed:
                problems.extend(failed.problems)
        if problems or len(results) != 3:
            raise _Failed(problems)
        return name, name_path, results[1], results[2]

    def slos(self, obj: _Object) -> list[_Built]:
        """One SLO document → one model SLO per objective."""
        doc, spec, metadata = obj.doc, obj.data["spec"], obj.data["metadata"]
        problems: list[Problem] = []
        steps: dict[str, Callable[[], Any]] = {
            "indicator": partial(self.slo_indicator, obj),
            "period": partial(time_window, doc, "spec.timeWindow", spec.get("timeWindow")),
            "labels": partial(_labels, doc, "metadata.labels", metadata.get("labels")),
        }
        got: dict[str, Any] = {}
        for key, step in steps.items():
            try:
                got[key] = step()
            except _Failed as failed:
                problems.extend(failed.problems)
        parts = []
        for i, objective in enumerate(spec["objectives"]):
            try:
                parts.append(self._objective(obj, i, objective, got.get("indicator")))
            except _Failed as failed:
                problems.extend(failed.problems)
        if problems or len(got) != len(steps) or len(parts) != len(spec["objectives"]):
            raise _Failed(problems)
        description = spec.get("description") or metadata.get("displayName") or ""
        alerting = self._alerting(obj, got["period"])
        built = []
        for name, name_path, objective, sli in parts:
            slo = _call(
                doc,
                "metadata",
                partial(
                    SLO,
                    name=name,
                    objective=objective,
                    sli=sli,
                    period=got["period"],
                    description=description,
                    labels=got["labels"],
                    alerting=alerting,
                ),
            )
            built.append(_Built(slo, spec["service"], doc, name_path))
        return built

    def _alerting(self, obj: _Object, period: Period) -> AlertPolicy:
        """The SLO's burn-rate conditions as tiers; the default tiers when none maps (with a warning)."""
        entries = obj.data["spec"].get("alertPolicies")
        if not entries:
            return DEFAULT_POLICY
        mapped = alert_tiers(
            obj.doc,
            entries,
            period,
            self.alert_objects["AlertPolicy"],
            self.alert_objects["AlertCondition"],
            self.warnings,
        )
        if mapped:
            return AlertPolicy(tiers=mapped)
        names = [_policy_name(p) for p in entries] if isinstance(entries, list) else []
        shown = ", ".join(repr(n) for n in names if n)
        self.warnings.append(
            obj.doc.problem(
                "spec.alertPolicies",
                f"alertPolicies{' ' + shown if shown else ''} hold no burn-rate condition the toolkit maps: "
                "the default multi-window, multi-burn-rate tiers apply",
            )
        )
        return DEFAULT_POLICY

    def unused_alert_objects(self) -> None:
        for kind, objects in self.alert_objects.items():
            for name, found in objects.items():
                if not found.used:
                    self.warnings.append(found.doc.problem("kind", f"{kind} {name!r} ignored: no SLO refers to it"))

    # -- services ----------------------------------------------------------------------------

    def service(self, name: str, built: list[_Built], referring: list[_Object]) -> tuple[Service, str] | None:
        """Group SLOs under their service; team/owner/labels/description come from the Service document."""
        declared = self.by_name["Service"].get(name)
        if declared is not None and not declared.valid:
            return None
        if not built:
            if declared is not None and not referring:
                self.problems.append(
                    declared.doc.problem(
                        "metadata.name", f"Service {name!r} has no SLO: no SLO names it in spec.service"
                    )
                )
            return None
        seen: dict[str, _Built] = {}
        for b in built:
            first = seen.get(b.slo.name)
            if first is not None:
                where = f"{first.doc.file}:{first.doc.line(first.name_path)}"
                self.problems.append(
                    b.doc.problem(
                        b.name_path,
                        f"duplicate SLO name {b.slo.name!r} in service {name!r} (first at {where})",
                    )
                )
            seen.setdefault(b.slo.name, b)
        if len(seen) != len(built):
            return None
        if declared is None:
            doc, name_path, meta, spec = built[0].doc, "spec.service", {}, {}
        else:
            doc, name_path, meta, spec = (
                declared.doc,
                "metadata.name",
                declared.data["metadata"],
                declared.data["spec"] or {},
            )
        try:
            _call(doc, name_path, lambda: check_name("service", name))
            service_labels = _labels(doc, "metadata.labels", meta.get("labels"))
        except _Failed as failed:
            self.problems.extend(failed.problems)
            return None
        # OpenSLO has no owner field; the team is carried as a label. `team` moves to the field
        # (Service.all_labels puts it back on every series); `owner` stays a label and fills `owner`.
        team = service_labels.pop("team", None) or service_labels.get("owner")
        try:
            service = _call(
                doc,
                "metadata",
                lambda: Service(
                    name=name,
                    slos=tuple(b.slo for b in built),
                    team=team,
                    owner=service_labels.get("owner"),
                    labels=service_labels,
                    description=spec.get("description") or meta.get("displayName") or "",
                ),
            )
        except _Failed as failed:
            self.problems.extend(failed.problems)
            return None
        return service, doc.file


def load(docs: list[Document], warnings: list[Problem] | None = None) -> list[tuple[Service, str]]:
    """Resolve all OpenSLO documents of a source set together; each service with the file it came from.

    What is ignored on purpose (alert objects, extra metricSource keys) is appended to ``warnings``.
    """
    resolver = _Resolver(warnings)
    for doc in docs:
        resolver.read(doc)
    resolver.check_slis()
    order: list[str] = []
    built: dict[str, list[_Built]] = {}
    referring: dict[str, list[_Object]] = {}
    for obj in resolver.objects:
        if obj.kind == "Service" and obj.name is not None:
            order.append(obj.name)
        elif obj.kind == "SLO":
            spec = obj.data.get("spec")
            service = spec.get("service") if isinstance(spec, dict) else None
            if isinstance(service, str):
                order.append(service)
                referring.setdefault(service, []).append(obj)
            if not obj.valid:
                continue
            try:
                for b in resolver.slos(obj):
                    built.setdefault(b.service, []).append(b)
            except _Failed as failed:
                resolver.problems.extend(failed.problems)
    resolver.unused_alert_objects()
    services: list[tuple[Service, str]] = []
    for name in dict.fromkeys(order):
        result = resolver.service(name, built.get(name, []), referring.get(name, []))
        if result is not None:
            services.append(result)
    if resolver.problems:
        raise SpecError(list(dict.fromkeys(resolver.problems)))
    return services
