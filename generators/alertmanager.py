"""Alertmanager configuration and a route-test table from the SLO definitions' routing.

Pure functions model → dict; :mod:`generators.bundle` renders them to
``alertmanager/alertmanager.yml`` and ``alertmanager/routes.test.yml``.

Shape of the generated routing (standalone, no base config)::

    route:                              receiver: <default>, group_by/timing of the routing
      routes:
      - matchers: [alertname=~"SLOErrorBudgetBurn|SLOMetricAbsent|…"]   <- the SLO subtree
        routes:                          overrides first, one child per severity each names
        - matchers: [team="payments", severity="critical"]  receiver: payments-pager
        - matchers: [severity="critical"]  receiver: <pager>
        - matchers: [severity="warning"]   receiver: <chat>
      - matchers: [alertname=~"HighErrorRate|…", service="…"]         <- threshold alerts, if any
        routes: (the same children)
      - matchers: [severity="critical"]  receiver: <pager>   (the seeds' routes, for other alerts)
      - matchers: [severity="warning"]   receiver: <chat>

The SLO subtree is marked by its ``alertname`` matcher, which names exactly the alerts the rule
generator writes; threshold alerts get a second subtree right after it, matched by their names and
services. Merged into a hand-written base config, the subtrees become the first children of
the base's top-level route and the generated receivers and inhibition rules are appended; everything
else of the base (global, other routes, receivers, inhibit rules, templates, time intervals) is kept
as it is. A subtree of an earlier merge is replaced, so merging is idempotent.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generators import prometheus_rules, threshold_rules
from slo.errors import Problem, SpecError
from slo.loaders import Definitions
from slo.loaders.yamlsrc import decode, join, load_documents
from slo.output import MARKER
from slo.routing import SEVERITIES, Routing, secret_in

CONFIG = "alertmanager/alertmanager.yml"
ROUTE_TESTS = "alertmanager/routes.test.yml"
FIXED_ALERTS = (
    prometheus_rules.ABSENT_ALERT,
    prometheus_rules.BUCKET_ALERT,
    prometheus_rules.EXHAUSTED_ALERT,
)
# Labels of a burn-rate alert that say which tier fired; they never influence routing.
TIER_LABELS = ("tier", "long_window", "short_window")

NOTES = """\
Routing: alerts named by the first route's alertname matcher are the SLO alerts of the rule files;
the second route (if any) matches the threshold alerts by name and service. Pages (severity=critical)
go to the pager receiver, tickets (severity=warning) to the chat receiver, team/service overrides
first. Grouped by alertname, service and slo: one notification per incident, never two SLOs merged
into one notification.
Inhibition rules:
1. A firing page (critical burn-rate alert) of an SLO inhibits the tickets (warning burn-rate alerts)
   of the same SLO (equal service and slo): the incident is already being handled.
2. SLOMetricAbsent or SLOLatencyBucketMissing of an SLO inhibits its burn-rate alerts: without the
   SLI's series (or its threshold bucket, which makes every request count as slow) the burn rate is
   not a measurement, and the absent-metric alert says what to fix.
