"""The package layout keeps DESIGN.md's data flow visible and acyclic, and the README's Python still runs.

- ``slo/`` holds packages named after what lives in them (model, dsl, loaders, promql, report, ...) and only
  the few top-level modules listed here: a new module goes into the package of its job.
- No import cycle among the modules of ``slo`` and ``generators`` (imports run when a module is loaded; an
  import inside a function runs later and cannot make a cycle at load time).
- Every ``python`` code block of the README executes (in order, sharing names, as a reader would paste them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import slo
from slo.model.service import SLO, Service

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL_MODULES = {"__init__.py", "cli.py", "explain.py"}
PACKAGES = {
    "backtest",
    "commands",
    "convert",
    "dsl",
    "live_check",
    "loaders",
    "local",
    "model",
    "project",
    "promql",
    "report",
    "schema",
    "tools",
}


def test_top_level_of_slo_says_what_lives_in_it() -> None:
    entries = {p.name for p in (ROOT / "slo").iterdir() if p.name != "__pycache__"}
    modules = {e for e in entries if e.endswith(".py")}
    packages = {e for e in entries if (ROOT / "slo" / e / "__init__.py").is_file()}
    assert modules == TOP_LEVEL_MODULES, f"top-level modules of slo/ changed: {sorted(modules ^ TOP_LEVEL_MODULES)}"
    assert packages == PACKAGES, f"packages of slo/ changed: {sorted(packages ^ PACKAGES)}"
    for package in packages:
        doc = ast.get_docstring(ast.parse((ROOT / "slo" / package / "__init__.py").read_text(encoding="utf-8")))
        assert doc, f"slo/{package}/__init__.py has no docstring saying what lives in it"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _load_time_imports(path: Path, known: set[str]) -> set[str]:
    """Project modules imported when ``path`` is loaded (top level and class bodies, not functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.If):
                test = ast.unparse(node.test)
                if "TYPE_CHECKING" not in test:
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
            elif isinstance(node, ast.ClassDef):
                visit(node.body)

    visit(tree.body)
    resolved: set[str] = set()
    for name in found:
        # importing a.b.c loads a and a.b first
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            candidate = ".".join(parts[:i])
            if candidate in known:
                resolved.add(candidate)
    return resolved


def test_no_import_cycle() -> None:
    files = [p for d in ("slo", "generators") for p in (ROOT / d).rglob("*.py")]
    modules = {_module_name(p): p for p in files}
    graph = {name: _load_time_imports(path, set(modules)) - {name} for name, path in modules.items()}
    # A package's __init__ is loaded before its submodules: that edge is not an import of the parent.
    graph = {
        n: {d for d in deps if not n.startswith(d + ".") or d in _explicit(modules[n])} for n, deps in graph.items()
    }

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    assert not cycles, f"import cycles: {cycles}"


def _explicit(path: Path) -> set[str]:
    """Modules a file names in its own import statements (``from slo import promql`` names ``slo.promql``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_public_api_imports() -> None:
    for name in slo.__all__:
        assert getattr(slo, name, None) is not None, f"slo.{name} is documented but missing"


def _readme_python_blocks() -> list[tuple[int, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M):
        blocks.append((text[: match.start()].count("\n") + 1, match.group(1)))
    return blocks


def test_readme_python_samples_run() -> None:
    blocks = _readme_python_blocks()
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    built: list[object] = []
    for line, code in blocks:
        # A sample that elides the SLOs of a service ("...,  # the SLOs") gets those of the tour's service.
        code = code.replace("...,  # the SLOs", "*ai_assistant.slos,")
        before = {k: id(v) for k, v in namespace.items()}
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the message is the assertion
            raise AssertionError(f"README.md:{line}: the Python sample fails: {exc!r}") from exc
        built.extend(v for k, v in namespace.items() if before.get(k) != id(v))
    services = [v for v in built if isinstance(v, Service)]
    assert services and all(isinstance(s, SLO) for svc in services for s in svc.slos)
