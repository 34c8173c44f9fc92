"""The ``slo`` subcommands, one module each; :mod:`slo.cli` adds every one of :data:`COMMANDS` to the group."""

from __future__ import annotations

import click

from slo.commands.backfill import backfill
from slo.commands.backtest import backtest
from slo.commands.check import check
from slo.commands.convert import convert
from slo.commands.demo import demo
from slo.commands.explain import explain
from slo.commands.generate import generate, test_command, validate
from slo.commands.report import report

COMMANDS: tuple[click.Command, ...] = (
    validate,
    explain,
    generate,
    test_command,
    report,
    check,
    demo,
    backfill,
    backtest,
    convert,
)
