"""Every generated artifact for a set of definitions, as ``{relative path: text}``.

Pure: the CLI decides whether to write, diff or test the result.
"""

from __future__ import annotations

import dataclasses

from generators import alertmanager, grafana, kubernetes, prometheus_rules, promtool_tests
from generators.yamlout import dump
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
    """Rule files, promtool tests and PrometheusRule objects for every service, Grafana dashboards;
    with routing defined, the Alertmanager config (merged into ``alertmanager_base`` if given) and its
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
        head = header(defs.origin(service.name))
        rules = prometheus_rules.rule_file(service)
        files[f"rules/{service.name}.rules.yml"] = dump(rules, head)
        tests = promtool_tests.test_file(service, f"../{service.name}.rules.yml")
        files[f"rules/tests/{service.name}.test.yml"] = dump(tests, head)
        files[f"rules/kubernetes/{service.name}.yaml"] = dump(kubernetes.prometheus_rule(service, rules), head)
    files.update(grafana.dashboards(defs.services, grafana_url))
    return dict(sorted(files.items()))


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
    return out
