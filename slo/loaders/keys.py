"""Mapping keys must be strings in OpenSLO and Sloth specs.

YAML allows ``1: x`` or ``true: x``; JSON Schema and the model only know string keys, so such keys
are reported at their own line before validation instead of surfacing as a ``TypeError``.
"""

from __future__ import annotations

from typing import Any

from slo.loaders.yamlsrc import Document, join
from slo.model.errors import Problem


def non_string_keys(doc: Document) -> list[Problem]:
    """Every mapping key in ``doc`` that is not a string, located by YAML path."""
    problems: list[Problem] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                where = join(path, str(key))
                if not isinstance(key, str):
                    problems.append(doc.problem(where, f"keys must be strings, got {key!r} (quote it)"))
                walk(child, where)
        elif isinstance(value, list):
            for i, child in enumerate(value):
                walk(child, join(path, i))

    walk(doc.data, "")
    return problems
