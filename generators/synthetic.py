"""Concrete label sets and counter values for synthetic test series.

Generated unit tests need series that the SLO's selectors match (and, for the good traffic,
that the bad-event selector does not). Values are found by trying candidates against the
matchers themselves, so the tests exercise the real selectors rather than a copy of them.
"""

from __future__ import annotations

import math
import re
from re import _parser as sre  # type: ignore[attr-defined]
from typing import Any

from slo.model.selectors import Matcher, Selector, quote
from slo.model.service import SLO
from slo.model.sli import LatencySLI, ProbeSLI, RawRatioSLI, TimeSliceSLI


class Unsupported(Exception):
    """The SLO's source series cannot be synthesised (opaque PromQL)."""


_GENERIC = ("200", "500", "503", "x", "ok", "GET", "a", "0", "1", "/", "other")


def _sample(parsed: Any) -> str | None:
    """A short string matching a parsed regex, or None for constructs we do not sample."""
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(arg) != "a" else "b")
        elif name == "ANY":
            out.append("0")
        elif name == "IN":
            ch = _in_sample(arg)
            if ch is None:
                return None
            out.append(ch)
        elif name == "BRANCH":
            piece = _sample(arg[1][0])
            if piece is None:
                return None
            out.append(piece)
        elif name == "SUBPATTERN":
            piece = _sample(arg[-1])
            if piece is None:
                return None
            out.append(piece)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _high, sub = arg
            piece = _sample(sub)
            if piece is None:
                return None
            out.append(piece * max(low, 1 if low == 0 and piece else low))
        elif name == "AT":
            continue
        else:
            return None
    return "".join(out)


def _in_sample(items: Any) -> str | None:
    if items and str(items[0][0]) == "NEGATE":
        for candidate in "xa0_":
            if re.fullmatch(sre_compile_in(items), candidate):
                return candidate
        return None
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            return chr(arg)
        if name == "RANGE":
            return chr(arg[0])
        if name == "CATEGORY":
            return {"CATEGORY_DIGIT": "0", "CATEGORY_WORD": "a", "CATEGORY_SPACE": " "}.get(str(arg), "a")
    return None


def sre_compile_in(items: Any) -> str:
    """Rebuild a character class for a negated-set check (only used on sampled candidates)."""
    return "[^" + "".join(chr(a) for op, a in items if str(op) == "LITERAL") + "]"


def regex_sample(pattern: str) -> str | None:
    """A value matching ``pattern`` fully (Prometheus anchors regexes), if one is easy to find."""
    try:
        candidate = _sample(sre.parse(pattern))
    except (re.error, RecursionError, TypeError, IndexError, ValueError):
        return None
    if candidate is not None and re.fullmatch(pattern, candidate):
        return candidate
    return None


def satisfies(matcher: Matcher, value: str) -> bool:
    """Whether a label value (``""`` for absent) satisfies a matcher, as Prometheus decides."""
    if matcher.op == "=":
        return value == matcher.value
    if matcher.op == "!=":
        return value != matcher.value
    hit = re.fullmatch(matcher.value, value) is not None
    return hit if matcher.op == "=~" else not hit


def _candidates(matchers: list[Matcher]) -> list[str]:
    pool: list[str] = []
    for m in matchers:
        if m.op == "=":
            pool.append(m.value)
        elif m.op == "=~":
            sample = regex_sample(m.value)
            if sample is not None:
                pool.append(sample)
    pool.extend(_GENERIC)
    return list(dict.fromkeys(pool))


def solve(required: list[Matcher], forbidden: list[Matcher] | None = None) -> dict[str, str] | None:
    """Labels satisfying every ``required`` matcher and violating at least one ``forbidden`` one."""
    forbidden = forbidden or []
    labels = sorted({m.label for m in required} | {m.label for m in forbidden})
    by_label = {lab: [m for m in required if m.label == lab] for lab in labels}
    options: dict[str, list[str]] = {}
    for lab in labels:
        pool = _candidates(by_label[lab] + [m for m in forbidden if m.label == lab])
        ok = [v for v in pool if all(satisfies(m, v) for m in by_label[lab])]
        if "" not in ok and all(satisfies(m, "") for m in by_label[lab]):
            ok.append("")
        if not ok:
            return None
        options[lab] = ok
    chosen = {lab: vals[0] for lab, vals in options.items()}
    if forbidden:
        if not all(satisfies(m, chosen[m.label]) for m in forbidden):
            return {k: v for k, v in chosen.items() if v}
        for m in forbidden:
            for v in options[m.label]:
                if not satisfies(m, v):
                    chosen[m.label] = v
                    return {k: val for k, val in chosen.items() if val}
        return None
    return {k: v for k, v in chosen.items() if v}


def series_text(metric: str, labels: dict[str, str]) -> str:
    """The ``metric{a="b"}`` text promtool expects for an input series."""
    if not labels:
        return metric
    return metric + "{" + ",".join(f"{k}={quote(v)}" for k, v in sorted(labels.items())) + "}"


def matches(selector: Selector, metric: str, labels: dict[str, str]) -> bool:
    return selector.metric == metric and all(satisfies(m, labels.get(m.label, "")) for m in selector.matchers)


