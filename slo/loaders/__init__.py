"""Read SLO definitions from files and directories, recognising each format by its content.

``.py`` files are Python definitions; YAML documents are the toolkit's own format
(``apiVersion: slo-toolkit/v1``), OpenSLO (``apiVersion: openslo/v1``) or Sloth
(``version: prometheus/v1``). OpenSLO documents are resolved together because an SLO may refer
to an SLI or Service defined in another file of the same source set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from slo.errors import Problem, SpecError
from slo.loaders import native, python_src
from slo.loaders.yamlsrc import Document, decode, load_documents
from slo.model import Service
from slo.routing import Routing

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Definitions:
    """Everything loaded from a set of sources, with the file each service came from.

    ``routing`` is the Alertmanager routing (at most one per source set) and ``routing_origin`` the
    file it came from; None when no source defines one (then no Alertmanager config is generated).
    """

    services: tuple[Service, ...]
    origins: tuple[tuple[str, str], ...]
    routing: Routing | None = None
    routing_origin: str | None = None

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
    from slo.loaders import openslo, sloth

    data = doc.data
    if not isinstance(data, dict):
        raise SpecError(doc.problem("", f"expected a mapping at the top level, got {type(data).__name__}"))
    if openslo.recognises(data):
        return "openslo"
    if sloth.recognises(data):
        return "sloth"
    if native.recognises(data):
        return "native"
    raise SpecError(
        doc.problem(
            "",
            "not a recognised SLO definition: expected 'apiVersion: slo-toolkit/v1', "
            "'apiVersion: openslo/v1' or Sloth 'version: prometheus/v1'",
        )
    )


def load(sources: Iterable[str | Path]) -> Definitions:
    """Load every source; collect all problems from all files before failing."""
    from slo.loaders import openslo, sloth

    problems: list[Problem] = []
    loaded: list[tuple[Service, str]] = []
    routings: list[tuple[Routing, str]] = []
    openslo_docs: list[Document] = []
    try:
        files = expand(sources)
    except SpecError as exc:
        raise exc from None
    for path in files:
        shown = str(path)
        try:
            if path.suffix == ".py":
                services, routing = python_src.load_all(path)
                loaded.extend((s, shown) for s in services)
                if routing is not None:
                    routings.append((routing, shown))
                continue
            text = decode(shown, path.read_bytes())
            docs = load_documents(shown, text)
            if not docs:
                raise SpecError(Problem(shown, None, "", "the file holds no YAML document"))
            for doc in docs:
                try:
                    kind = _classify(doc)
                    if kind == "openslo":
                        openslo_docs.append(doc)
                    elif kind == "sloth":
                        loaded.extend((s, shown) for s in sloth.load(doc))
                    else:
                        _native(doc, shown, loaded, routings, problems)
                except SpecError as exc:
                    problems.extend(exc.problems)
        except SpecError as exc:
            problems.extend(exc.problems)
        except OSError as exc:
            problems.append(Problem(shown, None, "", f"cannot read: {exc.strerror or exc}"))
    if openslo_docs:
        try:
            loaded.extend(openslo.load(openslo_docs))
        except SpecError as exc:
            problems.extend(exc.problems)
    seen: dict[str, str] = {}
    for service, origin in loaded:
        if service.name in seen:
            problems.append(
                Problem(origin, None, "", f"service {service.name!r} is already defined in {seen[service.name]}")
            )
        seen.setdefault(service.name, origin)
    for _, origin in routings[1:]:
        problems.append(
            Problem(origin, None, "routing", f"routing is already defined in {routings[0][1]}: define it once")
        )
    if problems:
        raise SpecError(list(dict.fromkeys(problems)))
    routing, routing_origin = routings[0] if routings else (None, None)
    return Definitions(tuple(s for s, _ in loaded), tuple((s.name, o) for s, o in loaded), routing, routing_origin)


def _native(
    doc: Document,
    shown: str,
    loaded: list[tuple[Service, str]],
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
            loaded.extend((s, shown) for s in native.load(doc))
        except SpecError as exc:
            problems.extend(exc.problems)
