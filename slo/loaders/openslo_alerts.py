"""OpenSLO alert objects → the toolkit's burn-rate tiers, where they map.

An SLO's ``alertPolicies`` (inline, or ``alertPolicyRef`` to an AlertPolicy document) list
conditions (inline, or ``conditionRef`` to an AlertCondition document). A condition of kind
``burnrate`` with ``op: gt``/``gte`` becomes one tier: the threshold is the tier's burn-rate factor
over ``lookbackWindow`` (the long window; the short window is a twelfth of it, as in the SRE
workbook), ``alertAfter`` its ``for``, severity ``page``/``critical`` a page and anything else a
ticket. Everything else (other condition kinds, notification targets, alertWhen… switches) is
ignored with a warning naming it: an SLO is never refused for its alerting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slo.durations import Duration
from slo.errors import DefinitionError, Problem
from slo.loaders.yamlsrc import Document, join
from slo.model import BurnRateTier, Period

PAGE_SEVERITIES = ("page", "critical", "high", "p1")


@dataclass
class AlertObject:
    """A standalone AlertPolicy or AlertCondition document; ``used`` once an SLO referred to it."""

    doc: Document
    data: dict[str, Any]
    used: bool = False


def _name(item: Any) -> str | None:
    metadata = item.get("metadata") if isinstance(item, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:63] or "tier"


def _tier(
    doc: Document, path: str, condition: dict[str, Any], name: str, period: Period, warnings: list[Problem]
) -> BurnRateTier | None:
    spec = condition.get("spec") if isinstance(condition.get("spec"), dict) else {}
    rule = spec.get("condition") if isinstance(spec.get("condition"), dict) else {}
    where = join(path, "spec.condition")
    if str(rule.get("kind", "")).lower() != "burnrate" or rule.get("op") not in ("gt", "gte"):
        warnings.append(
            doc.problem(
                where,
                f"AlertCondition {name!r} ignored: only burn-rate conditions with op gt/gte map onto the toolkit's "
                f"tiers (got kind {rule.get('kind')!r}, op {rule.get('op')!r})",
            )
        )
        return None
    try:
        threshold = float(rule["threshold"])
        long = Duration.parse(rule["lookbackWindow"])
        short = Duration(max(60, long.seconds // 12))
        for_ = Duration.parse(rule["alertAfter"]) if rule.get("alertAfter") else None
        budget = threshold * long.seconds / period.alerting_window.seconds
        severity = "critical" if str(spec.get("severity", "")).lower() in PAGE_SEVERITIES else "warning"
        return BurnRateTier(_slug(name), severity, long, short, float(f"{budget:.9g}"), for_)
    except (KeyError, TypeError, ValueError, DefinitionError) as exc:
        message = exc.message if isinstance(exc, DefinitionError) else f"missing or invalid {exc}"
        warnings.append(
            doc.problem(where, f"AlertCondition {name!r} ignored: it does not map onto a burn-rate tier: {message}")
        )
        return None


def tiers(
    doc: Document,
    entries: Any,
    period: Period,
    policies: dict[str, AlertObject],
    conditions: dict[str, AlertObject],
    warnings: list[Problem],
) -> tuple[BurnRateTier, ...]:
    """The tiers an SLO's ``alertPolicies`` map to (empty: keep the default tiers)."""
    out: list[BurnRateTier] = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        path = join("spec.alertPolicies", i)
        policy_doc, policy, policy_path = doc, entry, path
        ref = entry.get("alertPolicyRef") if isinstance(entry, dict) else entry if isinstance(entry, str) else None
        if isinstance(ref, str):
            found = policies.get(ref)
            if found is None:
                warnings.append(doc.problem(path, f"alertPolicyRef {ref!r} ignored: no AlertPolicy of that name"))
                continue
            found.used = True
            policy_doc, policy, policy_path = found.doc, found.data, ""
        spec = policy.get("spec") if isinstance(policy, dict) and isinstance(policy.get("spec"), dict) else {}
        targets = spec.get("notificationTargets")
        if targets:
            warnings.append(
                policy_doc.problem(
                    join(policy_path, "spec.notificationTargets"),
                    "notificationTargets ignored: define receivers and routes in the toolkit's routing",
                )
            )
        for j, item in enumerate(spec.get("conditions") or []):
            cpath = join(join(policy_path, "spec.conditions"), j)
            cdoc, condition, name = policy_doc, item, _name(item) or f"condition-{j}"
            cref = item.get("conditionRef") if isinstance(item, dict) else None
            if isinstance(cref, str):
                found = conditions.get(cref)
                if found is None:
                    warnings.append(
                        policy_doc.problem(cpath, f"conditionRef {cref!r} ignored: no AlertCondition of that name")
                    )
                    continue
                found.used = True
                cdoc, condition, name, cpath = found.doc, found.data, cref, ""
            if isinstance(condition, dict):
                tier = _tier(cdoc, cpath, condition, name, period, warnings)
                if tier is not None and all(t.name != tier.name for t in out):
                    out.append(tier)
    return tuple(out)
