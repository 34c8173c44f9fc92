"""``slo explain``: what each SLO's alerts do, in words and numbers, before the pager rings.

Pure functions: model in, a plain dict (``--format json``) or text out. Every number comes from
:mod:`slo.promql.guards` and the model, the same functions the rule generator uses.
"""

from __future__ import annotations

from typing import Any

from slo import promql
from slo.model.durations import Duration
from slo.model.service import SLO, Service
from slo.model.sli import LatencySLI, ProbeSLI, RatioSLI, RawRatioSLI, TimeSliceSLI, is_slice_mean
from slo.promql import guards

REFERENCE_RATE = 1.0  # requests per second used to turn minimum bad events into time


def _pct(value: float) -> str:
    return f"{value * 100:.4g}%"


def _minutes(value: float) -> str:
    if value < 1:
        return f"{value * 60:.0f} s"
    if value < 120:
        return f"{value:.3g} min"
    return f"{value / 60:.3g} h"


def _slice_mean_text(sli: TimeSliceSLI) -> str:
    """A slice mean (OpenSLO RatioTimeslices) in one phrase."""
    if isinstance(sli.inner, ProbeSLI):
        what = f"probe {sli.inner.selector.metric} success ratio"
    else:
        what = "latency good ratio" if isinstance(sli.inner, LatencySLI) else "good ratio"
    return (
        f"mean {what} of {sli.slice} slices: every slice with events weighs the same, whatever its traffic "
        "(slices without events are skipped)"
    )


def sli_text(slo: SLO) -> str:
    """The SLI in one phrase."""
    sli = slo.sli
    if isinstance(sli, TimeSliceSLI) and sli.mean:
        return _slice_mean_text(sli)
    if isinstance(sli, TimeSliceSLI):
        inner = sli.inner
        if isinstance(inner, ProbeSLI):
            return f"probe {inner.selector.metric}: good {sli.slice} slices (probe success >= {_pct(sli.target)})"
        what = "latency" if isinstance(inner, LatencySLI) else "error ratio"
        return f"{what} in {sli.slice} slices: a slice is good when at least {_pct(sli.target)} of its events are good"
    if isinstance(sli, LatencySLI):
        kind = "" if sli.histogram_kind == "classic" else f", {sli.histogram_kind}"
        return f"requests faster than {sli.threshold:g}s ({sli.histogram.metric} histogram{kind})"
    if isinstance(sli, RatioSLI):
        return "good events over total events (counters)"
    if isinstance(sli, RawRatioSLI):
        return "an opaque error-ratio expression"
    return type(sli).__name__


def budget(slo: SLO) -> dict[str, Any]:
    """The error budget per alerting period: a share, minutes (slices, probes) or events per million."""
    period = slo.period.alerting_window
    out: dict[str, Any] = {"share": slo.error_budget, "period": str(period)}
    if slo.unit == "slices":
        out["minutes"] = slo.error_budget * period.seconds / 60
        out["text"] = f"{_pct(slo.error_budget)} of the time: {out['minutes']:.4g} minutes per {period}"
    else:
        out["events_per_million"] = slo.error_budget * 1e6
        out["text"] = (
            f"{_pct(slo.error_budget)} of all events: {out['events_per_million']:,.0f} per million "
            f"(at {REFERENCE_RATE:g} request/s, {slo.error_budget * period.seconds * REFERENCE_RATE:,.0f} "
            f"failed requests per {period})"
        )
    return out


