"""``slo validate``, ``slo generate`` and ``slo test``: definitions in, checked files out."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from slo.commands.common import AM_BASE_HELP, artifacts, definitions, guarded, routing_notes, target_problems
from slo.model.errors import SpecError
from slo.project import config


@click.command()
@click.argument("sources", nargs=-1, type=click.Path())
@guarded
def validate(sources: tuple[str, ...]) -> None:
    """Check definitions: exit 0 when valid, 1 with one 'file:line: path: message' per problem."""
    from slo.loaders.checks import promtool_available, semantic, templates

    defs = definitions(sources)
    target_problems(defs)
    problems, warnings = semantic(defs)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    if any(templates(s) for svc in defs.services for s in svc.slos) and not promtool_available():
        click.echo("warning: promtool not found: opaque PromQL fragments were not parsed", err=True)
    if problems:
        raise SpecError(problems)
    count = sum(len(s.slos) for s in defs.services)
    click.echo(f"OK: {len(defs.services)} service(s), {count} SLO(s)")


@click.command()
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output directory (default: [tool.slo] out, else .).",
)
@click.option("--check", is_flag=True, help="Write nothing; print a diff and exit 1 if the output would change.")
@click.option("--alertmanager-base", "am_base", type=click.Path(dir_okay=False), default=None, help=AM_BASE_HELP)
@guarded
def generate(sources: tuple[str, ...], out: str | None, check: bool, am_base: str | None) -> None:
    """Write rules/, rules/tests/, rules/kubernetes/, alertmanager/ (and more) under --out."""
    from generators.bundle import notes
    from slo.project.output import diff, write_tree

    defs = definitions(sources)
    files = artifacts(defs, am_base)
    for note in notes(defs) + routing_notes(defs, am_base):
        click.echo(f"note: {note}", err=True)
    target = Path(out if out is not None else config.settings().out)
    if check:
        text = diff(target, files)
        if text:
            click.echo(text, nl=False)
            click.echo(f"slo: generated files under {target} are out of date: run `slo generate`", err=True)
            sys.exit(1)
        click.echo(f"up to date: {len(files)} file(s) under {target}")
        return
    written, deleted = write_tree(target, files)
    for rel in written:
        click.echo(f"wrote {target / rel}")
    for rel in deleted:
        click.echo(f"removed stale {target / rel}")
    click.echo(f"{len(files)} file(s) generated, {len(written)} changed, {len(deleted)} removed")


@click.command("test")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Test the files already generated in DIR instead of generating afresh into a temporary directory.",
)
@click.option("--alertmanager-base", "am_base", type=click.Path(dir_okay=False), default=None, help=AM_BASE_HELP)
@guarded
def test_command(sources: tuple[str, ...], out: str | None, am_base: str | None) -> None:
    """Run promtool check/test, amtool check-config and the route tests on the output; exit 1 on any failure."""
    from slo.project.output import write_tree
    from slo.tools.toolcheck import check_alertmanager, check_rules

    if out is not None:
        results = check_rules(Path(out)) + check_alertmanager(Path(out))
        if not (Path(out) / "alertmanager" / "alertmanager.yml").is_file():
            click.echo(f"note: no {Path(out) / 'alertmanager' / 'alertmanager.yml'}: amtool checks skipped", err=True)
    else:
        defs = definitions(sources)
        with tempfile.TemporaryDirectory(prefix="slo-test-") as tmp:
            write_tree(Path(tmp), artifacts(defs, am_base))
            results = check_rules(Path(tmp)) + check_alertmanager(Path(tmp))
        if defs.routing is None:
            click.echo("note: no routing defined: no Alertmanager config to check with amtool", err=True)
    failed = [r for r in results if not r.ok]
    for r in results:
        click.echo(f"{'PASS' if r.ok else 'FAIL'}  {r.step:<22} {r.target}")
        if not r.ok:
            click.echo("\n".join("      " + line for line in r.output.splitlines()))
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if not results:
        click.echo("slo: nothing to test: no generated files found", err=True)
        sys.exit(1)
    if failed:
        sys.exit(1)
