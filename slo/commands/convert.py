"""``slo convert``: any input format → the toolkit's YAML or OpenSLO v1, one file per service."""

from __future__ import annotations

from pathlib import Path

import click

from slo.commands.common import definitions, guarded
from slo.convert import FORMATS


def render(sources: tuple[str, ...], to: str) -> tuple[dict[str, str], list[str]]:
    """``{file name: YAML text}`` per service and notes on what the target format leaves out.

    Every service is converted before anything is written, and every refusal is reported at once.
    """
    from generators.yamlout import dump
    from slo.convert import openslo, toolkit
    from slo.model.errors import Problem, SpecError

    defs = definitions(sources)
    files: dict[str, str] = {}
    notes: list[str] = []
    problems: list[Problem] = []
    for service in defs.services:
        origin = defs.origin(service.name)
        head = f"Converted by slo-toolkit (slo convert --to {to}) from {origin}."
        try:
            if to == "toolkit":
                files[f"{service.name}.yaml"] = dump(toolkit.service_document(service, origin), head)
            else:
                docs, more = openslo.documents(service, origin)
                notes.extend(more)
                files[f"{service.name}.openslo.yaml"] = dump(docs[0], head) + "".join(
                    "---\n" + dump(d) for d in docs[1:]
                )
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems)
    return files, notes


@click.command("convert")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option("--to", "to", type=click.Choice(FORMATS), required=True, help="Target format.")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default=None,
    help="Write one file per service into DIR (default: print every document to stdout).",
)
@guarded
def convert(sources: tuple[str, ...], to: str, out: str | None) -> None:
    """Write the definitions as the toolkit's YAML or as OpenSLO v1, so one format can be kept."""
    from slo.project.output import write_atomic

    files, notes = render(sources, to)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if out is None:
        click.echo("---\n".join(files.values()), nl=False)
        return
    target = Path(out)
    for name, text in files.items():
        write_atomic(target / name, text)
        click.echo(f"wrote {target / name}")
