"""Is a latency SLO's threshold a bucket boundary of the live histogram?

For ``histogram_kind`` classic the generated rules count good requests from the bucket whose ``le``
equals the threshold (matched by :func:`slo.promql.le_regex`, whatever the client's spelling); a
threshold between boundaries makes every request count as slow. Native histograms (exponential or
NHCB) have no ``_bucket`` series: they are recognised (``histogram_count`` answers for the base name),
and the check says whether the SLI's kind matches what the server has and whether the threshold is a
bucket boundary of the native histogram (exact) or falls inside a bucket (interpolated).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from slo.live_check.findings import Finding
from slo.live_check.matching import LOOKBACK, Count
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, TimeSliceSLI
from slo.promql import le_regex

Query = Callable[[str], list[dict]]
"""An instant query at the check's instant: the result items."""


def latency_sli(slo: SLO) -> LatencySLI | None:
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    return sli if isinstance(sli, LatencySLI) else None


def parse_le(text: str) -> float | None:
    """A bucket's ``le`` as a number (``+Inf`` included); None when it is not a number."""
    try:
        return float(text)
    except ValueError:
        return None


def same(a: float, b: float) -> bool:
    return a == b or (math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12))


def boundaries_text(values: list[float]) -> str:
    return ", ".join("+Inf" if math.isinf(v) else f"{v:g}" for v in values)


def check_buckets(service: Service, slo: SLO, query: Query, count: Count) -> tuple[list[Finding], dict[str, object]]:
    """Findings for a histogram kind the server does not have, or a threshold that is not a boundary."""
    sli = latency_sli(slo)
    if sli is None:
        return [], {}
    subject = f"{service.name}/{slo.name}"
    items = query(f"count by (le) (last_over_time({sli.bucket.render()}[{LOOKBACK}]))")
    by_le: dict[str, int] = {str(i["metric"].get("le", "")): int(float(i["value"][1])) for i in items}
    native = int(count(f"count(histogram_count(last_over_time({sli.histogram.render()}[{LOOKBACK}])))") or 0)
    kind = sli.histogram_kind
    facts: dict[str, object] = {"histogram_kind": kind, "native_series": native, "classic_series": bool(by_le)}
    if kind == "classic" and not by_le and native:
        return [
            Finding(
                "error",
                "bucket",
                subject,
                f"{sli.histogram} is a native histogram ({native} series) without classic {sli.bucket.metric} "
                "series, but histogram_kind is classic: the generated rules read classic buckets, so the SLI "
                "has no data",
                "set histogram_kind: native (or auto) for this SLI, or also expose classic buckets (the client's "
                f"classic-bucket option, or Prometheus' always_scrape_classic_histograms) with a bucket at "
                f"{sli.threshold:g}s",
            )
        ], {**facts, "native_histogram": True}
    if kind == "native" and not native:
        if not by_le:
            return [], facts  # no histogram at all: the selector check reports it
        return [
            Finding(
                "error",
                "bucket",
                subject,
                f"histogram_kind is native but {sli.histogram} has no native histogram, only classic "
                f"{sli.bucket.metric} series: the generated rules read native histograms, so the SLI has no data",
                "set histogram_kind: classic (or auto), or scrape native histograms (scrape_native_histograms: "
                "true with the protobuf format) or convert with convert_classic_histograms_to_nhcb: true",
            )
        ], facts
    if native and kind != "classic":
        findings, native_facts = native_resolution(subject, sli, query)
        facts.update(native_facts)
        if kind == "auto" and by_le:
            findings.append(
                Finding(
                    "info",
                    "bucket",
                    subject,
                    f"{sli.histogram} has both native and classic series: histogram_kind auto reads each series' "
                    "native histogram and ignores its classic buckets (counted once)",
                )
            )
        return findings, facts
    return _classic(subject, sli, by_le, facts)


