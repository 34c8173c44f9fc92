"""Typed PromQL selectors: the only place label values are quoted.

A selector is a metric name plus label matchers. User input only ever reaches PromQL as a matcher
value rendered by :func:`quote`, so a value such as ``"} or vector(1) #`` stays a harmless string.
:func:`parse_selector` reads the plain ``metric{label="value"}`` form that OpenSLO and Sloth specs
carry, so those specs become the same typed model as the DSL.

UTF-8 names (OpenTelemetry's ``http.server.request.duration``, ``{"http.route"="/x"}``) are PromQL 3 syntax:
they must be written quoted, as Prometheus 3 itself requires, and a selector that uses one is ``quoted``.
Prometheus 2.x cannot read them; generation for a 2.x target refuses them (generators/rule_compat.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from slo.model.errors import DefinitionError

METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
OPERATORS = ("=", "!=", "=~", "!~")


_QUOTE_HINT = ' (a UTF-8 name needs Prometheus 3 and quotes: {"http.server.request.duration"})'


def _utf8(name: str) -> bool:
    """A name Prometheus 3 accepts quoted: non-empty, valid UTF-8 (no lone surrogates), no NUL."""
    if not name or "\x00" in name:
        return False
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _written_quoted(name: object) -> bool:
    return isinstance(name, str) and len(name) > 2 and name[0] == name[-1] == '"'


def _escape_char(ch: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == '"':
        return '\\"'
    if ch == "\n":
        return "\\n"
    # Control, format and separator characters as Go escapes: YAML (and Python's splitlines) read some,
    # such as NEL (U+0085) or U+2028, as line breaks inside a rule file's multi-line expression.
    if ch.isprintable() and ch not in "\x85\u2028\u2029":
        return ch
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def quote(value: str) -> str:
    """Render ``value`` as a PromQL double-quoted string literal (non-printable characters escaped)."""
    return '"' + "".join(_escape_char(ch) for ch in value) + '"'


@dataclass(frozen=True)
class Matcher:
    """``label op "value"``; regex values are anchored by Prometheus itself."""

    label: str
    op: str
    value: str
    quoted: bool = False  # the name was written quoted: any UTF-8 name is allowed (Prometheus 3)

    def __post_init__(self) -> None:
        if _written_quoted(self.label):  # '"http.route"': the DSL's way to give a UTF-8 name
            object.__setattr__(self, "label", _unquote(self.label))
            object.__setattr__(self, "quoted", True)
        if not isinstance(self.label, str) or not (LABEL_NAME.match(self.label) or (self.quoted and _utf8(self.label))):
            raise DefinitionError(f"{self.label!r} is not a valid Prometheus label name{_QUOTE_HINT}")
        if self.label.startswith("__") and self.label != "__name__":
            raise DefinitionError(f"label name {self.label!r} is reserved by Prometheus")
        if self.op not in OPERATORS:
            raise DefinitionError(f"unknown matcher operator {self.op!r} (use one of {', '.join(OPERATORS)})")
        if not isinstance(self.value, str):
            raise DefinitionError(f"label {self.label!r}: value must be a string, got {self.value!r}")
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise DefinitionError(f"label {self.label!r}: invalid regular expression: {exc}") from None

    @property
    def utf8(self) -> bool:
        """The name is outside the classic ``[a-zA-Z_][a-zA-Z0-9_]*`` set."""
        return not LABEL_NAME.match(self.label)

    def render(self) -> str:
        name = quote(self.label) if self.utf8 else self.label
        return f"{name}{self.op}{quote(self.value)}"


@dataclass(frozen=True)
class Regex:
    """Marks a label value in the DSL as a regular expression (``=~``), or a negated one (``!~``)."""

    pattern: str
    negate: bool = False


@dataclass(frozen=True)
class Not:
    """Marks a label value in the DSL as a negative equality (``!=``)."""

    value: str


LabelValue = str | Regex | Not


def matchers_from(labels: Mapping[str, LabelValue] | None) -> tuple[Matcher, ...]:
    """Build sorted matchers from a ``{label: value}`` mapping (``Regex``/``Not`` for other operators)."""
    out = []
    for label, value in (labels or {}).items():
        if isinstance(value, Regex):
            out.append(Matcher(label, "!~" if value.negate else "=~", value.pattern))
        elif isinstance(value, Not):
            out.append(Matcher(label, "!=", value.value))
        else:
            out.append(Matcher(label, "=", value))
    return normalise(out)


def normalise(matchers: list[Matcher] | tuple[Matcher, ...]) -> tuple[Matcher, ...]:
    """Sort matchers so equal selectors compare and render equal; reject duplicates."""
    seen: set[tuple[str, str]] = set()
    for m in matchers:
        if (m.label, m.op) in seen:
            raise DefinitionError(f"label {m.label!r} is matched twice with {m.op!r}")
        seen.add((m.label, m.op))
    return tuple(sorted(matchers, key=lambda m: (m.label, m.op, m.value)))


@dataclass(frozen=True)
class Selector:
    """A metric name and label matchers, e.g. ``http_requests_total{job="api"}``."""

    metric: str
    matchers: tuple[Matcher, ...] = ()
    quoted: bool = False  # the metric name was written quoted: any UTF-8 name is allowed (Prometheus 3)

    def __post_init__(self) -> None:
        if _written_quoted(self.metric):  # '"http.server.request.duration"' in the DSL or a YAML spec
            object.__setattr__(self, "metric", _unquote(self.metric))
            object.__setattr__(self, "quoted", True)
        if not isinstance(self.metric, str) or not (
            METRIC_NAME.match(self.metric) or (self.quoted and _utf8(self.metric))
        ):
            raise DefinitionError(f"{self.metric!r} is not a valid Prometheus metric name{_QUOTE_HINT}")
        object.__setattr__(self, "matchers", normalise(tuple(self.matchers)))

    @property
    def utf8(self) -> bool:
        """The metric or a label name needs Prometheus 3's quoted form."""
        return not METRIC_NAME.match(self.metric) or any(m.utf8 for m in self.matchers)

    def render(self) -> str:
        if not METRIC_NAME.match(self.metric):  # PromQL 3: the quoted name goes first inside the braces
            return "{" + ",".join((quote(self.metric), *(m.render() for m in self.matchers))) + "}"
        if not self.matchers:
            return self.metric
        return self.metric + "{" + ",".join(m.render() for m in self.matchers) + "}"

    def with_metric(self, metric: str) -> Selector:
        return Selector(metric, self.matchers, self.quoted)

    def with_matchers(self, *extra: Matcher) -> Selector:
        return Selector(self.metric, (*self.matchers, *extra), self.quoted)

    def __str__(self) -> str:
        return self.render()


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)
      | (?P<op>=~|!~|!=|=)
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
      | (?P<punct>[{},])
    )""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def _unquote(token: str) -> str:
    if token[0] == "`":
        return token[1:-1]
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        width = {"u": 4, "U": 8}.get(body[i + 1], 0) if ch == "\\" and i + 1 < len(body) else 0
        digits = body[i + 2 : i + 2 + width]
        if width and len(digits) == width and all(c in "0123456789abcdefABCDEF" for c in digits):
            out.append(chr(int(digits, 16)))
            i += 2 + width
        elif ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _tokens(text: str) -> list[tuple[str, str]]:
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise DefinitionError(f"cannot read {text[pos : pos + 20]!r} in selector {text!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def parse_selector(text: str) -> Selector:
    """Parse a plain instant-vector selector such as ``m{a="b",c=~"d.*"}``; anything else raises."""
    if not isinstance(text, str):
        raise DefinitionError(f"expected a PromQL selector string, got {text!r}")
    toks = _tokens(text.strip())
    metric: str | None = None
    i = 0
    if toks and toks[0][0] == "name":
        metric = toks[0][1]
        i = 1
    matchers: list[Matcher] = []
    quoted = False
    if i < len(toks):
        if toks[i] != ("punct", "{"):
            raise DefinitionError(f"{text!r} is not a plain metric selector")
        i += 1
        if (
            metric is None
            and i < len(toks)
            and toks[i][0] == "str"
            and (toks[i + 1 : i + 2] or [("", "")])[0][0] != "op"
        ):
            metric, quoted = _unquote(toks[i][1]), True  # {"http.server.request.duration", ...}
            i += 1
            if i < len(toks) and toks[i] == ("punct", ","):
                i += 1
        while i < len(toks) and toks[i] != ("punct", "}"):
            try:
                (k1, label), (k2, op), (k3, value) = toks[i : i + 3]
            except ValueError:
                raise DefinitionError(f"{text!r}: incomplete label matcher") from None
            if k1 not in ("name", "str") or k2 != "op" or k3 != "str":
                raise DefinitionError(f'{text!r}: expected label="value" inside braces')
            name = _unquote(label) if k1 == "str" else label
            matchers.append(Matcher(name, op, _unquote(value), quoted=k1 == "str"))
            i += 3
            if i < len(toks) and toks[i] == ("punct", ","):
                i += 1
        if i >= len(toks):
            raise DefinitionError(f"{text!r}: missing closing brace")
        i += 1
    if i != len(toks):
        raise DefinitionError(f"{text!r} is not a plain metric selector")
    if metric is None:
        names = [m for m in matchers if m.label == "__name__" and m.op == "="]
        if not names:
            raise DefinitionError(f"{text!r} has no metric name")
        metric = names[0].value
        matchers = [m for m in matchers if m is not names[0]]
        quoted = not METRIC_NAME.match(metric)  # {__name__="a.b"} names a UTF-8 metric explicitly
    return Selector(metric, tuple(matchers), quoted or any(m.quoted for m in matchers))
