"""``slo convert``: input → convert → load gives the same model (the toolkit's YAML), or the same model
but what OpenSLO v1 cannot carry (alerting policy, runbook and dashboard links)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from slo.commands.convert import render
from slo.loaders import Definitions, load
from slo.model.alert_policy import DEFAULT_POLICY, AlertPolicy
from slo.model.errors import SpecError
from slo.model.grouping import DEFAULT_MAX_GROUPS
from slo.model.service import Service
from slo.model.sli import RawRatioSLI
from tests.upstream import DATA, files, try_load

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ai-assistant"


def _accepted() -> list[Path]:
    out = []
    for corpus in ("sloth", "pyrra"):
        for path in files(corpus):
            if "-duplicate" not in path.name and isinstance(try_load([path]), Definitions):
                out.append(path)
    return out


SOURCES = [
    *_accepted(),
    DATA / "openslo" / "split",
    DATA / "equivalent" / "openslo.yaml",
    DATA / "equivalent" / "sloth.yaml",
    DATA / "equivalent" / "slos.yaml",
    DATA / "sloth" / "k8s.yaml",
    DATA / "grouped" / "checkout.yaml",
]


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(DATA)) for p in paths]


def _reload(tmp_path: Path, source: Path, to: str) -> tuple[Definitions, Definitions]:
    before = load([source])
    converted, _ = render((str(source),), to)
    for name, text in converted.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return before, load([tmp_path])


@pytest.mark.parametrize("source", SOURCES, ids=_ids(SOURCES))
def test_round_trip_through_the_toolkit_yaml_gives_the_same_model(tmp_path: Path, source: Path) -> None:
    before, after = _reload(tmp_path, source, "toolkit")
    assert sorted(after.services, key=lambda s: s.name) == sorted(before.services, key=lambda s: s.name)


def _openslo_policy(policy: AlertPolicy | None) -> AlertPolicy:
    """What OpenSLO keeps of a policy: its burn-rate tiers, when each short window is a twelfth of its long one."""
    if policy is None or not policy.tiers:
        return DEFAULT_POLICY
    if any(t.short_window.seconds != max(60, t.long_window.seconds // 12) for t in policy.tiers):
        return DEFAULT_POLICY
    return DEFAULT_POLICY if policy.tiers == DEFAULT_POLICY.tiers else AlertPolicy(tiers=policy.tiers)


def _without_openslo_gaps(service: Service) -> Service:
    slos = tuple(
        dataclasses.replace(s, alerting=_openslo_policy(s.alerting), group_by=(), max_groups=DEFAULT_MAX_GROUPS)
        for s in service.slos
    )
    return dataclasses.replace(service, slos=slos, runbook_url=None, dashboard_url=None)


def _has_raw_sli(path: Path) -> bool:
    return any(isinstance(slo.sli, RawRatioSLI) for svc in load([path]).services for slo in svc.slos)


# A raw error-ratio SLI has no OpenSLO v1 form the loader reads back: convert refuses it by name.
OPENSLO_SOURCES = [p for p in SOURCES if not _has_raw_sli(p)]


def test_raw_sli_is_refused_for_openslo_by_name() -> None:
    source = DATA / "sloth" / "upstream" / "examples" / "raw-home-wifi.yml"
    with pytest.raises(SpecError) as info:
        render((str(source),), "openslo")
    assert "a raw error-ratio SLI has no OpenSLO v1 form" in str(info.value)


@pytest.mark.parametrize("source", OPENSLO_SOURCES, ids=_ids(OPENSLO_SOURCES))
def test_round_trip_through_openslo_keeps_everything_openslo_carries(tmp_path: Path, source: Path) -> None:
    before, after = _reload(tmp_path, source, "openslo")
    expected = sorted((_without_openslo_gaps(s) for s in before.services), key=lambda s: s.name)
    assert sorted((_without_openslo_gaps(s) for s in after.services), key=lambda s: s.name) == expected


def test_the_bundled_python_example_round_trips_or_names_what_it_cannot_write() -> None:
    try:
        render((str(EXAMPLE / "slos.py"),), "toolkit")
    except SpecError as exc:
        # Threshold alerts and Python-only guard knobs are refused by name, never dropped.
        assert all("alerts" in p.path or "has no key" in p.message for p in exc.problems), exc.problems


def test_opaque_events_query_is_kept_as_written_in_both_formats(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        'version: "prometheus/v1"\nservice: svc\nslos:\n  - name: a\n    objective: 99\n    sli:\n      events:\n'
        '        error_query: sum(rate(x_total{code=~"5.."}[{{.window}}])) - sum(rate(y_total[{{.window}}]))\n'
        "        total_query: sum(rate(x_total[{{.window}}]))\n"
    )
    expected = load([spec]).services[0].slos[0].sli
    for to in ("toolkit", "openslo"):
        converted, _ = render((str(spec),), to)
        out = tmp_path / to
        out.mkdir()
        for name, text in converted.items():
            (out / name).write_text(text)
        assert load([out]).services[0].slos[0].sli == expected, to
    assert "promql: sum(rate(x_total" in render((str(spec),), "toolkit")[0]["svc.yaml"]


def test_cli_writes_one_file_per_service_and_notes_what_openslo_leaves_out(tmp_path: Path) -> None:
    source = DATA / "sloth" / "upstream" / "examples" / "k8s-multifile.yml"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from slo.cli import main; main()",
            "convert",
            str(source),
            "--to",
            "openslo",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["myservice.openslo.yaml", "myservice2.openslo.yaml"]
    assert (
        "note: myservice/requests-availability: name, labels, annotations, page labels, ticket labels have no "
        in done.stderr
    )
    done = subprocess.run(
        [sys.executable, "-c", "from slo.cli import main; main()", "convert", str(source), "--to", "toolkit"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("apiVersion: slo-toolkit/v1") == 2


def test_custom_tiers_survive_openslo_as_burn_rate_conditions(tmp_path: Path) -> None:
    source = DATA / "sloth" / "upstream" / "examples" / "getting-started.yml"
    spec = tmp_path / "in.yaml"
    spec.write_text(source.read_text())
    windows = tmp_path / "windows.yaml"
    windows.write_text(
        "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 30d\n"
        "  page:\n    quick: {errorBudgetPercent: 1, shortWindow: 5m, longWindow: 1h}\n"
        "    slow: {errorBudgetPercent: 4, shortWindow: 30m, longWindow: 6h}\n"
        "  ticket:\n    quick: {errorBudgetPercent: 8, shortWindow: 2h, longWindow: 1d}\n"
        "    slow: {errorBudgetPercent: 12, shortWindow: 6h, longWindow: 3d}\n"
    )
    before = load([spec, windows]).services[0].slos[0].alerting.tiers
    assert before != DEFAULT_POLICY.tiers
    converted, _ = render((str(spec), str(windows)), "openslo")
    out = tmp_path / "out"
    out.mkdir()
    for name, text in converted.items():
        (out / name).write_text(text)
    after = load([out])
    assert after.services[0].slos[0].alerting.tiers == before
    assert after.warnings == ()


def test_openslo_conversion_names_the_grouping_it_cannot_carry() -> None:
    _, notes = render((str(DATA / "grouped" / "checkout.yaml"),), "openslo")
    assert any("checkout/availability: group_by (route) has no OpenSLO v1 form" in n for n in notes), notes
