"""``slo backfill``: the generated recording rules evaluated over history, as TSDB blocks in DIR."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from slo.commands.common import definitions, guarded
from slo.commands.connection import prometheus_options
from slo.model.errors import SpecError
from slo.report.client import Connection

NEXT_STEPS = """\
next:
  1. Prometheus: copy the block directories into its data directory (--storage.tsdb.path), e.g.
       cp -r {out}/0* /var/lib/prometheus/metrics2/
     2.39 and later load them at the next block reload (restart to load them at once); older versions
     need --storage.tsdb.allow-overlapping-blocks. Windows up to {span} are full from the first evaluation.
  2. Thanos, Mimir, Cortex: upload each block directory to the object storage bucket instead
     (thanos tools bucket upload, or mimirtool backfill {out}/0*).
  3. Deploy the generated rule files (rules/*.rules.yml) if they are not yet: live evaluation carries on
     from {end}. Rerunning with the same rules replaces these blocks; {manifest} lists them.
"""


@click.command("backfill")
@click.argument("sources", nargs=-1, type=click.Path())
@prometheus_options
@click.option("--start", required=True, metavar="T", help="First instant: ISO 8601, Unix seconds, or e.g. 30d (ago).")
@click.option("--end", metavar="T", help="Last instant (default: now); set it to when the rules went live.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Directory for the blocks.")
@click.option("--replace", "replace_other", is_flag=True, help="Replace blocks DIR holds from other rules.")
@click.option(
    "--concurrency", type=click.IntRange(1, 16), default=2, show_default=True, help="Queries in flight per server."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr.")
@guarded
def backfill(
    sources: tuple[str, ...],
    conn: Connection,
    start: str,
    end: str | None,
    out: str,
    replace_other: bool,
    concurrency: int,
    quiet: bool,
) -> None:
    """Evaluate the generated recording rules over [--start, --end] and write TSDB blocks into DIR.

    Level by level: the rules over raw series are range-queried on --prometheus, the windows derived
    from them on a Prometheus started here over the blocks just written. Exit 0 blocks written; 1 bad
    input, no data in the range, or DIR holds other rules' blocks; 2 server unreachable or
    promtool/prometheus missing. DIR is only changed when the whole run succeeded.
    """
    from slo.backtest import outdir
    from slo.backtest.cliparts import instant, iso, progress_bar
    from slo.backtest.evaluate import Client, already_recorded
    from slo.backtest.plan import build
    from slo.backtest.run import rule_docs, run_backfill
    from slo.local.servers import PrometheusError
    from slo.report.client import PrometheusUnavailable
    from slo.tools.toolcheck import binary

    defs = definitions(sources)
    now = time.time()
    first = instant(start, "--start", now)
    last = instant(end, "--end", now) if end else int(now) // 60 * 60
    if last <= first:
        raise SpecError(f"--end ({iso(last)}) must be after --start ({iso(first)})")
    if last > now + 60:
        raise SpecError(f"--end ({iso(last)}) is in the future")
    binary("promtool")
    binary("prometheus")
    docs = rule_docs(defs)
    target = Path(out)
    digest = outdir.rules_digest(docs)
    outdir.check(target, digest, replace_other)
    stage = outdir.staging(target)
    try:
        with Client(conn) as client, progress_bar(not quiet) as bar:
            live = already_recorded(client, build(docs), first, last)
            if live is not None:
                click.echo(
                    f"slo: backfill: warning: {client.shown} already records some of these series from about "
                    f"{iso(live)} (the rules are deployed, maybe in another version): backfilled and live samples "
                    f"will interleave after that; rerun with --end {iso(live)} to stop where the live ones begin",
                    err=True,
                )
            run = run_backfill(client, docs, first, last, stage, bar, concurrency)
        blocks = outdir.commit(target, stage, digest, first, last)
    except PrometheusUnavailable as exc:
        click.echo(f"slo: backfill: {exc}; {target} unchanged", err=True)
        sys.exit(2)
    except PrometheusError as exc:
        click.echo(f"slo: backfill: the local Prometheus failed: {exc}; {target} unchanged", err=True)
        sys.exit(2)
    finally:
        import shutil

        shutil.rmtree(stage, ignore_errors=True)
    for level in run.levels:
        for rule in level.empty_rules:
            click.echo(f"slo: backfill: warning: {rule.group}: {rule.record} had no data in the range", err=True)
    for level in run.levels:
        click.echo(
            f"level {level.level}: {level.rules} rule(s), {level.series} series, {level.samples:,} samples, "
            f"{level.seconds:.1f}s",
            err=True,
        )
    levels = len(run.levels)
    click.echo(
        f"wrote {len(blocks)} block(s) to {target}: {run.series} series, {run.samples:,} samples, "
        f"{levels} level(s), {iso(first)} .. {iso(last)}"
    )
    from slo.model.durations import Duration

    span = Duration(max(60, (last - first) // 60 * 60))
    text = NEXT_STEPS.format(out=target, end=iso(last), manifest=target / outdir.MANIFEST, span=span)
    click.echo(text, nl=False)
