"""Safe YAML reading that remembers where every value came from.

Specs are parsed with PyYAML's safe composer into plain Python data plus a map from YAML path
(``services[0].slos[2].objective``) to line number, so any later check can point at the line.
Duplicate keys are an error (not last-wins), anchors are bounded (no billion-laughs), and
recursive aliases are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from slo.model.errors import Problem, SpecError

MAX_NODES = 200_000
MAX_BYTES = 10 * 1024 * 1024
_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def join(path: str, key: str | int) -> str:
    """Extend a YAML path: ``a`` + ``b`` → ``a.b``; ``a`` + 0 → ``a[0]``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


@dataclass
class Document:
    """One YAML document: its data and the line of each path within the file."""

    file: str
    data: Any
    lines: dict[str, int] = field(default_factory=dict)

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest parent that exists."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""

    def problem(self, path: str, message: str) -> Problem:
        return Problem(self.file, self.line(path), path, message)


class _Builder:
    """Turns composed nodes into data, checking duplicates and bounding alias expansion."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.lines: dict[str, int] = {}
        self.count = 0

    def fail(self, node: yaml.Node, path: str, message: str) -> SpecError:
        return SpecError(Problem(self.file, node.start_mark.line + 1, path, message))

    def build(self, node: yaml.Node, path: str, active: tuple[int, ...] = ()) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, path, f"document expands to more than {MAX_NODES} values (alias bomb?)")
        if id(node) in active:
            raise self.fail(node, path, "recursive YAML alias")
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            # Collections are built here, not by the constructor, so refuse tags rather than drop them.
            raise self.fail(node, path, f"unsupported YAML tag {node.tag!r}")
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path, (*active, id(node)))
                if not isinstance(key, str | int | float | bool) or key is None:
                    raise self.fail(key_node, path, "mapping keys must be plain scalars")
                if key in out:
                    raise self.fail(key_node, join(path, str(key)), f"duplicate key {key!r}")
                child = join(path, str(key))
                self.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child, (*active, id(node)))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, join(path, i), (*active, id(node))) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise self.fail(node, path, f"cannot read value: {exc}") from None


def _mark_error(file: str, exc: yaml.YAMLError) -> SpecError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark is not None else None
    return SpecError(Problem(file, line, "", f"invalid YAML: {problem}"))


def decode(file: str, raw: bytes) -> str:
    """Bytes to text, refusing what is too large or not UTF-8, with a located message."""
    if len(raw) > MAX_BYTES:
        raise SpecError(Problem(file, None, "", f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB"))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise SpecError(Problem(file, line, "", f"not valid UTF-8: byte 0x{bad} at offset {exc.start}")) from None


def load_documents(file: str, text: str) -> list[Document]:
    """All documents of a YAML stream, each with its line map; empty documents are skipped."""
    try:
        loader = yaml.SafeLoader(text)  # checks the text for characters YAML forbids
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise SpecError(Problem(file, line, "", f"invalid YAML: character {char} is not allowed")) from None
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            builder = _Builder(file, loader)
            data = builder.build(node, "")
            if data is not None:
                docs.append(Document(file, data, builder.lines))
    except yaml.YAMLError as exc:
        raise _mark_error(file, exc) from None
    except RecursionError:
        raise SpecError(Problem(file, None, "", "YAML is nested too deeply")) from None
    finally:
        loader.dispose()
    return docs
