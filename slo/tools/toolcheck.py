"""Running promtool and amtool over generated output, with a short pass/fail summary."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = {
    "promtool": "install the Debian package 'prometheus' (apt-get install -y prometheus)",
    "amtool": "install the Debian package 'prometheus-alertmanager' (apt-get install -y prometheus-alertmanager)",
    "prometheus": "install the Debian package 'prometheus' (apt-get install -y prometheus)",
    "prometheus-alertmanager": "install the Debian package 'prometheus-alertmanager'",
    "alertmanager": "install the Debian package 'prometheus-alertmanager'",
    "victoria-metrics": "install the Debian package 'victoria-metrics' (apt-get install -y victoria-metrics)",
}


TOOL_PATH_ENV = "SLO_TOOL_PATH"


class ToolMissing(Exception):
    """A checker binary is not on PATH."""


def find_tool(name: str) -> str | None:
    """``name`` in ``$SLO_TOOL_PATH`` (directories searched first, e.g. builds of current releases), else
    on PATH; None when neither has it. One lookup for every binary the toolkit runs, so a test matrix or
    a user can switch Prometheus/Alertmanager versions without touching PATH."""
    extra = os.environ.get(TOOL_PATH_ENV)
    if extra:
        found = shutil.which(name, path=extra)
        if found is not None:
            return found
    return shutil.which(name)


@dataclass(frozen=True)
class Result:
    step: str
    target: str
    ok: bool
    output: str


def binary(name: str) -> str:
    """The path of ``name``, or a clear error saying how to install it."""
    path = find_tool(name)
    if path is None:
        where = f"${TOOL_PATH_ENV} or PATH" if os.environ.get(TOOL_PATH_ENV) else "PATH"
        raise ToolMissing(f"{name} not found on {where}: {INSTALL_HINT.get(name, 'install it')}")
    return path


def alertmanager_binary() -> str:
    """The Alertmanager server: ``alertmanager`` upstream, ``prometheus-alertmanager`` on Debian."""
    for name in ("alertmanager", "prometheus-alertmanager"):
        path = find_tool(name)
        if path is not None:
            return path
    return binary("prometheus-alertmanager")


_VERSION = re.compile(r"version\s+v?(\d+)\.(\d+)\.(\d+)")


@functools.cache
def _version_at(path: str) -> tuple[int, int, int] | None:
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(proc.stdout + proc.stderr)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def version(name: str) -> tuple[int, int, int] | None:
    """(major, minor, patch) of the binary :func:`binary` would run (``--version``), None if unknown.

    Where promtool/amtool behave differently across releases (amtool 0.27+ parses matchers as UTF-8,
    promtool 3 rejects flags 2.x had) callers ask this rather than guess from the name."""
    return _version_at(binary(name))


def run(step: str, argv: list[str], target: str, cwd: Path | None = None, timeout: int = 600) -> Result:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(step, target, False, f"timed out after {timeout}s")
    return Result(step, target, proc.returncode == 0, (proc.stdout + proc.stderr).strip())


def check_rules(out: Path) -> list[Result]:
    """``promtool check rules`` on every rule file (SLO rules and threshold alerts) and ``promtool test
    rules`` on every test file."""
    promtool = binary("promtool")
    results = []
    rule_files = [*(out / "rules").glob("*.rules.yml"), *(out / "rules").glob("*.alerts.yml")]
    for path in sorted(rule_files):
        results.append(run("promtool check rules", [promtool, "check", "rules", str(path)], str(path.relative_to(out))))
    for path in sorted((out / "rules" / "tests").glob("*.test.yml")):
        result = run(
            "promtool test rules",
            [promtool, "test", "rules", path.name],
            str(path.relative_to(out)),
            cwd=path.parent,
        )
        results.append(_native_notation_hint(result, path))
    return results


def _native_notation_hint(result: Result, path: Path) -> Result:
    """A failed test file with native-histogram input on a promtool that cannot parse it: say so."""
    if result.ok or "unexpected character in series sequence: '{'" not in result.output:
        return result
    if "{{schema:" not in path.read_text(encoding="utf-8"):
        return result
    found = version("promtool")
    shown = ".".join(map(str, found)) if found else "unknown"
    hint = (
        f"hint: this promtool ({shown}) cannot parse the native-histogram input of the tests of latency SLIs with "
        "histogram_kind native/auto ({{schema:… buckets:[…]}}); run them with the promtool of Prometheus 3.8 or "
        "later (put it first with SLO_TOOL_PATH=DIR)"
    )
    return Result(result.step, result.target, False, f"{result.output}\n{hint}")


AMTOOL_NOISE = "Warning: --config.file flag overrides the --alertmanager.url."
# Alertmanager 0.27 parses matchers with a UTF-8 parser and falls back to the classic one with a warning;
# a generated config must need no fallback, so amtool from 0.27 runs in the strict mode and its warnings fail.
UTF8_MATCHERS_FROM = (0, 27)
MATCHER_WARNINGS = ("is incompatible", "has disagreement")


def amtool_flags() -> list[str]:
    """``--enable-feature=utf8-strict-mode`` where amtool has the UTF-8 matcher parser, else nothing."""
    found = version("amtool")
    return ["--enable-feature=utf8-strict-mode"] if found and found[:2] >= UTF8_MATCHERS_FROM else []


def _no_matcher_warnings(result: Result) -> Result:
    warned = [line for line in result.output.splitlines() if any(w in line for w in MATCHER_WARNINGS)]
    if not warned:
        return result
    return Result(result.step, result.target, False, "matchers need the classic-parser fallback:\n" + "\n".join(warned))


def _route_cases(path: Path) -> tuple[list[dict], str | None]:
    """The cases of a route-test table, or a message saying why it cannot be read."""
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], f"cannot read: {exc}"
    tests = doc.get("tests") if isinstance(doc, dict) else None
    if not isinstance(tests, list) or not all(
        isinstance(t, dict)
        and isinstance(t.get("labels"), dict)
        and isinstance(t.get("receivers"), list)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in t["labels"].items())
        for t in tests
    ):
        return [], "expected 'tests:' as a list of {name, labels: {label: value}, receivers: [name, ...]}"
    return tests, None


def _label_args(labels: dict[str, str]) -> list[str]:
    """``key="value"`` arguments, quoted as amtool's matcher parser expects."""
    out = []
    for key, value in labels.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        out.append(f'{key}="{escaped}"')
    return out


