"""Where Alertmanager's routing tree sends a label set: the expectations of foreign-alert route tests.

A merged config must leave every alert that is not ours where the hand-written base sends it. To
write that down as route tests, the base's own tree is evaluated here, as Alertmanager does: a
route matches when all its matchers (``matchers``, legacy ``match`` / ``match_re``) do; the first
matching child wins unless it says ``continue: true``; a route without a matching child is the
result; a route without a ``receiver`` inherits its parent's. ``amtool config routes test`` then
checks the merged config against these expectations, so a mistake here cannot hide one there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_MATCHER = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|[^\s=!~"{}]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$', re.DOTALL)


class UnreadableRoute(ValueError):
    """A matcher or route of the base this evaluator cannot read (the message says which)."""


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        body = text[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), body)
    return text


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``label op value`` with op ``=``, ``!=``, ``=~`` or ``!~``."""

    label: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op in ("=", "!="):
            return (actual == self.value) == (self.op == "=")
        try:
            hit = re.fullmatch(self.value, actual, re.DOTALL) is not None
        except re.error as exc:
            raise UnreadableRoute(f"regular expression {self.value!r}: {exc}") from None
        return hit == (self.op == "=~")


def parse_matchers(text: str) -> list[Matcher]:
    """``a="b"``, ``a=~b`` or ``{a="b", c!="d"}`` as matchers."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    parts = [p for p in _split(body) if p.strip()]
    out = []
    for part in parts:
        m = _MATCHER.match(part)
        if not m:
            raise UnreadableRoute(f"cannot read the matcher {part.strip()!r}")
        out.append(Matcher(_unquote(m.group(1)), m.group(2), _unquote(m.group(3))))
    return out


def _split(body: str) -> Iterator[str]:
    """Split on commas outside double quotes."""
    start, quoted, escaped = 0, False, False
    for i, ch in enumerate(body):
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            yield body[start:i]
            start = i + 1
    yield body[start:]


def route_matchers(route: Mapping[str, Any]) -> list[Matcher]:
    """Every matcher of a route, from ``matchers``, ``match`` and ``match_re``."""
    out: list[Matcher] = []
    for item in route.get("matchers") or []:
        if not isinstance(item, str):
            raise UnreadableRoute(f"a matcher must be a string, got {item!r}")
        out += parse_matchers(item)
    for label, value in (route.get("match") or {}).items():
        out.append(Matcher(str(label), "=", str(value)))
    for label, value in (route.get("match_re") or {}).items():
        out.append(Matcher(str(label), "=~", str(value)))
    return out


def receivers_for(root: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """The receivers Alertmanager notifies for ``labels`` (in tree order), from the top-level route."""
    return _walk(root, labels, str(root.get("receiver", "")))


def _walk(route: Mapping[str, Any], labels: Mapping[str, str], inherited: str) -> list[str]:
    receiver = str(route.get("receiver") or inherited)
    found: list[str] = []
    for child in route.get("routes") or []:
        if not isinstance(child, Mapping):
            raise UnreadableRoute(f"a route must be a mapping, got {child!r}")
        if all(m.matches(labels) for m in route_matchers(child)):
            found += _walk(child, labels, receiver)
            if not child.get("continue", False):
                break
    return found or [receiver]


def equalities(root: Mapping[str, Any]) -> list[dict[str, str]]:
    """For each route of the tree, the label equalities on its path from the top (its own included).

    Label sets built from them reach deep into a base's tree: ``team="payments"`` under
    ``severity="critical"`` gives ``{severity: critical, team: payments}``.
    """
    out: list[dict[str, str]] = []

    def visit(route: Mapping[str, Any], above: dict[str, str]) -> None:
        for child in route.get("routes") or []:
            if not isinstance(child, Mapping):
                continue
            here = {**above, **{m.label: m.value for m in route_matchers(child) if m.op == "="}}
            if here and here not in out:
                out.append(here)
            visit(child, here)

    visit(root, {})
    return out
