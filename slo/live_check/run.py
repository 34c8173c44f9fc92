"""One ``slo check`` run: data checks at ``at``, deployed-state checks now, Alertmanager if given."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from slo import promql
from slo.live_check import alertmanager_state, buckets, deployed, history, matching, traffic
from slo.live_check.api import AlertmanagerClient, LivePromClient
from slo.live_check.findings import CheckResult, Finding, ordered
from slo.loaders import Definitions
from slo.model.durations import Duration
from slo.model.selectors import Selector
from slo.model.service import SLO, Service
from slo.model.sli import RawRatioSLI


def _first_value(items: list[dict[str, Any]]) -> float | None:
    return float(items[0]["value"][1]) if items else None


def hourly_traffic(client: LivePromClient, slo: SLO, at: datetime) -> traffic.Traffic | None:
    """Requests per hour for each of the 7 × 24 hours before ``at`` (hours with data)."""
    if not promql.has_events(slo):
        return None
    expr = promql.total_events(slo, Duration(traffic.HOUR), "increase")
    first = at - timedelta(hours=traffic.DAYS * 24 - 1)
    items = client.range(expr, first, at, traffic.HOUR)
    hours = [float(v) for item in items for _, v in item["values"] if float(v) == float(v)]
    return traffic.Traffic(tuple(hours))


def _raw_sli(service: Service, slo: SLO, client: LivePromClient, at: datetime) -> list[Finding]:
    if not isinstance(slo.sli, RawRatioSLI):
        return []
    if client.instant(promql.error_ratio(slo, Duration(3600)), at):
        return []
    return [
        Finding(
            "error",
            "selector",
            f"{service.name}/{slo.name}",
            "the error-ratio expression returns no data over the last hour",
            "run the expression in Prometheus and fix its selectors",
        )
    ]


def data_checks(client: LivePromClient, service: Service, slo: SLO, at: datetime) -> tuple[list[Finding], dict]:
    """Selectors, buckets, traffic against the tiers and achievability, evaluated at ``at``."""
    count = matching.instant_count(client.instant, at)

    def values(selector: Selector, label: str) -> list[str]:
        items = client.instant(matching.values_expr(selector, label), at)
        return sorted(str(i["metric"].get(label, "")) for i in items)

    names_cache: list[list[str]] = []

    def names() -> list[str]:
        if not names_cache:
            start = at - timedelta(hours=1)
            data = client.api_list(
                "label/__name__/values", {"start": f"{start.timestamp():.0f}", "end": f"{at.timestamp():.0f}"}
            )
            names_cache.append([str(n) for n in data])
        return names_cache[0]

    findings, matched = matching.check_selectors(service, slo, count, values, names)
    findings += _raw_sli(service, slo, client, at)
    facts: dict[str, Any] = {"series": matched}
    bucket_findings, bucket_facts = buckets.check_buckets(service, slo, lambda e: client.instant(e, at), count)
    findings += bucket_findings
    facts.update(bucket_facts)
    if any(f.severity == "error" for f in findings):
        return findings, facts  # no data, or every request counted bad: traffic and history would only echo it
    if promql.has_events(slo):
        found, traffic_facts = traffic.check_traffic(service, slo, hourly_traffic(client, slo, at))
        findings += found
        facts.update(traffic_facts)
    groups = history.fetch_group_days(slo, client.range, at)
    group, days = history.worst_group(slo, groups) if groups is not None else ("", None)
    found, history_facts = history.check_achievable(service, slo, days, group)
    findings += found
    facts.update(history_facts)
    return findings, facts


def deployed_checks(client: LivePromClient, defs: Definitions, files: Mapping[str, str]) -> list[Finding]:
    """Rule groups loaded, identical and healthy; recorded series fresh; what fires (all as of now)."""
    groups = client.rule_groups()
    now = datetime.now(UTC)  # after the answer: a group's lastEvaluation is never in the future
    findings = deployed.check_groups(files, groups, list(defs.services), now, client.started())

    def age_of(expr: str) -> float | None:
        at = datetime.now(UTC)
        stamp = _first_value(client.instant(expr, at))
        return None if stamp is None else at.timestamp() - stamp

    findings += deployed.check_freshness(files, defs, groups, age_of)
    findings += deployed.check_alerts(client.alerts(), defs)
    return findings


def alertmanager_checks(am: AlertmanagerClient, files: Mapping[str, str], now: datetime) -> list[Finding]:
    findings = alertmanager_state.check_config(files, am.config_text(), am.shown)
    findings += alertmanager_state.check_silences(files, am.silences(), now)
    return findings


def run(
    defs: Definitions,
    files: Mapping[str, str],
    client: LivePromClient,
    am: AlertmanagerClient | None = None,
    at: datetime | None = None,
    now: datetime | None = None,
    concurrency: int = 4,
) -> CheckResult:
    """Every check; ``at`` (default now) for the data checks, the deployed state is always now.

    The per-SLO data checks run ``concurrency`` at a time (each is a handful of small queries); the
    findings keep the definitions' order whatever finishes first.
    """
    now = now or datetime.now(UTC).replace(microsecond=0)
    at = at or now
    findings: list[Finding] = []
    facts: dict[str, dict] = {}
    if am is not None:  # first: an unreachable Alertmanager fails the run before the long data checks
        findings += alertmanager_checks(am, files, now)
    slos = [(service, slo) for service in defs.services for slo in service.slos]
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(lambda pair: data_checks(client, pair[0], pair[1], at), slos))
    for (service, slo), (found, slo_facts) in zip(slos, results, strict=True):
        findings += found
        facts[f"{service.name}/{slo.name}"] = slo_facts
    findings += deployed_checks(client, defs, files)
    checked = ["definitions vs data", "deployed rules", *(["alertmanager"] if am is not None else [])]
    return CheckResult(ordered(findings), facts, at.isoformat(), tuple(checked))
