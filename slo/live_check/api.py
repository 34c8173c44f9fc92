"""HTTP access for ``slo check``: Prometheus' rules and alerts APIs, and Alertmanager's v2 API.

Prometheus queries go through :class:`slo.report.client.PromClient` (auth, TLS, retries and one-line
errors as for ``slo report``); the non-query endpoints reuse its session and its error mapping.
Alertmanager gets its own small client with the same timeout and retry settings. Either server not
answering raises :class:`Unreachable` (the command exits 2).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import requests
from prometheus_api_client import PrometheusApiClientException

from slo.report.client import Answer, Connection, PromClient, PrometheusUnavailable, public_url, retry_policy


class Unreachable(Exception):
    """A server did not answer, or did not answer with its API's JSON."""


class LivePromClient(PromClient):
    """:class:`PromClient` plus the ``/api/v1/rules`` and ``/api/v1/alerts`` endpoints."""

    def instant(self, expr: str, at: datetime) -> Answer:
        try:
            return super().instant(expr, at)
        except PrometheusUnavailable as exc:
            raise Unreachable(str(exc)) from None

    def range(self, expr: str, first: datetime, last: datetime, step: int) -> Answer:
        try:
            return super().range(expr, first, last, step)
        except PrometheusUnavailable as exc:
            raise Unreachable(str(exc)) from None

    def api(self, endpoint: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """``data`` of ``GET /api/v1/<endpoint>`` when it is an object (rules, alerts)."""
        data = self._get(endpoint, params)
        if not isinstance(data, dict):
            raise Unreachable(f"{self.shown}/api/v1/{endpoint}: the answer's data is not an object")
        return data

    def api_list(self, endpoint: str, params: dict[str, str] | None = None) -> list[Any]:
        """``data`` of ``GET /api/v1/<endpoint>`` when it is a list (label values)."""
        data = self._get(endpoint, params)
        if not isinstance(data, list):
            raise Unreachable(f"{self.shown}/api/v1/{endpoint}: the answer's data is not a list")
        return data

    def _get(self, endpoint: str, params: dict[str, str] | None = None) -> Any:
        """``data`` of ``GET /api/v1/<endpoint>``.

        The answer is wrapped as a one-item result so the base class' error mapping (refused, timeout,
        HTTP status, not JSON) applies unchanged.
        """
        prom = self._prom

        def call() -> list[dict[str, Any]]:
            response = prom._session.request(
                method="GET",
                url=f"{prom.url}/api/v1/{endpoint}",
                headers=prom.headers,
                params=params or {},
                auth=prom.auth,
                timeout=prom._timeout,
            )
            if response.status_code != 200:
                raise PrometheusApiClientException(f"HTTP Status Code {response.status_code} ({response.content!r})")
            doc = response.json()
            if not isinstance(doc, dict) or doc.get("status") != "success" or "data" not in doc:
                raise TypeError("not a successful API answer")
            return [{"data": doc["data"]}]

        try:
            return self._call(endpoint, call, "data")[0]["data"]
        except PrometheusUnavailable as exc:
            raise Unreachable(str(exc)) from None

    def started(self) -> datetime | None:
        """When the server started (``/api/v1/status/runtimeinfo``); None where that API is missing."""
        from slo.live_check.deployed import parse_time

        try:
            return parse_time(str(self.api("status/runtimeinfo").get("startTime", "")))
        except Unreachable:
            return None

    def rule_groups(self) -> list[dict[str, Any]]:
        groups = self.api("rules").get("groups")
        if not isinstance(groups, list):
            raise Unreachable(f"{self.shown}/api/v1/rules: the answer has no rule groups list")
        return groups

    def alerts(self) -> list[dict[str, Any]]:
        alerts = self.api("alerts").get("alerts")
        if not isinstance(alerts, list):
            raise Unreachable(f"{self.shown}/api/v1/alerts: the answer has no alerts list")
        return alerts


class AlertmanagerClient:
    """``GET /api/v2/status`` and ``/api/v2/silences`` of one Alertmanager."""

    def __init__(self, url: str, conn: Connection) -> None:
        self.url = url.strip().rstrip("/")
        self.shown = public_url(self.url).rstrip("/")
        if not self.url.startswith(("http://", "https://")):
            raise Unreachable(f"--alertmanager {self.shown!r} is not an http:// or https:// URL")
        self.timeout = conn.timeout
        self.session = requests.Session()
        retry = retry_policy(conn, frozenset({"GET"}))
        adapter = requests.adapters.HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> AlertmanagerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str) -> Any:
        where = f"{self.shown}{path}"
        try:
            response = self.session.get(
                f"{self.url}{path}", timeout=self.timeout, headers={"Accept": "application/json"}
            )
        except requests.exceptions.RetryError:
            raise Unreachable(f"{where}: the server kept failing (gave up after retries)") from None
        except requests.exceptions.Timeout:
            raise Unreachable(f"{where}: no answer within {self.timeout:g}s (--timeout)") from None
        except requests.exceptions.ConnectionError as exc:
            text = str(exc).lower()
            why = (
                "connection refused (is Alertmanager running at this address?)"
                if "refused" in text
                else "no connection"
            )
            raise Unreachable(f"{where}: {why}") from None
        except requests.exceptions.RequestException as exc:
            raise Unreachable(f"{where}: {type(exc).__name__}") from None
        if response.status_code == 404:
            raise Unreachable(f"{where}: HTTP 404: no Alertmanager v2 API here; is --alertmanager the base URL?")
        if response.status_code != 200:
            raise Unreachable(f"{where}: HTTP {response.status_code}")
        try:
            return response.json()
        except (ValueError, json.JSONDecodeError):
            raise Unreachable(f"{where}: the answer is not JSON; is --alertmanager the base URL?") from None

    def config_text(self) -> str:
        """The running configuration as Alertmanager prints it (defaults filled in, secrets masked)."""
        doc = self._get("/api/v2/status")
        text = doc.get("config", {}).get("original") if isinstance(doc, dict) else None
        if not isinstance(text, str):
            raise Unreachable(f"{self.shown}/api/v2/status: the answer carries no config")
        return text

    def silences(self) -> list[dict[str, Any]]:
        doc = self._get("/api/v2/silences")
        if not isinstance(doc, list):
            raise Unreachable(f"{self.shown}/api/v2/silences: the answer is not a list of silences")
        return doc
