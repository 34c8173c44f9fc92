"""Do an SLO's selectors match live series? If not, which matcher filters everything out?

Each selector is counted over the last hour before ``at``. A selector that matches nothing is
retried once without each of its matchers (built from the typed :class:`~slo.model.selectors.Selector`,
never by editing text); a matcher whose removal brings series back is the culprit, and the values
its label really has are listed, with the closest one as a suggestion.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from slo.live_check.findings import Finding
from slo.model.selectors import Matcher, Selector, quote
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, TimeSliceSLI

LOOKBACK = "1h"
MAX_VALUES = 8

Count = Callable[[str], float | None]
"""Evaluates a PromQL expression at the check's instant; the single value, or None without a sample."""


def count_expr(selector: Selector) -> str:
    """How many series ``selector`` matched over the lookback."""
    return f"count(last_over_time({selector.render()}[{LOOKBACK}]))"


def values_expr(selector: Selector, label: str) -> str:
    """The values ``label`` takes among the series ``selector`` matched over the lookback."""
    return f"count by ({label}) (last_over_time({selector.render()}[{LOOKBACK}]))"


def without(selector: Selector, matcher: Matcher) -> Selector:
    """``selector`` with one matcher left out."""
    return Selector(selector.metric, tuple(m for m in selector.matchers if m != matcher))


def reductions(selector: Selector) -> list[tuple[Matcher, Selector]]:
    """Every selector one matcher shorter than ``selector``, with the matcher left out."""
    return [(m, without(selector, m)) for m in selector.matchers]


HISTOGRAM_ROLES = ("histogram count", "native histogram")


def roles(slo: SLO) -> list[tuple[str, Selector]]:
    """The selectors an SLO reads, each with its role (total, good, bad, histogram count, probe)."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, LatencySLI):
        classic = [("histogram count", sli.count)] if sli.reads_classic else []
        return classic + ([("native histogram", sli.histogram)] if sli.reads_native else [])
    if isinstance(sli, ProbeSLI):
        return [("probe", sli.selector)]
    if isinstance(sli, RatioSLI):
        return [
            (role, s)
            for role, s in (("total", sli.total), ("good", sli.good), ("bad", sli.bad))
            if isinstance(s, Selector)
        ]
    return []


@dataclass(frozen=True)
class Blame:
    """Why a selector matched nothing."""

    culprits: tuple[tuple[Matcher, int, tuple[str, ...]], ...]  # matcher, series without it, values of its label
    metric_series: int  # series of the bare metric name


def blame(selector: Selector, count: Count, values: Callable[[Selector, str], list[str]]) -> Blame:
    """Retry ``selector`` without each matcher; the ones whose removal brings series back."""
    metric_series = int(count(count_expr(Selector(selector.metric))) or 0)
    culprits = []
    if metric_series:
        for matcher, reduced in reductions(selector):
            found = int(count(count_expr(reduced)) or 0)
            if found:
                culprits.append((matcher, found, tuple(values(reduced, matcher.label))))
    return Blame(tuple(culprits), metric_series)


def suggestion(matcher: Matcher, found: tuple[str, ...]) -> str | None:
    """The live value closest to an equality matcher's value (a typo's likely intent)."""
    if matcher.op != "=" or not found:
        return None
    close = difflib.get_close_matches(matcher.value, [v for v in found if v], n=1, cutoff=0.6)
    return close[0] if close else None


def _listed(values: tuple[str, ...]) -> str:
    shown = [quote(v) if v else '"" (label absent)' for v in values[:MAX_VALUES]]
    more = f" and {len(values) - MAX_VALUES} more" if len(values) > MAX_VALUES else ""
    return ", ".join(shown) + more


def describe(selector: Selector, why: Blame, names: Callable[[], list[str]]) -> tuple[str, str]:
    """(message, fix) for a selector that matched nothing."""
    if not why.metric_series:
        close = difflib.get_close_matches(selector.metric, names(), n=3, cutoff=0.7)
        hint = f"; similar names: {', '.join(close)}" if close else ""
        return (
            f"no series named {selector.metric} in the last {LOOKBACK}{hint}",
            "check the metric name and that its target is scraped (Status > Targets)",
        )
    if not why.culprits:
        return (
            f"{selector} matches no series in the last {LOOKBACK}; {selector.metric} has {why.metric_series} "
            "series, but no single matcher is to blame: several filter everything out together",
            "compare each label matcher with the labels the series really carry",
        )
    parts, fixes = [], []
    for matcher, found, values in why.culprits:
        text = f"without {matcher.render()} it matches {found} series"
        if values:
            text += f" ({matcher.label} values: {_listed(values)})"
        parts.append(text)
        better = suggestion(matcher, values)
        if better is not None:
            fixes.append(f"{matcher.label}={quote(better)} instead of {quote(matcher.value)}")
        else:
            fixes.append(f"correct or remove the matcher {matcher.render()}")
    return f"{selector} matches no series in the last {LOOKBACK}: " + "; ".join(parts), "; ".join(fixes)


def check_selectors(
    service: Service,
    slo: SLO,
    count: Count,
    values: Callable[[Selector, str], list[str]],
    names: Callable[[], list[str]],
) -> tuple[list[Finding], dict[str, int]]:
    """Findings for selectors that match nothing, and how many series each role matched."""
    subject = f"{service.name}/{slo.name}"
    findings: list[Finding] = []
    matched: dict[str, int] = {}
    found_by_role: dict[str, int] = {}
    for role, selector in roles(slo):
        n = int(count(count_expr(selector)) or 0)
        matched[role] = n
        found_by_role[role] = n
    for role, selector in roles(slo):
        if matched[role] or (role in ("good", "bad") and found_by_role.get("total") == 0):
            continue  # a total matching nothing is reported once, not again for its good/bad subset
        if role in HISTOGRAM_ROLES and any(found_by_role.get(r) for r in HISTOGRAM_ROLES):
            continue  # histogram_kind auto: the classic or the native form is enough
        why = blame(selector, count, values)
        if role == "bad" and found_by_role.get("total") and _only_error_matchers(slo, why):
            findings.append(
                Finding(
                    "info",
                    "selector",
                    subject,
                    f"the bad-events selector {selector} matches no series in the last {LOOKBACK}: no errors "
                    "recorded (fine if there were none; a typo in its error matcher would look the same)",
                )
            )
            continue
        message, fix = describe(selector, why, names)
        findings.append(Finding("error", "selector", subject, f"{role} events: {message}", fix))
    return findings, matched


def _only_error_matchers(slo: SLO, why: Blame) -> bool:
    """Whether every culprit is a matcher the bad selector adds to the total (e.g. status=~"5..")."""
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if not isinstance(sli, RatioSLI) or not isinstance(sli.total, Selector) or not isinstance(sli.bad, Selector):
        return False
    extra = set(sli.bad.matchers) - set(sli.total.matchers)
    return bool(why.culprits) and all(m in extra for m, _, _ in why.culprits)


def instant_count(query: Callable[[str, datetime], list[dict]], at: datetime) -> Count:
    """A :data:`Count` over a client's instant query."""

    def run(expr: str) -> float | None:
        result = query(expr, at)
        if not result:
            return None
        return float(result[0]["value"][1])

    return run
