"""Deterministic YAML rendering for generated files (block style, literal multi-line strings)."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line strings as ``|`` blocks and never emits aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump(document: Any, header: str | None = None) -> str:
    """Render ``document`` with keys in insertion order; ``header`` becomes a leading comment."""
    text = yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True
    )
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text