def tier_facts(slo: SLO, query_offset: Duration | None = None) -> list[dict[str, Any]]:
    """Per tier: severity, windows, factor, the bad fraction it needs, total-outage time, guards; with a
    rule-group ``query_offset`` the outage time as sent too (evaluation reads data that much later)."""
    assert slo.alerting is not None
    out = []
    for t in slo.alerting.tiers:
        minimum = guards.min_bad_events(slo, t)
        outage = guards.total_outage_minutes(slo, t)
        keep = guards.keep_firing_for(slo, t)
        covered = guards.cold_start_scaled(slo, t.long_window)
        out.append(
            {
                "tier": t.name,
                "severity": t.severity,
                "pages": t.severity == "critical",
                "long_window": str(t.long_window),
                "short_window": str(t.short_window),
                "budget_spent": t.budget_spent,
                "factor": t.factor(slo.period),
                "bad_fraction": guards.threshold(slo, t),
                "total_outage_minutes": outage,
                "min_bad_events": minimum,
                "min_bad_events_seconds_at_1rps": minimum / REFERENCE_RATE if minimum else 0,
                "cold_start_scaled": covered,
                "keep_firing_for": str(keep) if keep else None,
                "for": str(t.for_) if t.for_ else None,
                "total_outage_minutes_sent": (
                    outage + query_offset.minutes if outage is not None and query_offset is not None else outage
                ),
            }
        )
    return out


def facts(service: Service, slo: SLO, query_offset: Duration | None = None) -> dict[str, Any]:
    """Everything ``slo explain`` says about one SLO, as data (``query_offset``: [tool.slo.rule_groups])."""
    doc: dict[str, Any] = {
        "service": service.name,
        "slo": slo.name,
        "objective": slo.objective,
        "period": str(slo.period),
        "sli": sli_text(slo),
        "budget": budget(slo),
        "alerting": slo.alerting is not None,
    }
    if slo.group_by:
        doc["grouping"] = {"group_by": list(slo.group_by), "max_groups": slo.max_groups}
    if slo.alerting is None:
        return doc
    doc["query_offset"] = str(query_offset) if query_offset is not None else None
    doc["tiers"] = tier_facts(slo, query_offset)
    total = promql.total_selector(slo)
    doc["blind"] = {
        "watched": str(total) if total is not None else None,
        "alert": "SLOMetricAbsent",
        "severity": guards.absent_severity(slo),
        "for": str(slo.alerting.absent_for),
        "minutes_with_staleness": guards.blind_detection_minutes(slo, True),
        "minutes_without_staleness": guards.blind_detection_minutes(slo, False),
    }
    sli = slo.sli.inner if isinstance(slo.sli, TimeSliceSLI) else slo.sli
    if isinstance(sli, LatencySLI):
        doc["bucket"] = {
            "threshold": sli.threshold,
            "histogram_kind": sli.histogram_kind,
            "common_default": guards.common_bucket(sli.threshold),
            "hint": guards.bucket_hint(slo),
            "alert_after": str(guards.BUCKET_FOR),
        }
    doc["failed_time"] = guards.is_probe(slo)
    return doc


def _tier_lines(slo: SLO, t: dict[str, Any]) -> list[str]:
    kind = "pages" if t["pages"] else "tickets"
    measure = "failed probe time" if guards.is_probe(slo) else "bad slices" if slo.unit == "slices" else "bad events"
    what = f"the share of {measure}"
    if is_slice_mean(slo.sli) and not guards.is_probe(slo):
        what = "the mean slice error ratio"
    lines = [
        f"  {t['tier']} ({t['severity']}, {kind}): fires when {what} exceeds "
        f"{_pct(t['bad_fraction'])} over {t['long_window']} and over {t['short_window']} "
        f"(burn {t['factor']:g}x: {_pct(t['budget_spent'])} of the budget within {t['long_window']})."
    ]
    if t["total_outage_minutes"] is None:
        lines.append("    A total outage cannot fire it: the threshold exceeds a 100% error ratio.")
    elif t["total_outage_minutes_sent"] != t["total_outage_minutes"]:
        sent, data = t["total_outage_minutes_sent"], t["total_outage_minutes"]
        lines.append(
            f"    A total outage fires it after about {_minutes(sent)} ({_minutes(data)} of data, read "
            f"{_minutes(sent - data)} late by the rule groups' query_offset)."
        )
    else:
        lines.append(f"    A total outage fires it after about {_minutes(t['total_outage_minutes'])}.")
    if t["min_bad_events"]:
        lines.append(
            f"    Low traffic: needs at least {t['min_bad_events']} bad events in {t['long_window']} "
            f"(at {REFERENCE_RATE:g} request/s a total outage collects them in "
            f"{t['min_bad_events_seconds_at_1rps']:g} s)."
        )
    if t["cold_start_scaled"]:
        lines.append(
            f"    Cold start: while the recorded series hold less than {t['long_window']}, the missing history counts "
            "as healthy, so it fires on budget actually spent."
        )
    if t["keep_firing_for"]:
        lines.append(f"    Keeps firing {t['keep_firing_for']} after the burn drops below the threshold (one page).")
    return lines


