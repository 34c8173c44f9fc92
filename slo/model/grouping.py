"""Grouped SLOs: which labels an SLO may be grouped by (``group_by``) and how many groups it may have.

A grouped SLO has one SLI and error budget per value of its grouping labels (Pyrra's ``grouping``). The
labels the toolkit writes itself (and ``le``, which a histogram's buckets use) cannot be grouping labels,
nor can the SLO's own static labels, which would overwrite every group's value.
"""

from __future__ import annotations

import re

from slo.model.errors import DefinitionError

# How many groups a grouped SLO may have before its rule groups fail (Prometheus' rule-group ``limit``).
DEFAULT_MAX_GROUPS = 100
# Labels a grouped SLO cannot group by: the toolkit's own (tier and slo_tier are slo.model.TIER_LABEL and
# RENAMED_TIER_LABEL), and ``le`` (the histogram's buckets).
GROUP_RESERVED_LABELS = frozenset(
    {"service", "slo", "severity", "tier", "slo_tier", "long_window", "short_window", "le", "slo_part"}
)


def slo_grouping(by: object, labels: tuple[tuple[str, str], ...] = (), *, opaque: bool = False) -> tuple[str, ...]:
    """An SLO's ``group_by``: valid label names, none the toolkit sets, none of the SLO's own labels."""
    if by is None:
        return ()
    if isinstance(by, str) or not isinstance(by, list | tuple):
        raise DefinitionError(f"must be a list of label names, got {by!r}", "group_by")
    out: list[str] = []
    for label in by:
        if not isinstance(label, str) or not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", label) or label.startswith("__"):
            raise DefinitionError(f"{label!r} is not a valid Prometheus label name", "group_by")
        if label in GROUP_RESERVED_LABELS:
            raise DefinitionError(f"{label!r} is set by the toolkit and cannot be a grouping label", "group_by")
        if label in dict(labels):
            raise DefinitionError(
                f"{label!r} is also one of the SLO's labels: the SLO label would overwrite every group's value",
                "group_by",
            )
        if label in out:
            raise DefinitionError(f"label {label!r} is listed twice", "group_by")
        out.append(label)
    if out and opaque:
        raise DefinitionError(
            "a raw error-ratio expression is opaque and cannot be grouped by the toolkit: write 'sum by (...)' "
            "into the expression itself",
            "group_by",
        )
    return tuple(out)
