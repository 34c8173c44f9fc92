"""The running Alertmanager against the generated ``alertmanager.yml``, and silences over SLO alerts.

Alertmanager reports its config (``/api/v2/status``) re-marshalled: defaults filled in (``continue``,
``send_resolved``, ``http_config`` …), secrets masked, matchers sorted and keys reordered. So the
comparison is structural: every value the generated config sets must be there and equal (matchers
as sets of name/operator/value, durations as seconds, ``<secret>`` equal to anything); a route list or
receiver list of another length, or a route setting the generated config does not make, is a
difference. Each difference is named by its path, e.g. ``route.routes[0].routes[1].receiver``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import yaml

from slo.live_check.findings import Finding
from slo.model.durations import Duration

CONFIG = "alertmanager/alertmanager.yml"
MATCHER_KEYS = ("matchers", "source_matchers", "target_matchers")
SECRET = "<secret>"
ROUTE_DEFAULTS = {"continue": False}
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(.*?)\s*$')
_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


def matcher_triple(text: Any) -> tuple[str, str, str]:
    """``team="sre"``, ``team=sre`` or ``team = "sre"`` → ("team", "=", "sre")."""
    m = _MATCHER.match(str(text))
    if not m:
        return (str(text), "", "")
    name, op, value = m.groups()
    unquote = lambda s: yaml.safe_load(s) if s.startswith('"') else s  # noqa: E731 - a JSON-compatible quoted string
    try:
        return (str(unquote(name)), op, str(unquote(value)))
    except yaml.YAMLError:
        return (name, op, value)


def _duration(value: Any) -> float | None:
    if not isinstance(value, str) or not _DURATION.match(value) or "ms" in value or "y" in value:
        return None
    try:
        return float(Duration.parse(value).seconds)
    except ValueError:
        return None


def _same_scalar(ours: Any, theirs: Any) -> bool:
    if theirs == SECRET:
        return True
    if ours == theirs:
        return True
    d1, d2 = _duration(ours), _duration(theirs)
    if d1 is not None and d1 == d2:
        return True
    return str(ours) == str(theirs)


def differences(ours: Any, theirs: Any, path: str = "") -> list[str]:
    """Where the live config ``theirs`` departs from the generated ``ours`` (pure)."""
    here = path or "(top level)"
    if isinstance(ours, Mapping):
        if not isinstance(theirs, Mapping):
            return [f"{here}: running config has {_show(theirs)}, generated a mapping"]
        out = []
        for key, value in ours.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in theirs:
                out.append(f"{sub}: missing in the running config (generated {_show(value)})")
            elif key == "templates" and not path and isinstance(value, list):
                out += _templates(value, theirs[key])
            elif key in MATCHER_KEYS and isinstance(value, list):
                a = sorted(matcher_triple(v) for v in value)
                b = sorted(matcher_triple(v) for v in theirs[key] or [])
                if a != b:
                    out.append(f"{sub}: running {_matchers(b)}, generated {_matchers(a)}")
            else:
                out += differences(value, theirs[key], sub)
        if _is_route(path):
            for key, value in theirs.items():
                if key not in ours and ROUTE_DEFAULTS.get(key, object()) != value and value not in (None, [], {}):
                    sub = f"{path}.{key}" if path else str(key)
                    out.append(f"{sub}: running config sets {_show(value)}, the generated config does not")
        if not path:
            for key in ("inhibit_rules", "mute_time_intervals", "time_intervals"):
                if key not in ours and theirs.get(key):
                    out.append(f"{key}: running config has {len(theirs[key])}, the generated config none")
        return out
    if isinstance(ours, list):
        if not isinstance(theirs, list):
            return [f"{here}: running config has {_show(theirs)}, generated a list"]
        out = []
        if len(ours) != len(theirs):
            out.append(f"{here}: running config has {len(theirs)} entries, generated {len(ours)}")
        for i, (a, b) in enumerate(zip(ours, theirs, strict=False)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    if not _same_scalar(ours, theirs):
        return [f"{here}: running {_show(theirs)}, generated {_show(ours)}"]
    return []


def _templates(ours: list[Any], theirs: Any) -> list[str]:
    """Alertmanager resolves relative template paths against its config file's directory."""
    live = [str(t) for t in theirs] if isinstance(theirs, list) else []
    missing = [
        str(t)
        for t in ours
        if not any(x == str(t) or (not str(t).startswith("/") and x.endswith("/" + str(t))) for x in live)
    ]
    out = [f"templates: {t!r} missing in the running config" for t in missing]
    if len(live) != len(ours):
        out.append(f"templates: running config has {len(live)} entries, generated {len(ours)}")
    return out


