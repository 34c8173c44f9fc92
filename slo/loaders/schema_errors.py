"""JSON Schema validation with messages a person can act on, located by YAML path and line."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from slo.loaders.yamlsrc import Document, join
from slo.model.errors import Problem


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``slo/schema``."""
    return json.loads(resources.files("slo.schema").joinpath(name).read_text(encoding="utf-8"))


def _path(error: ValidationError, base: str) -> str:
    path = base
    for part in error.absolute_path:
        path = join(path, part)
    return path


def _describe(error: ValidationError) -> str:
    v, value, expected = error.validator, error.instance, error.validator_value
    if v == "type":
        return f"must be of type {expected}, got {value!r}"
    if v == "exclusiveMaximum":
        return f"must be < {expected}, got {value!r}"
    if v == "exclusiveMinimum":
        return f"must be > {expected}, got {value!r}"
    if v == "maximum":
        return f"must be <= {expected}, got {value!r}"
    if v == "minimum":
        return f"must be >= {expected}, got {value!r}"
    if v == "required":
        missing = [k for k in expected if k not in value]
        return f"missing required key {', '.join(repr(k) for k in missing)}"
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed), key=str)
        return f"unknown key {', '.join(repr(k) for k in extra)} (allowed: {', '.join(allowed)})"
    if v == "enum":
        return f"must be one of {', '.join(repr(x) for x in expected)}, got {value!r}"
    if v == "const":
        return f"must be {expected!r}, got {value!r}"
    if v == "pattern":
        key = "key " if "propertyNames" in error.schema_path else ""
        return f"{key}{value!r} does not match the required form {expected}"
    if v == "minItems":
        return "must not be empty"
    if v in ("minProperties", "maxProperties"):
        return f"must have {'at least' if v == 'minProperties' else 'at most'} {expected} key(s)"
    if v == "minLength":
        return "must not be empty"
    if v == "propertyNames":
        return f"invalid key: {error.message}"
    if v in ("oneOf", "anyOf") and error.context:
        return _describe(_deepest(error))
    return error.message


def _deepest(error: ValidationError) -> ValidationError:
    """The most specific failure among a oneOf/anyOf's branches; on a tie, not a bare type mismatch.

    For ``{matches: "5.."}`` against "a string, or an object with equals/not/regex/not_regex", the
    useful message is the unknown key, not that the value is not a string.
    """
    return max(error.context or [error], key=lambda e: (len(e.absolute_path), e.validator != "type"))


def validate(doc: Document, schema_name: str, data: Any = None, base: str = "") -> list[Problem]:
    """All schema violations of ``data`` (default: the whole document), sorted by line."""
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    problems = []
    for error in validator.iter_errors(doc.data if data is None else data):
        # Descend into oneOf branches so messages name the deepest failing key.
        target = error
        if error.validator in ("oneOf", "anyOf") and error.context:
            deepest = _deepest(error)
            if len(deepest.absolute_path) > len(error.absolute_path):
                # A branch error's absolute_path already includes the parent's path.
                problems.append(doc.problem(_path(deepest, base), _describe(deepest)))
                continue
        path = _path(error, base)
        problems.append(doc.problem(path, _describe(target)))
    return sorted(set(problems), key=lambda p: (p.line or 0, p.path, p.message))


def split_unknown(problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """``(unknown-key problems, the rest)``: a loader can still read a document whose only schema
    problems are unknown keys (it ignores them), so its semantic checks report every defect at once."""
    unknown = [p for p in problems if p.message.startswith("unknown key ")]
    return unknown, [p for p in problems if not p.message.startswith("unknown key ")]