3. (with threshold alerts) A threshold alert's critical level inhibits its warning level for the
   same alert, service and series (equal alertname, service and the expressions' grouping labels):
   above the critical level both rules fire, and one notification is enough.
Secrets are read by Alertmanager from the *_file paths; none is written here.
routes.test.yml beside this file lists label sets and the receivers they must reach (`slo test`)."""

# Keys whose value in an Alertmanager config is a credential (their *_file variant is not).
_SECRET_KEYS = {
    "smtp_auth_password",
    "smtp_auth_secret",
    "slack_api_url",
    "victorops_api_key",
    "opsgenie_api_key",
    "wechat_api_secret",
    "telegram_bot_token",
    "routing_key",
    "service_key",
    "api_key",
    "api_secret",
    "user_key",
    "token",
    "bot_token",
    "auth_password",
    "auth_secret",
    "password",
    "credentials",
    "bearer_token",
    "client_secret",
    "secret_key",
    "webhook_url",
}


# ---------------------------------------------------------------------------------------------
# Matchers


def quote(value: str) -> str:
    """A label value as a double-quoted Alertmanager matcher value."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def matcher(label: str, value: str, op: str = "=") -> str:
    return f"{label}{op}{quote(value)}"


def burn_alert_names(defs: Definitions) -> list[str]:
    """``SLOErrorBudgetBurn`` plus any alert name an SLO's policy sets instead."""
    custom = {
        slo.alerting.name
        for service in defs.services
        for slo in service.slos
        if slo.alerting is not None and slo.alerting.name
    }
    return [prometheus_rules.BURN_ALERT, *sorted(custom - {prometheus_rules.BURN_ALERT})]


def threshold_alert_names(defs: Definitions, both_levels: bool = False) -> list[str]:
    """The names of the services' threshold alerts (only those with both levels if ``both_levels``)."""
    names = {
        alert.name
        for service in defs.services
        for alert in service.alerts
        if not both_levels or (alert.warning is not None and alert.critical is not None)
    }
    return sorted(names)


def alert_names(defs: Definitions) -> list[str]:
    """Every SLO alert name the rule generator can write for these definitions (burn-rate names first)."""
    return [*burn_alert_names(defs), *FIXED_ALERTS]


def _one_of(label: str, values: list[str]) -> str:
    return matcher(label, values[0]) if len(values) == 1 else matcher(label, "|".join(values), "=~")


def subtree_matcher(defs: Definitions) -> str:
    """The matcher that marks (and selects the alerts of) the generated SLO subtree."""
    return matcher("alertname", "|".join(alert_names(defs)), "=~")


def _is_slo_subtree(route: Any) -> bool:
    matchers = route.get("matchers") if isinstance(route, dict) else None
    return (
        isinstance(matchers, list)
        and bool(matchers)
        and isinstance(matchers[0], str)
        and matchers[0].startswith(f'alertname=~"{prometheus_rules.BURN_ALERT}|')
    )


# ---------------------------------------------------------------------------------------------
# The generated pieces


def _by_severity(critical: str, warning: str) -> list[dict[str, Any]]:
    return [
        {"matchers": [matcher("severity", "critical")], "receiver": critical},
        {"matchers": [matcher("severity", "warning")], "receiver": warning},
    ]


def _children(routing: Routing) -> list[dict[str, Any]]:
    """One child per override and severity it names, then the defaults per severity.

    Flat, so a severity an override leaves out falls through to the later children, exactly as
    :meth:`Routing.receiver_for` reads the routing.
    """
    children: list[dict[str, Any]] = []
    for r in routing.routes:
        for severity in SEVERITIES:
            receiver = r.sends(severity)
            if receiver is not None:
                children.append(
                    {
                        "matchers": [*(matcher(k, v) for k, v in r.matchers), matcher("severity", severity)],
                        "receiver": receiver,
                        **r.timing(),
                    }
                )
    children.extend(_by_severity(routing.by_severity("critical"), routing.by_severity("warning")))
    return children


def slo_route(routing: Routing, defs: Definitions) -> dict[str, Any]:
    """The SLO subtree: the SLO alerts, routed by overrides and then by severity."""
    return {
        "matchers": [subtree_matcher(defs)],
        "receiver": routing.default,
        "group_by": list(routing.group_by),
        **routing.timing(),
        "routes": _children(routing),
    }


def threshold_route(routing: Routing, defs: Definitions) -> dict[str, Any] | None:
    """The threshold subtree, routed like the SLO alerts; None without threshold alerts.

    Matched by alert name *and* service: names such as ``HighErrorRate`` are common, and a merged
    base config's own alerts of that name (from other services) must keep their routes.
    """
    names = threshold_alert_names(defs)
    if not names:
        return None
    services = sorted({s.name for s in defs.services if s.alerts})
    service_matcher = (
        matcher("service", services[0])
        if len(services) == 1
        else matcher("service", "|".join(re.escape(n) for n in services), "=~")
    )
    return {
        "matchers": [_one_of("alertname", names), service_matcher],
        "receiver": routing.default,
        "group_by": list(routing.group_by),
        **routing.timing(),
        "routes": _children(routing),
    }


def _subtrees(routing: Routing, defs: Definitions) -> list[dict[str, Any]]:
    threshold = threshold_route(routing, defs)
    return [slo_route(routing, defs), *([threshold] if threshold is not None else [])]


def _is_threshold_subtree(route: Any) -> bool:
    matchers = route.get("matchers") if isinstance(route, dict) else None
    return (
        isinstance(matchers, list)
        and len(matchers) == 2
        and all(isinstance(m, str) for m in matchers)
        and matchers[0].startswith("alertname")
        and matchers[1].startswith("service")
        and isinstance(route.get("routes"), list)
    )


def receivers(routing: Routing) -> list[dict[str, Any]]:
    return [r.config() for r in routing.receivers]


def inhibit_rules(routing: Routing, defs: Definitions) -> list[dict[str, Any]]:
    """Page inhibits ticket of the same SLO; missing data inhibits the SLO's burn-rate alerts; a threshold
    alert's critical level inhibits its warning level of the same series."""
    if not routing.inhibit:
        return []
    burn = _one_of("alertname", burn_alert_names(defs))
    missing = _one_of("alertname", [prometheus_rules.ABSENT_ALERT, prometheus_rules.BUCKET_ALERT])
    rules = [
        {
            "source_matchers": [burn, matcher("severity", "critical")],
            "target_matchers": [burn, matcher("severity", "warning")],
            "equal": ["service", "slo"],
        },
        {
            "source_matchers": [missing],
            "target_matchers": [burn],
            "equal": ["service", "slo"],
        },
    ]
    thresholds = threshold_alert_names(defs, both_levels=True)
    if thresholds:
        names = _one_of("alertname", thresholds)
        # A label an alert's series lack is empty on both sides, so one rule serves every grouping.
        grouping = sorted({label for service in defs.services for alert in service.alerts for label in alert.expr.by})
        rules.append(
            {
                "source_matchers": [names, matcher("severity", "critical")],
                "target_matchers": [names, matcher("severity", "warning")],
                "equal": ["alertname", "service", *grouping],
            }
        )
    return rules


def standalone(routing: Routing, defs: Definitions) -> dict[str, Any]:
    """A complete Alertmanager config: the SLO subtree, then the seeds' severity routes for other alerts."""
    root = {
        "receiver": routing.default,
        "group_by": list(routing.group_by),
        **routing.timing(),
        "routes": [
            *_subtrees(routing, defs),
            *_by_severity(routing.by_severity("critical"), routing.by_severity("warning")),
        ],
    }
    out: dict[str, Any] = {"route": root, "receivers": receivers(routing)}
    rules = inhibit_rules(routing, defs)
    if rules:
        out["inhibit_rules"] = rules
    return out


# ---------------------------------------------------------------------------------------------
# Base configs


@dataclass(frozen=True)
class BaseConfig:
    """A hand-written Alertmanager config to merge the generated routing into."""

    path: str
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

    def problem(self, path: str, message: str) -> Problem:
        probe = path
        while probe and probe not in self.lines:
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        return Problem(self.path, self.lines.get(probe), path, message)


def _secrets(value: Any, path: str, parent: str = "") -> list[tuple[str, str]]:
    """(path, reason) of every literal secret in an Alertmanager config."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            where = join(path, str(key))
            literal = isinstance(child, str) and child.strip() and child != "<secret>"
            if literal and (key in _SECRET_KEYS or (key == "api_url" and parent == "slack_configs")):
                found.append((where, f"{key!r} holds a literal secret; use {key}_file (or drop it from the base)"))
            else:
                found.extend(_secrets(child, where, str(key)))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found.extend(_secrets(child, join(path, i), parent))
    elif isinstance(value, str):
        reason = secret_in(value)
        if reason:
            found.append((path, f"literal secret: {reason}"))
    return found


def read_base(path: str | Path) -> BaseConfig:
    """Read and check a base config: one mapping with a top-level route, generated by hand, no secrets."""
    shown = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        message = f"cannot read the Alertmanager base config: {exc.strerror or exc}"
        raise SpecError(Problem(shown, None, "", message)) from None
    text = decode(shown, raw)
    if MARKER in text[:4096]:
        raise SpecError(
            Problem(
                shown,
                None,
                "",
                "this is a generated file: give the hand-written Alertmanager config as the base, not the output",
            )
        )
    docs = load_documents(shown, text)
    if len(docs) != 1 or not isinstance(docs[0].data, dict):
        raise SpecError(Problem(shown, None, "", "an Alertmanager config must be one YAML mapping"))
    doc = docs[0]
    base = BaseConfig(shown, doc.data, doc.lines)
    problems = []
    route = doc.data.get("route")
    if not isinstance(route, dict):
        problems.append(base.problem("route", "an Alertmanager config needs a top-level 'route' mapping"))
    elif not isinstance(route.get("routes", []), list | None):
        problems.append(base.problem("route.routes", "must be a list of routes"))
    for key in ("receivers", "inhibit_rules"):
        if not isinstance(doc.data.get(key, []), list | None):
            problems.append(base.problem(key, "must be a list"))
    for where, reason in _secrets(doc.data, ""):
        problems.append(
            base.problem(where, f"{reason}: the generated alertmanager.yml would contain it, and it must not")
        )
    if problems:
        raise SpecError(problems)
    return base


def merge(base: BaseConfig, routing: Routing, defs: Definitions) -> dict[str, Any]:
    """The base config with the SLO (and threshold) subtrees as the first child routes, plus receivers and
    inhibit rules. Subtrees of an earlier merge (a threshold subtree right after an SLO subtree) are replaced."""
    out = copy.deepcopy(base.data)
    route = out["route"]
    routes = list(route.get("routes") or [])
    kept = [
        r
        for i, r in enumerate(routes)
        if not _is_slo_subtree(r) and not (i > 0 and _is_slo_subtree(routes[i - 1]) and _is_threshold_subtree(r))
    ]
    route["routes"] = [*_subtrees(routing, defs), *kept]
    existing = list(out.get("receivers") or [])
    by_name = {r.get("name"): (i, r) for i, r in enumerate(existing) if isinstance(r, dict)}
    problems = []
    for receiver in receivers(routing):
        if receiver["name"] in by_name:
            i, theirs = by_name[receiver["name"]]
            if theirs != receiver:
                problems.append(
                    base.problem(
                        f"receivers[{i}]",
                        f"receiver {receiver['name']!r} is also defined by the SLO routing "
                        f"(in {defs.routing_origin}), differently: rename one of them",
                    )
                )
            continue
        existing.append(receiver)
    if problems:
        raise SpecError(problems)
    out["receivers"] = existing
    rules = list(out.get("inhibit_rules") or [])
    rules.extend(r for r in inhibit_rules(routing, defs) if r not in rules)
    if rules:
        out["inhibit_rules"] = rules
    return out


def config(defs: Definitions, base: BaseConfig | None = None) -> dict[str, Any]:
    """The Alertmanager config for the definitions' routing (which must be defined)."""
    if defs.routing is None:
        raise ValueError("the definitions define no routing")
    if base is None:
        return standalone(defs.routing, defs)
    return merge(base, defs.routing, defs)


# ---------------------------------------------------------------------------------------------
# Route tests


def alert_labels(rule_files: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The label set of every alert in rule file documents (``alertname`` included), in rule order."""
    return [
        {"alertname": rule["alert"], **rule.get("labels", {})}
        for doc in rule_files
        for group in doc["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def slo_alerts(defs: Definitions) -> list[dict[str, str]]:
    """The label set of every alert the rule files define (SLO and threshold alerts), in rule order."""
    out: list[dict[str, str]] = []
    for service in defs.services:
        thresholds = threshold_rules.rule_file(service)
        out += alert_labels([prometheus_rules.rule_file(service), *([thresholds] if thresholds else [])])
    return out


def _case_name(labels: dict[str, str]) -> str:
    kind = labels["alertname"] + (f" {labels['tier']}" if "tier" in labels else "")
    if "slo" not in labels:
        return f"{labels.get('service')}: threshold alert {kind} ({labels.get('severity')})"
    return f"{labels.get('service')}/{labels.get('slo')}: {kind} ({labels.get('severity')})"


def route_tests(defs: Definitions, merged: bool = False, alerts: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Label sets → the receivers Alertmanager must route them to, as the routing model says.

    One case per generated alert rule (its exact labels); in a standalone config also non-SLO
    alerts of each severity, which follow the seeds' severity routes. Expected receivers come from
    :meth:`Routing.receiver_for`, not from the generated tree, so the tree is tested against the
    definitions' meaning.
    """
    routing = defs.routing
    if routing is None:
        raise ValueError("the definitions define no routing")
    cases: list[dict[str, Any]] = []
    seen: set[tuple[tuple[str, str], ...]] = set()
    for labels in alerts if alerts is not None else slo_alerts(defs):
        key = tuple(sorted(labels.items()))
        if key in seen:
            continue
        seen.add(key)
        cases.append({"name": _case_name(labels), "labels": labels, "receivers": [routing.receiver_for(labels)]})
    if not merged:
        for severity in (*SEVERITIES, None):
            labels = {"alertname": "NotAnSLOAlert", **({"severity": severity} if severity else {})}
            cases.append(
                {
                    "name": f"an alert that is not an SLO alert ({severity or 'no severity'})",
                    "labels": labels,
                    "receivers": [routing.by_severity(severity)],
                }
            )
    return {"config": Path(CONFIG).name, "tests": cases}


def unmatched_routes(defs: Definitions) -> list[str]:
    """Overrides that no service's alerts can reach (a typo in a team or service name?)."""
    if defs.routing is None:
        return []
    alerts = slo_alerts(defs)
    return [
        f"routing route ({r.describe()}) matches no SLO alert of the definitions"
        for r in defs.routing.routes
        if not any(r.matches(labels) for labels in alerts)
    ]


TEST_NOTES = """\
Route tests: each case is the label set of one generated alert and the receivers Alertmanager must
route it to, as the definitions' routing says. `slo test` runs, for each case:
  amtool config routes test --config.file=alertmanager.yml --verify.receivers=<receivers> <labels>"""
