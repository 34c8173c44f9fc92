"""The malformed-spec corpus: every bad spec exits 1 with located one-line messages, never a traceback.

Each case in ``tests/data/bad`` is named in ``tests/data/bad/EXPECTED.yaml`` with the stderr text it
must produce. ``slo validate`` runs from that directory, so messages start with the case's own name.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from generators.prometheus_rules import rule_file
from generators.service_tests import test_file as promtool_test_file
from generators.yamlout import dump
from slo.cli import main
from slo.loaders import load
from slo.model.selectors import Selector, parse_selector

DATA = Path(__file__).resolve().parent / "data"
BAD = DATA / "bad"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "EXPECTED.yaml").read_text(encoding="utf-8"))
MISSING = {"does-not-exist.yaml"}  # named in EXPECTED.yaml, absent on purpose
INJECTION = DATA / "injection" / "slos.yaml"
PAYLOAD = '"} or vector(1) #'

# `file:line: path: message`, `file: path: message` or (no path known) `file[:line]: message`.
SHAPE = re.compile(r"^(?:warning: )?(?P<file>[^:\s][^:]*?)(?::(?P<line>[1-9][0-9]*))?: (?P<rest>\S.*)$")


def _files_of(case: str) -> set[str]:
    """The file names a case's messages may start with: itself, or the spec files under it."""
    path = BAD / case
    if path.is_dir():
        return {case} | {str(p.relative_to(BAD)) for p in path.rglob("*") if p.is_file()}
    return {case}


def check_stderr(case: str, stderr: str) -> None:
    """Every line is located in the case's own file(s); every expected text is there; no traceback."""
    assert "Traceback" not in stderr
    assert "internal error" not in stderr
    lines = stderr.splitlines()
    assert lines, f"{case}: nothing on stderr"
    allowed = _files_of(case)
    for line in lines:
        m = SHAPE.match(line)
        assert m, f"{case}: stderr line does not have the 'file:line: path: message' shape: {line!r}"
        assert m.group("file") in allowed, f"{case}: message names {m.group('file')!r}, not {sorted(allowed)}"
    for text in EXPECTED[case]:
        assert text in stderr, f"{case}: expected {text!r} in stderr:\n{stderr}"


