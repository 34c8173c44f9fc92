"""Write loaded definitions back out as the toolkit's YAML or as OpenSLO v1, so a team migrating from
Sloth, Pyrra or OpenSLO can keep one format. Pure functions model → documents; ``slo convert`` writes.

What a target format cannot express is refused with a :class:`ConvertError` naming the service,
the SLO and the part, never dropped: loading the output gives the same model as the input.
"""

from __future__ import annotations

from slo.model.errors import Problem, SpecError


class ConvertError(SpecError):
    """Part of the model the target format cannot express."""

    def __init__(self, origin: str, where: str, message: str) -> None:
        super().__init__(Problem(origin, None, where, message))


FORMATS = ("toolkit", "openslo")
