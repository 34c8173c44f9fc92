"""Plain values of the model checked once: names, objectives, fractions and label sets.

Kept apart so the threshold-alert model (:mod:`slo.model.thresholds`) and the SLO model
(:mod:`slo.model.service`, :mod:`slo.model.sli`) share them without importing each other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from slo.model.errors import DefinitionError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_name(kind: str, name: object) -> str:
    """Service and SLO names end up in file names, label values and rule names: keep them tame."""
    if not isinstance(name, str) or not NAME.match(name):
        raise DefinitionError(
            f"{kind} name {name!r} must start with a letter or digit and contain only letters, digits, "
            "'.', '_' or '-' (at most 128 characters)"
        )
    return name


def normalise_objective(value: object) -> float:
    """Accept 99.9 (percent) or 0.999 (fraction); reject what is out of range or ambiguous."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DefinitionError(f"must be a number such as 99.9 or 0.999, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise DefinitionError(f"must be a finite number, got {value!r}")
    if v <= 0:
        raise DefinitionError(f"must be > 0, got {value!r}")
    if v >= 100:
        raise DefinitionError(f"must be < 100 (a 100% objective leaves no error budget), got {value!r}")
    if v == 1:
        raise DefinitionError("1 is ambiguous (100% or 1%?): write 0.01 or 1.0 percent as 0.01")
    fraction = v if v < 1 else v / 100
    return round(fraction, 10)


def normalise_fraction(value: object, what: str) -> float:
    """A ratio in (0, 1], e.g. a time-slice target; percent form accepted as for objectives."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(float(value)):
        raise DefinitionError(f"{what} must be a finite number, got {value!r}")
    v = float(value)
    if v in (1, 100):  # every event in the slice good: 1.0 or 100 (%)
        return 1.0
    if not 0 < v < 100:
        raise DefinitionError(f"{what} must be a fraction in (0, 1] or a percentage in (0, 100], got {value!r}")
    return normalise_objective(v)


def freeze_labels(labels: Mapping[str, str] | None, what: str = "labels") -> tuple[tuple[str, str], ...]:
    """Labels as a sorted tuple of pairs: hashable, comparable, deterministic to render."""
    out = []
    for key, value in (labels or {}).items():
        if not isinstance(key, str) or not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*$", key) or key.startswith("__"):
            raise DefinitionError(f"{key!r} is not a valid Prometheus label name", what)
        if not isinstance(value, str):
            raise DefinitionError(f"label {key!r} must be a string, got {value!r}", what)
        out.append((key, value))
    return tuple(sorted(out))
