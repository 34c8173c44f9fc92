"""The deployed rules against the generated ones, via ``/api/v1/rules`` and ``/api/v1/alerts``.

The generated rule files are produced in memory (exactly what ``slo generate`` writes) and each of
their groups is looked up by name among the loaded groups, whatever file or PrometheusRule object
it came from. Expressions are compared after parsing (Prometheus prints back its own rendering of
an expression, with other spacing and quoting), labels, annotations, ``for`` and
``keep_firing_for`` as values; differences are named rule by rule. Loaded groups are also checked
for failing rules (``lastError``), evaluations that stopped or overrun their interval, and stale
recorded ``slo:*`` series; firing alerts of the checked services are listed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import promql_parser
import yaml

from slo.live_check.findings import Finding
from slo.loaders import Definitions
from slo.model.durations import Duration
from slo.model.service import SLO, Service
from slo.promql.recorded import OBJECTIVE

# The generated files are read back with libyaml's safe loader (the same safe constructor as
# yaml.safe_load, a C parser): pure-Python parsing of 100 SLOs' rules takes seconds.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RULE_FILE = re.compile(r"^rules/[^/]+\.ya?ml$")
NEVER = "0001-01-01T00:00:00Z"
SLACK_S = 15.0  # scheduling jitter tolerated on top of an interval


@dataclass(frozen=True)
class GeneratedGroup:
    path: str
    name: str
    interval: float | None
    rules: tuple[Mapping[str, Any], ...]
    limit: int | None = None


def generated_groups(files: Mapping[str, str]) -> list[GeneratedGroup]:
    """The rule groups of the generated rule files (not the tests, not the PrometheusRule copies)."""
    out: list[GeneratedGroup] = []
    for path, text in files.items():
        if RULE_FILE.match(path):
            out += _parse_rule_file(path, text)
    return out


@functools.lru_cache(maxsize=64)
def _parse_rule_file(path: str, text: str) -> tuple[GeneratedGroup, ...]:
    """Parsed once, though several checks ask for every SLO (a file of 100 SLOs takes a second to load)."""
    doc = yaml.load(text, Loader=_SAFE_LOADER) or {}
    out = []
    for group in doc.get("groups", []):
        interval = group.get("interval")
        seconds = float(Duration.parse(interval).seconds) if interval else None
        rules = group.get("rules", [])
        if group.get("labels"):  # Prometheus 3 lists group labels among each rule's own (the rule's win)
            rules = [{**r, "labels": {**group["labels"], **(r.get("labels") or {})}} for r in rules]
        out.append(GeneratedGroup(path, group["name"], seconds, tuple(rules), group.get("limit")))
    return tuple(out)


def canonical(expr: str) -> str:
    """An expression in one spelling, so Prometheus' reprint compares equal to the generated text."""
    try:
        return str(promql_parser.parse(expr))
    except (ValueError, TypeError):
        return " ".join(expr.split())


def _seconds(value: Any) -> float:
    if value in (None, "", 0):
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    return float(Duration.parse(str(value)).seconds)