def counter_values(segments: list[tuple[int, float]], start: float = 0.0) -> str:
    """promtool's expanding notation for a counter: ``segments`` of (samples, increment per sample)."""
    parts: list[str] = []
    value = start
    first = True
    for count, step in segments:
        if count <= 0:
            continue
        if first:
            parts.append(f"{_fmt(value)}+{_fmt(step)}x{count - 1}")
            value += step * (count - 1)
            first = False
        else:
            value += step
            parts.append(f"{_fmt(value)}+{_fmt(step)}x{count - 1}")
            value += step * (count - 1)
    return " ".join(parts)


def gauge_values(segments: list[tuple[int, float | None]]) -> str:
    """Constant gauge segments; ``None`` means no sample (a scrape that did not happen)."""
    parts = []
    for count, value in segments:
        if count <= 0:
            continue
        if value is None:
            parts.append(f"_x{count}")
        else:
            parts.append(f"{_fmt(value)}x{count - 1}")
    return " ".join(parts)


def native_buckets(threshold: float) -> tuple[int, int]:
    """Schema-0 bucket indexes (bucket ``i`` is ``(2^(i-1), 2^i]``) wholly at or under, and wholly over, ``threshold``.

    Fast requests land in the first, slow ones in the second, and the bucket holding the threshold in
    between stays empty: ``histogram_fraction`` at the threshold is then exact, as the tests need.
    """
    good = math.floor(math.log2(threshold))
    while 2.0 ** (good + 1) <= threshold:
        good += 1
    while 2.0**good > threshold:
        good -= 1
    bad = math.ceil(math.log2(threshold)) + 1
    while 2.0 ** (bad - 2) >= threshold:
        bad -= 1
    while 2.0 ** (bad - 1) < threshold:
        bad += 1
    return good, bad


def native_histogram(good: float, bad: float, threshold: float) -> str:
    """promtool's notation for a schema-0 native histogram of ``good`` fast and ``bad`` slow requests."""
    low, high = native_buckets(threshold)
    buckets = [good] + [0.0] * (high - low - 1) + [bad]
    total = sum(buckets)
    sum_ = good * 2.0 ** (low - 1) + bad * 2.0**high  # a plausible sum; the SLI reads only the buckets
    return (
        f"{{{{schema:0 count:{_fmt(total)} sum:{_fmt(sum_)} "
        f"buckets:[{' '.join(_fmt(b) for b in buckets)}] offset:{low}}}}}"
    )


def native_values(segments: list[tuple[int, float, float]], threshold: float) -> str:
    """promtool's expanding notation for a native histogram: (samples, good, bad requests per sample)."""
    parts: list[str] = []
    good = bad = 0.0
    first = True
    for count, good_step, bad_step in segments:
        if count <= 0:
            continue
        if not first:
            good, bad = good + good_step, bad + bad_step
        step = native_histogram(good_step, bad_step, threshold)
        parts.append(f"{native_histogram(good, bad, threshold)}+{step}x{count - 1}")
        good, bad = good + good_step * (count - 1), bad + bad_step * (count - 1)
        first = False
    return " ".join(parts)


def _fmt(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def sli_series(slo: SLO) -> list[tuple[str, str, dict[str, str]]]:
    """(role, metric, labels) of series the SLO's selectors match; role is good/bad/total/probe.

    A total series and its good (or bad) part use label values that the part's selector matches
    (and, for the other part, does not), so synthetic traffic exercises the real selectors.
    """
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, RawRatioSLI):
        raise Unsupported("a raw error-ratio SLI (opaque PromQL) cannot be synthesised")
    if isinstance(sli, ProbeSLI):
        labels = solve(list(sli.selector.matchers))
        if labels is None:
            raise Unsupported("cannot find label values matching the probe selector")
        return [("probe", sli.selector.metric, labels)]
    if isinstance(sli, LatencySLI):
        base = solve(list(sli.histogram.matchers))
        if base is None:
            raise Unsupported("cannot find label values matching the histogram selector")
        if sli.histogram_kind == "native":
            return [("histogram", sli.histogram.metric, base)]
        le = f"{sli.threshold:g}"
        return [
            ("total", sli.count.metric, base),
            ("good", sli.bucket.metric, {**base, "le": le}),
            ("total", sli.bucket.metric, {**base, "le": "+Inf"}),
        ]
    part = sli.bad if sli.bad is not None else sli.good
    role = "bad" if sli.bad is not None else "good"
    other = "good" if role == "bad" else "bad"
    if not isinstance(sli.total, Selector) or not isinstance(part, Selector):
        raise Unsupported("the SLI uses opaque PromQL, which cannot be synthesised")
    if part.metric == sli.total.metric:
        inside = solve(list(part.matchers) + list(sli.total.matchers))
        outside = solve(list(sli.total.matchers), list(part.matchers))
        if inside is None or outside is None:
            raise Unsupported("cannot find label values that split total into good and bad")
        return [(role, part.metric, inside), (other, part.metric, outside)]
    inside = solve(list(part.matchers))
    total = solve(list(sli.total.matchers))
    if inside is None or total is None:
        raise Unsupported("cannot find label values matching the selectors")
    return [(role, part.metric, inside), ("total", sli.total.metric, total)]
