"""OpenSLO alert objects → the toolkit's burn-rate tiers, where they map.

An SLO's ``alertPolicies`` (inline, or ``alertPolicyRef`` to an AlertPolicy document) list
conditions (inline, or ``conditionRef`` to an AlertCondition document). A condition of kind
``burnrate`` with ``op: gt``/``gte`` becomes one tier: the threshold is the tier's burn-rate factor
over ``lookbackWindow`` (the long window; the short window is a twelfth of it, as in the SRE
workbook), ``alertAfter`` its ``for``, severity ``page``/``critical`` a page and anything else a
ticket. Everything else (other condition kinds, notification targets, alertWhen… switches) is
ignored with a warning naming it: an SLO is never refused for its alerting.

An ``AlertNotificationTarget`` is never turned into a receiver: OpenSLO v1 gives it only a ``target``
kind (``slack``, ``email``…) and a free-text ``description``, while every Alertmanager receiver needs an
address or a credential (a Slack webhook URL file, a PagerDuty routing key file, an e-mail address) that
the document cannot hold. Its warning names the document, the kind it read and the receiver to define
in the toolkit's routing instead (:func:`notification_warning`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slo.loaders.yamlsrc import Document, join
from slo.model.alert_policy import BurnRateTier
from slo.model.durations import Duration
from slo.model.errors import DefinitionError, Problem
from slo.model.periods import Period

PAGE_SEVERITIES = ("page", "critical", "high", "p1")

# What each Alertmanager receiver kind needs that an AlertNotificationTarget cannot say.
RECEIVER_NEEDS = {
    "slack": "slack: {api_url_file: <file holding the webhook URL>, channel: '#…'}",
    "pagerduty": "pagerduty: {routing_key_file: <file holding the integration key>}",
    "email": "email: {to: <address>} (and a smarthost in the Alertmanager base config)",
    "webhook": "webhook: {url: <endpoint>}",
    "opsgenie": "opsgenie: {api_key_file: <file holding the API key>}",
    "msteams": "msteams_v2: {webhook_url_file: <file holding the workflow URL>}",
}
_TARGET_WORDS = {
    "slack": ("slack",),
    "pagerduty": ("pagerduty", "pager-duty", "pager duty", "pager"),
    "email": ("email", "e-mail", "mail"),
    "webhook": ("webhook", "web hook", "http", "https"),
    "opsgenie": ("opsgenie",),
    "msteams": ("msteams", "teams"),
}


def target_kind(spec: Any) -> str | None:
    """The receiver kind an AlertNotificationTarget names: its ``target``, else a word of its description."""
    if not isinstance(spec, dict):
        return None
    for text in (spec.get("target"), spec.get("description")):
        words = str(text or "").lower()
        for kind, names in _TARGET_WORDS.items():
            if any(re.search(rf"\b{re.escape(n)}\b", words) for n in names):
                return kind
    return None


def notification_warning(name: str, spec: Any) -> str:
    """Why an AlertNotificationTarget is not a receiver, and the receiver to define instead."""
    kind = target_kind(spec)
    target = spec.get("target") if isinstance(spec, dict) else None
    read = f"target {target!r}" if target else "no target"
    need = RECEIVER_NEEDS.get(kind or "", "the receiver's integration (pagerduty, slack, email, webhook…)")
    return (
        f"AlertNotificationTarget {name!r} ({read}) not mapped to a receiver: OpenSLO gives only a target kind "
        f"and a description, no address or credential file; define a receiver in the toolkit's routing "
        f"(receivers: - name: {_slug(name)}, {need}) and route the SLO's alerts to it"
    )


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
        for k, target in enumerate(targets if isinstance(targets, list) else [targets] if targets else []):
            ref = target.get("targetRef") if isinstance(target, dict) else None
            shown = ref if isinstance(ref, str) else _name(target) or f"notificationTargets[{k}]"
            message = (
                f"notification target {shown!r} not mapped to a receiver: OpenSLO notification targets hold no "
                "address or credential file; define the receiver and a route to it in the toolkit's routing"
                if isinstance(ref, str)
                else notification_warning(shown, target.get("spec") if isinstance(target, dict) else None)
            )
            warnings.append(policy_doc.problem(join(join(policy_path, "spec.notificationTargets"), k), message))
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