def generated_view(rule: Mapping[str, Any]) -> dict[str, Any]:
    kind = "alerting" if "alert" in rule else "recording"
    return {
        "kind": kind,
        "name": rule.get("alert") or rule.get("record"),
        "expr": canonical(str(rule["expr"])),
        "text": " ".join(str(rule["expr"]).split()),
        "for": _seconds(rule.get("for")),
        "keep_firing_for": _seconds(rule.get("keep_firing_for")),
        "labels": {str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
        "annotations": {str(k): str(v) for k, v in (rule.get("annotations") or {}).items()},
    }


def live_view(rule: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "kind": rule.get("type"),
        "name": rule.get("name"),
        "expr": canonical(str(rule.get("query", ""))),
        "text": str(rule.get("query", "")),
        "for": float(rule.get("duration") or 0),
        "keep_firing_for": float(rule.get("keepFiringFor") or 0),
        "labels": {str(k): str(v) for k, v in (rule.get("labels") or {}).items()},
        "annotations": {str(k): str(v) for k, v in (rule.get("annotations") or {}).items()},
    }


def _key(view: Mapping[str, Any]) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    return view["kind"], view["name"], tuple(sorted(view["labels"].items()))


def _label_text(view: Mapping[str, Any]) -> str:
    tags = [f"{k}={v}" for k, v in sorted(view["labels"].items()) if k in ("slo", "tier", "severity")]
    return f"{view['name']}{{{','.join(tags)}}}" if tags else str(view["name"])


def _short(text: str, size: int = 160) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _rule_differences(view: Mapping[str, Any], other: Mapping[str, Any]) -> list[str]:
    """What differs between one generated rule and the loaded rule it corresponds to."""
    out = []
    name = _label_text(view)
    if other["labels"] != view["labels"]:
        keys = sorted(
            k for k in set(other["labels"]) | set(view["labels"]) if other["labels"].get(k) != view["labels"].get(k)
        )
        shown = ", ".join(f"{k} {other['labels'].get(k)!r} (generated {view['labels'].get(k)!r})" for k in keys)
        out.append(f"rule {name}: label(s) {shown}")
    if other["expr"] != view["expr"]:
        out.append(f"rule {name}: expr is `{_short(other['text'])}`, generated `{_short(view['text'])}`")
    for field in ("for", "keep_firing_for"):
        if other[field] != view[field]:
            out.append(f"rule {name}: {field} is {other[field]:g}s, generated {view[field]:g}s")
    if other["annotations"] != view["annotations"]:
        keys = sorted(
            k
            for k in set(other["annotations"]) | set(view["annotations"])
            if other["annotations"].get(k) != view["annotations"].get(k)
        )
        out.append(f"rule {name}: annotation(s) {', '.join(keys)} differ")
    return out


def _closest(view: Mapping[str, Any], candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The loaded rule of the same kind and name sharing most labels with ``view`` (a changed label)."""
    same = [c for c in candidates if c["kind"] == view["kind"] and c["name"] == view["name"]]
    if not same:
        return None
    return max(same, key=lambda c: len(set(c["labels"].items()) & set(view["labels"].items())))


def compare_group(gen: GeneratedGroup, live: Mapping[str, Any]) -> list[str]:
    """What differs between a generated group and the loaded one, in words (empty: identical).

    Rules are paired by kind, name and labels; a generated rule without an exact partner is paired
    with the unmatched loaded rule of the same name sharing most labels, so a changed label reads as
    such rather than as one rule missing and another extra.
    """
    out = []
    live_interval = live.get("interval")
    if gen.interval is not None and live_interval is not None and float(live_interval) != gen.interval:
        out.append(f"interval is {float(live_interval):g}s, generated {gen.interval:g}s")
    if gen.limit is not None and live.get("limit") is not None and int(live["limit"]) != gen.limit:
        out.append(f"limit is {live['limit']}, generated {gen.limit}")
    ours = [generated_view(r) for r in gen.rules]
    theirs = [live_view(r) for r in live.get("rules", [])]
    live_by_key = {_key(v): v for v in theirs}
    gen_keys = {_key(v) for v in ours}
    unmatched = [v for v in theirs if _key(v) not in gen_keys]
    for view in ours:
        other = live_by_key.get(_key(view))
        if other is None:
            other = _closest(view, unmatched)
            if other is None:
                out.append(f"rule {_label_text(view)} is missing")
                continue
            unmatched.remove(other)
        out += _rule_differences(view, other)
    for view in unmatched:
        out.append(f"rule {_label_text(view)} is loaded but not generated (labels {view['labels']})")
    if not out and [_key(v) for v in ours] != [_key(v) for v in theirs]:
        out.append("the rules are in another order (a recorded series may be read before it is computed)")
    return out


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 timestamp from the API (nanoseconds allowed); None for Go's zero time."""
    if not text or text.startswith("0001-01-01"):
        return None
    m = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not m:
        return None
    frac = (m.group(2) or ".0")[:7]
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    return datetime.fromisoformat(f"{m.group(1)}{frac}{zone}").astimezone(UTC)


def _listing(names: list[str], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def owned_prefixes(services: Iterable[Service]) -> tuple[str, ...]:
    """Group-name prefixes the generator uses for these services."""
    out: list[str] = []
    for s in services:
        out += [f"slo:{s.name}:", f"thresholds:{s.name}"]
    return tuple(out)


def check_groups(
    files: Mapping[str, str],
    live_groups: list[Mapping[str, Any]],
    services: list[Service],
    now: datetime,
    started: datetime | None = None,
) -> list[Finding]:
    """Loaded, identical, healthy and evaluating: one finding per problem with a generated group.

    ``started`` is when Prometheus started (``/api/v1/status/runtimeinfo``): a group not evaluated yet
    within its first interval is not due yet, not stuck.
    """
    findings: list[Finding] = []
    by_name: dict[str, list[Mapping[str, Any]]] = {}
    for group in live_groups:
        by_name.setdefault(str(group.get("name")), []).append(group)
    generated = generated_groups(files)
    names = {g.name for g in generated}
    unloaded_files = {
        path
        for path in {g.path for g in generated}
        if not any(by_name.get(g.name) for g in generated if g.path == path)
    }
    for path in sorted(unloaded_files):
        groups = [g.name for g in generated if g.path == path]
        findings.append(
            Finding(
                "error",
                "rules",
                path,
                f"not loaded: none of its {len(groups)} rule group(s) ({_listing(groups)}) runs, so these SLOs "
                "record nothing and cannot alert",
                f"add {path} to rule_files (or apply rules/kubernetes/) and reload Prometheus",
            )
        )
    for gen in generated:
        if gen.path in unloaded_files:
            continue
        loaded = by_name.get(gen.name, [])
        if not loaded:
            findings.append(
                Finding(
                    "error",
                    "rules",
                    gen.name,
                    f"rule group from {gen.path} is not loaded: its recording rules and alerts do not run",
                    f"deploy the freshly generated {gen.path} and reload Prometheus",
                )
            )
            continue
        if len(loaded) > 1:
            files_ = ", ".join(str(g.get("file")) for g in loaded)
            findings.append(
                Finding(
                    "warning",
                    "rules",
                    gen.name,
                    f"loaded {len(loaded)} times (from {files_}): every series is recorded twice",
                    "load each generated file once",
                )
            )
        for live in loaded:
            where = f" (loaded from {live.get('file')})"
            diffs = compare_group(gen, live)
            if diffs:
                more = f"; and {len(diffs) - 5} more" if len(diffs) > 5 else ""
                findings.append(
                    Finding(
                        "error",
                        "rules",
                        gen.name,
                        f"differs from {gen.path}{where}: " + "; ".join(diffs[:5]) + more,
                        "deploy the freshly generated file (slo generate) and reload Prometheus",
                    )
                )
            findings += _health(gen, live, now, started)
    for prefix_name, groups in by_name.items():
        if prefix_name not in names and prefix_name.startswith(owned_prefixes(services)):
            findings.append(
                Finding(
                    "warning",
                    "rules",
                    prefix_name,
                    f"loaded from {groups[0].get('file')} but no longer generated (a removed or renamed SLO?)",
                    "remove the stale rule file and reload Prometheus",
                )
            )
    return findings


def _health(gen: GeneratedGroup, live: Mapping[str, Any], now: datetime, started: datetime | None) -> list[Finding]:
    findings = []
    for rule in live.get("rules", []):
        if rule.get("health") == "err" or rule.get("lastError"):
            findings.append(
                Finding(
                    "error",
                    "rules",
                    gen.name,
                    f"rule {rule.get('name')} failed at its last evaluation: {rule.get('lastError') or 'unknown'}",
                    "fix the expression (or the series it reads) so it evaluates; it records or alerts nothing now",
                )
            )
    interval = float(live.get("interval") or gen.interval or 60)
    last = parse_time(str(live.get("lastEvaluation") or NEVER))
    just_started = started is not None and (now - started).total_seconds() <= interval + SLACK_S
    if last is None and just_started:
        pass  # Prometheus runs each group first at its own offset within the interval: not due yet
    elif last is None:
        findings.append(
            Finding(
                "warning",
                "rules",
                gen.name,
                "never evaluated yet (loaded less than one interval ago, or the rule manager is stuck)",
                f"check again after {interval:g}s; if it persists, see Prometheus' log",
            )
        )
    else:
        age = (now - last).total_seconds()
        if age > 2 * interval + SLACK_S:
            findings.append(
                Finding(
                    "error",
                    "rules",
                    gen.name,
                    f"last evaluated {age:.0f}s ago with an interval of {interval:g}s: evaluation stopped or falls "
                    "behind",
                    "check Prometheus' rule evaluation (prometheus_rule_group_iterations_missed_total) and its load",
                )
            )
    took = float(live.get("evaluationTime") or 0)
    if took > interval:
        findings.append(
            Finding(
                "warning",
                "rules",
                gen.name,
                f"one evaluation takes {took:.1f}s, longer than the {interval:g}s interval: iterations are skipped",
                "give Prometheus more CPU or split the group",
            )
        )
    return findings


def freshness_series(files: Mapping[str, str], service: Service, slo: SLO) -> list[tuple[str, float, str]]:
    """(recorded name, interval, group) of the series every evaluation of an SLO writes when its sources
    exist: the first record of its fast group (read straight from the source series) and the objective."""
    out: list[tuple[str, float, str]] = []

    def mine(rule: Mapping[str, Any]) -> bool:
        labels = rule.get("labels") or {}
        return labels.get("service") == service.name and labels.get("slo") == slo.name

    for gen in generated_groups(files):
        records = [r for r in gen.rules if "record" in r and mine(r)]
        if not records:
            continue
        interval = gen.interval or 60.0
        if not out and gen.name == f"slo:{service.name}:{slo.name}":
            out.append((str(records[0]["record"]), interval, gen.name))
        out += [(OBJECTIVE, interval, gen.name) for r in records if r["record"] == OBJECTIVE]
    return out


def check_freshness(
    files: Mapping[str, str],
    defs: Definitions,
    live_groups: list[Mapping[str, Any]],
    age_of: Callable[[str], float | None],
) -> list[Finding]:
    """Recorded ``slo:*`` series of loaded groups have a recent sample.

    ``age_of(expr)`` evaluates a timestamp expression now and returns its age in seconds (None: no
    sample); "now" is taken at each query, so a group evaluating meanwhile is not mistaken for silent.
    """
    from slo.promql.recorded import series

    evaluated = {str(g.get("name")) for g in live_groups if parse_time(str(g.get("lastEvaluation") or NEVER))}
    findings = []
    for service in defs.services:
        for slo in service.slos:
            for name, interval, group in freshness_series(files, service, slo):
                if group not in evaluated:
                    continue  # not loaded or not evaluated yet: check_groups says which
                selector = series(name, service, slo)
                age = age_of(f"max(timestamp({selector}))")
                subject = f"{service.name}/{slo.name}"
                if age is None:
                    findings.append(
                        Finding(
                            "error",
                            "recorded",
                            subject,
                            f"{selector} has no sample in the last 5m: the rule records nothing (its source series "
                            "are missing, or the rule fails)",
                            "see the selector and rules findings for this SLO",
                        )
                    )
                    continue
                if age > 2 * interval + SLACK_S:
                    findings.append(
                        Finding(
                            "warning",
                            "recorded",
                            subject,
                            f"{selector} is {age:.0f}s old (recorded every {interval:g}s)",
                            "check that the rule group evaluates (see the rules findings)",
                        )
                    )
    return findings


def check_alerts(alerts: list[Mapping[str, Any]], defs: Definitions) -> list[Finding]:
    """What fires (or is pending) now for the checked services."""
    services = {s.name for s in defs.services}
    grouping = {(s.name, o.name): o.group_by for s in defs.services for o in s.slos}
    findings = []
    for alert in alerts:
        labels = alert.get("labels") or {}
        if labels.get("service") not in services:
            continue
        state = alert.get("state")
        if state not in ("firing", "pending"):
            continue
        name = labels.get("alertname", "?")
        group = grouping.get((labels.get("service"), labels.get("slo")), ())  # a grouped SLO: which group
        what = ", ".join(f"{k}={labels[k]}" for k in ("slo", *group, "tier", "severity") if k in labels)
        since = alert.get("activeAt", "?")
        try:
            value = f"{float(alert.get('value')):.4g}"
        except (TypeError, ValueError):
            value = str(alert.get("value"))
        subject = f"{labels.get('service')}/{labels['slo']}" if "slo" in labels else str(labels.get("service"))
        if state == "firing":
            severity = "error" if labels.get("severity") == "critical" else "warning"
            findings.append(
                Finding(
                    severity,
                    "firing",
                    subject,
                    f"{name} ({what}) firing since {since}, value {value}",
                    "follow the alert's runbook; it is live, not a configuration problem",
                )
            )
        else:
            findings.append(Finding("info", "firing", subject, f"{name} ({what}) pending since {since}"))
    return findings
