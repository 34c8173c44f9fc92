"""Sloth-compatible output: Sloth's label and series names on top of the toolkit's rules.

Enabled by ``[tool.slo] sloth_compat = true`` for teams migrating from Sloth: Alertmanager routes on
``sloth_severity`` and Sloth's Grafana dashboards (grafana.com 14348, 14643) keep working.

* every recorded series and alert of an SLO also carries ``sloth_id`` (``<service>-<slo>``),
  ``sloth_service`` and ``sloth_slo`` (``slo:sli_error:ratio_rate<W>`` has the same name in both
  tools); each burn-rate alert ``sloth_severity`` (``page`` for critical tiers, ``ticket`` for
  warning ones). ``sloth_window`` is not added: the toolkit's rules join windows on their labels;
  the window is in the series name, and Sloth's own alerts drop it (``max(...) without (sloth_window)``),
  so no route can match on it. ``sloth_slo_info``'s ``sloth_mode``/``sloth_spec``/``sloth_version``
  name the generator (``cli-gen-prom``, ``prometheus/v1``, ``slo-toolkit``) for any input format;
* Sloth's own series are added per SLO: ``slo:time_period:days``, ``slo:current_burn_rate:ratio``,
  ``slo:period_burn_rate:ratio``, ``slo:period_error_budget_remaining:ratio`` and ``sloth_slo_info``.

The toolkit's series keep their names and labels (only labels are added), so its own alerts,
dashboards and report are unchanged. Pure: a rule document in, a rule document out.
"""

from __future__ import annotations

import copy
from typing import Any

from slo.model.service import SLO, Service
from slo.promql.recorded import BASE_WINDOW, error_ratio_name

INFO = "sloth_slo_info"
MODE = "cli-gen-prom"
SPEC = "prometheus/v1"
VERSION = "slo-toolkit"
INTERVAL = "1m"


def sloth_labels(service: Service, slo: SLO) -> dict[str, str]:
    """The labels Sloth puts on every series of an SLO."""
    return {"sloth_id": f"{service.name}-{slo.name}", "sloth_service": service.name, "sloth_slo": slo.name}


def _num(value: float) -> str:
    return f"{value:.12g}"


def _selector(name: str, labels: dict[str, str]) -> str:
    inside = ", ".join(f'{k}="{v}"' for k, v in labels.items())
    return f"{name}{{{inside}}}"


def _sloth_group(service: Service, slo: SLO) -> dict[str, Any]:
    ids = sloth_labels(service, slo)
    labels = {**service.all_labels(slo), **ids}
    budget = _num(slo.error_budget)
    period = slo.period.alerting_window
    current = _selector(error_ratio_name(BASE_WINDOW), ids)
    over_period = _selector(error_ratio_name(period), ids)
    info = {
        **labels,
        "sloth_mode": MODE,
        "sloth_objective": f"{slo.objective * 100:.10g}",
        "sloth_spec": SPEC,
        "sloth_version": VERSION,
    }
    rules = [
        {"record": "slo:time_period:days", "expr": f"vector({period.seconds // 86400})", "labels": dict(labels)},
        {"record": "slo:current_burn_rate:ratio", "expr": f"{current} / {budget}", "labels": dict(labels)},
        {"record": "slo:period_burn_rate:ratio", "expr": f"{over_period} / {budget}", "labels": dict(labels)},
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - {_selector('slo:period_burn_rate:ratio', ids)}",
            "labels": dict(labels),
        },
        {"record": INFO, "expr": "vector(1)", "labels": info},
    ]
    return {"name": f"sloth:{service.name}:{slo.name}", "interval": INTERVAL, "rules": rules}


def apply(service: Service, rules: dict[str, Any]) -> dict[str, Any]:
    """``rules`` (one service's rule file) with Sloth's labels added and Sloth's series appended."""
    out = copy.deepcopy(rules)
    by_name = {slo.name: slo for slo in service.slos}
    for group in out["groups"]:
        for rule in group["rules"]:
            labels = rule.get("labels") or {}
            slo = by_name.get(labels.get("slo", "")) if labels.get("service") == service.name else None
            if slo is None:
                continue
            labels.update(sloth_labels(service, slo))
            if "alert" in rule and slo.alerting is not None and slo.alerting.tier_label in labels:
                tier = next((t for t in slo.alerting.tiers if t.name == labels[slo.alerting.tier_label]), None)
                if tier is not None:
                    labels["sloth_severity"] = "page" if tier.severity == "critical" else "ticket"
            rule["labels"] = labels
    out["groups"].extend(_sloth_group(service, slo) for slo in service.slos)
    return out
