"""Is a latency SLO's threshold a bucket boundary of the live histogram?

The generated rules count good requests from the bucket whose ``le`` equals the threshold (matched by
:func:`slo.promql.le_regex`, whatever the client's spelling). A threshold between boundaries makes
every request count as slow. Native histograms have no ``_bucket`` series at all; they are recognised
(``histogram_count`` answers for the base name) and reported, since the rules read classic buckets.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from slo.live_check.findings import Finding
from slo.live_check.matching import LOOKBACK, Count
from slo.model import SLO, LatencySLI, Service, TimeSliceSLI
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
    """Findings for a threshold that is not a live bucket boundary; the boundaries found."""
    sli = latency_sli(slo)
    if sli is None:
        return [], {}
    subject = f"{service.name}/{slo.name}"
    threshold = f"{sli.threshold:g}s"
    items = query(f"count by (le) (last_over_time({sli.bucket.render()}[{LOOKBACK}]))")
    by_le: dict[str, int] = {str(i["metric"].get("le", "")): int(float(i["value"][1])) for i in items}
    if not by_le:
        native = count(f"count(histogram_count(last_over_time({sli.histogram.render()}[{LOOKBACK}])))")
        if native:
            return [
                Finding(
                    "error",
                    "bucket",
                    subject,
                    f"{sli.histogram} is a native histogram ({int(native)} series) without classic "
                    f"{sli.bucket.metric} series: the generated rules read classic buckets, so the SLI has no data",
                    "also expose classic buckets (the client's classic-bucket option, or Prometheus' "
                    "scrape_classic_histograms scrape setting) with a bucket at " + threshold,
                )
            ], {"native_histogram": True}
        return [], {"boundaries": []}  # no histogram at all: the selector check reports it
    numbers = sorted({v for v in (parse_le(t) for t in by_le) if v is not None})
    facts: dict[str, object] = {"boundaries": [("+Inf" if math.isinf(v) else v) for v in numbers]}
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
