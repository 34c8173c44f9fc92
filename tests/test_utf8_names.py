"""UTF-8 / OpenTelemetry metric and label names: quoted PromQL for Prometheus 3 targets, refused for 2.x.

Prometheus 3 reads ``{"http.server.request.duration_count", "http.route"="/x"}``; 2.x cannot parse it.
The toolkit writes such names only when the definitions quote them and the target is 3.x.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from slo.cli import main
from slo.model.errors import DefinitionError
from slo.model.selectors import Matcher, Selector, parse_selector
from slo.tools.toolcheck import check_rules
from tests.conftest import Backend, require

SPEC = """
from slo import availability, latency, service

otel = {'"service.name"': "checkout", "job": "otel-collector"}
checkout = service(
    "checkout",
    availability(
        "availability", 99.9, '"http.server.request.duration_count"',
        labels=otel, errors={'"http.response.status_code"': "500"},
    ),
    latency("latency", 95, '"http.server.request.duration"', under="250ms", labels=otel),
)
"""


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ('{"http.server.request.duration"}', '{"http.server.request.duration"}'),
        ('{"a.b", "c.d"=~"x", job="j"}', '{"a.b","c.d"=~"x",job="j"}'),
        ('{__name__="a.b"}', '{"a.b"}'),
        ('m{"svc.name"!="x"}', 'm{"svc.name"!="x"}'),
        ('m{a="b"}', 'm{a="b"}'),
    ],
)
def test_quoted_names_parse_and_render_back(text: str, rendered: str) -> None:
    sel = parse_selector(text)
    assert sel.render() == rendered
    assert parse_selector(sel.render()) == sel
    assert sel.utf8 is ('"' in rendered.split("=")[0] or rendered.startswith('{"'))


def test_dsl_writes_utf8_names_quoted_and_unquoted_ones_stay_classic() -> None:
    sel = Selector('"http.server.request.duration_count"', (Matcher('"http.route"', "=", "/x"),))
    assert sel.metric == "http.server.request.duration_count" and sel.quoted and sel.utf8
    assert sel.with_metric(sel.metric + "_x").render() == '{"http.server.request.duration_count_x","http.route"="/x"}'
    # without quotes a dotted or dashed name is still a mistake, with a hint saying how to mean it
    for bad in ("http.server.request.duration", "http-requests"):
        with pytest.raises(DefinitionError, match=r"not a valid Prometheus metric name \(a UTF-8 name needs"):
            Selector(bad)
    with pytest.raises(DefinitionError, match="not a valid Prometheus label name"):
        Matcher("http.route", "=", "x")


def _generate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str) -> tuple[int, str]:
    (tmp_path / "slos.py").write_text(SPEC)
    (tmp_path / "pyproject.toml").write_text(f'[tool.slo]\nprometheus_version = "{version}"\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["generate", "slos.py", "--out", "out"])
    return result.exit_code, result.output


def test_utf8_names_refused_for_a_2x_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _generate(tmp_path, monkeypatch, "2.42")
    assert code == 1, output
    assert "slos.py: checkout/availability: UTF-8 metric or label names" in output
    assert "need Prometheus 3.0 or later; prometheus_version is 2.42.0" in output
    assert "checkout/latency" in output
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_utf8_rules_pass_promtool_on_3x_and_2x_promtool_cannot_read_them(
    backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _generate(tmp_path, monkeypatch, "3.16")
    assert code == 0, output
    out = tmp_path / "out"
    text = (out / "rules" / "checkout.rules.yml").read_text()
    assert '{"http.server.request.duration_count","http.response.status_code"="500"' in text
    results = check_rules(out)
    assert results, "no rule files generated"
    if backend.current:
        failed = [f"{r.step} {r.target}\n{r.output}" for r in results if not r.ok]
        assert not failed, "\n\n".join(failed)
    else:  # the reason for the refusal above: Prometheus 2.x cannot parse a quoted metric name
        done = subprocess.run(
            [require("promtool"), "check", "rules", str(out / "rules" / "checkout.rules.yml")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode != 0
        assert "parse error" in done.stdout + done.stderr
