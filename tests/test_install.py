"""The install paths the README gives work as written, outside this repository too.

A user installs a wheel (or a git URL, which pip turns into the same wheel) into a virtual
environment and runs ``slo`` in a project of their own: the package data (JSON Schemas, templates)
must be inside the wheel, and nothing may depend on this checkout being the working directory.
The repository's own first command (venv, editable install, ``slo generate``) is taken from the
README and run verbatim in a copy of the tracked files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

TEN_LINES = """\
from slo import error_rate, latency, service, uptime

api = {"job": "ai-assistant-backend"}
ai_assistant = service(
    "ai-assistant",
    uptime("uptime", 99.9, "probe_success", labels={"job": "blackbox"}, period="month"),
    latency("api-latency", 95, "http_request_duration_seconds", under="200ms", labels=api),
    error_rate("error-rate", 99, "http_requests_total", errors={"status": "500"}, below="0.1%", labels=api),
    team="sre",
)
"""

YAML_SPEC = """\
apiVersion: slo-toolkit/v1
services:
  - name: checkout
    slos:
      - name: availability
        objective: 99.5
        sli:
          ratio:
            bad: {metric: http_requests_total, labels: {status: "500"}}
            total: {metric: http_requests_total}
"""


def _clean_env() -> dict[str, str]:
    """The environment minus anything that would point Python back at this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"}}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding only the built wheel (its dependencies come from ours)."""
    work = tmp_path_factory.mktemp("wheel")
    env = _clean_env()
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(ROOT)], work, env)
    wheels = sorted((work / "dist").glob("slo_toolkit-*.whl"))
    assert len(wheels) == 1, wheels
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], work, env)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index"]
    _run([*pip, str(wheels[0])], work, env)
    # The dependencies (pandas, matplotlib, ...) are those of the interpreter running the tests; the
    # editable install of this checkout is *not* activated this way (.pth files of an added path are
    # not processed), so `import slo` must find the wheel's copy.
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", where], work, env).stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_slo_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    return venv


def test_the_wheel_imports_its_own_copy(wheel_venv: Path, tmp_path: Path) -> None:
    done = _run([str(wheel_venv / "bin" / "python"), "-c", "import slo; print(slo.__file__)"], tmp_path, _clean_env())
    assert done.stdout.strip().startswith(str(wheel_venv)), done.stdout


def test_slo_version_names_the_toolkit_and_its_tools(wheel_venv: Path, tmp_path: Path) -> None:
    require("promtool")
    require("amtool")
    out = _run([str(wheel_venv / "bin" / "slo"), "--version"], tmp_path, _clean_env()).stdout
    lines = out.splitlines()
    assert re.fullmatch(r"slo-toolkit \d+\.\d+\.\d+\S*", lines[0]), out
    assert re.fullmatch(r"promtool \d+\.\d+\.\d+\S* \(/.+/promtool\)", lines[1]), out
    assert re.fullmatch(r"amtool \d+\.\d+\.\d+\S* \(/.+/amtool\)", lines[2]), out


def test_a_users_project_outside_the_repository(wheel_venv: Path, tmp_path: Path) -> None:
    """Ten lines of Python in a fresh directory: generate, then promtool/amtool pass on the output."""
    require("promtool")
    require("amtool")
    project = tmp_path / "my-service"
    project.mkdir()
    (project / "slos.py").write_text(TEN_LINES, encoding="utf-8")
    slo = str(wheel_venv / "bin" / "slo")
    env = _clean_env()
    assert "OK: 1 service(s), 3 SLO(s)" in _run([slo, "validate"], project, env).stdout
    _run([slo, "generate"], project, env)
    assert (project / "rules" / "ai-assistant.rules.yml").is_file()
    assert (project / "rules" / "tests" / "ai-assistant.test.yml").is_file()
    tested = _run([slo, "test"], project, env).stdout
    assert re.search(r"^\d+ passed, 0 failed$", tested, re.M), tested
    # The toolkit's YAML is checked against the JSON Schema shipped inside the wheel.
    (project / "more.yaml").write_text(YAML_SPEC, encoding="utf-8")
    assert "OK: 1 service(s), 1 SLO(s)" in _run([slo, "validate", "more.yaml"], project, env).stdout
    (project / "bad.yaml").write_text(YAML_SPEC.replace("99.5", "150"), encoding="utf-8")
    bad = subprocess.run([slo, "validate", "bad.yaml"], cwd=project, env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "bad.yaml:" in bad.stderr and "Traceback" not in bad.stderr, bad.stderr


def _readme_main_command() -> str:
    """The line under '# 1. The main job' in the README's first code block of the install section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("# 1. The main job") :]
    for line in block.splitlines()[1:]:
        if line.strip() and not line.lstrip().startswith("#"):
            return line.strip()
    raise AssertionError("README: no command after '# 1. The main job'")


def test_the_readmes_main_command_runs_as_written(tmp_path: Path) -> None:
    """A copy of the tracked files, the README's command verbatim: a venv, the install, ``slo generate``."""
    command = _readme_main_command()
    assert "venv" in command and "slo generate" in command, command
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    repo = tmp_path / "repo"
    for rel in filter(None, tracked.split("\0")):
        if (ROOT / rel).is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, repo / rel)
    env = _clean_env()
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    done = _run(["bash", "-c", command], repo, env, timeout=900)
    assert re.search(r"^\d+ file\(s\) generated, 0 changed, 0 removed$", done.stdout, re.M), done.stdout[-2000:]
    assert (repo / ".venv" / "bin" / "slo").is_file()
