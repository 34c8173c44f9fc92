#!/usr/bin/env python3
"""Build the current Prometheus, Alertmanager and VictoriaMetrics binaries from their Go modules.

The test suite runs every real-component test twice: on the Debian packages on PATH ("debian") and on the
pinned releases built here ("current"). Each backend is built once into a cache directory and reused:

    ${SLO_BACKENDS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/slo-toolkit/backends}/<name>-<version>/{bin/,BUILD.json}

`go install module/cmd/x@version` is refused for modules whose go.mod has `replace` directives, so each
build happens in a throwaway module generated next to the output: it requires the pinned module and repeats
the module's replace directives (read from its downloaded go.mod with `go mod edit -json`). The web UIs are
not built (no npm): Prometheus' default (no `builtinassets` tag) serves them from disk, which tests never use.

Usage: scripts/build-backends.py [--only NAME]... [--cache DIR] [--force] [--print-dir | --print-path]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

GO = os.environ.get("SLO_GO", "/usr/local/go/bin/go")


@dataclass(frozen=True)
class Backend:
    """One pinned release: the Go module, the binaries built from it and how their version is stamped."""

    name: str
    module: str
    version: str
    binaries: tuple[tuple[str, str], ...]  # (binary name, package path inside the module)
    version_ldflags: tuple[str, ...]
    tags: tuple[str, ...] = ()
    # Files the module embeds that only its npm build makes: created empty in a copy of the module.
    ui_stubs: tuple[str, ...] = ()


def _prometheus_common(module: str, release: str) -> tuple[str, ...]:
    pkg = "github.com/prometheus/common/version"
    return (f"-X {pkg}.Version={release}", f"-X {pkg}.Branch=HEAD", f"-X {pkg}.Revision={module}-go-module")


# Pinned versions. Raise them here (the cache key is the version, so old builds stay valid).
# VictoriaMetrics 1.152+ declares `go 1.27`; 1.151.0 is the newest release the Go 1.26 toolchain builds.
BACKENDS = (
    Backend(
        "prometheus",
        "github.com/prometheus/prometheus",
        "v0.316.0",
        (("promtool", "cmd/promtool"), ("prometheus", "cmd/prometheus")),
        _prometheus_common("prometheus", "3.16.0"),
        # Only file and HTTP service discovery (tests use static_configs): no cloud SDKs, a far shorter build.
        ("remove_all_sd",),
    ),
    Backend(
        "alertmanager",
        "github.com/prometheus/alertmanager",
        "v0.35.0",
        (("amtool", "cmd/amtool"), ("alertmanager", "cmd/alertmanager")),
        _prometheus_common("alertmanager", "0.35.0"),
        # ui/web.go embeds app/dist (built with npm); a placeholder page keeps the API-only binary buildable.
        ui_stubs=("ui/app/dist/elm/index.html", "ui/app/dist/mantine/index.html"),
    ),
    Backend(
        "victoria-metrics",
        "github.com/VictoriaMetrics/VictoriaMetrics",
        "v1.151.0",
        (("victoria-metrics", "app/victoria-metrics"),),
        ("-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-metrics-v1.151.0",),
    ),
)


def release(backend: Backend) -> str:
    """The user-facing release number (Prometheus' module v0.316.0 is release 3.16.0)."""
    if backend.name == "prometheus":
        minor = backend.version.removeprefix("v").split(".")[1]
        return f"3.{int(minor) - 300}.{backend.version.split('.')[2]}"
    return backend.version.removeprefix("v")


def cache_root() -> Path:
    if os.environ.get("SLO_BACKENDS_CACHE"):
        return Path(os.environ["SLO_BACKENDS_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slo-toolkit" / "backends"


def target_dir(backend: Backend, root: Path) -> Path:
    return root / f"{backend.name}-{release(backend)}"


def is_built(backend: Backend, root: Path) -> bool:
    """True when every binary exists and BUILD.json records this very pin."""
    out = target_dir(backend, root)
    stamp = out / "BUILD.json"
    if not stamp.is_file():
        return False
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    return (
        recorded.get("module") == backend.module
        and recorded.get("version") == backend.version
        and recorded.get("tags", []) == list(backend.tags)
        and all(os.access(out / "bin" / name, os.X_OK) for name, _ in backend.binaries)
    )


def _go(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    cmd = ["nice", "-n", "10", GO, *args]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"build-backends: `go {' '.join(args)}` failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GOFLAGS": "-trimpath", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOWORK": "off"})
    return env


def _toolchain_ok(required: str, env: dict[str, str]) -> None:
    have = subprocess.run([GO, "env", "GOVERSION"], capture_output=True, text=True, env=env).stdout.strip()

    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.removeprefix("go").split(".") if p.isdigit())

    if parts(have) < parts(required):
        raise SystemExit(f"build-backends: the module needs Go {required}, {GO} is {have}: pin an older release")


def _replaces(gomod: Path, module_dir: Path) -> list[str]:
    """The module's replace directives, rewritten for a module that merely requires it."""
    doc = json.loads(subprocess.run([GO, "mod", "edit", "-json", str(gomod)], capture_output=True, text=True).stdout)
    lines = []
    for rep in doc.get("Replace") or []:
        old = rep["Old"]["Path"] + (f" {rep['Old']['Version']}" if rep["Old"].get("Version") else "")
        new = rep["New"]
        if new.get("Version"):
            lines.append(f"replace {old} => {new['Path']} {new['Version']}")
        else:  # a directory inside the module: point at the downloaded copy
            lines.append(f"replace {old} => {(module_dir / new['Path']).resolve()}")
    return lines


def _stubbed_copy(backend: Backend, module_dir: Path, dest: Path) -> list[str]:
    """Copy the downloaded module, add the UI placeholders, and return the replace line that uses the copy."""
    shutil.copytree(module_dir, dest)
    for path in dest.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)  # the module cache is read-only
    for rel in backend.ui_stubs:
        stub = dest / rel
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("<!doctype html><title>UI not built</title><p>Built for tests without the web UI.</p>\n")
    return [f"replace {backend.module} => {dest}", ""]


def build(backend: Backend, root: Path) -> float:
    """Build every binary of ``backend`` into its cache directory; returns the seconds it took."""
    started = time.monotonic()
    env = _go_env()
    work = Path(tempfile.mkdtemp(prefix=f".build-{backend.name}-", dir=root))
    try:
        info = json.loads(_go(["mod", "download", "-json", f"{backend.module}@{backend.version}"], work, env))
        gomod, module_dir = Path(info["GoMod"]), Path(info["Dir"])
        declared = json.loads(
            subprocess.run([GO, "mod", "edit", "-json", str(gomod)], capture_output=True, text=True).stdout
        )
        go_version = declared.get("Go") or "1.21"
        _toolchain_ok(go_version, env)
        lines = [
            "module slo-toolkit.invalid/backend-build",
            "",
            f"go {go_version}",
            "",
            f"require {backend.module} {backend.version}",
            "",
            *_replaces(gomod, module_dir),
            "",
        ]
        if backend.ui_stubs:
            lines += _stubbed_copy(backend, module_dir, work / "src")
        (work / "go.mod").write_text("\n".join(lines))
        pkgs = [f"{backend.module}/{pkg}" for _, pkg in backend.binaries]
        _go(["get", *(f"{p}@{backend.version}" for p in pkgs)], work, env)
        staging = work / "out"
        (staging / "bin").mkdir(parents=True)
        ldflags = " ".join(("-s", "-w", *backend.version_ldflags))
        for name, pkg in backend.binaries:
            print(f"build-backends: building {name} {release(backend)}", file=sys.stderr, flush=True)
            tags = ["-tags", ",".join(backend.tags)] if backend.tags else []
            out = str(staging / "bin" / name)
            _go(["build", *tags, "-ldflags", ldflags, "-o", out, f"{backend.module}/{pkg}"], work, env)
        seconds = time.monotonic() - started
        stamp = {
            "module": backend.module,
            "version": backend.version,
            "release": release(backend),
            "go": subprocess.run([GO, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip(),
            "replace": _replaces(gomod, module_dir),
            "tags": list(backend.tags),
            "build_seconds": round(seconds, 1),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (staging / "BUILD.json").write_text(json.dumps(stamp, indent=2) + "\n")
        final = target_dir(backend, root)
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)  # one rename: a half-built backend never looks built
        return seconds
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=[b.name for b in BACKENDS], help="build only these")
    parser.add_argument("--cache", type=Path, help="cache directory (default: %(default)s)", default=cache_root())
    parser.add_argument("--force", action="store_true", help="rebuild even when the cache has the pin")
    parser.add_argument("--print-dir", action="store_true", help="print the cache directory and exit")
    parser.add_argument(
        "--print-path", action="store_true", help="print the bin directories as a PATH list (for $SLO_TOOL_PATH)"
    )
    args = parser.parse_args(argv)
    root: Path = args.cache
    if args.print_dir:
        print(root)
        return 0
    if args.print_path:
        print(os.pathsep.join(str(target_dir(b, root) / "bin") for b in BACKENDS))
        return 0
    root.mkdir(parents=True, exist_ok=True)
    wanted = [b for b in BACKENDS if not args.only or b.name in args.only]
    if not all(is_built(b, root) for b in wanted) and shutil.which(GO) is None:
        raise SystemExit(f"build-backends: no Go toolchain at {GO}: install Go 1.26+ or set SLO_GO=/path/to/go")
    for backend in BACKENDS:
        if args.only and backend.name not in args.only:
            continue
        where = target_dir(backend, root)
        if is_built(backend, root) and not args.force:
            print(f"build-backends: {backend.name} {release(backend)} cached in {where}", file=sys.stderr)
            continue
        seconds = build(backend, root)
        print(f"build-backends: {backend.name} {release(backend)} built in {seconds:.0f}s -> {where}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
