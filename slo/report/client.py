"""The report's only HTTP edge: prometheus-api-client's ``PrometheusConnect`` with auth and retries.

Everything that can go wrong on the wire — refused connections, timeouts, 5xx after retries, a URL
that is not a Prometheus API, an answer that is not the API's JSON — becomes one
:class:`PrometheusUnavailable` with a one-line message; the CLI prints it and exits 2.

A successful answer may still be incomplete: Thanos and Prometheus put ``warnings`` beside the data
(a store that did not answer, a query that skipped series), VictoriaMetrics cluster sets
``isPartial``. prometheus-api-client returns only the result, so a response hook keeps those and
every query returns an :class:`Answer` that carries them. Queries also ask Thanos
(``partial_response=false``) and VictoriaMetrics (``deny_partial_response=1``) to fail rather than
answer partially; Prometheus ignores both.
"""

from __future__ import annotations

import ast
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

RETRY_STATUS = (429, 500, 502, 503, 504)
MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series in one range query
NO_PARTIAL = {"partial_response": "false", "deny_partial_response": "1"}
INFO_PREFIX = "PromQL info:"  # Prometheus' informational annotations (2.50/2.51 send them as warnings)
_PARTIAL_FLAG = re.compile(rb'"isPartial"\s*:\s*true')


class PrometheusUnavailable(Exception):
    """Prometheus could not answer (unreachable, error, timeout, not a Prometheus API)."""


@dataclass(frozen=True)
class Connection:
    """How to reach the server; secrets are read by the CLI, never logged."""

    url: str
    bearer_token: str | None = None
    basic_auth: tuple[str, str] | None = None
    ca_file: str | None = None
    insecure: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5


Sample = tuple[float, float]


class Answer(list[dict[str, Any]]):
    """A query's result items, plus the server's warnings about them (empty when it had none)."""

    def __init__(self, items: Iterable[dict[str, Any]] = (), warnings: list[str] | None = None) -> None:
        super().__init__(items)
        self.warnings: list[str] = list(warnings or [])


def is_info(warning: str) -> bool:
    """An informational annotation (e.g. "metric might not be a counter"), not a sign of missing data."""
    return warning.startswith(INFO_PREFIX)


def _check_result(doc: Any, kind: str) -> list[dict[str, Any]]:
    if not isinstance(doc, list):
        raise TypeError("result is not a list")
    for item in doc:
        if not isinstance(item, dict) or not isinstance(item.get("metric", {}), dict) or kind not in item:
            raise TypeError(f"result item without {kind!r}")
    return doc


def _number(text: Any) -> float:
    return float(text)


def vector(result: list[dict[str, Any]], label: str | None = None) -> dict[str, float]:
    """``{label value: sample}`` from an instant-vector result (``""`` key when ``label`` is None)."""
    out: dict[str, float] = {}
    for item in result:
        key = item.get("metric", {}).get(label, "") if label else ""
        value = _number(item["value"][1])
        if not math.isnan(value):
            out[key] = value
    return out


def matrix(result: list[dict[str, Any]], label: str | None = None) -> dict[str, list[Sample]]:
    """``{label value: [(t, v), ...]}`` from a range result, NaN samples dropped."""
    out: dict[str, list[Sample]] = {}
    for item in result:
        key = item.get("metric", {}).get(label, "") if label else ""
        points = out.setdefault(key, [])
        for t, v in item["values"]:
            value = _number(v)
            if not math.isnan(value):
                points.append((float(t), value))
    return out


def retry_policy(conn: Connection, methods: frozenset[str]) -> Retry:
    """Retries with backoff on 5xx, 429, timeouts and refused connections, as ``--retries`` says."""
    return Retry(
        total=conn.retries,
        connect=conn.retries,
        read=conn.retries,
        status=conn.retries,
        other=0,
        backoff_factor=conn.backoff,
        status_forcelist=RETRY_STATUS,
        allowed_methods=methods,
        raise_on_status=True,
        respect_retry_after_header=True,
    )


