"""What the report can learn about the server before querying: which engine it is and how long it keeps data.

Prometheus states its version in ``/api/v1/status/buildinfo`` and its retention in
``/api/v1/status/runtimeinfo`` (``storageRetention``) or ``/api/v1/status/flags``
(``storage.tsdb.retention.time``). VictoriaMetrics answers buildinfo without a Prometheus version
(1.79) or with a borrowed one, has neither status page, and lists its flags as text on ``/flags``
(``-retentionPeriod``: a bare number is months of 31 days). Every probe is one try and never fatal:
a server that hides these pages is queried as Prometheus, without a retention check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from slo.report.client import PromClient
from slo.report.periods import ReportPeriod
from slo.report.queries import PROMETHEUS, VICTORIAMETRICS, Dialect

_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_DURATION = re.compile(r"^(?:\d+(?:ms|y|w|d|h|m|s))+$")
_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_VM_FLAG = re.compile(r'^-(retentionPeriod|storageDataPath|storageNode|vmstorageAddr)="?([^"\n]*)"?$', re.M)
VM_MONTH = 31 * 86400


@dataclass(frozen=True)
class ServerInfo:
    """The engine (``prometheus``, ``victoriametrics`` or ``unknown``), its version and retention."""

    kind: str = "unknown"
    version: str | None = None
    retention: str | None = None  # as the server states it, e.g. "15d"
    retention_seconds: float | None = None
    retention_flag: str | None = None  # the setting to change, e.g. "--storage.tsdb.retention.time"

    def dialect(self) -> Dialect:
        """How to query this server so its figures are Prometheus' closed-range reading of the data."""
        return VICTORIAMETRICS if self.kind == "victoriametrics" else PROMETHEUS

    @property
    def name(self) -> str:
        engine = {"prometheus": "Prometheus", "victoriametrics": "VictoriaMetrics"}.get(self.kind, "the server")
        return f"{engine} {self.version}" if self.version else engine

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "version": self.version, "retention": self.retention}


def prometheus_duration(text: str) -> float | None:
    """Seconds of a Prometheus duration (``15d``, ``1y``, ``2w3d``); None when it is not one."""
    text = text.strip()
    if not _DURATION.match(text):
        return None
    return float(sum(int(n) * _UNITS[u] for n, u in _PART.findall(text)))


def vm_retention(text: str) -> float | None:
    """Seconds of VictoriaMetrics' ``-retentionPeriod`` (``3`` months, ``100y``, ``14d``, ``2w``, ``12h``)."""
    text = text.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([hdwy]?)", text)
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2)
    return number * ({"h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}[unit] if unit else VM_MONTH)


def _data(client: PromClient, path: str) -> dict[str, Any] | None:
    response = client.fetch(path)
    if response is None:
        return None
    try:
        doc = response.json()
    except ValueError:
        return None
    data = doc.get("data") if isinstance(doc, dict) else None
    return data if isinstance(data, dict) else None


def _prometheus_retention(client: PromClient) -> tuple[str | None, float | None]:
    runtime = _data(client, "/api/v1/status/runtimeinfo")
    stated = runtime.get("storageRetention") if runtime else None
    if isinstance(stated, str):
        first = stated.split(" or ")[0].strip()
        seconds = prometheus_duration(first)
        if seconds is not None:
            return stated, seconds
    flags = _data(client, "/api/v1/status/flags")
    value = flags.get("storage.tsdb.retention.time") if flags else None
    if isinstance(value, str):
        seconds = prometheus_duration(value)
        if seconds:
            return value, seconds
        if seconds == 0 or value in ("0", "0s"):
            return "15d", 15 * 86400.0  # Prometheus' default when neither time nor size is set
    return None, None


def _victoria_flags(client: PromClient) -> dict[str, str]:
    """VictoriaMetrics' ``/flags`` text (``-name="value"`` lines); {} for anything else (Prometheus: its UI page)."""
    flags = client.fetch("/flags")
    if flags is None or "text/html" in flags.headers.get("Content-Type", ""):
        return {}
    return dict(_VM_FLAG.findall(flags.text))


def detect(client: PromClient) -> ServerInfo:
    """Probe the status pages (a handful of GETs, each tried once) and say what the server is.

    VictoriaMetrics first: newer releases answer buildinfo with a borrowed Prometheus version.
    """
    found = _victoria_flags(client)
    build = _data(client, "/api/v1/status/buildinfo") if not found else None
    version = build.get("version") if build else None
    version = version if isinstance(version, str) and version else None
    if not found and version is None:
        metrics = client.fetch("/metrics")
        if metrics is not None and "vm_app_version" in metrics.text:
            found = {"storageDataPath": ""}
    if found:
        stated = found.get("retentionPeriod")
        if stated is None and "storageDataPath" in found:
            stated = "1"  # VictoriaMetrics' default: one month
        seconds = vm_retention(stated) if stated is not None else None
        shown = f"{stated} month(s)" if stated is not None and re.fullmatch(r"[\d.]+", stated) else stated
        return ServerInfo("victoriametrics", None, shown, seconds, "-retentionPeriod" if seconds else None)
    if version is not None:
        retention, seconds = _prometheus_retention(client)
        flag = "--storage.tsdb.retention.time" if retention is not None else None
        return ServerInfo("prometheus", version, retention, seconds, flag)
    return ServerInfo()


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:.0f} days" if days >= 2 else f"{seconds / 3600:.0f} hours"


def retention_notes(info: ServerInfo, periods: list[ReportPeriod], now: datetime | None = None) -> list[str]:
    """A note when the server's retention does not reach back to a period's start."""
    if info.retention_seconds is None:
        return []
    moment = now or datetime.now(UTC)
    out = []
    for period in periods:
        age = (moment - period.start).total_seconds()
        if age <= info.retention_seconds:
            continue
        lost = min(age - info.retention_seconds, float(period.seconds))
        setting = f" ({info.retention_flag})" if info.retention_flag else ""
        out.append(
            f"{info.name} keeps {info.retention} of data{setting}, but {period.label} starts {_days(age)} ago: "
            f"its first {_days(lost)} are gone and show as missing data (low coverage), not as bad or good. "
            "For monthly reports keep the data in long-term storage (Thanos, Mimir, VictoriaMetrics) or "
            f"raise the retention to more than {_days(age)}."
        )
    return out
