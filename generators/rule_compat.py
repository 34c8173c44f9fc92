"""Rule-group fields that depend on the Prometheus version the rules are for.

Prometheus added group fields over time: ``limit`` (2.31), ``query_offset`` (2.53) and group ``labels``
(3.0). An older Prometheus refuses a rule file with a field it does not know (``field labels not found
in type rulefmt.RuleGroup``), so a field is written only where the target has it: group labels fall
back to the same labels on every rule (Prometheus gives a rule's own label precedence either way), and a
field without an equivalent is refused with the version it needs rather than silently dropped.

The target comes from ``[tool.slo] prometheus_version`` (default: the current major, see
:data:`DEFAULT_PROMETHEUS`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from slo.durations import Duration
from slo.errors import Problem
from slo.selectors import Selector

DEFAULT_PROMETHEUS = "3.16"

LIMIT_FROM = (2, 31)
QUERY_OFFSET_FROM = (2, 53)
GROUP_LABELS_FROM = (3, 0)
UTF8_NAMES_FROM = (3, 0)
# Native histograms (and histogram_count/histogram_fraction over them) are stable from 3.8; before, they
# needed --enable-feature=native-histograms and the functions were experimental (2.40 to 3.7).
NATIVE_HISTOGRAMS_FROM = (3, 8)

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$")


class CompatError(ValueError):
    """A requested field the target Prometheus does not have."""


@dataclass(frozen=True, order=True)
class PrometheusTarget:
    """The Prometheus release generated rules must load in (major, minor, patch)."""

    major: int
    minor: int = 0
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> PrometheusTarget:
        """``"3"``, ``"2.42"``, ``"v3.16.0"``; a ValueError saying what is expected otherwise."""
        match = _VERSION.match(str(text).strip())
        if match is None or int(match[1]) < 2:
            raise ValueError(f"{text!r} is not a Prometheus version: expected MAJOR[.MINOR[.PATCH]], 2.0 or later")
        return cls(int(match[1]), int(match[2] or 0), int(match[3] or 0))

    def at_least(self, version: tuple[int, int]) -> bool:
        return (self.major, self.minor) >= version

    @property
    def native_histograms(self) -> bool:
        """Native histograms (exponential and NHCB) and their PromQL functions are stable."""
        return self.at_least(NATIVE_HISTOGRAMS_FROM)

    @property
    def utf8_names(self) -> bool:
        """Quoted UTF-8 metric and label names (``{"http.server.request.duration"}``) parse."""
        return self.at_least(UTF8_NAMES_FROM)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def _needs(field: str, since: tuple[int, int], target: PrometheusTarget) -> CompatError:
    return CompatError(
        f"rule-group field {field!r} needs Prometheus {since[0]}.{since[1]} or later; "
        f"prometheus_version is {target}: remove it or raise [tool.slo] prometheus_version"
    )


def group(
    base: Mapping[str, Any],
    target: PrometheusTarget,
    *,
    labels: Mapping[str, str] | None = None,
    limit: int | None = None,
    query_offset: Duration | None = None,
) -> dict[str, Any]:
    """``base`` (a rule group with ``name``, ``rules`` and maybe ``interval``) with the optional fields the
    target supports, in the order Prometheus documents them; raises :class:`CompatError` otherwise."""
    out: dict[str, Any] = {k: v for k, v in base.items() if k != "rules"}
    rules = [dict(rule) for rule in base["rules"]]
    if limit is not None:
        if not target.at_least(LIMIT_FROM):
            raise _needs("limit", LIMIT_FROM, target)
        if limit < 0:
            raise CompatError(f"rule-group limit must be 0 (no limit) or more, got {limit}")
        out["limit"] = limit
    if query_offset is not None:
        if not target.at_least(QUERY_OFFSET_FROM):
            raise _needs("query_offset", QUERY_OFFSET_FROM, target)
        out["query_offset"] = str(query_offset)
    if labels:
        if target.at_least(GROUP_LABELS_FROM):
            out["labels"] = dict(labels)
        else:  # the 2.x equivalent: every rule carries them, its own values winning
            rules = [{**rule, "labels": {**labels, **rule.get("labels", {})}} for rule in rules]
    out["rules"] = rules
    return out


def rule_file(
    doc: Mapping[str, Any],
    target: PrometheusTarget,
    *,
    labels: Mapping[str, str] | None = None,
    limit: int | None = None,
    query_offset: Duration | None = None,
) -> dict[str, Any]:
    """Every group of a rule file through :func:`group`."""
    groups = [group(g, target, labels=labels, limit=limit, query_offset=query_offset) for g in doc["groups"]]
    return {**doc, "groups": groups}


def _selectors(value: object, depth: int = 0) -> Iterator[Selector]:
    """Every Selector inside a model object (dataclasses, tuples, lists, dicts), however an SLI nests them."""
    if isinstance(value, Selector):
        yield value
    elif depth > 12 or isinstance(value, str | bytes | int | float | bool) or value is None:
        return
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _selectors(getattr(value, f.name), depth + 1)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _selectors(item, depth + 1)
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            yield from _selectors(item, depth + 1)


def name_problems(defs: Any, target: PrometheusTarget) -> list[Problem]:
    """UTF-8 metric or label names in SLIs and threshold alerts, refused for a target before Prometheus 3."""
    if target.utf8_names:
        return []
    problems = []
    for service in defs.services:
        for items in (service.slos, getattr(service, "alerts", ())):
            for item in items:
                quoted = sorted({s.render() for s in _selectors(item) if s.utf8})
                if quoted:
                    problems.append(
                        Problem(
                            defs.origin(service.name),
                            None,
                            f"{service.name}/{item.name}",
                            f"UTF-8 metric or label names ({', '.join(quoted)}) need Prometheus 3.0 or later; "
                            f'prometheus_version is {target}: set [tool.slo] prometheus_version = "3" '
                            "or use the classic names your exporter also exposes",
                        )
                    )
    return problems


def histogram_problems(defs: Any, target: PrometheusTarget) -> list[Problem]:
    """Latency SLIs on native histograms (``histogram_kind`` native or auto), refused before Prometheus 3.8."""
    if target.native_histograms:
        return []
    since = f"{NATIVE_HISTOGRAMS_FROM[0]}.{NATIVE_HISTOGRAMS_FROM[1]}"
    problems = []
    for service in defs.services:
        for slo in service.slos:
            sli = getattr(slo.sli, "inner", slo.sli)
            kind = getattr(sli, "histogram_kind", "classic")
            if kind != "classic":
                problems.append(
                    Problem(
                        defs.origin(service.name),
                        None,
                        f"{service.name}/{slo.name}",
                        f"histogram_kind {kind!r} reads native histograms, stable from Prometheus {since}; "
                        f'prometheus_version is {target}: set [tool.slo] prometheus_version = "{since}" '
                        "or later, or use histogram_kind classic (x_bucket/x_count series)",
                    )
                )
    return problems
