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

from slo.model.durations import Duration
from slo.model.errors import DefinitionError, Problem
from slo.model.selectors import Selector

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
    """A requested field the target Prometheus does not have (``field``: the setting at fault, if known)."""

    field: str = ""


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


# Labels every generated rule already sets: a group label of the same name would be silently overridden.
RESERVED_GROUP_LABELS = frozenset({"service", "slo", "severity", "tier", "slo_tier", "alertname"})
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
GROUP_KEYS = ("labels", "limit", "query_offset")


@dataclass(frozen=True)
class GroupSettings:
    """``[tool.slo.rule_groups]``: fields added to every generated rule group.

    ``query_offset`` delays every evaluation (data arriving late by remote write or federation is then
    complete when read); ``labels`` are added to every rule's output (a rule's own label wins);
    ``limit`` caps the series or alerts each rule of a group may produce (0: none).
    """

    labels: tuple[tuple[str, str], ...] = ()
    limit: int | None = None
    query_offset: Duration | None = None

    @property
    def empty(self) -> bool:
        return not self.labels and self.limit is None and self.query_offset is None

    def check(self, target: PrometheusTarget) -> None:
        """Raise :class:`CompatError` (its ``field`` set) for a field the target Prometheus lacks."""
        for name, since, value in (
            ("limit", LIMIT_FROM, self.limit),
            ("query_offset", QUERY_OFFSET_FROM, self.query_offset),
        ):
            if value is not None and not target.at_least(since):
                error = _needs(name, since, target)
                error.field = name
                raise error


def group_settings(value: object, target: PrometheusTarget) -> GroupSettings:
    """``[tool.slo.rule_groups]`` read and checked against ``target``; a CompatError with ``field`` set otherwise."""
    if not isinstance(value, Mapping):
        raise _field_error("", "must be a table (labels, limit, query_offset)")
    unknown = sorted(set(value) - set(GROUP_KEYS))
    if unknown:
        raise _field_error(unknown[0], f"unknown key (known: {', '.join(GROUP_KEYS)})")
    labels = value.get("labels", {})
    if not isinstance(labels, Mapping):
        raise _field_error("labels", "must be a table of label names to string values")
    for key, text in labels.items():
        if not isinstance(key, str) or not _LABEL_NAME.match(key) or key.startswith("__"):
            raise _field_error(
                f"labels.{key}", "a label name is letters, digits and '_', not starting with a digit or '__'"
            )
        if key in RESERVED_GROUP_LABELS or key.startswith("sloth_"):
            raise _field_error(f"labels.{key}", "the toolkit sets this label on every rule: choose another name")
        if not isinstance(text, str):
            raise _field_error(f"labels.{key}", f"must be a quoted string, got {text!r}")
    limit = value.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise _field_error("limit", f"must be a whole number, 0 (no limit) or more, got {limit!r}")
    offset = value.get("query_offset")
    if offset is not None:
        try:
            offset = Duration.parse(offset)
        except DefinitionError as exc:
            raise _field_error("query_offset", exc.message) from None
    found = GroupSettings(tuple(sorted(labels.items())), limit, offset)
    found.check(target)
    return found


def _field_error(field: str, message: str) -> CompatError:
    error = CompatError(message)
    error.field = field
    return error


def apply(doc: Mapping[str, Any], target: PrometheusTarget, settings: GroupSettings | None) -> dict[str, Any]:
    """A generated rule file with ``settings`` on every group; a group's own ``limit`` (a per-SLO bound set
    by the rule generator) is kept over the project-wide one."""
    if settings is None or settings.empty:
        return dict(doc)
    groups = [
        group(
            g,
            target,
            labels=dict(settings.labels),
            limit=None if "limit" in g else settings.limit,
            query_offset=None if "query_offset" in g else settings.query_offset,
        )
        for g in doc["groups"]
    ]
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


def grouping_problems(defs: Any, target: PrometheusTarget) -> list[Problem]:
    """Grouped SLOs (``group_by``), refused before Prometheus 2.31: their cardinality bound is the rule-group
    ``limit``, and rules without it would record any number of groups unbounded."""
    if target.at_least(LIMIT_FROM):
        return []
    since = f"{LIMIT_FROM[0]}.{LIMIT_FROM[1]}"
    return [
        Problem(
            defs.origin(service.name),
            None,
            f"{service.name}/{slo.name}",
            f"group_by needs Prometheus {since} or later (its max_groups bound is the rule-group limit); "
            f'prometheus_version is {target}: set [tool.slo] prometheus_version = "{since}" or later, '
            "or remove group_by",
        )
        for service in defs.services
        for slo in service.slos
        if getattr(slo, "group_by", ())
    ]