class PromClient:
    """Instant and range queries at explicit times; raises :class:`PrometheusUnavailable`."""

    def __init__(self, conn: Connection) -> None:
        url = conn.url.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", url):
            raise PrometheusUnavailable(f"--prometheus {public_url(conn.url)!r} is not an http:// or https:// URL")
        self.url = url
        self.shown = public_url(url).rstrip("/")  # for messages: never a password or token from the URL
        self.conn = conn
        session = requests.Session()
        session.verify = False if conn.insecure else (conn.ca_file or True)
        headers = {"Accept": "application/json", "User-Agent": "slo-toolkit-report"}
        headers.update(conn.headers)
        if conn.bearer_token:
            headers["Authorization"] = f"Bearer {conn.bearer_token}"
        retry = retry_policy(conn, frozenset({"GET", "POST"}))
        self._local = threading.local()
        self._plain = requests.Session()  # server facts: one try each, never retried, never fatal
        self._plain.verify = session.verify
        self._plain.headers.update(headers)
        self._plain.auth = conn.basic_auth
        session.hooks["response"].append(self._keep_warnings)
        if conn.insecure:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._prom = PrometheusConnect(
            url=url,
            headers=headers,
            retry=retry,
            auth=conn.basic_auth,
            session=session,
            timeout=conn.timeout,  # type: ignore[arg-type]
        )

    def close(self) -> None:
        self._prom.close()
        self._plain.close()

    def fetch(self, path: str, timeout: float = 10.0) -> requests.Response | None:
        """GET ``path`` once (status pages such as ``/api/v1/status/flags``); None on any failure."""
        try:
            response = self._plain.get(f"{self.url}{path}", timeout=min(timeout, self.conn.timeout))
        except requests.exceptions.RequestException:
            return None
        return response if response.status_code == 200 else None

    def __enter__(self) -> PromClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries --------------------------------------------------------------------------------

    def instant(self, expr: str, at: datetime) -> Answer:
        """``expr`` evaluated at ``at`` (explicit, never "now")."""
        params = {"time": f"{at.timestamp():.3f}", **NO_PARTIAL}
        return self._call("query", lambda: self._prom.custom_query(expr, params=params), "value")

    def range(self, expr: str, first: datetime, last: datetime, step: int) -> Answer:
        """``expr`` at ``first``, ``first + step`` … ``last``; split so no request exceeds MAX_POINTS."""
        if step <= 0:
            raise ValueError("step must be positive")
        merged: dict[str, dict[str, Any]] = {}
        warnings: list[str] = []
        cursor = first
        while cursor <= last:
            chunk_end = min(last, cursor + timedelta(seconds=step * (MAX_POINTS - 1)))
            part = self._call(
                "query_range",
                lambda s=cursor, e=chunk_end: self._prom.custom_query_range(
                    expr, start_time=s, end_time=e, step=str(step), params={"nocache": "1", **NO_PARTIAL}
                ),
                "values",
            )
            warnings += [w for w in part.warnings if w not in warnings]
            for item in part:
                key = json.dumps(item.get("metric", {}), sort_keys=True)
                if key in merged:
                    merged[key]["values"].extend(item["values"])
                else:
                    merged[key] = {"metric": item.get("metric", {}), "values": list(item["values"])}
            cursor = chunk_end + timedelta(seconds=step)
        return Answer(list(merged.values()), warnings)

    def _keep_warnings(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """Response hook: note the answer's ``warnings`` / ``isPartial`` for the query in this thread."""
        notes: list[str] | None = getattr(self._local, "notes", None)
        if notes is None or response.status_code != 200:
            return response
        body = response.content
        if b'"warnings"' not in body and not _PARTIAL_FLAG.search(body):
            return response
        try:
            doc = json.loads(body)
        except ValueError:
            return response  # the caller reports the broken JSON
        if isinstance(doc, dict):
            found = doc.get("warnings")
            if isinstance(found, list):
                notes.extend(" ".join(str(w).split()) for w in found)
            if doc.get("isPartial") is True:
                notes.append("the server marked its answer as partial (isPartial)")
        return response

    # -- error mapping --------------------------------------------------------------------------

    def _call(self, endpoint: str, call: Any, kind: str) -> Answer:
        where = f"{self.shown}/api/v1/{endpoint}"
        self._local.notes = []
        try:
            return Answer(_check_result(call(), kind), self._local.notes)
        except PrometheusApiClientException as exc:
            raise PrometheusUnavailable(_http_error(where, str(exc))) from None
        except requests.exceptions.JSONDecodeError:
            raise PrometheusUnavailable(
                f"{where}: the answer is not Prometheus API JSON (it does not parse): is --prometheus the "
                "server's base URL?"
            ) from None
        except requests.exceptions.RetryError as exc:
            tries = f"{self.conn.retries} retr{'y' if self.conn.retries == 1 else 'ies'}"
            raise PrometheusUnavailable(f"{where}: {_reason(exc)} (gave up after {tries})") from None
        except requests.exceptions.SSLError as exc:
            raise PrometheusUnavailable(
                f"{where}: TLS error: {_reason(exc)} (use --ca-file for a private CA, or --insecure)"
            ) from None
        except requests.exceptions.Timeout:
            raise PrometheusUnavailable(f"{where}: no answer within {self.conn.timeout:g}s (--timeout)") from None
        except requests.exceptions.ConnectionError as exc:
            raise PrometheusUnavailable(f"{where}: {_reason(exc, self.conn)}") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise PrometheusUnavailable(f"--prometheus {self.shown!r} is not a valid URL") from None
        except requests.exceptions.RequestException as exc:
            raise PrometheusUnavailable(f"{where}: {type(exc).__name__}: {_reason(exc)}") from None
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise PrometheusUnavailable(
                f"{where}: the answer is not Prometheus API JSON ({type(exc).__name__}): is --prometheus the "
                "server's base URL?"
            ) from None


def public_url(url: str) -> str:
    """``url`` without ``user:password@``, query and fragment: safe to print."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<unparsable URL>"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _reason(exc: BaseException, conn: Connection | None = None) -> str:
    """The innermost cause as one short line."""
    cause: Any = exc.args[0] if exc.args else exc
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    if isinstance(cause, ReadTimeoutError) and conn is not None:
        return f"no answer within {conn.timeout:g}s (--timeout), after {conn.retries} retries"
    if isinstance(cause, ResponseError):
        m = re.search(r"too many (\d+) error responses", str(cause))
        return f"HTTP {m.group(1)} from the server" if m else str(cause)
    if isinstance(cause, NewConnectionError):
        text = str(cause)
        if "refused" in text.lower():
            return "connection refused (is Prometheus running at this address?)"
        if "resolve" in text.lower() or "name or service" in text.lower():
            return "cannot resolve the host name"
        return text.split(": ", 1)[-1]
    text = str(cause)
    return text.splitlines()[0] if text else type(cause).__name__


def _http_error(where: str, message: str) -> str:
    """``HTTP Status Code 400 (b'{...}')`` from prometheus-api-client → Prometheus' own error text."""
    m = re.match(r"HTTP Status Code (\d+) \((.*)\)$", message, re.S)
    if not m:
        return f"{where}: {message.splitlines()[0]}"
    status = int(m.group(1))
    body: Any = m.group(2)
    try:
        raw = ast.literal_eval(body)
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    except (ValueError, SyntaxError):
        text = str(body)
    detail = ""
    try:
        doc = json.loads(text)
        if isinstance(doc, dict) and doc.get("error"):
            detail = str(doc["error"])
    except ValueError:
        pass
    if status in (401, 403):
        return f"{where}: HTTP {status}: not authorised (check the bearer token or basic auth)"
    if status == 404:
        return f"{where}: HTTP 404: no Prometheus query API here; is --prometheus the server's base URL?"
    if status in (400, 422) and detail:
        return f"{where}: HTTP {status}: Prometheus rejected the query: {detail}"
    snippet = detail or " ".join(text.split())[:200]
    return f"{where}: HTTP {status}" + (f": {snippet}" if snippet else "")
