"""``slo explain``: per SLO and tier, the budget, thresholds, time to fire and guards, in words."""

from __future__ import annotations

import json

import click

from slo.commands.common import definitions, guarded
from slo.project import config


@click.command()
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Words for people, or the same facts as JSON for scripts.",
)
@guarded
def explain(sources: tuple[str, ...], fmt: str) -> None:
    """Explain each SLO's alerts before they ring: budget, what each tier needs, how fast it fires, guards."""
    from slo.explain import explain as explain_all
    from slo.explain import render

    groups = config.settings().rule_groups
    docs = explain_all(definitions(sources).services, groups.query_offset if groups is not None else None)
    if fmt == "json":
        click.echo(json.dumps({"slos": [d for _, d in docs]}, indent=2))
    else:
        click.echo(render(docs), nl=False)
