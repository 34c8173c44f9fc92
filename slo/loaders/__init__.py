"""Read SLO definitions from files and directories, recognising each format by its content.

``.py`` files are Python definitions; YAML documents are the toolkit's own format
(``apiVersion: slo-toolkit/v1``), OpenSLO (``apiVersion: openslo/v1``) or Sloth
(``version: prometheus/v1``). OpenSLO documents are resolved together because an SLO may refer
to an SLI or Service defined in another file of the same source set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slo.loaders import native, python_src
from slo.loaders.yamlsrc import Document, decode, load_documents
from slo.model.errors import Problem, SpecError
from slo.model.routing import Routing
from slo.model.service import Service

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Definitions:
    """Everything loaded from a set of sources, with the file each service came from.

    ``routing`` is the Alertmanager routing (at most one per source set) and ``routing_origin`` the
    file it came from; None when no source defines one (then no Alertmanager config is generated).
    ``warnings`` are things a loader ignored on purpose (e.g. OpenSLO alert objects), located.
    """

    services: tuple[Service, ...]
    origins: tuple[tuple[str, str], ...]
    routing: Routing | None = None
    routing_origin: str | None = None
    warnings: tuple[Problem, ...] = ()

    def origin(self, service: str) -> str:
        return dict(self.origins).get(service, "<unknown>")


def expand(sources: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus ``*.py``/``*.yaml``/``*.yml`` under directories (sorted, recursive)."""
    files: list[Path] = []
    missing: list[Problem] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and (p.suffix in YAML_SUFFIXES or p.suffix == ".py")
                and not any(part.startswith((".", "__")) for part in p.relative_to(path).parts)
            )
            if not found:
                missing.append(Problem(str(path), None, "", "directory holds no .py, .yaml or .yml files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            missing.append(Problem(str(path), None, "", "no such file or directory"))
    if missing:
        raise SpecError(missing)
    return files


def _classify(doc: Document) -> str:
    from slo.loaders import openslo, pyrra, sloth

    data = doc.data
    if not isinstance(data, dict):
        raise SpecError(doc.problem("", f"expected a mapping at the top level, got {type(data).__name__}"))
    if openslo.recognises(data):
        return "openslo"
    if sloth.is_windows(data):
        return "sloth-windows"
    if sloth.recognises(data):
        return "sloth"
    if pyrra.recognises(data):
        return "pyrra"
    if native.recognises(data):
        return "native"
    raise SpecError(
        doc.problem(
            "",
            "not a recognised SLO definition: expected 'apiVersion: slo-toolkit/v1', OpenSLO "
            "'apiVersion: openslo/v1' (or v1alpha, v2alpha), Sloth 'version: prometheus/v1' or "
            "'apiVersion: sloth.slok.dev/v1', or Pyrra 'apiVersion: pyrra.dev/v1alpha1'",
        )
    )


def _split(doc: Document) -> list[Document]:
    """A document holding a list of objects (OpenSLO allows it; Kubernetes ``kind: List``) → one per object."""
    data, prefix = doc.data, ""
    if isinstance(data, dict) and data.get("kind") == "List" and isinstance(data.get("items"), list):
        data, prefix = data["items"], "items"
    if not isinstance(data, list) or not data or not all(isinstance(i, dict) and "kind" in i for i in data):
        return [doc]
    out = []
    for i, item in enumerate(data):
        head = f"{prefix}[{i}]"
        lines = {}
        for path, line in doc.lines.items():
            if path == head:
                lines[""] = line
            elif path.startswith(head + ".") or path.startswith(head + "["):
                lines[path[len(head) :].lstrip(".")] = line
        out.append(_Shifted(doc.file, item, lines, head))
    return out


class _Shifted(Document):
    """One object of a list document: paths in messages keep the list index (``[2].spec.service``)."""

    def __init__(self, file: str, data: object, lines: dict[str, int], head: str) -> None:
        super().__init__(file, data, lines)
        self.head = head

    def problem(self, path: str, message: str) -> Problem:
        shown = f"{self.head}.{path}" if path and not path.startswith("[") else self.head + path
        return Problem(self.file, self.line(path), shown, message)


@dataclass
class _Loaded:
    """A service with its file, whether it may merge with a same-named one, and where its SLOs are."""

    service: Service
    origin: str
    mergeable: bool = False
    where: dict[str, str] = field(default_factory=dict)


def load(sources: Iterable[str | Path], default_period: str | None = None) -> Definitions:
    """Load every source; collect all problems from all files before failing.

    ``default_period`` is the SLO period of formats without one of their own (Sloth's specs; the
    ``[tool.slo] default_period`` setting), 30d when not given. Services of the same name from
    Sloth or Pyrra specs are merged, as Sloth does; an SLO name defined twice is refused with both
    locations.
    """
    from slo.loaders import openslo, pyrra, sloth

    problems: list[Problem] = []
    warnings: list[Problem] = []
    loaded: list[_Loaded] = []
    routings: list[tuple[Routing, str]] = []
    openslo_docs: list[Document] = []
    sloth_docs: list[Document] = []
    windows: list[sloth.Windows] = []
    files = expand(sources)
    for path in files:
        shown = str(path)
        try:
            if path.suffix == ".py":
                services, routing = python_src.load_all(path)
                loaded.extend(_Loaded(s, shown) for s in services)
                if routing is not None:
                    routings.append((routing, shown))
                continue
            text = decode(shown, path.read_bytes())
            docs = [part for doc in load_documents(shown, text) for part in _split(doc)]
            if not docs:
                raise SpecError(Problem(shown, None, "", "the file holds no YAML document"))
            for doc in docs:
                try:
                    kind = _classify(doc)
                    if kind == "openslo":
                        openslo_docs.append(doc)
                    elif kind == "sloth":
                        sloth_docs.append(doc)
                    elif kind == "sloth-windows":
                        windows.append(sloth.load_windows(doc))
                    elif kind == "pyrra":
                        for service, where in pyrra.load(doc, warnings):
                            loaded.append(_Loaded(service, shown, True, where))
                    else:
                        _native(doc, shown, loaded, routings, problems)
                except SpecError as exc:
                    problems.extend(exc.problems)
        except SpecError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(shown, None, "", f"cannot read: {exc.strerror or exc}"))
    period = default_period or sloth.PERIOD
    chosen = _windows(windows, period, problems)
    for doc in sloth_docs:
        try:
            lines = sloth.slo_lines(doc) if isinstance(doc.data, dict) else {}
            for service in sloth.load(doc, period, chosen):
                where = {name: f"{doc.file}:{line}" for name, line in lines.items()}
                loaded.append(_Loaded(service, doc.file, True, where))
        except SpecError as exc:
            problems.extend(exc.problems)
    if openslo_docs:
        try:
            loaded.extend(_Loaded(s, o) for s, o in openslo.load(openslo_docs, warnings))
        except SpecError as exc:
            problems.extend(exc.problems)
    services = _merge(loaded, problems)
    for _, origin in routings[1:]:
        problems.append(
            Problem(origin, None, "routing", f"routing is already defined in {routings[0][1]}: define it once")
        )
    if not problems and not services and not routings and files:
        shown = ", ".join(str(f) for f in files[:5]) + (" …" if len(files) > 5 else "")
        problems.append(
            Problem(
                shown,
                None,
                "",
                "no SLO found: these sources hold only supporting documents (e.g. an OpenSLO DataSource or "
                "AlertPolicy, a Sloth AlertWindows); add the files that define the SLOs",
            )
        )
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))
    routing, routing_origin = routings[0] if routings else (None, None)
    return Definitions(
        tuple(item.service for item in services),
        tuple((item.service.name, item.origin) for item in services),
        routing,
        routing_origin,
        tuple(dict.fromkeys(warnings)),
    )