def test_corpus_is_complete() -> None:
    """Every case in the directory has expectations, and every expectation has its case."""
    present = {p.name for p in BAD.iterdir()} - {"EXPECTED.yaml"}
    assert present - set(EXPECTED) == set(), "cases without an entry in EXPECTED.yaml"
    assert set(EXPECTED) - present == MISSING, "entries in EXPECTED.yaml without a case"
    assert len(EXPECTED) >= 30
    assert all(isinstance(v, list) and v and all(isinstance(s, str) and s for s in v) for v in EXPECTED.values())
    kinds = {name.split("-")[0] for name in EXPECTED}
    assert {"openslo", "sloth", "python"} <= kinds


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_spec_is_reported(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    result = CliRunner().invoke(main, ["validate", case])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert "OK:" not in result.stdout
    check_stderr(case, result.stderr)


# Every kind of failure once, end to end through the installed `slo` script: proves no traceback
# escapes, whatever the process does after click returns.
SUBPROCESS_SAMPLE = [
    "yaml-syntax.yaml",
    "tab-indent.yaml",
    "non-utf8.yaml",
    "control-character.yaml",
    "alias-bomb.yaml",
    "recursive-alias.yaml",
    "deep-nesting.yaml",
    "empty.yaml",
    "python-tag.yaml",
    "objective-nan.yaml",
    "latency-implausible-bucket.yaml",
    "many-problems.yaml",
    "python-raises.py",
    "python-syntax-error.py",
    "python-exit.py",
    "python-null-byte.py",
    "empty-dir",
    "does-not-exist.yaml",
    "duplicate-services",
    "openslo-query-with-function.yaml",
    "sloth-objective-100.yaml",
    "threshold-levels-wrong-order.yaml",
    "threshold-raw-promql-unparsable.yaml",
    "python-threshold-levels.py",
]


def slo_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point via -c."""
    script = Path(sys.executable).with_name("slo")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from slo.cli import main; sys.exit(main())"]


@pytest.mark.parametrize("case", SUBPROCESS_SAMPLE)
def test_bad_spec_in_a_real_process(case: str) -> None:
    done = subprocess.run([*slo_command(), "validate", case], cwd=BAD, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout
    check_stderr(case, done.stderr)


CHECKED_AFTER_LOADING = {
    "latency-implausible-bucket.yaml",
    "python-implausible-bucket.py",
    "threshold-raw-promql-unparsable.yaml",
}


def test_all_bad_files_at_once_report_every_file() -> None:
    """One run over many broken files reports each of them (loading does not stop at the first)."""
    cases = [
        name
        for name in sorted(EXPECTED)
        if (BAD / name).is_file()
        # checked after loading succeeds, or loads a service named like the others
        and name not in CHECKED_AFTER_LOADING
    ]
    done = subprocess.run([*slo_command(), "validate", *cases], cwd=BAD, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    for case in cases:
        for text in EXPECTED[case]:
            assert text in done.stderr, f"{case}: {text!r} missing when validated with the others"


# ---------------------------------------------------------------------------------------------
# PromQL injection through label values: valid input that must stay inside string literals.

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _rules_text() -> str:
    (service,) = load([INJECTION]).services
    return dump(rule_file(service))


def test_injection_attempt_is_valid_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INJECTION.parent)
    result = CliRunner().invoke(main, ["validate", INJECTION.name])
    assert result.exit_code == 0, result.stderr
    assert "OK: 1 service(s), 3 SLO(s)" in result.stdout


def test_injected_label_values_stay_inside_string_literals() -> None:
    groups = yaml.safe_load(_rules_text())["groups"]
    exprs = [rule["expr"] for group in groups for rule in group["rules"]]
    quoted = '"\\"} or vector(1) #"'
    assert any(quoted in e for e in exprs), "the payload is not rendered as an escaped literal"
    for expr in exprs:
        outside = _STRING.sub('""', expr)
        assert "vector(1) #" not in outside, f"payload escaped its string literal: {expr}"
        assert "#" not in outside, f"a comment marker outside string literals: {expr}"
    labels = [rule.get("labels", {}) for group in groups for rule in group["rules"]]
    assert all(lbl.get("owner") == PAYLOAD for lbl in labels)


def test_injected_selectors_read_back_to_the_same_values() -> None:
    (service,) = load([INJECTION]).services
    for slo in service.slos:
        sli = getattr(slo.sli, "inner", slo.sli)
        selectors = [s for s in vars(sli).values() if isinstance(s, Selector)]
        assert selectors
        for s in selectors:
            assert parse_selector(s.render()) == s
            assert any(PAYLOAD in m.value for m in s.matchers)


def test_promtool_accepts_rules_with_injected_label_values(promtool: str, tmp_path: Path) -> None:
    rules = tmp_path / "shop.rules.yml"
    rules.write_text(_rules_text(), encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_template_delimiters_in_label_values_do_not_break_alert_templates(promtool: str, tmp_path: Path) -> None:
    from slo import availability, service

    shop = service(
        "shop",
        availability(
            "availability",
            99.9,
            "http_requests_total",
            labels={"job": "{{ end }}"},
            errors={"code": "500"},
            slo_labels={"note": "{{ .Unclosed"},
        ),
    )
    rules = tmp_path / "shop.rules.yml"
    rules.write_text(dump(rule_file(shop)), encoding="utf-8")
    done = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # The generated unit tests expect the alerts' labels verbatim: expansion must give back the raw values.
    doc = promtool_test_file(shop, "shop.rules.yml")
    outage = doc["tests"][0]
    fired_at = outage["promql_expr_test"][-1]["eval_time"]
    outage["promql_expr_test"].append(
        {
            "expr": 'count(ALERTS{alertstate="firing",note="{{ .Unclosed",tier="fast-page"}) or vector(0)',
            "eval_time": fired_at,
            "exp_samples": [{"labels": "{}", "value": 1}],
        }
    )
    doc["tests"] = [outage]
    tests = tmp_path / "shop.test.yml"
    tests.write_text(dump(doc), encoding="utf-8")
    done = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