def render(docs: list[tuple[SLO, dict[str, Any]]]) -> str:
    """The text report for several SLOs."""
    out: list[str] = []
    for slo, d in docs:
        out.append(f"{d['service']}/{d['slo']}: {_pct(d['objective'])} over {d['period']}: {d['sli']}")
        out.append(f"  Error budget: {d['budget']['text']}.")
        if "grouping" in d:
            by, most = ", ".join(d["grouping"]["group_by"]), d["grouping"]["max_groups"]
            out.append(
                f"  Grouped by {by}: one SLI and error budget per value of {by}; each group's alerts fire on its own "
                f"burn and carry its {by} label. At most {most} groups: beyond that the rule groups fail their "
                "limit and record nothing, and SLOGroupLimitExceeded fires."
            )
        if not d["alerting"]:
            out.append("  Alerting is disabled for this SLO.")
            out.append("")
            continue
        if d["failed_time"]:
            out.append(
                "  Burn windows measure failed probe time: one failed 15 s probe costs 15 s of budget, not a bad slice "
                "(the report still counts slices); a tier also needs "
                f"{guards.PROBE_MIN_FAILED} failed probes in its short window, so a single blip never fires it."
            )
        if is_slice_mean(slo.sli) and not d["failed_time"]:
            assert isinstance(slo.sli, TimeSliceSLI)
            out.append(
                f"  Burn windows average the recorded error ratio of the sliding {slo.sli.slice} slice over time "
                "(times without events skipped): a total outage ramps it up over one slice, so pages come up to "
                "a slice later than for an event SLI."
            )
        for t in d["tiers"]:
            out.extend(_tier_lines(slo, t))
        blind = d["blind"]
        if blind["watched"]:
            out.append(
                f"  Never blind: when no series match {blind['watched']} for {blind['for']}, SLOMetricAbsent fires "
                f"({blind['severity']}) within {_minutes(blind['minutes_with_staleness'])} of the target going away, "
                f"{_minutes(blind['minutes_without_staleness'])} when samples stop without staleness markers."
            )
        else:
            out.append("  Never blind: the total is opaque PromQL, so no absent-metric alert can watch it.")
        if "bucket" in d:
            b = d["bucket"]
            kind = b.get("histogram_kind", "classic")
            native = (
                f"histogram_fraction counts the requests under {b['threshold']:g}s, interpolating within the bucket "
                "holding the threshold (exact when it is a boundary, as with NHCB converted from a classic bucket)"
            )
            if kind == "native":
                out.append(f"  Native histogram: {native}; no bucket can be missing.")
            else:
                if kind == "auto":
                    out.append(
                        f"  Histogram kind auto: a series' native histogram when it has one ({native}), else its "
                        "classic buckets; a series scraped both ways is counted once."
                    )
                out.append(
                    f"  Missing bucket: burn alerts need a bucket at {b['threshold']:g}s"
                    + (" (or a native histogram)" if kind == "auto" else "")
                    + f"; without one SLOLatencyBucketMissing fires after {b['alert_after']} naming the nearest "
                    "boundaries."
                )
            if b["hint"]:
                out.append(f"  Hint: {b['hint']}.")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def explain(
    services: tuple[Service, ...] | list[Service], query_offset: Duration | None = None
) -> list[tuple[SLO, dict[str, Any]]]:
    """Facts for every SLO of every service, in definition order."""
    return [(slo, facts(svc, slo, query_offset)) for svc in services for slo in svc.slos]
