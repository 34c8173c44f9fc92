"""Alertmanager configuration and a route-test table from the SLO definitions' routing.

Pure functions model → dict; :mod:`generators.bundle` renders them to
``alertmanager/alertmanager.yml`` and ``alertmanager/routes.test.yml``.

Shape of the generated routing (standalone, no base config)::

    route:                              receiver: <default>, group_by/timing of the routing
      routes:
      - matchers: [alertname=~"SLOErrorBudgetBurn|SLOMetricAbsent|…", service=~"a|b"]   <- the SLO subtree
        routes:                          overrides first, one child per severity each names
        - matchers: [team="payments", severity="critical"]  receiver: payments-pager
        - matchers: [severity="critical"]  receiver: <pager>
        - matchers: [severity="warning"]   receiver: <chat>
      - matchers: [alertname=~"HighErrorRate|…", service="…"]         <- threshold alerts, if any
        routes: (the same children)
      - matchers: [severity="critical"]  receiver: <pager>   (the seeds' routes, for other alerts)
      - matchers: [severity="warning"]   receiver: <chat>

The SLO subtree is marked by its ``alertname`` matcher, which names exactly the alerts the rule
generator writes, and scoped by a ``service`` matcher to the definitions' services (other teams'
alerts of the same names keep their routes); threshold alerts get a second subtree right after it,
matched by their names and services. Receivers use the notification templates of
:mod:`generators.alertmanager_templates`, listed under ``templates:``. Merged into a hand-written
base config, the subtrees become the first children of the base's top-level route and the generated
receivers, inhibition rules and template file are appended; everything else of the base (global,
other routes, receivers, inhibit rules, templates, time intervals, keys unknown here) is kept as it
is. A subtree of an earlier merge is replaced, so merging is idempotent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generators import alertmanager_templates, alertmanager_tree, prometheus_rules, threshold_rules
from generators.alertmanager_base import BaseConfig
from generators.alertmanager_base import read_base as read_base  # the CLI reads a base through this module
from generators.alertmanager_inhibit import inhibit_rules
from generators.alertmanager_matchers import FIXED_ALERTS as FIXED_ALERTS
from generators.alertmanager_matchers import (
    burn_alert_names,
    matcher,
    one_of,
    service_matcher,
    subtree_matcher,
    threshold_alert_names,
)
from generators.alertmanager_versions import Version, config_problems, receiver_problems, target
from slo.loaders import Definitions
from slo.model.errors import Problem, SpecError
from slo.model.routing import SEVERITIES, Routing

CONFIG = "alertmanager/alertmanager.yml"
ROUTE_TESTS = "alertmanager/routes.test.yml"
# Labels of a burn-rate alert that say which tier fired; they never influence routing.
TIER_LABELS = ("tier", "long_window", "short_window")

NOTES = """\
Routing: alerts named by the first route's alertname matcher, of the services its service matcher
names, are the SLO alerts of the rule files (alerts of other services keep their routes, whatever
their name); the second route (if any) matches the threshold alerts by name and service. Pages
(severity=critical) go to the pager receiver, tickets (severity=warning) to the chat receiver,
team/service overrides first. Grouped by alertname, service and slo: one notification per incident,
never two SLOs merged into one notification.
Inhibition rules:
1. A firing page (critical burn-rate alert) of an SLO inhibits the tickets (warning burn-rate alerts)
   of the same SLO (equal service and slo): the incident is already being handled.
2. SLOMetricAbsent or SLOLatencyBucketMissing of an SLO inhibits its burn-rate alerts: without the
   SLI's series (or its threshold bucket, which makes every request count as slow) the burn rate is
   not a measurement, and the absent-metric alert says what to fix.
