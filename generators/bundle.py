"""Every generated artifact for a set of definitions, as ``{relative path: text}``.

Pure: the CLI decides whether to write, diff or test the result.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from generators import (
    alertmanager,
    alertmanager_templates,
    grafana,
    kubernetes,
    offset_tests,
    prometheus_rules,
    promtool_tests,
    rule_compat,
    service_tests,
    sloth_compat,
    threshold_rules,
    threshold_tests,
)
from generators.alertmanager_versions import target as alertmanager_target
from generators.yamlout import comment, dump, dump_reusing
from slo.loaders import Definitions
from slo.model.errors import Problem, SpecError
from slo.model.service import Service
from slo.project.output import MARKER


def header(origin: str) -> str:
    return f"{MARKER} from {origin}.\nDo not edit: change the definitions and run `slo generate`."


def artifacts(
    defs: Definitions,
    alertmanager_base: alertmanager.BaseConfig | None = None,
    grafana_url: str | None = None,
    *,
    alertmanager_version: str | None = None,
    kubernetes_meta: kubernetes.Metadata | None = None,
    sloth_compat: bool = False,
    prometheus_version: str | None = None,
    rule_groups: rule_compat.GroupSettings | None = None,
) -> dict[str, str]:
    """Rule files, promtool tests and PrometheusRule objects for every service (SLO rules in
    ``<service>.rules.yml``, threshold alerts in ``<service>.alerts.yml``), Grafana dashboards; with
    routing defined, the Alertmanager config (merged into ``alertmanager_base`` if given) and its
    route-test table.

    With ``grafana_url`` known, alerts of a service without its own ``dashboard_url`` link to the
    generated dashboard, so the page lands the responder on the right graphs.
    ``alertmanager_version`` is the Alertmanager release the config is for (default: the current one);
    ``kubernetes_meta`` the namespace, labels and annotations of the PrometheusRule objects;
    ``sloth_compat`` adds Sloth's labels and series to the rules (generators/sloth_compat.py);
    ``rule_groups`` (``[tool.slo.rule_groups]``) the labels, limit and query_offset of every rule group,
    written the way ``prometheus_version`` (default: the current one) reads them.
    """
    files: dict[str, str] = {}
    services = [_with_dashboard_link(s, grafana_url) for s in defs.services]
    origins = [defs.origin(s.name) for s in services]
    dashboards: dict[str, str] = {}
    alerts: list[dict[str, str]] = []
    target = rule_compat.PrometheusTarget.parse(prometheus_version or rule_compat.DEFAULT_PROMETHEUS)
    groups = _Groups(target, rule_groups)
    per_service = _per_service(services, origins, grafana_url, kubernetes_meta, sloth_compat, groups)
    for service, origin, out in zip(services, origins, per_service, strict=True):
        for path, text in out.files:
            _add(files, path, text, origin)
        dashboards[service.name] = out.dashboard
        alerts += out.alerts
    files.update(grafana.dashboards(defs.services, grafana_url, rendered=dashboards))
    if defs.routing is not None:
        origin = defs.routing_origin or "<unknown>"
        if alertmanager_base is not None:
            origin = f"{origin} merged into {alertmanager_base.path}"
        head = header(origin)
        version = alertmanager_target(alertmanager_version)
        am_config = alertmanager.config(defs, alertmanager_base, version)
        files[alertmanager.CONFIG] = dump(am_config, f"{head}\n\n{alertmanager.NOTES}")
        files[alertmanager_templates.TEMPLATE_FILE] = comment_go(head) + alertmanager_templates.template_file()
        tests = alertmanager.route_tests(
            defs, merged=alertmanager_base is not None, alerts=alerts, base=alertmanager_base
        )
        files[alertmanager.ROUTE_TESTS] = dump(tests, f"{head}\n\n{alertmanager.TEST_NOTES}")
    return dict(sorted(files.items()))


# Below this many services the process pool costs more than it saves.
PARALLEL_FROM = 16


@dataclass(frozen=True)
class _Groups:
    """The target Prometheus and the project-wide rule-group fields."""

    target: rule_compat.PrometheusTarget
    settings: rule_compat.GroupSettings | None = None

    def rules(self, doc: dict) -> dict:
        return rule_compat.apply(doc, self.target, self.settings)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.settings.labels) if self.settings is not None else {}

    def tests(self, doc: dict) -> dict:
        offset = self.settings.query_offset if self.settings is not None else None
        return offset_tests.delayed(doc, offset)


NO_GROUP_FIELDS = _Groups(rule_compat.PrometheusTarget.parse(rule_compat.DEFAULT_PROMETHEUS))


@dataclass(frozen=True)
class ServiceOutput:
    """What one service contributes: its files, its rendered dashboard, its alerts' label sets."""

    files: list[tuple[str, str]]
    dashboard: str
    alerts: list[dict[str, str]]