def native_resolution(subject: str, sli: LatencySLI, query: Query) -> tuple[list[Finding], dict[str, object]]:
    """Whether the threshold is a bucket boundary of the live native histograms (exact) or interpolated.

    Boundaries are read from each series' populated buckets; custom buckets (NHCB) are recognised by an
    infinite bucket bound, which exponential buckets never have.
    """
    threshold = sli.threshold
    edges: set[float] = set()
    holding: list[tuple[float, float]] = []
    custom = False
    for item in query(f"last_over_time({sli.histogram.render()}[{LOOKBACK}])"):
        histogram = (item.get("histogram") or [None, {}])[1] or {}
        for bucket in histogram.get("buckets", []):
            low, high = float(bucket[1]), float(bucket[2])
            custom = custom or math.isinf(low) or math.isinf(high)
            edges.update((low, high))
            if low < threshold < high and not (same(low, threshold) or same(high, threshold)):
                holding.append((low, high))
    facts: dict[str, object] = {"native_buckets": "custom (NHCB)" if custom else "exponential"}
    if any(same(e, threshold) for e in edges) and not holding:
        facts["threshold_exact"] = True
        return [], facts
    facts["threshold_exact"] = False
    if not holding:
        return [], facts  # no populated bucket around the threshold: nothing to interpolate yet
    low, high = min(holding, key=lambda b: b[1] - b[0])
    span = f"({low:g}, {high:g}]"
    if custom:
        return [
            Finding(
                "warning",
                "bucket",
                subject,
                f"latency threshold {threshold:g}s is not a custom bucket boundary of {sli.histogram} (NHCB): "
                f"histogram_fraction interpolates within the bucket {span}, assuming requests spread evenly in it",
                f"use a boundary as the threshold ({low:g}s or {high:g}s) or add a {threshold:g} bucket to the "
                "classic histogram the NHCB is converted from",
            )
        ], facts
    width = (high - low) / high if math.isfinite(high) and high else float("nan")
    return [
        Finding(
            "info",
            "bucket",
            subject,
            f"latency threshold {threshold:g}s lies inside the exponential bucket {span} of {sli.histogram} "
            f"({width * 100:.3g}% of its upper bound wide): histogram_fraction interpolates the requests in that "
            "bucket, so the good count is an estimate there",
            "a higher native-histogram resolution (schema) narrows the bucket",
        )
    ], facts


def _classic(
    subject: str, sli: LatencySLI, by_le: dict[str, int], facts: dict[str, object]
) -> tuple[list[Finding], dict[str, object]]:
    """The classic checks: a bucket at the threshold, matched by the rules' ``le`` regex, on every series."""
    threshold = f"{sli.threshold:g}s"
    if not by_le:
        return [], {**facts, "boundaries": []}  # no histogram at all: the selector check reports it
    numbers = sorted({v for v in (parse_le(t) for t in by_le) if v is not None})
    facts = {**facts, "boundaries": [("+Inf" if math.isinf(v) else v) for v in numbers]}
    at_threshold = [t for t in by_le if (v := parse_le(t)) is not None and same(v, sli.threshold)]
    if not at_threshold:
        lower = [v for v in numbers if v < sli.threshold]
        upper = [v for v in numbers if v > sli.threshold and math.isfinite(v)]
        near = [f"{v:g}s" for v in (lower[-1:] + upper[:1])]
        return [
            Finding(
                "error",
                "bucket",
                subject,
                f"latency threshold {threshold} is not a bucket boundary of {sli.bucket}: boundaries found "
                f"{boundaries_text(numbers)}; every request counts as slow",
                (f"use a boundary as the threshold ({' or '.join(near)}) or " if near else "")
                + f"add a {threshold} bucket to the histogram",
            )
        ], facts
    findings = []
    pattern = re.compile(le_regex(sli.threshold))
    unmatched = [t for t in at_threshold if not pattern.fullmatch(t)]
    if unmatched:
        findings.append(
            Finding(
                "error",
                "bucket",
                subject,
                f"bucket le={unmatched[0]!r} equals the threshold but the rules' le regex {pattern.pattern!r} does "
                "not match that spelling",
                "report this spelling as a bug; meanwhile set the threshold to the exact le text",
            )
        )
    inf = next((n for t, n in by_le.items() if (v := parse_le(t)) is not None and math.isinf(v)), 0)
    have = sum(by_le[t] for t in at_threshold)
    if inf and have < inf:
        findings.append(
            Finding(
                "warning",
                "bucket",
                subject,
                f"only {have} of {inf} histogram series have a bucket at {threshold}: the requests of the others "
                "count as slow",
                "give every instance the same bucket layout (same client version and bucket list)",
            )
        )
    return findings, facts
