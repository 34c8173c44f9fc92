"""Semantic checks beyond the schema: things a valid-looking spec can still get wrong.

Problems make ``slo validate`` fail; warnings are printed but do not (e.g. a page tier that a
low objective makes impossible to trip).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import yaml

from slo.loaders import Definitions
from slo.model.durations import Duration
from slo.model.errors import Problem
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, PromQLTemplate, RatioSLI, RawRatioSLI, TimeSliceSLI
from slo.model.thresholds import RawPromQL, ThresholdAlert
from slo.promql import guards
from slo.tools.toolcheck import find_tool


def _where(service: Service, slo: SLO) -> str:
    return f"{service.name}/{slo.name}"


def _significant_digits(value: float) -> int:
    text = f"{value:.12g}".replace(".", "").lstrip("0")
    text = text.split("e")[0]
    return len(text.rstrip("0")) or 1


def plausible_bucket(threshold: float) -> bool:
    """Histogram boundaries are round numbers between 0.1 ms and a day.

    Round means at most 3 significant digits (0.005, 0.025, 0.075, 2.5), or a step of an
    exponential series from a round start (0.001 × 2^10 = 1.024, 0.1 × 1.5^3 = 0.3375); a value
    such as 0.2137 (read off a percentile panel) is neither.
    """
    if not 0.0001 <= threshold <= 86400:
        return False
    if _significant_digits(threshold) <= 3:
        return True
    return any(_significant_digits(threshold / factor**k) <= 2 for factor in (1.5, 2, 3) for k in range(1, 31))


def templates(slo: SLO) -> list[tuple[str, PromQLTemplate]]:
    """The opaque PromQL fragments of an SLO, with the role each plays."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, RawRatioSLI):
        return [("error_ratio", sli.error_ratio)]
    if isinstance(sli, RatioSLI):
        return [
            (role, s)
            for role, s in (("total", sli.total), ("good", sli.good), ("bad", sli.bad))
            if isinstance(s, PromQLTemplate)
        ]
    return []


def semantic(defs: Definitions) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) for loaded definitions."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    for service in defs.services:
        origin = defs.origin(service.name)
        for slo in service.slos:
            sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
            where = _where(service, slo)
            # a native histogram interpolates any threshold: only classic buckets need a plausible boundary
            if isinstance(sli, LatencySLI) and sli.reads_classic and not plausible_bucket(sli.threshold):
                problems.append(
                    Problem(
                        origin,
                        None,
                        where,
                        f"latency threshold {sli.threshold:g}s is not a plausible histogram bucket boundary "
                        "(use the 'le' value of an existing bucket, e.g. 0.1, 0.25, 0.5, 1)",
                    )
                )
            hint = guards.bucket_hint(slo)
            if hint is not None:
                warnings.append(Problem(origin, None, where, hint))
            if slo.alerting is not None:
                for tier in slo.alerting.tiers:
                    if tier.factor(slo.period) * slo.error_budget >= 1:
                        warnings.append(
                            Problem(
                                origin,
                                None,
                                where,
                                f"tier {tier.name!r} can never fire: its burn-rate threshold "
                                f"{tier.factor(slo.period):g}x the {slo.error_budget:.4g} budget "
                                "exceeds a 100% error ratio",
                            )
                        )
                if not slo.alerting.tiers:
                    warnings.append(
                        Problem(origin, None, where, "no burn-rate tiers: only the absent alert is generated")
                    )
    problems.extend(check_promql(defs))
    problems.extend(check_threshold_alerts(defs))
    return problems, warnings


_RULE_PREFIX = re.compile(r'^.*?group "[^"]*", rule \d+, "[^"]*": ')


def _user_written(alert: ThresholdAlert) -> bool:
    """Whether an alert holds text promtool must parse: opaque PromQL or its own annotation templates."""
    return isinstance(alert.expr, RawPromQL) or bool(alert.summary or alert.description)


def _threshold_rule(alert: ThresholdAlert) -> dict[str, object]:
    from slo.promql import thresholds as threshold_promql

    _, level = alert.levels[0]
    annotations = {k: v for k, v in (("summary", alert.summary), ("description", alert.description)) if v}
    return {"alert": alert.name, "expr": threshold_promql.condition(alert, level), "annotations": annotations}


def _promtool_rejects(promtool: str, path: Path, groups: list[dict[str, object]]) -> str | None:
    """promtool's error lines for a rule file of ``groups``, or None when it is accepted."""
    path.write_text(yaml.safe_dump({"groups": groups}))
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    if result.returncode == 0:
        return None
    # e.g. '/tmp/x/alert0.yml: 6:11: group "check", rule 1, "Name": could not parse expression: …'
    lines = [line.strip() for line in (result.stderr + result.stdout).splitlines() if 'group "check' in line]
    return " ".join(_RULE_PREFIX.sub("", line) for line in lines) or "promtool rejected it"


def check_threshold_alerts(defs: Definitions) -> list[Problem]:
    """Parse the opaque PromQL and the annotation templates of threshold alerts with promtool.

    One promtool run for all of them; only when it fails is each alert checked alone, to say which.
    """
    found = [
        (defs.origin(service.name), f"{service.name}/{alert.name}", _threshold_rule(alert))
        for service in defs.services
        for alert in service.alerts
        if _user_written(alert)
    ]
    promtool = find_tool("promtool")
    if not found or promtool is None:
        return []
    with tempfile.TemporaryDirectory(prefix="slo-validate-") as tmp:
        groups = [{"name": f"check{i}", "rules": [rule]} for i, (_, _, rule) in enumerate(found)]
        if _promtool_rejects(promtool, Path(tmp) / "all.yml", groups) is None:
            return []
        problems = []
        for i, (origin, where, rule) in enumerate(found):
            detail = _promtool_rejects(promtool, Path(tmp) / f"alert{i}.yml", [{"name": "check", "rules": [rule]}])
            if detail is not None:
                problems.append(
                    Problem(origin, None, where, f"promtool rejects the alert's PromQL or templates: {detail}")
                )
        return problems


def check_promql(defs: Definitions) -> list[Problem]:
    """Parse every opaque PromQL fragment with promtool (one batch); no promtool, no check."""
    fragments: list[tuple[str, str, str]] = []
    for service in defs.services:
        for slo in service.slos:
            for role, template in templates(slo):
                fragments.append(
                    (
                        defs.origin(service.name),
                        f"{_where(service, slo)}: {role}",
                        template.render(Duration.parse("5m")),
                    )
                )
    promtool = find_tool("promtool")
    if not fragments or promtool is None:
        return []
    problems = []
    with tempfile.TemporaryDirectory(prefix="slo-validate-") as tmp:
        for i, (origin, where, expr) in enumerate(fragments):
            path = Path(tmp) / f"fragment{i}.yml"
            path.write_text(
                yaml.safe_dump({"groups": [{"name": "check", "rules": [{"record": "check:fragment", "expr": expr}]}]})
            )
            result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
            if result.returncode != 0:
                detail = " ".join(
                    line.strip() for line in (result.stderr + result.stdout).splitlines() if "error" in line.lower()
                )
                problems.append(
                    Problem(origin, None, where, f"PromQL does not parse: {detail or 'promtool rejected it'}")
                )
    return problems


def promtool_available() -> bool:
    return find_tool("promtool") is not None
