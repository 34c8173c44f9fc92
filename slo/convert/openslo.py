"""Model → OpenSLO v1 documents: one Service and one SLO (inline SLI) per SLO.

OpenSLO v1 has no place for the toolkit's alerting policy, runbook or dashboard links: those are
left out and named in the returned notes, so ``slo convert`` can say what the OpenSLO files lack.
"""

from __future__ import annotations

from typing import Any

from slo.convert import ConvertError
from slo.model.alert_policy import DEFAULT_POLICY
from slo.model.periods import CalendarMonth, CalendarWeek, Rolling
from slo.model.selectors import Matcher, Selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, PromQLTemplate, RatioSLI, RawRatioSLI, TimeSliceSLI

API_VERSION = "openslo/v1"


def _query(value: Selector | PromQLTemplate) -> dict[str, Any]:
    text = value.expr if isinstance(value, PromQLTemplate) else value.render()
    return {"metricSource": {"type": "Prometheus", "spec": {"query": text}}}


def _events(origin: str, where: str, sli: RatioSLI | LatencySLI) -> dict[str, Any]:
    if isinstance(sli, LatencySLI):
        if sli.histogram_kind != "classic":
            raise ConvertError(
                origin,
                where,
                f"histogram_kind {sli.histogram_kind!r}: OpenSLO v1 counts events from two counter queries and has "
                "no native-histogram form; keep it in the toolkit's format or use histogram_kind classic",
            )
        le = Matcher("le", "=", f"{sli.threshold:g}")
        bucket = Selector(sli.bucket.metric, (*sli.histogram.matchers, le))
        return {"counter": True, "good": _query(bucket), "total": _query(sli.count)}
    out: dict[str, Any] = {"counter": True}
    for key in ("good", "bad"):
        part = getattr(sli, key)
        if part is not None:
            out[key] = _query(part)
    out["total"] = _query(sli.total)
    return out


def _indicator(origin: str, where: str, slo: SLO) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(indicator spec, budgeting method, objective keys besides the target)."""
    sli = slo.sli
    if isinstance(sli, RawRatioSLI):
        raise ConvertError(origin, where, "a raw error-ratio SLI has no OpenSLO v1 form the toolkit reads back")
    if isinstance(sli, TimeSliceSLI):
        # a slice mean is OpenSLO's RatioTimeslices: a slice window, no slice target
        method = "RatioTimeslices" if sli.mean else "Timeslices"
        slices: dict[str, Any] = {"timeSliceWindow": str(sli.slice)}
        if not sli.mean:
            slices = {"timeSliceTarget": sli.target, **slices}
        if isinstance(sli.inner, ProbeSLI):
            gauge = {"metricSource": {"type": "Prometheus", "spec": {"query": sli.inner.selector.render()}}}
            return {"thresholdMetric": gauge}, method, {"op": "gte", "value": 1, **slices}
        return {"ratioMetric": _events(origin, where, sli.inner)}, method, slices
    return {"ratioMetric": _events(origin, where, sli)}, "Occurrences", {}


def _window(slo: SLO) -> list[dict[str, Any]]:
    if isinstance(slo.period, CalendarMonth | CalendarWeek):
        duration = "1M" if isinstance(slo.period, CalendarMonth) else "1w"
        return [{"duration": duration, "isRolling": False, "calendar": {"timeZone": slo.period.timezone}}]
    assert isinstance(slo.period, Rolling)
    return [{"duration": str(slo.period.window), "isRolling": True}]


def _alert_policy(service: Service, slo: SLO) -> tuple[dict[str, Any] | None, str]:
    """Custom burn-rate tiers as an AlertPolicy of inline burn-rate AlertConditions (the loader maps them
    back when each short window is a twelfth of its long one), and what else of the policy is lost."""
    policy = slo.alerting
    if policy is None:
        return None, "disabled alerting"
    if policy == DEFAULT_POLICY:
        return None, ""
    lost = [
        attr.replace("_", " ")
        for attr in (
            "name",
            "labels",
            "annotations",
            "page_labels",
            "ticket_labels",
            "page_annotations",
            "ticket_annotations",
        )
        if getattr(policy, attr)
    ]
    if policy.absent_for != DEFAULT_POLICY.absent_for or policy.budget_exhausted:
        lost.append("absent/exhausted alert settings")
    if policy.tiers == DEFAULT_POLICY.tiers:
        return None, ", ".join(lost)
    if not policy.tiers or any(t.short_window.seconds != max(60, t.long_window.seconds // 12) for t in policy.tiers):
        return None, ", ".join([*lost, "tiers (OpenSLO burn-rate conditions give the long window only)"])
    conditions = []
    for t in policy.tiers:
        rule: dict[str, Any] = {
            "kind": "burnrate",
            "op": "gte",
            "threshold": t.factor(slo.period),
            "lookbackWindow": str(t.long_window),
        }
        if t.for_ is not None:
            rule["alertAfter"] = str(t.for_)
        severity = "page" if t.severity == "critical" else "ticket"
        conditions.append(
            {"kind": "AlertCondition", "metadata": {"name": t.name}, "spec": {"severity": severity, "condition": rule}}
        )
    doc = {
        "apiVersion": API_VERSION,
        "kind": "AlertPolicy",
        "metadata": {"name": f"{service.name}-{slo.name}-burn-rate"},
        "spec": {"conditions": conditions},
    }
    return doc, ", ".join(lost)


def documents(service: Service, origin: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The service's OpenSLO documents, and notes on what OpenSLO v1 cannot carry."""
    notes: list[str] = []
    labels = dict(service.labels)
    if service.team and service.team != labels.get("owner"):
        labels["team"] = service.team
    meta: dict[str, Any] = {"name": service.name}
    if labels:
        meta["labels"] = labels
    spec = {"description": service.description} if service.description else None
    docs: list[dict[str, Any]] = [{"apiVersion": API_VERSION, "kind": "Service", "metadata": meta, "spec": spec}]
    for attr in ("runbook_url", "dashboard_url"):
        if getattr(service, attr):
            notes.append(f"{service.name}: {attr} has no OpenSLO v1 field: left out")
    if service.alerts:
        notes.append(f"{service.name}: threshold alerts have no OpenSLO v1 form: left out")
    for slo in service.slos:
        where = f"{service.name}/{slo.name}"
        indicator, method, extra = _indicator(origin, f"{where}: sli", slo)
        policy_doc, lost = _alert_policy(service, slo)
        if lost:
            notes.append(
                f"{where}: {lost} {'has' if ',' not in lost else 'have'} no OpenSLO v1 form the toolkit reads: left out"
            )
        if slo.group_by:
            notes.append(
                f"{where}: group_by ({', '.join(slo.group_by)}) has no OpenSLO v1 form: left out, so the "
                "OpenSLO file holds one SLI and budget over every group"
            )
        slo_meta: dict[str, Any] = {"name": slo.name}
        if slo.labels:
            slo_meta["labels"] = dict(slo.labels)
        body: dict[str, Any] = {}
        if slo.description:
            body["description"] = slo.description
        body |= {
            "service": service.name,
            "indicator": {"metadata": {"name": f"{slo.name}-sli"}, "spec": indicator},
            "timeWindow": _window(slo),
            "budgetingMethod": method,
            "objectives": [{"target": slo.objective, **extra}],
        }
        if policy_doc is not None:
            body["alertPolicies"] = [{"alertPolicyRef": policy_doc["metadata"]["name"]}]
        docs.append({"apiVersion": API_VERSION, "kind": "SLO", "metadata": slo_meta, "spec": body})
        if policy_doc is not None:
            docs.append(policy_doc)
    return docs, notes