def route_test(amtool: str, config: Path, case: dict, target: str) -> Result:
    """One ``amtool config routes test --verify.receivers`` run, with a clear message on a mismatch."""
    expected = ",".join(case["receivers"])
    name = case.get("name") or " ".join(f"{k}={v}" for k, v in case["labels"].items())
    argv = [
        amtool,
        "config",
        "routes",
        "test",
        *amtool_flags(),
        f"--config.file={config}",
        f"--verify.receivers={expected}",
        *_label_args(case["labels"]),
    ]
    result = _no_matcher_warnings(run("amtool routes test", argv, f"{target}: {name}", timeout=60))
    output = "\n".join(line for line in result.output.splitlines() if line.strip() != AMTOOL_NOISE)
    if result.ok:
        return Result(result.step, result.target, True, output)
    got = [line for line in output.splitlines() if line.strip() and "WARNING" not in line and "error" not in line]
    labels = " ".join(_label_args(case["labels"]))
    message = (
        f"routing mismatch for {labels}\n"
        f"expected receivers: {expected}\n"
        f"Alertmanager routes it to: {got[-1] if got else '(see amtool output)'}\n"
        f"amtool: {output}"
    )
    return Result(result.step, result.target, False, message)


def check_alertmanager(out: Path) -> list[Result]:
    """``amtool check-config`` on DIR/alertmanager/alertmanager.yml, then every case of routes.test.yml.

    No results when there is no generated Alertmanager config (no routing defined).
    """
    from concurrent.futures import ThreadPoolExecutor

    config = out / "alertmanager" / "alertmanager.yml"
    if not config.is_file():
        return []
    amtool = binary("amtool")
    rel = str(config.relative_to(out))
    checked = _no_matcher_warnings(
        run("amtool check-config", [amtool, "check-config", *amtool_flags(), str(config)], rel)
    )
    results = [checked]
    table = out / "alertmanager" / "routes.test.yml"
    if not checked.ok or not table.is_file():
        return results
    target = str(table.relative_to(out))
    cases, error = _route_cases(table)
    if error:
        return [*results, Result("amtool routes test", target, False, error)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results.extend(pool.map(lambda case: route_test(amtool, config, case, target), cases))
    return results
