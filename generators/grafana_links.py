"""Dashboard uids and URLs: the names other generated files (rules, Alertmanager) link to.

Kept apart from the dashboard builders so that the SLO table and the bundle can name a service's
dashboard without building one.
"""

from __future__ import annotations

import hashlib
import re

UID_LIMIT = 40
# Service dashboards are "slo-<name>"; a name starts with a letter or digit, so this cannot clash.
OVERVIEW_UID = "slo_overview"


def dashboard_uid(service_name: str) -> str:
    """``slo-<name>``; names that are too long or hold characters a uid cannot get a hashed suffix."""
    base = f"slo-{service_name}"
    if len(base) <= UID_LIMIT and re.fullmatch(r"[A-Za-z0-9_-]+", base):
        return base
    digest = hashlib.sha256(service_name.encode("utf-8")).hexdigest()[:10]
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", base)[: UID_LIMIT - len(digest) - 1].rstrip("-")
    return f"{safe}-{digest}"


def url(grafana_url: str | None, uid: str) -> str:
    """``<grafana_url>/d/<uid>``; relative without a Grafana URL."""
    return f"{(grafana_url or '').rstrip('/')}/d/{uid}"


def dashboard_url(grafana_url: str | None, service_name: str) -> str:
    """The URL of a service's dashboard (relative ``/d/<uid>`` without a Grafana URL)."""
    return url(grafana_url, dashboard_uid(service_name))


def overview_url(grafana_url: str | None) -> str:
    """The URL of the overview dashboard."""
    return url(grafana_url, OVERVIEW_UID)
