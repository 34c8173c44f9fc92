"""The ``slo`` command group; each command lives in :mod:`slo.commands` (or its own package).

Bad input exits 1 with ``file:line: path: message`` lines on stderr; a missing tool or an
unreachable server exits 2; nothing ever ends in a traceback.
"""

from __future__ import annotations

import click

from slo.commands import COMMANDS


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from slo.tools.versions import version_text

    click.echo(version_text())
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the toolkit version and the promtool/amtool it finds, and exit.",
)
def main() -> None:
    """Write SLOs once; generate Prometheus rules, tests, Alertmanager routing, dashboards and reports.

    With no SOURCE, commands use [tool.slo] sources from ./pyproject.toml, else slos.py, slos.yaml
    or slos/ in the current directory.
    """


for _command in COMMANDS:
    main.add_command(_command)
