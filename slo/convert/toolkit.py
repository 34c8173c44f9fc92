"""Model → the toolkit's own YAML (``apiVersion: slo-toolkit/v1``), one document per service."""

from __future__ import annotations

from typing import Any

from slo.convert import ConvertError
from slo.model.alert_policy import DEFAULT_POLICY, DEFAULT_TIERS, AlertPolicy
from slo.model.grouping import DEFAULT_MAX_GROUPS
from slo.model.periods import CalendarMonth, CalendarWeek, Rolling
from slo.model.selectors import Selector
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, PromQLTemplate, RatioSLI, RawRatioSLI, TimeSliceSLI

API_VERSION = "slo-toolkit/v1"
_OPS = {"=": None, "!=": "not", "=~": "regex", "!~": "not_regex"}
# Policy knobs the toolkit's YAML has no key for yet: written only when they keep their defaults.
_DEFAULT_ONLY = ("min_bad_events", "keep_firing_for", "absent_severity")


def selector(sel: Selector) -> dict[str, Any]:
    """``{metric, labels}`` with ``{regex: …}``-style matchers (the form the loader reads back)."""
    labels: dict[str, Any] = {}
    for m in sel.matchers:
        op = _OPS[m.op]
        labels[m.label] = m.value if op is None else {op: m.value}
    return {"metric": sel.metric, "labels": labels} if labels else {"metric": sel.metric}


def _source(value: Any) -> dict[str, Any]:
    if isinstance(value, PromQLTemplate):
        return {"promql": value.expr}
    return selector(value)


def _matchers(sel: Selector) -> dict[str, Any]:
    return selector(sel).get("labels", {})


def sli(origin: str, where: str, value: Any) -> dict[str, Any]:
    """An SLI as the ``sli:`` block."""
    if isinstance(value, RawRatioSLI):
        return {"raw": {"error_ratio": value.error_ratio.expr}}
    if isinstance(value, TimeSliceSLI):
        inner = value.inner
        slices: dict[str, Any] = {"length": str(value.slice)}
        slices.update({"mean": True} if value.mean else {"target": value.target})
        if isinstance(inner, ProbeSLI):
            return {"probe": selector(inner.selector), "slices": slices}
        return {**sli(origin, where, inner), "slices": slices}
    if isinstance(value, LatencySLI):
        out: dict[str, Any] = {"histogram": value.histogram.metric}
        if value.histogram.matchers:
            out["labels"] = _matchers(value.histogram)
        out["under"] = value.threshold
        if value.histogram_kind != "classic":
            out["histogram_kind"] = value.histogram_kind
        return {"latency": out}
    if isinstance(value, RatioSLI):
        ratio: dict[str, Any] = {}
        for key in ("good", "bad"):
            part = getattr(value, key)
            if part is not None:
                ratio[key] = _source(part)
        ratio["total"] = _source(value.total)
        return {"ratio": ratio}
    raise ConvertError(origin, where, f"unsupported SLI {type(value).__name__}")


def _tier(tier: Any) -> dict[str, Any]:
    out = {
        "name": tier.name,
        "severity": tier.severity,
        "long_window": str(tier.long_window),
        "short_window": str(tier.short_window),
        "budget_spent": tier.budget_spent,
    }
    if tier.for_ is not None:
        out["for"] = str(tier.for_)
    return out


def alerting(origin: str, where: str, policy: AlertPolicy | None) -> dict[str, Any] | None:
    """The ``alerting:`` block, or None when the policy is the default one."""
    if policy is None:
        return {"enabled": False}
    for attr in _DEFAULT_ONLY:
        if getattr(policy, attr) != getattr(DEFAULT_POLICY, attr):
            raise ConvertError(
                origin, f"{where}.{attr}", f"{attr} has no key in the toolkit's YAML yet: keep it in Python"
            )
    if any(getattr(t, "min_bad_events", None) is not None for t in policy.tiers):
        raise ConvertError(origin, f"{where}.tiers", "per-tier min_bad_events has no key in the toolkit's YAML yet")
    out: dict[str, Any] = {}
    if policy.tiers != DEFAULT_TIERS:
        out["tiers"] = [_tier(t) for t in policy.tiers]
    if policy.absent_for != DEFAULT_POLICY.absent_for:
        out["absent_for"] = str(policy.absent_for)
    if policy.budget_exhausted:
        out["budget_exhausted"] = True
    if policy.name:
        out["name"] = policy.name
    for attr in ("labels", "annotations", "page_labels", "ticket_labels", "page_annotations", "ticket_annotations"):
        value = dict(getattr(policy, attr))
        if value:
            out[attr] = value
    return out or None


def slo_document(origin: str, service: Service, slo: SLO) -> dict[str, Any]:
    where = f"{service.name}/{slo.name}"
    out: dict[str, Any] = {"name": slo.name}
    if slo.description:
        out["description"] = slo.description
    out["objective"] = slo.objective
    if isinstance(slo.period, CalendarMonth | CalendarWeek):
        out["period"] = "month" if isinstance(slo.period, CalendarMonth) else "week"
        if slo.period.timezone != "UTC":
            out["timezone"] = slo.period.timezone
    elif isinstance(slo.period, Rolling):
        out["period"] = str(slo.period.window)
    if slo.labels:
        out["labels"] = dict(slo.labels)
    if slo.group_by:
        out["group_by"] = list(slo.group_by)
    if slo.max_groups != DEFAULT_MAX_GROUPS:
        out["max_groups"] = slo.max_groups
    out["sli"] = sli(origin, f"{where}: sli", slo.sli)
    policy = alerting(origin, f"{where}: alerting", slo.alerting)
    if policy is not None:
        out["alerting"] = policy
    return out


def service_document(service: Service, origin: str) -> dict[str, Any]:
    """One service as a complete toolkit YAML document."""
    if service.alerts:
        raise ConvertError(
            origin,
            f"{service.name}: alerts",
            "threshold alerts are not written by convert yet: keep them in their source",
        )
    out: dict[str, Any] = {"name": service.name}
    for attr in ("description", "team", "owner", "runbook_url", "dashboard_url"):
        value = getattr(service, attr)
        if value:
            out[attr] = value
    if service.labels:
        out["labels"] = dict(service.labels)
    out["slos"] = [slo_document(origin, service, s) for s in service.slos]
    return {"apiVersion": API_VERSION, "services": [out]}
