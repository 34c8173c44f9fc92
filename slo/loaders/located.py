"""Problems located in a YAML document, unwinding one object while its siblings are still checked.

The OpenSLO and Sloth loaders collect every problem of a file: a failing SLO raises
:class:`Located` with its problems, the caller records them and goes on with the next SLO.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from slo.loaders.yamlsrc import Document
from slo.model.errors import DefinitionError, Problem

T = TypeVar("T")


class Located(Exception):
    """Located problems unwinding one object; empty when the cause was already reported elsewhere."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems


def fail(doc: Document, path: str, message: str) -> Located:
    """One problem at ``path`` of ``doc``, ready to raise."""
    return Located([doc.problem(path, message)])


def call(doc: Document, path: str, build: Callable[[], T]) -> T:
    """Run a model constructor, locating any ``DefinitionError`` at ``path`` in ``doc``."""
    try:
        return build()
    except DefinitionError as exc:
        err = exc.under(path)
        raise Located([doc.problem(err.path, err.message)]) from None
