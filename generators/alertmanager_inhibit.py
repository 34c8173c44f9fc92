"""Alertmanager inhibition rules for the SLO and threshold alerts, and the opt-in cross-inhibition.

Each rule is explained in the generated config's header (:data:`generators.alertmanager.NOTES`).
"""

from __future__ import annotations

from typing import Any

from generators import prometheus_rules
from generators.alertmanager_matchers import burn_alert_names, matcher, one_of, threshold_alert_names
from slo.loaders import Definitions
from slo.model.routing import Routing
from slo.model.selectors import Selector
from slo.model.sli import LatencySLI, RatioSLI, TimeSliceSLI
from slo.model.thresholds import HistogramQuantile, RateRatio


def inhibit_rules(routing: Routing, defs: Definitions) -> list[dict[str, Any]]:
    """Page inhibits ticket of the same SLO; missing data inhibits the SLO's burn-rate alerts; a threshold
    alert's critical level inhibits its warning level of the same series."""
    if not routing.inhibit:
        return []
    burn = one_of("alertname", burn_alert_names(defs))
    missing = one_of("alertname", [prometheus_rules.ABSENT_ALERT, prometheus_rules.BUCKET_ALERT])
    rules = [
        {
            "source_matchers": [burn, matcher("severity", "critical")],
            "target_matchers": [burn, matcher("severity", "warning")],
            # a grouped SLO's page inhibits the ticket of the same group only (empty on both sides otherwise)
            "equal": ["service", "slo", *slo_grouping_labels(defs)],
        },
        {  # a blind SLO is blind for every group: the metric is missing as a whole
            "source_matchers": [missing],
            "target_matchers": [burn],
            "equal": ["service", "slo"],
        },
    ]
    thresholds = threshold_alert_names(defs, both_levels=True)
    if thresholds:
        names = one_of("alertname", thresholds)
        # A label an alert's series lack is empty on both sides, so one rule serves every grouping.
        grouping = sorted({label for service in defs.services for alert in service.alerts for label in alert.expr.by})
        rules.append(
            {
                "source_matchers": [names, matcher("severity", "critical")],
                "target_matchers": [names, matcher("severity", "warning")],
                "equal": ["alertname", "service", *grouping],
            }
        )
    if routing.cross_inhibit:
        rules += cross_inhibit_rules(defs)
    return rules


def slo_grouping_labels(defs: Definitions) -> list[str]:
    """Every grouping label of a grouped SLO (``group_by``), sorted."""
    return sorted({label for service in defs.services for slo in service.slos for label in slo.group_by})


def _metric(source: object) -> str | None:
    return source.metric if isinstance(source, Selector) else None


def _slo_symptom(sli: object) -> tuple[str, str] | None:
    """(symptom, metric) an SLI measures: errors of a request counter, or latency of a histogram."""
    if isinstance(sli, TimeSliceSLI):
        sli = sli.inner
    if isinstance(sli, RatioSLI):
        metric = _metric(sli.total)
        return ("errors", metric) if metric else None
    if isinstance(sli, LatencySLI):
        return ("latency", sli.histogram.metric)
    return None


def _alert_symptom(expr: object) -> tuple[str, str] | None:
    """(symptom, metric) a threshold alert watches: an error ratio or a histogram quantile."""
    if isinstance(expr, RateRatio):
        return ("errors", expr.denominator.metric)
    if isinstance(expr, HistogramQuantile):
        return ("latency", expr.histogram.metric)
    return None


def symptom_pairs(defs: Definitions) -> list[tuple[str, list[str], list[str]]]:
    """(service, SLO names, threshold alert names) measuring the same symptom on the same metric.

    Same symptom means: an error-ratio threshold alert over the request counter an availability or
    error-rate SLO counts, or a latency-quantile alert over the histogram a latency SLO reads.
    """
    out = []
    for service in defs.services:
        by_symptom: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for slo in service.slos:
            key = _slo_symptom(slo.sli)
            if key is not None:
                by_symptom.setdefault(key, ([], []))[0].append(slo.name)
        for alert in service.alerts:
            key = _alert_symptom(alert.expr)
            if key in by_symptom and alert.critical is not None:
                by_symptom[key][1].append(alert.name)
        out += [(service.name, slos, alerts) for slos, alerts in by_symptom.values() if alerts]
    return out


def cross_inhibit_rules(defs: Definitions) -> list[dict[str, Any]]:
    """Opt-in: an SLO page inhibits the same service's threshold-alert criticals of the same symptom.

    The burn-rate page already says the users are hurt, with the budget at stake; the threshold
    alert's critical level (``HighErrorRate`` 5%) of the same incident would page a second time.
    The threshold alert's warning level is left alone (the critical-inhibits-warning rule covers it).
    """
    burn = one_of("alertname", burn_alert_names(defs))
    return [
        {
            "source_matchers": [burn, matcher("severity", "critical"), matcher("service", name), one_of("slo", slos)],
            "target_matchers": [
                one_of("alertname", alerts),
                matcher("severity", "critical"),
                matcher("service", name),
            ],
            "equal": ["service"],
        }
        for name, slos, alerts in symptom_pairs(defs)
    ]