def _windows(found: list[Any], period: str, problems: list[Problem]) -> Any:
    """The Sloth ``AlertWindows`` for the SLO period, if the sources hold one (one per period)."""
    from slo.model.durations import Duration
    from slo.model.errors import DefinitionError

    try:
        wanted = Duration.parse(period)
    except DefinitionError:
        return None
    chosen = None
    for w in found:
        if w.period != wanted:
            continue
        if chosen is not None:
            problems.append(
                Problem(
                    w.file,
                    w.line,
                    "spec.sloPeriod",
                    f"alert windows for {wanted} are already defined at {chosen.where}",
                )
            )
            continue
        chosen = w
    return chosen


def _merge(loaded: list[_Loaded], problems: list[Problem]) -> list[_Loaded]:
    """One entry per service name: same-named Sloth/Pyrra services merge; any other repeat is refused."""
    out: dict[str, _Loaded] = {}
    for item in loaded:
        name = item.service.name
        first = out.get(name)
        if first is None:
            out[name] = item
            continue
        if not (first.mergeable and item.mergeable):
            problems.append(Problem(item.origin, None, "", f"service {name!r} is already defined in {first.origin}"))
            continue
        merged = _merged(first, item, problems)
        if merged is not None:
            out[name] = merged
    return list(out.values())


