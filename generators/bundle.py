"""Every generated artifact for a set of definitions, as ``{relative path: text}``.

Pure: the CLI decides whether to write, diff or test the result.
"""

from __future__ import annotations

import dataclasses

from generators import (
    alertmanager,
    grafana,
    kubernetes,
    prometheus_rules,
    promtool_tests,
    threshold_rules,
    threshold_tests,
)
from generators.yamlout import comment, dump, dump_reusing
from slo.errors import Problem, SpecError
from slo.loaders import Definitions
from slo.model import Service
from slo.output import MARKER


def header(origin: str) -> str:
    return f"{MARKER} from {origin}.\nDo not edit: change the definitions and run `slo generate`."


def artifacts(
    defs: Definitions,
    alertmanager_base: alertmanager.BaseConfig | None = None,
    grafana_url: str | None = None,
) -> dict[str, str]:
    """Rule files, promtool tests and PrometheusRule objects for every service (SLO rules in
    ``<service>.rules.yml``, threshold alerts in ``<service>.alerts.yml``), Grafana dashboards; with
    routing defined, the Alertmanager config (merged into ``alertmanager_base`` if given) and its
    route-test table.

    With ``grafana_url`` known, alerts of a service without its own ``dashboard_url`` link to the
    generated dashboard, so the page lands the responder on the right graphs.
    """
    files: dict[str, str] = {}
    services = [_with_dashboard_link(s, grafana_url) for s in defs.services]
    if defs.routing is not None:
        origin = defs.routing_origin or "<unknown>"
        if alertmanager_base is not None:
            origin = f"{origin} merged into {alertmanager_base.path}"
        head = header(origin)
        am_config = alertmanager.config(defs, alertmanager_base)
        files[alertmanager.CONFIG] = dump(am_config, f"{head}\n\n{alertmanager.NOTES}")
        tests = alertmanager.route_tests(defs, merged=alertmanager_base is not None)
        files[alertmanager.ROUTE_TESTS] = dump(tests, f"{head}\n\n{alertmanager.TEST_NOTES}")
    for service in services:
        origin = defs.origin(service.name)
        head = header(origin)
        rules = slo_rules = prometheus_rules.rule_file(service)
        rules_text = dump(rules)
        _add(files, f"rules/{service.name}.rules.yml", comment(head) + rules_text, origin)
        tests = promtool_tests.test_file(service, f"../{service.name}.rules.yml")
        _add(files, f"rules/tests/{service.name}.test.yml", dump(tests, head), origin)
        thresholds = threshold_rules.rule_file(service)
        if thresholds is not None:
            _add(files, f"rules/{service.name}.alerts.yml", dump(thresholds, head), origin)
            alert_tests = threshold_tests.test_file(service, f"../{service.name}.alerts.yml")
            if alert_tests["tests"]:
                _add(files, f"rules/tests/{service.name}.alerts.test.yml", dump(alert_tests, head), origin)
            rules = {"groups": [*rules["groups"], *thresholds["groups"]]}
        k8s = kubernetes.prometheus_rule(service, rules)
        # Its spec is the rule file (without threshold alerts): indent that text rather than render it again.
        reuse = k8s["spec"] == slo_rules
        files[f"rules/kubernetes/{service.name}.yaml"] = (
            dump_reusing(k8s, head, "spec", rules_text) if reuse else dump(k8s, head)
        )
    files.update(grafana.dashboards(defs.services, grafana_url))
    return dict(sorted(files.items()))


def _add(files: dict[str, str], path: str, text: str, origin: str) -> None:
    """Refuse a path another service's files already took (service "a.alerts" next to "a")."""
    if path in files:
        raise SpecError(Problem(origin, None, "", f"generated file {path} clashes with another service's file"))
    files[path] = text


def _with_dashboard_link(service: Service, grafana_url: str | None) -> Service:
    if grafana_url is None or service.dashboard_url:
        return service
    return dataclasses.replace(service, dashboard_url=grafana.dashboard_url(grafana_url, service.name))


def notes(defs: Definitions) -> list[str]:
    """Things the user should know about the output, e.g. SLOs that get no generated unit tests."""
    out = []
    for service in defs.services:
        for slo_name, why in promtool_tests.skipped(service):
            out.append(f"no generated promtool tests for {service.name}/{slo_name}: {why}")
        for alert_name, why in threshold_tests.skipped(service):
            out.append(f"no generated promtool tests for threshold alert {service.name}/{alert_name}: {why}")
    return out