3. (with threshold alerts) A threshold alert's critical level inhibits its warning level for the
   same alert, service and series (equal alertname, service and the expressions' grouping labels):
   above the critical level both rules fire, and one notification is enough.
4. (with cross_inhibit) A page of an SLO inhibits the same service's threshold-alert criticals of the
   same symptom (error ratio of the SLO's request counter, latency of its histogram).
Notification texts come from slo-notifications.tmpl beside this file (templates:).
Secrets are read by Alertmanager from the *_file paths; none is written here.
routes.test.yml beside this file lists label sets and the receivers they must reach (`slo test`)."""

# ---------------------------------------------------------------------------------------------
# Subtrees


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
    """The SLO subtree: the SLO alerts of these services, routed by overrides and then by severity."""
    return {
        "matchers": [subtree_matcher(defs), service_matcher(s.name for s in defs.services)],
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
    return {
        "matchers": [one_of("alertname", names), service_matcher(s.name for s in defs.services if s.alerts)],
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
    """The routing's receivers, with the notification templates wherever a definition sets nothing."""
    return [alertmanager_templates.apply(r.config()) for r in routing.receivers]


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
    out: dict[str, Any] = {
        "route": root,
        "receivers": receivers(routing),
        "templates": [alertmanager_templates.TEMPLATE_NAME],
    }
    rules = inhibit_rules(routing, defs)
    if rules:
        out["inhibit_rules"] = rules
    return out


def merge(base: BaseConfig, routing: Routing, defs: Definitions, version: Version | None = None) -> dict[str, Any]:
    """The base config with the SLO (and threshold) subtrees as the first child routes, plus receivers,
    inhibit rules and the notification templates. Subtrees of an earlier merge (a threshold subtree right
    after an SLO subtree) are replaced; keys of the base this toolkit does not know are kept, but keys
    known to need a newer Alertmanager than ``version`` are refused."""
    problems = [base.problem(where, reason) for where, reason in config_problems(base.data, version or target(None))]
    if problems:
        raise SpecError(problems)
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
    templates = out.get("templates")
    templates = list(templates) if isinstance(templates, list) else []
    if alertmanager_templates.TEMPLATE_NAME not in templates:
        templates.append(alertmanager_templates.TEMPLATE_NAME)
    out["templates"] = templates
    rules = list(out.get("inhibit_rules") or [])
    rules.extend(r for r in inhibit_rules(routing, defs) if r not in rules)
    if rules:
        out["inhibit_rules"] = rules
    return out


def check_version(routing: Routing, version: Version, origin: str | None) -> None:
    """Refuse receivers the target Alertmanager release cannot load (e.g. webhook ``url_file`` before 0.28)."""
    problems = []
    for i, receiver in enumerate(routing.receivers):
        for where, reason in receiver_problems(receiver.config(), f"routing.receivers[{i}]", version):
            problems.append(Problem(origin or "<routing>", None, where, f"receiver {receiver.name!r}: {reason}"))
    if problems:
        raise SpecError(problems)


def config(defs: Definitions, base: BaseConfig | None = None, version: Version | None = None) -> dict[str, Any]:
    """The Alertmanager config for the definitions' routing (which must be defined), for ``version``
    (default: the current release)."""
    if defs.routing is None:
        raise ValueError("the definitions define no routing")
    version = version or target(None)
    check_version(defs.routing, version, defs.routing_origin)
    if base is None:
        return standalone(defs.routing, defs)
    return merge(base, defs.routing, defs, version)


# ---------------------------------------------------------------------------------------------
# Route tests


def alert_labels(rule_files: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The label set of every alert in rule file documents (``alertname`` included, group labels under the
    rule's own), in rule order."""
    return [
        {"alertname": rule["alert"], **group.get("labels", {}), **rule.get("labels", {})}
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


FOREIGN_SERVICE = "another-teams-service"


def _foreign_service(defs: Definitions) -> str:
    ours = {s.name for s in defs.services}
    name = FOREIGN_SERVICE
    while name in ours:
        name += "-x"
    return name


def foreign_alerts(defs: Definitions, base: BaseConfig | None) -> list[dict[str, str]]:
    """Label sets of alerts that are not ours but look like them: our alert names on another service.

    With a base config, also combined with the label equalities of the base's routes (its
    ``team="payments"`` route, say), so the cases reach every part of the base's tree that an
    unscoped subtree would capture. Equalities naming one of our services are ours, not foreign.
    """
    ours = {s.name for s in defs.services}
    other = _foreign_service(defs)
    names = [*burn_alert_names(defs), prometheus_rules.ABSENT_ALERT, *threshold_alert_names(defs)]
    out = [{"alertname": name, "service": other, "severity": severity} for name in names for severity in SEVERITIES]
    # another service of one of our teams: our team routes are inside the scoped subtree, not above it
    teams = sorted({s.team for s in defs.services if s.team})
    out += [
        {"alertname": names[0], "service": other, "team": team, "severity": severity}
        for team in teams
        for severity in SEVERITIES
    ]
    if base is not None:
        for eq in alertmanager_tree.equalities(base.data["route"]):
            if eq.get("service") in ours or ("alertname" in eq and eq["alertname"] not in names):
                continue
            for severity in [eq["severity"]] if "severity" in eq else SEVERITIES:
                out.append(
                    {"alertname": names[0], "service": other, **eq, "severity": severity},
                )
    unique: list[dict[str, str]] = []
    for labels in out:
        if labels not in unique:
            unique.append(labels)
    return unique


def _foreign_expected(defs: Definitions, base: BaseConfig | None, labels: dict[str, str]) -> list[str]:
    routing = defs.routing
    assert routing is not None
    if base is None:
        return [routing.by_severity(labels.get("severity"))]
    try:
        return alertmanager_tree.receivers_for(base.data["route"], labels)
    except alertmanager_tree.UnreadableRoute as exc:
        raise SpecError(base.problem("route", f"cannot evaluate the base's routes: {exc}")) from None


def route_tests(
    defs: Definitions,
    merged: bool = False,
    alerts: list[dict[str, str]] | None = None,
    base: BaseConfig | None = None,
) -> dict[str, Any]:
    """Label sets → the receivers Alertmanager must route them to, as the routing model says.

    One case per generated alert rule (its exact labels); in a standalone config also non-SLO
    alerts of each severity, which follow the seeds' severity routes. Expected receivers come from
    :meth:`Routing.receiver_for`, not from the generated tree, so the tree is tested against the
    definitions' meaning. Foreign alerts (our alert names on another service, with the base's route
    labels) must reach what the base config alone gives them (:mod:`generators.alertmanager_tree`):
    merging never takes another team's alerts.
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
    for labels in foreign_alerts(defs, base):
        key = tuple(sorted(labels.items()))
        if key in seen:
            continue
        seen.add(key)
        extra = " ".join(f"{k}={v}" for k, v in labels.items() if k not in ("alertname", "service", "severity"))
        cases.append(
            {
                "name": f"foreign alert {labels['alertname']} ({labels['severity']}) of service {labels['service']}"
                + (f" with {extra}" if extra else "")
                + (": keeps the base config's route" if base is not None else ": not captured by the SLO subtree"),
                "labels": labels,
                "receivers": _foreign_expected(defs, base, labels),
            }
        )
    if not merged and base is None:
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
