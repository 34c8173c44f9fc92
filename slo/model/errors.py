"""The toolkit's one error type for bad input.

Every problem a user can cause (a bad spec, an unreadable file, an unknown option) becomes a
``SpecError`` carrying where it happened, so the CLI can print ``file:line: path: message`` and
exit 1 instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located problem in a definition."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(Exception):
    """One or more problems in user input; never raised for bugs in the toolkit itself."""

    def __init__(self, problems: Iterable[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("<input>", None, "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DefinitionError(ValueError):
    """A model invariant was violated; loaders re-raise it as a located ``SpecError``."""

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    def under(self, prefix: str) -> DefinitionError:
        """The same error with ``prefix`` prepended to its path (for nesting)."""
        if not prefix:
            return self
        joined = f"{prefix}.{self.path}" if self.path and not self.path.startswith("[") else prefix + self.path
        return DefinitionError(self.message, joined)
