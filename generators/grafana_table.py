"""The SLO table: one line per SLO with objective, SLI, budget, burn rate and firing alerts.

It heads each service dashboard and is the whole overview dashboard; its service and SLO cells link
to each service's dashboard through a ``dashboard`` label holding the uid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from grafanalib import core as g

from generators.grafana_links import dashboard_uid, url
from generators.grafana_panels import column as _column
from generators.grafana_panels import merged_table as _merged_table
from generators.grafana_panels import refs as _refs
from generators.grafana_panels import status_columns as _status_columns
from slo.model.durations import Duration
from slo.model.selectors import Matcher, Selector, quote
from slo.model.service import Service
from slo.promql.recorded import BUDGET_REMAINING, OBJECTIVE, SLI_PERIOD, burn_rate_name

OVERVIEW_BURN_WINDOW = Duration.parse("1h")


def _services_matcher(services: Sequence[Service]) -> Matcher:
    if len(services) == 1:
        return Matcher("service", "=", services[0].name)
    return Matcher("service", "=~", "|".join(re.escape(s.name) for s in services))


def _by_slo(metric: str, matcher: Matcher, op: str = "max") -> str:
    """One value per SLO: ``min`` for an SLI or budget shows a grouped SLO's worst group (one series otherwise)."""
    return f"{op} by (service, slo) ({Selector(metric, (matcher,)).render()})"


def _objective_with_uid(services: Sequence[Service]) -> str:
    """The objectives, each carrying its service dashboard's uid in a ``dashboard`` label for links."""
    parts = [
        f"label_replace({_by_slo(OBJECTIVE, Matcher('service', '=', s.name))}, "
        f"{quote('dashboard')}, {quote(dashboard_uid(s.name))}, {quote('service')}, {quote('.*')})"
        for s in services
    ]
    return " or ".join(parts)


def slo_table(services: Sequence[Service], grafana_url: str | None, title: str, description: str) -> g.Table:
    """The table of every SLO of ``services``, each line linking to its service's dashboard."""
    matcher = _services_matcher(services)
    firing = Selector("ALERTS", (Matcher("alertstate", "=", "firing"), matcher)).render()
    exprs = [
        _objective_with_uid(services),
        _by_slo(SLI_PERIOD, matcher, "min"),
        _by_slo(BUDGET_REMAINING, matcher, "min"),
        _by_slo(burn_rate_name(OVERVIEW_BURN_WINDOW), matcher),
        f"count by (service, slo) ({firing}) or (0 * {_by_slo(OBJECTIVE, matcher)})",
    ]
    refs = _refs(len(exprs))
    fast = [
        t.factor(s.period)
        for svc in services
        for s in svc.slos
        if s.alerting is not None
        for t in s.alerting.tiers
        if t.long_window == OVERVIEW_BURN_WINDOW
    ]
    link = {
        "targetBlank": False,
        "title": "Open the service's SLO dashboard",
        "url": url(grafana_url, "${__data.fields.dashboard}") + "?${__url_time_range}",
    }
    overrides = [
        _column("service", "Service", [{"id": "links", "value": [link]}]),
        _column("slo", "SLO", [{"id": "links", "value": [link]}]),
        # not renamed: the links read it as ${__data.fields.dashboard}
        {"matcher": {"id": "byName", "options": "dashboard"}, "properties": [{"id": "custom.hidden", "value": True}]},
        _column(
            f"Value #{refs[0]}", "Objective", [{"id": "unit", "value": "percentunit"}, {"id": "decimals", "value": 2}]
        ),
        *_status_columns(refs[1:], "SLI", OVERVIEW_BURN_WINDOW, fast),
    ]
    order = {"service": 0, "slo": 1, **{f"Value #{r}": i + 2 for i, r in enumerate(refs)}, "dashboard": len(refs) + 2}
    return _merged_table(title, description, exprs, refs, overrides, ("Service", "SLO"), order)


def table_height(n_slos: int) -> int:
    """Grid height of a table of ``n_slos`` lines (it scrolls beyond 24)."""
    return min(max(5, 3 + n_slos), 24)
