"""``slo backtest``: what the generated alerting rules would have fired over real history."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from slo.commands.common import definitions, guarded
from slo.commands.connection import prometheus_options
from slo.loaders import Definitions
from slo.model.errors import Problem, SpecError
from slo.model.sli import LatencySLI
from slo.report.client import Connection


@click.command("backtest")
@click.argument("sources", nargs=-1, type=click.Path())
@prometheus_options
@click.option("--since", metavar="D", help="Replay the last D (e.g. 30d, 12h); the default is 30d.")
@click.option("--start", metavar="T", help="Window start: ISO 8601 or Unix seconds (with --end).")
@click.option("--end", metavar="T", help="Window end (default with --start: now).")
@click.option(
    "--against",
    "against",
    multiple=True,
    type=click.Path(),
    metavar="SOURCE",
    help="Other definitions (e.g. the base branch's): replay both, show the difference (repeatable).",
)
@click.option(
    "--warmup",
    metavar="D",
    help="History evaluated before the window (default: the longest window the alerts read, e.g. 3d).",
)
@click.option("--format", "fmt", type=click.Choice(("table", "markdown", "json")), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of stdout.")
@click.option(
    "--concurrency", type=click.IntRange(1, 16), default=2, show_default=True, help="Queries in flight per server."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr.")
@guarded
def backtest(
    sources: tuple[str, ...],
    conn: Connection,
    since: str | None,
    start: str | None,
    end: str | None,
    against: tuple[str, ...],
    warmup: str | None,
    fmt: str,
    output: str | None,
    concurrency: int,
    quiet: bool,
) -> None:
    """Replay the generated alerting rules over history and list every page and ticket they would have fired.

    Recording rules are backfilled into a Prometheus started here (127.0.0.1), the alert expressions
    are range-queried at their group's interval and stepped through Prometheus' for/keep_firing_for
    states. With --against, only SLOs whose rules differ are replayed, in both versions. Exit 0 done
    (whatever fired); 1 bad input or no data in the window; 2 server unreachable, or
    promtool/prometheus missing.
    """
    from slo.backtest import diff, run
    from slo.backtest.cliparts import instant, iso, progress_bar
    from slo.backtest.evaluate import Client
    from slo.backtest.render import Result, render
    from slo.local.servers import PrometheusError
    from slo.model.durations import Duration
    from slo.report.client import PrometheusUnavailable
    from slo.tools.toolcheck import binary

    now = time.time()
    if since and (start or end):
        raise SpecError("give either --since or --start/--end, not both")
    if end and not start:
        raise SpecError("--end needs --start")
    if start:
        first = instant(start, "--start", now)
        last = instant(end, "--end", now) if end else int(now) // 60 * 60
    else:
        try:
            span = Duration.parse(since or "30d").seconds
        except ValueError as exc:
            raise SpecError(f"--since: {exc}") from None
        last = int(now) // 60 * 60
        first = last - span
    if last <= first:
        raise SpecError(f"--end ({iso(last)}) must be after --start ({iso(first)})")
    if last > now + 60:
        raise SpecError(f"--end ({iso(last)}) is in the future")
    try:
        warm = Duration.parse(warmup).seconds if warmup else None
    except ValueError as exc:
        raise SpecError(f"--warmup: {exc}") from None
    defs = definitions(sources)
    base_defs = definitions(against) if against else None
    for loaded in (defs, base_defs):
        if loaded is not None:
            _refuse_native(loaded)
    binary("promtool")
    binary("prometheus")
    docs = run.rule_docs(defs)
    window = run.Window(first, last)
    try:
        with Client(conn) as client, progress_bar(not quiet) as bar:
            if base_defs is None:
                alerts = run.backtest(client, defs, docs, window, bar, warmup=warm, workers=concurrency)
                result = Result(first, last, alerts, sum(len(s.slos) for s in defs.services))
            else:
                base_docs = run.rule_docs(base_defs)
                groups = run.changed_groups(docs, base_docs)
                head = run.backtest(
                    client, defs, run.only_groups(docs, groups), window, bar, warmup=warm, workers=concurrency
                )
                base = run.backtest(
                    client, base_defs, run.only_groups(base_docs, groups), window, bar, warmup=warm, workers=concurrency
                )
                compared = run.slos_of(docs, groups) | run.slos_of(base_docs, groups)
                changes = diff.compare(head, base, last)
                head_slos = {k: v[1] for k, v in run.slo_index(defs).items()}
                base_slos = {k: v[1] for k, v in run.slo_index(base_defs).items()}
                summary = diff.summarise(changes, head_slos, base_slos, compared)
                result = Result(first, last, head, len(compared), base, changes, summary)
    except PrometheusUnavailable as exc:
        click.echo(f"slo: backtest: {exc}", err=True)
        sys.exit(2)
    except PrometheusError as exc:
        click.echo(f"slo: backtest: the local Prometheus failed: {exc}", err=True)
        sys.exit(2)
    text = render(result, fmt)
    if output:
        from slo.project.output import write_atomic

        write_atomic(Path(output), text)
        click.echo(f"wrote {output} ({fmt}, {len(result.alerts)} alert(s))", err=True)
        return
    click.echo(text, nl=False)


def _refuse_native(defs: Definitions) -> None:
    """Native-histogram SLIs cannot be replayed: their raw series would have to be copied into local blocks."""
    problems = []
    for service in defs.services:
        for slo in service.slos:
            sli = getattr(slo.sli, "inner", slo.sli)
            if isinstance(sli, LatencySLI) and sli.reads_native:
                problems.append(
                    Problem(
                        defs.origin(service.name),
                        None,
                        f"{service.name}/{slo.name}",
                        f"histogram_kind {sli.histogram_kind!r}: backtest replays the rules over raw series copied "
                        "into local blocks through promtool's OpenMetrics backfill, which cannot write native "
                        "histograms; backtest this SLO with histogram_kind classic over classic series",
                    )
                )
    if problems:
        raise SpecError(problems)
