"""Every generated artifact for a set of definitions, as ``{relative path: text}``.

Pure: the CLI decides whether to write, diff or test the result.
"""

from __future__ import annotations

from generators import kubernetes, prometheus_rules, promtool_tests
from generators.yamlout import dump
from slo.loaders import Definitions
from slo.output import MARKER


def header(origin: str) -> str:
    return f"{MARKER} from {origin}.\nDo not edit: change the definitions and run `slo generate`."


def artifacts(defs: Definitions) -> dict[str, str]:
    """Rule files, promtool tests and PrometheusRule objects for every service."""
    files: dict[str, str] = {}
    for service in defs.services:
        head = header(defs.origin(service.name))
        rules = prometheus_rules.rule_file(service)
        files[f"rules/{service.name}.rules.yml"] = dump(rules, head)
        tests = promtool_tests.test_file(service, f"../{service.name}.rules.yml")
        files[f"rules/tests/{service.name}.test.yml"] = dump(tests, head)
        files[f"rules/kubernetes/{service.name}.yaml"] = dump(kubernetes.prometheus_rule(service, rules), head)
    return dict(sorted(files.items()))


def notes(defs: Definitions) -> list[str]:
    """Things the user should know about the output, e.g. SLOs that get no generated unit tests."""
    out = []
    for service in defs.services:
        for slo_name, why in promtool_tests.skipped(service):
            out.append(f"no generated promtool tests for {service.name}/{slo_name}: {why}")
    return out
