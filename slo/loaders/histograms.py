"""A histogram bucket over its count, as foreign specs write a latency SLI: checked once for every loader.

Pyrra's ``success``/``total`` and OpenSLO's ``good``/``total`` both spell a latency SLI as
``X_bucket{…, le="0.2"}`` over ``X_count{…}``; the count must carry the bucket's labels and ``le`` must be
a number of seconds. Loaders turn :class:`BucketMismatch` into a located error on the field it names.
"""

from __future__ import annotations

from dataclasses import dataclass

from slo.model.selectors import Matcher, Selector
from slo.model.sli import EventSource


@dataclass(frozen=True)
class BucketMismatch(Exception):
    """What is wrong and in which field: ``"bucket"`` (the le matcher) or ``"total"`` (the count)."""

    field: str
    message: str


def histogram_latency(bucket: Selector, le: Matcher, total: EventSource, bucket_role: str) -> tuple[Selector, float]:
    """(the histogram's selector without ``le``, the threshold in seconds) of a ``_bucket`` selector."""
    base = bucket.metric[: -len("_bucket")]
    histogram = Selector(base, tuple(m for m in bucket.matchers if m.label != "le"))
    count = histogram.with_metric(base + "_count")
    if total != count:
        raise BucketMismatch(
            "total",
            f"{bucket_role} is a bucket of histogram {base}, so total must be its count with the same labels: {count}",
        )
    try:
        return histogram, float(le.value)
    except ValueError:
        raise BucketMismatch("bucket", f"le={le.value!r} is not a number of seconds") from None
