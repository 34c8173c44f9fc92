"""The fast YAML path writes exactly the bytes of pure-Python PyYAML, so generated files never drift.

generators/yamlout.py builds nodes directly, uses libyaml's emitter when PyYAML has it, and indents
an already rendered rule file into its PrometheusRule instead of rendering it twice. Each shortcut
is compared here with :func:`generators.yamlout.reference` (pure-Python ``SafeDumper``, no shortcut)
on whole generated trees and on awkward scalars.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generators import yamlout
from generators.bundle import artifacts
from slo.loaders import load
from tests.conftest import EXAMPLE

AWKWARD: list[object] = [
    "plain",
    "",
    " leading space",
    "trailing space ",
    "null",
    "yes",
    "0123",
    "1e3",
    "- dash",
    "key: value",
    "# hash",
    "quote's",
    'double "quoted"',
    "tab\there",
    "ünïcödé ✓",
    "line one\nline two\n",
    "  indented first\nsecond\n",
    "ends without newline\nlast",
    "with an empty line\n\nafter it\n",
    "trailing newlines\n\n\n",
    "space before break \nnext",
    "x" * 1200,
    "k" * 200,
    "bell\x07",
    "line\u2028separator",
    "crlf\r\nline",
    "emoji 🙂 outside the BMP",
    "\ufeffbom",
    "nel\x85here",
    "words " * 250,
    0,
    -7,
    10**20,
    0.1,
    1e17,
    float("inf"),
    float("-inf"),
    True,
    False,
    None,
    {},
    [],
    {"nested": {"list": [1, "two", {"three": 3}], "empty": {}}},
    [[1, 2], [], {"a": None}],
]


def test_awkward_scalars_render_as_pure_pyyaml_does() -> None:
    for value in AWKWARD:
        document = {"value": value, "in_list": [value], "deep": {"deeper": {"x": value}}}
        assert yamlout.dump(document) == yamlout.reference_dump(document), repr(value)
        assert yamlout.dump(value) == yamlout.reference_dump(value), repr(value)
        if isinstance(value, str):
            keyed = {value: 1, "after": {value: [value]}}
            assert yamlout.dump(keyed) == yamlout.reference_dump(keyed), repr(value)
    assert yamlout.dump(float("nan")) == yamlout.reference_dump(float("nan"))


@pytest.mark.parametrize("value", AWKWARD)
def test_embedding_a_rendered_mapping_equals_rendering_it_in_place(value: object) -> None:
    inner = {"groups": [{"name": "g", "rules": [{"record": "r", "expr": value, "labels": {"a": "b"}}]}]}
    outer = {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "n"}, "spec": inner}
    text = yamlout.dump_reusing(outer, "a header\n\nwith a blank line", "spec", yamlout.dump(inner))
    assert text == yamlout.comment("a header\n\nwith a blank line") + yamlout.reference_dump(outer)


def test_embedding_falls_back_when_the_shortcut_could_differ() -> None:
    inner = {"a": 1}
    not_last = {"spec": inner, "kind": "x"}
    assert yamlout.dump_reusing(not_last, None, "spec", "bogus: text\n") == yamlout.reference_dump(not_last)
    long_line = {"expr": "y" * 995}
    outer = {"spec": long_line}
    assert yamlout.dump_reusing(outer, None, "spec", yamlout.dump(long_line)) == yamlout.reference_dump(outer)
    odd_key = {"key with: colon": inner}
    assert yamlout.dump_reusing(odd_key, None, "key with: colon", "a: 1\n") == yamlout.reference_dump(odd_key)
    with yamlout.reference():
        assert yamlout.dump_reusing({"spec": inner}, None, "spec", "bogus: 2\n") == "spec:\n  a: 1\n"


def _generated(tmp_path: Path) -> Path:
    """Thirty SLOs of every kind over six services, with routing: every generator's YAML shapes."""
    lines = [
        "from slo import availability, error_rate, latency, pagerduty, ratio, regex, routing, service, slack,"
        " team_route, uptime",
    ]
    for s in range(6):
        job = f'{{"job": "svc{s}", "path": "/a b"}}'
        slos = [
            f'availability("avail", 99.9, "http_requests_total", errors={{"code": regex("5..")}}, labels={job})',
            f'latency("latency", 95, "http_request_duration_seconds", under="250ms", labels={job})',
            f'error_rate("errors", 99, "http_requests_total", errors={{"code": regex("5..")}}, below="0.1%", '
            f'labels={job}, period="month", timezone="Europe/Berlin")',
            f'uptime("uptime", 99.95, "probe_success", labels={{"instance": "https://svc{s}.example/health"}})',
            f'ratio("jobs", 99.5, total=\'jobs_total{{job="svc{s}"}}\', bad=\'jobs_failed_total{{job="svc{s}"}}\')',
        ]
        lines.append(f's{s} = service("svc-{s}", {", ".join(slos)}, team="team-{s % 3}", description="Ünïcode: ok")')
    lines.append(
        'r = routing(pagerduty("pager", routing_key_file="/etc/am/pd"), slack("chat", api_url_file="/etc/am/s", '
        'channel="#alerts"), critical="pager", warning="chat", routes=[team_route("team-1", warning="chat")])'
    )
    path = tmp_path / "slos.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("source", ["example-py", "example-yaml", "generated"])
def test_whole_trees_are_byte_identical_to_pure_pyyaml(source: str, tmp_path: Path) -> None:
    path = {
        "example-py": EXAMPLE / "slos.py",
        "example-yaml": EXAMPLE / "slos.yaml",
        "generated": _generated(tmp_path) if source == "generated" else None,
    }[source]
    defs = load([path])
    fast = artifacts(defs)
    with yamlout.reference():
        slow = artifacts(defs)
    assert fast.keys() == slow.keys()
    for rel in fast:
        assert fast[rel] == slow[rel], rel