def _is_route(path: str) -> bool:
    return path == "route" or bool(re.fullmatch(r"route(\.routes\[\d+\])+", path))


def _show(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip() if not isinstance(value, str) else value
    text = text.removesuffix("\n...").strip()
    return repr(text if len(text) <= 80 else text[:79] + "…")


def _matchers(triples: list[tuple[str, str, str]]) -> str:
    return "[" + ", ".join(f"{n}{o}{v!r}" for n, o, v in triples) + "]"


def check_config(files: Mapping[str, str], running: str, shown_url: str) -> list[Finding]:
    """One finding naming what differs between the running and the generated config (none when equal)."""
    text = files.get(CONFIG)
    if text is None:
        return [
            Finding(
                "info",
                "alertmanager",
                shown_url,
                "the definitions define no routing, so there is no generated config to compare",
            )
        ]
    ours = yaml.safe_load(text) or {}
    try:
        theirs = yaml.safe_load(running) or {}
    except yaml.YAMLError as exc:
        return [Finding("error", "alertmanager", shown_url, f"the running config does not parse as YAML: {exc}")]
    diffs = differences(ours, theirs)
    if not diffs:
        return []
    more = f"; and {len(diffs) - 8} more" if len(diffs) > 8 else ""
    return [
        Finding(
            "error",
            "alertmanager",
            shown_url,
            f"running config differs from the generated {CONFIG}: " + "; ".join(diffs[:8]) + more,
            f"deploy the generated {CONFIG} and reload Alertmanager (POST /-/reload or SIGHUP)",
        )
    ]


def alert_label_sets(files: Mapping[str, str]) -> list[dict[str, str]]:
    """Label sets (with ``alertname``) of every generated alerting rule."""
    from slo.live_check.deployed import generated_groups

    out = []
    for group in generated_groups(files):
        for rule in group.rules:
            if "alert" in rule:
                out.append(
                    {"alertname": str(rule["alert"]), **{str(k): str(v) for k, v in (rule.get("labels") or {}).items()}}
                )
    return out


def silence_matches(matchers: Iterable[Mapping[str, Any]], labels: Mapping[str, str]) -> bool:
    """Whether a v2 silence's matchers all match ``labels`` (a missing label is the empty string)."""
    for m in matchers:
        value = labels.get(str(m.get("name")), "")
        pattern = str(m.get("value", ""))
        if m.get("isRegex"):
            try:
                hit = re.fullmatch(pattern, value) is not None
            except re.error:
                return False
        else:
            hit = value == pattern
        if hit != bool(m.get("isEqual", True)):
            return False
    return True


def check_silences(files: Mapping[str, str], silences: list[Mapping[str, Any]], now: datetime) -> list[Finding]:
    """A warning per active silence that mutes generated SLO or threshold alerts."""
    alerts = alert_label_sets(files)
    findings = []
    for silence in silences:
        if (silence.get("status") or {}).get("state") != "active":
            continue
        covered = [a for a in alerts if silence_matches(silence.get("matchers") or [], a)]
        if not covered:
            continue
        names = sorted({f"{a['alertname']} {a.get('service', '?')}/{a.get('slo', a['alertname'])}" for a in covered})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        who = silence.get("createdBy") or "?"
        comment = silence.get("comment") or ""
        findings.append(
            Finding(
                "warning",
                "silence",
                str(silence.get("id", "?")),
                f"silence by {who} until {silence.get('endsAt', '?')} ({comment!r}) mutes {len(covered)} generated "
                f"alert rule(s): {shown}",
                "expire the silence when the work it covers is done (amtool silence expire ID)",
            )
        )
    return findings
