"""A scrape target serving histograms in Prometheus' protobuf exposition format, for the native-histogram tests.

``promtool tsdb create-blocks-from openmetrics`` cannot write native histograms, and the text formats
have none, so the tests let a real Prometheus scrape this endpoint. The wire format is encoded here by
hand (varints, length-delimited fields) from the field numbers of ``io.prometheus.client.MetricFamily``
(prometheus/client_model ``metrics.proto``): no protobuf library is needed.

Each scrape first adds one batch of observations (the same latencies every time), then serves the
cumulative histograms, so every window holding two scrapes has exactly the batch's share of fast requests.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CONTENT_TYPE = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
HISTOGRAM = 4  # MetricType.HISTOGRAM
ZERO_THRESHOLD = 2.938735877055719e-39  # client_golang's default: recognised as a native histogram


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _uint(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(value)


def _sint(number: int, value: int) -> bytes:
    return _key(number, 0) + _varint(_zigzag(value))


def _double(number: int, value: float) -> bytes:
    return _key(number, 1) + struct.pack("<d", value)


def _bytes(number: int, value: bytes) -> bytes:
    return _key(number, 2) + _varint(len(value)) + value


def _labels(labels: Mapping[str, str]) -> bytes:
    return b"".join(_bytes(1, _bytes(1, k.encode()) + _bytes(2, v.encode())) for k, v in sorted(labels.items()))


def exponential_index(value: float, schema: int) -> int:
    """The native-histogram bucket of ``value`` > 0: bucket ``i`` is ``(base^(i-1), base^i]``, base 2^(2^-schema)."""
    base = 2.0 ** (2.0**-schema)
    index = math.ceil(math.log2(value) * 2**schema)
    while base**index < value:
        index += 1
    while base ** (index - 1) >= value:
        index -= 1
    return index


def native_histogram(observations: Sequence[float], schema: int) -> bytes:
    """A ``Histogram`` message with exponential buckets only (no classic buckets)."""
    counts: dict[int, int] = {}
    for v in observations:
        counts[exponential_index(v, schema)] = counts.get(exponential_index(v, schema), 0) + 1
    msg = _uint(1, len(observations)) + _double(2, math.fsum(observations))
    msg += _sint(5, schema) + _double(6, ZERO_THRESHOLD) + _uint(7, 0)
    if counts:
        low, high = min(counts), max(counts)
        msg += _bytes(12, _sint(1, low) + _uint(2, high - low + 1))
        previous = 0
        for i in range(low, high + 1):
            n = counts.get(i, 0)
            msg += _sint(13, n - previous)
            previous = n
    return msg


def classic_histogram(observations: Sequence[float], bounds: Sequence[float]) -> bytes:
    """A ``Histogram`` message with classic cumulative buckets (``+Inf`` is the sample count)."""
    msg = _uint(1, len(observations)) + _double(2, math.fsum(observations))
    for bound in bounds:
        cumulative = sum(1 for v in observations if v <= bound)
        msg += _bytes(3, _uint(1, cumulative) + _double(2, bound))
    return msg


def family(name: str, metrics: Sequence[tuple[Mapping[str, str], bytes]]) -> bytes:
    """One length-delimited ``MetricFamily`` of histograms."""
    body = _bytes(1, name.encode()) + _bytes(2, b"latency") + _uint(3, HISTOGRAM)
    for labels, histogram in metrics:
        body += _bytes(4, _labels(labels) + _bytes(7, histogram))
    return _varint(len(body)) + body


@dataclass
class Family:
    """One histogram family: ``native`` (exponential, ``schema``) or classic with ``bounds``."""

    name: str
    labels: Mapping[str, str]
    schema: int | None = None
    bounds: Sequence[float] = ()


@dataclass
class NativeExporter:
    """Serves ``families`` over HTTP; each scrape adds ``batch`` to every family's observations."""

    families: Sequence[Family]
    batch: Sequence[float]
    scrapes: int = 0
    _observations: list[float] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def body(self) -> bytes:
        with self._lock:
            self._observations.extend(self.batch)
            self.scrapes += 1
            observed = list(self._observations)
        out = b""
        for f in self.families:
            if f.schema is not None:
                histogram = native_histogram(observed, f.schema)
            else:
                histogram = classic_histogram(observed, f.bounds)
            out += family(f.name, [(f.labels, histogram)])
        return out

    @property
    def target(self) -> str:
        assert self._server is not None
        return f"127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> NativeExporter:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.body()
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="native-exporter", daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> NativeExporter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