def comment_go(text: str) -> str:
    """A header as a Go template comment (the template file's syntax)."""
    return "{{/*\n" + text + "\n*/}}\n"


def service_files(
    service: Service,
    origin: str,
    grafana_url: str | None,
    kubernetes_meta: kubernetes.Metadata | None = None,
    sloth: bool = False,
    groups: _Groups = NO_GROUP_FIELDS,
) -> ServiceOutput:
    """One service's rule files, unit tests, PrometheusRule, dashboard and alert label sets."""
    head = header(origin)
    out: list[tuple[str, str]] = []
    rules = prometheus_rules.rule_file(service, groups.target)
    if sloth:
        rules = sloth_compat.apply(service, rules)
    rules = slo_rules = groups.rules(rules)
    rules_text = dump(rules)
    out.append((f"rules/{service.name}.rules.yml", comment(head) + rules_text))
    tests = groups.tests(service_tests.test_file(service, f"../{service.name}.rules.yml"))
    out.append((f"rules/tests/{service.name}.test.yml", dump(tests, head)))
    thresholds = threshold_rules.rule_file(service)
    if thresholds is not None:
        thresholds = groups.rules(thresholds)
        out.append((f"rules/{service.name}.alerts.yml", dump(thresholds, head)))
        alert_tests = groups.tests(threshold_tests.test_file(service, f"../{service.name}.alerts.yml", groups.labels))
        if alert_tests["tests"]:
            out.append((f"rules/tests/{service.name}.alerts.test.yml", dump(alert_tests, head)))
        rules = {"groups": [*rules["groups"], *thresholds["groups"]]}
    k8s = kubernetes.prometheus_rule(service, rules, kubernetes_meta)
    # Its spec is the rule file (without threshold alerts): indent that text rather than render it again.
    reuse = k8s["spec"] == slo_rules
    out.append(
        (
            f"rules/kubernetes/{service.name}.yaml",
            dump_reusing(k8s, head, "spec", rules_text) if reuse else dump(k8s, head),
        )
    )
    dashboard = grafana.render(grafana.service_dashboard(service, grafana_url))
    return ServiceOutput(out, dashboard, alertmanager.alert_labels([rules]))


def _service_files_star(
    args: tuple[Service, str, str | None, kubernetes.Metadata | None, bool, _Groups],
) -> ServiceOutput:
    return service_files(*args)


def _per_service(
    services: list[Service],
    origins: list[str],
    grafana_url: str | None,
    kubernetes_meta: kubernetes.Metadata | None = None,
    sloth: bool = False,
    groups: _Groups = NO_GROUP_FIELDS,
) -> Iterable[ServiceOutput]:
    """Each service's files, in order; on several cores, many services are rendered in parallel.

    Services are independent and rendering is pure, so the output is the same bytes either way.
    """
    jobs = [(s, o, grafana_url, kubernetes_meta, sloth, groups) for s, o in zip(services, origins, strict=True)]
    workers = min(os.cpu_count() or 1, 8)
    # Forking while other threads run (an embedding program, the demo's servers) risks copying a held lock.
    if len(jobs) < PARALLEL_FROM or workers < 2 or threading.active_count() > 1:
        return [service_files(*job) for job in jobs]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(_service_files_star, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


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
