"""OpenSLO SLI specs → the model's event sources: Prometheus counters, histograms or a 0/1 gauge.

An SLI's ``ratioMetric`` becomes a ratio or, for a ``_bucket{le=…}``/``_count`` pair, a latency SLI;
a ``thresholdMetric`` becomes a gauge for time slices. Kept apart from :mod:`slo.loaders.openslo`,
which resolves documents across files and hands in the DataSource lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slo.loaders.histograms import BucketMismatch, histogram_latency
from slo.loaders.located import Located as _Failed
from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.yamlsrc import Document, join
from slo.model.errors import DefinitionError, Problem
from slo.model.selectors import Selector, parse_selector
from slo.model.sli import WINDOW_PLACEHOLDER, EventSource, LatencySLI, PromQLTemplate, RatioSLI

# A DataSource's spec by name, refused (raising Located) at the given path when unknown.
DataSourceSpec = Callable[[str, Document, str], dict[str, Any]]

_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
# Counter queries written aggregated: sum(SELECTOR) or Sloth-style sum(rate(SELECTOR[{{.window}}])).
_SUM = re.compile(r"^\s*sum\s*\(\s*(?P<inner>.+?)\s*\)\s*$", re.DOTALL)
_RATE = re.compile(r"^rate\s*\(\s*(?P<selector>.+?)\s*\[\s*\{\{\s*\.window\s*\}\}\s*\]\s*\)$", re.DOTALL)


@dataclass(frozen=True)
class Indicator:
    """An SLI document read into the model: event counters, or a 0/1 gauge for time slices."""

    events: RatioSLI | LatencySLI | None = None
    gauge: Selector | None = None


def _aggregated(text: str) -> Selector | None:
    """The counter inside ``sum(SELECTOR)`` or ``sum(rate(SELECTOR[{{.window}}]))``: the toolkit sums rates itself."""
    outer = _SUM.match(text)
    if not outer:
        return None
    inner = outer.group("inner")
    rate = _RATE.match(inner)
    try:
        return parse_selector(rate.group("selector") if rate else inner)
    except DefinitionError:
        return None


def counter_source(doc: Document, path: str, text: str) -> EventSource:
    """A counter ``query``: a plain or summed selector (typed), or an opaque rate expression using ``{{.window}}``."""
    summed = _aggregated(text)
    if summed is not None:
        return summed
    if _WINDOW.search(text):
        return _call(doc, path, lambda: PromQLTemplate(_WINDOW.sub(WINDOW_PLACEHOLDER, text.strip())))
    try:
        return parse_selector(text)
    except DefinitionError as exc:
        raise _fail(
            doc,
            path,
            'expected a plain counter selector such as http_requests_total{job="api"} (the toolkit '
            f"applies rate() and the windows itself), or a rate expression with {WINDOW_PLACEHOLDER} "
            f"where the range goes: {exc.message}",
        ) from None


def gauge_source(doc: Document, path: str, text: str) -> Selector:
    """A 0/1 gauge ``query`` such as ``probe_success{job="blackbox"}``; only a plain selector."""
    try:
        return parse_selector(text)
    except DefinitionError as exc:
        raise _fail(
            doc,
            path,
            f'a thresholdMetric must be a plain gauge selector such as probe_success{{job="blackbox"}}: {exc.message}',
        ) from None


def _ratio_or_latency(
    doc: Document, path: str, total: EventSource, good: EventSource | None, bad: EventSource | None
) -> RatioSLI | LatencySLI:
    """``X_bucket{…, le="0.2"}`` over ``X_count{…}`` is a latency SLI; else a ratio."""
    if isinstance(good, Selector) and good.metric.endswith("_bucket"):
        le = [m for m in good.matchers if m.label == "le"]
        if le:
            good_path = join(path, "good.metricSource.spec.query")
            if len(le) != 1 or le[0].op != "=":
                raise _fail(doc, good_path, 'match the bucket with le="<seconds>", e.g. le="0.2"')
            try:
                histogram, threshold = histogram_latency(good, le[0], total, "good")
            except BucketMismatch as exc:
                where = join(path, "total.metricSource.spec.query") if exc.field == "total" else good_path
                raise _fail(doc, where, exc.message) from None
            return _call(doc, good_path, lambda: LatencySLI(histogram, threshold))
    return _call(doc, path, lambda: RatioSLI(total, good, bad))


def metric_source(
    doc: Document,
    path: str,
    source: dict[str, Any],
    data_source: DataSourceSpec,
    warnings: list[Problem],
    gauge: bool = False,
) -> EventSource:
    """A ``metricSource``: Prometheus, named inline (``type``) or by DataSource (``metricSourceRef``)."""
    ref, kind = source.get("metricSourceRef"), source.get("type")
    if ref is not None:
        ds_type = data_source(ref, doc, join(path, "metricSourceRef"))["type"]
        if ds_type.lower() != "prometheus":
            raise _fail(
                doc,
                join(path, "metricSourceRef"),
                f"DataSource {ref!r} has type {ds_type!r}: only Prometheus data sources are supported",
            )
        if kind is not None and kind.lower() != ds_type.lower():
            raise _fail(doc, join(path, "type"), f"type {kind!r} contradicts DataSource {ref!r} ({ds_type})")
    elif kind is None:
        raise _fail(doc, path, "name the data source: give type: Prometheus or a metricSourceRef")
    if kind is not None and kind.lower() != "prometheus":
        raise _fail(doc, join(path, "type"), f"metric source type {kind!r} is not supported: only Prometheus")
    extra = sorted(k for k in source["spec"] if k != "query")
    if extra:
        warnings.append(
            doc.problem(
                join(path, "spec"),
                f"metricSource key(s) {', '.join(repr(k) for k in extra)} ignored: only 'query' is read "
                "(put label filters into the query)",
            )
        )
    query, where = source["spec"]["query"], join(path, "spec.query")
    return gauge_source(doc, where, query) if gauge else counter_source(doc, where, query)


def read_indicator(
    doc: Document, path: str, spec: dict[str, Any], data_source: DataSourceSpec, warnings: list[Problem]
) -> Indicator:
    """An SLI spec (standalone or inline) → counters or a gauge; problems located in its own file."""
    if ("ratioMetric" in spec) == ("thresholdMetric" in spec):
        raise _fail(doc, path, "give exactly one of ratioMetric or thresholdMetric")
    if "thresholdMetric" in spec:
        where = join(path, "thresholdMetric.metricSource")
        gauge = metric_source(doc, where, spec["thresholdMetric"]["metricSource"], data_source, warnings, gauge=True)
        assert isinstance(gauge, Selector)
        return Indicator(gauge=gauge)
    ratio, where = spec["ratioMetric"], join(path, "ratioMetric")
    for key in ("raw", "rawType"):
        if key in ratio:
            raise _fail(
                doc,
                join(where, key),
                "raw (precomputed) ratios are not supported: give counters as good or bad plus total",
            )
    if "counter" not in ratio:
        raise _fail(doc, where, "missing required key 'counter': set counter: true (counters only)")
    if ratio["counter"] is not True:
        raise _fail(
            doc,
            join(where, "counter"),
            "counter: false (gauge ratios) is not supported: give increasing counters and counter: true",
        )
    if ("good" in ratio) == ("bad" in ratio):
        raise _fail(doc, where, "give exactly one of good or bad besides total")
    if "total" not in ratio:
        raise _fail(doc, where, "missing required key 'total'")
    sources: dict[str, EventSource] = {}
    problems: list[Problem] = []
    for key in ("good", "bad", "total"):
        if key in ratio:
            try:
                sources[key] = metric_source(
                    doc, join(where, f"{key}.metricSource"), ratio[key]["metricSource"], data_source, warnings
                )
            except _Failed as failed:
                problems.extend(failed.problems)
    if problems or len(sources) != 2:
        raise _Failed(problems)
    return Indicator(events=_ratio_or_latency(doc, where, sources["total"], sources.get("good"), sources.get("bad")))
