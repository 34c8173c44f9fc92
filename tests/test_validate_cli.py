"""`slo validate`: the command-line contract of DESIGN.md (exit codes, message shape, default sources)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from slo.cli import main
from slo.loaders import load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ai-assistant"
BAD = Path(__file__).resolve().parent / "data" / "bad"

SHOP = """\
apiVersion: slo-toolkit/v1
services:
  - name: {name}
    slos:
      - name: availability
        objective: {objective}
        sli:
          ratio:
            bad: {{metric: http_requests_total, labels: {{job: shop, code: {{regex: "5.."}}}}}}
            total: {{metric: http_requests_total, labels: {{job: shop}}}}
"""


def validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Valid input


@pytest.mark.parametrize("name", ["slos.py", "slos.yaml"])
def test_bundled_example_is_valid(name: str) -> None:
    result = validate(str(EXAMPLE / name))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "OK: 1 service(s), 4 SLO(s)"
    # the only remarks: 200ms and 2s are not default buckets of the common client libraries (issue #12)
    hints = result.stderr.splitlines()
    assert len(hints) == 2 and all("is not a default bucket of the common client libraries" in h for h in hints)
    assert "api-latency: latency threshold 0.2s" in hints[0] and "(nearest defaults: 0.1s and 0.25s)" in hints[0]


def test_bundled_example_is_valid_through_the_installed_script() -> None:
    script = Path(sys.executable).with_name("slo")
    command = [str(script)] if script.is_file() else [shutil.which("slo") or "slo"]
    done = subprocess.run([*command, "validate", str(EXAMPLE / "slos.py")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 1 service(s), 4 SLO(s)")


def test_yaml_and_python_examples_load_into_equal_models() -> None:
    from_python = load([EXAMPLE / "slos.py"]).services
    from_yaml = load([EXAMPLE / "slos.yaml"]).services
    assert from_python == from_yaml
    assert [s.name for s in from_python[0].slos] == ["uptime", "api-latency", "error-rate", "search-latency"]


def test_warnings_do_not_fail_validation(tmp_path: Path) -> None:
    """A 50% objective makes the fast page unreachable: worth a warning, not an error."""
    spec = write(tmp_path / "shop.yaml", SHOP.format(name="shop", objective=50))
    result = validate(str(spec))
    assert result.exit_code == 0, result.stderr
    assert "OK: 1 service(s), 1 SLO(s)" in result.stdout
    assert f"warning: {spec}: shop/availability: tier 'fast-page' can never fire" in result.stderr


# ---------------------------------------------------------------------------------------------
# Every problem is reported


def test_all_problems_in_one_file_are_reported_in_line_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    result = validate("many-problems.yaml")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert [line.split(":")[1] for line in lines] == ["6", "13", "21"]
    assert "services[0].slos[0].objective: must be < 100, got 150" in lines[0]
    assert "services[0].slos[1].period: a rolling period must be whole days" in lines[1]
    assert "services[0].slos[2].sli.ratio: give exactly one of 'good' or 'bad'" in lines[2]


def test_several_schema_problems_in_one_slo_are_all_reported(tmp_path: Path) -> None:
    spec = write(
        tmp_path / "shop.yaml",
        """\
        apiVersion: slo-toolkit/v1
        services:
          - name: shop
            slos:
              - name: availability
                objective: "99.9%"
                period: 30d
                owner: sre
                labels: [a]
                sli: {ratio: {total: http_requests_total}}
        """,
    )
    result = validate(str(spec))
    assert result.exit_code == 1
    assert f"{spec}:6: services[0].slos[0].objective: must be of type number" in result.stderr
    assert f"{spec}:5: services[0].slos[0]: unknown key 'owner'" in result.stderr
    assert f"{spec}:9: services[0].slos[0].labels: must be of type object" in result.stderr


def test_problems_across_several_files_are_all_reported(tmp_path: Path) -> None:
    good = write(tmp_path / "good.yaml", SHOP.format(name="good", objective=99.9))
    zero = write(tmp_path / "zero.yaml", SHOP.format(name="zero", objective=0))
    high = write(tmp_path / "high.yaml", SHOP.format(name="high", objective=150))
    broken = write(tmp_path / "broken.py", "from slo import service\n\nshop = service('shop', undefined_name)\n")
    result = validate(str(good), str(zero), str(high), str(broken))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines == [
        f"{zero}:6: services[0].slos[0].objective: must be > 0, got 0",
        f"{high}:6: services[0].slos[0].objective: must be < 100, got 150",
        f"{broken}:3: NameError: name 'undefined_name' is not defined",
    ]


def test_a_directory_reports_every_file_under_it(tmp_path: Path) -> None:
    write(tmp_path / "defs" / "a.yaml", SHOP.format(name="a", objective=100))
    write(tmp_path / "defs" / "nested" / "b.yaml", SHOP.format(name="b", objective=-1))
    write(tmp_path / "defs" / "notes.md", "not a spec\n")
    result = validate(str(tmp_path / "defs"))
    assert result.exit_code == 1
    assert "a.yaml:6: services[0].slos[0].objective: must be < 100, got 100" in result.stderr
    assert "b.yaml:6: services[0].slos[0].objective: must be > 0, got -1" in result.stderr
    assert "notes.md" not in result.stderr


def test_the_same_service_in_two_files_is_reported(tmp_path: Path) -> None:
    first = write(tmp_path / "first.yaml", SHOP.format(name="shop", objective=99.9))
    second = write(tmp_path / "second.yaml", SHOP.format(name="shop", objective=99))
    result = validate(str(first), str(second))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{second}: service 'shop' is already defined in {first}"


# ---------------------------------------------------------------------------------------------
# Default sources


def test_no_source_uses_tool_slo_sources_from_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path / "pyproject.toml",
        """\
        [project]
        name = "somebody-else"

        [tool.slo]
        sources = ["defs/shop.yaml", "defs/more"]
        """,
    )
    write(tmp_path / "defs" / "shop.yaml", SHOP.format(name="shop", objective=99.9))
    write(tmp_path / "defs" / "more" / "cart.yaml", SHOP.format(name="cart", objective=99))
    # A conventional default that [tool.slo] overrides: it must not be read.
    write(tmp_path / "slos.yaml", "this: [is not read\n")
    monkeypatch.chdir(tmp_path)
    result = validate()
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "OK: 2 service(s), 2 SLO(s)"


def test_no_source_reports_problems_in_the_configured_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[tool.slo]\nsources = ["defs/shop.yaml"]\n')
    write(tmp_path / "defs" / "shop.yaml", SHOP.format(name="shop", objective=100))
    monkeypatch.chdir(tmp_path)
    result = validate()
    assert result.exit_code == 1
    assert result.stderr.strip() == "defs/shop.yaml:6: services[0].slos[0].objective: must be < 100, got 100"


def test_no_source_without_pyproject_uses_slos_py(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(EXAMPLE / "slos.py", tmp_path / "slos.py")
    monkeypatch.chdir(tmp_path)
    result = validate()
    assert result.exit_code == 0, result.stderr
    assert "OK: 1 service(s), 4 SLO(s)" in result.stdout


def test_no_source_and_no_default_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    monkeypatch.chdir(tmp_path)
    result = validate()
    assert result.exit_code == 1
    assert result.stdout == ""
    message = result.stderr.strip()
    assert "\n" not in message
    assert message.startswith("<command line>: no SOURCE given and no default found")
    assert "[tool.slo] sources" in message
    assert "Traceback" not in message


def test_malformed_tool_slo_sources_is_a_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", '[tool.slo]\nsources = "slos.yaml"\n')
    monkeypatch.chdir(tmp_path)
    result = validate()
    assert result.exit_code == 1
    assert "pyproject.toml: tool.slo.sources: must be a list of paths" in result.stderr


def test_nonexistent_source_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = validate(str(missing))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"{missing}: no such file or directory"