def _merged(first: _Loaded, item: _Loaded, problems: list[Problem]) -> _Loaded | None:
    import dataclasses

    from slo.model.errors import DefinitionError

    a, b = first.service, item.service
    clashes = False
    for slo in b.slos:
        if any(s.name == slo.name for s in a.slos):
            here = item.where.get(slo.name, item.origin)
            there = first.where.get(slo.name, first.origin)
            file, _, line = here.rpartition(":")
            problems.append(
                Problem(
                    file if line.isdigit() else here,
                    int(line) if line.isdigit() else None,
                    "",
                    f"duplicate SLO name {slo.name!r} in service {a.name!r}: also defined at {there}",
                )
            )
            clashes = True
    if clashes:
        return None
    # Labels (and a team) both specs share stay on the service; the rest move onto each spec's own
    # SLOs, so every series keeps exactly the labels its spec gives it.
    la, lb = dict(a.labels), dict(b.labels)
    common = {k: v for k, v in la.items() if lb.get(k) == v}
    same_team = a.team == b.team

    def own(service: Service) -> tuple[Any, ...]:
        extra = {k: v for k, v in service.labels if k not in common}
        if service.team and not same_team:
            extra.setdefault("team", service.team)
        return tuple(dataclasses.replace(s, labels={**extra, **dict(s.labels)}) for s in service.slos)

    try:
        service = dataclasses.replace(
            a,
            slos=own(a) + own(b),
            labels=common,
            team=a.team if same_team else None,
            owner=a.owner if a.owner == b.owner else None,
            description=a.description or b.description,
        )
    except DefinitionError as exc:
        problems.append(
            Problem(
                item.origin,
                None,
                "",
                f"service {a.name!r} is also defined in {first.origin}, and the labels of the two cannot be "
                f"merged: {exc.message}",
            )
        )
        return None
    return _Loaded(service, first.origin, True, {**first.where, **item.where})


def _native(
    doc: Document,
    shown: str,
    loaded: list[_Loaded],
    routings: list[tuple[Routing, str]],
    problems: list[Problem],
) -> None:
    """A toolkit YAML document: its services and its optional ``routing:`` block, all problems at once."""
    try:
        routing = native.load_routing(doc)
        if routing is not None:
            routings.append((routing, shown))
    except SpecError as exc:
        problems.extend(exc.problems)
    if "services" in doc.data or "routing" not in doc.data:
        try:
            loaded.extend(_Loaded(s, shown) for s in native.load(doc))
        except SpecError as exc:
            problems.extend(exc.problems)
