"""``slo check``: the definitions and the deployed rules against the live Prometheus and Alertmanager."""

from __future__ import annotations

import sys

import click

from slo.commands.common import AM_BASE_HELP, artifacts, definitions, guarded
from slo.commands.connection import prometheus_options
from slo.live_check.findings import FORMATS
from slo.report.client import Connection


@click.command("check")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--alertmanager", "alertmanager_url", metavar="URL", help="Also check this Alertmanager's config and silences."
)
@click.option(
    "--at", "at_text", metavar="T", help="Evaluate the data checks as of T (ISO 8601; default now), for audits."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--alertmanager-base", type=click.Path(dir_okay=False), help=AM_BASE_HELP)
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="SLOs checked at once.")
@prometheus_options
@guarded
def check(
    sources: tuple[str, ...],
    conn: Connection,
    alertmanager_url: str | None,
    at_text: str | None,
    fmt: str,
    alertmanager_base: str | None,
    concurrency: int,
) -> None:
    """Verify the SLOs against live data and the deployed rules and routing; one line per finding.

    Per SLO: the selectors match series (else the matcher that filters everything out), a latency
    threshold is a bucket boundary, 7 days of traffic against each tier (can one error fire it?),
    the objective was achievable in the history. Deployed: the generated rule groups are loaded,
    identical and evaluating without errors, the recorded slo:* series are fresh, what fires now;
    with --alertmanager, the running config equals the generated one and which silences mute SLO
    alerts. Exit 0 clean, 1 findings (or bad input), 2 a server unreachable.
    """
    from datetime import UTC, datetime

    from slo.live_check.api import AlertmanagerClient, LivePromClient, Unreachable
    from slo.live_check.findings import render
    from slo.live_check.run import run
    from slo.report.client import PrometheusUnavailable
    from slo.report.periods import parse_instant

    defs = definitions(sources)
    files = artifacts(defs, alertmanager_base)
    now = datetime.now(UTC).replace(microsecond=0)
    at = parse_instant(at_text, "UTC", "--at") if at_text else None
    if at is not None and at > now:
        from slo.model.errors import SpecError

        raise SpecError(f"--at: {at_text!r} is in the future")
    try:
        with LivePromClient(conn) as client:
            if alertmanager_url:
                with AlertmanagerClient(alertmanager_url, conn) as am:
                    result = run(defs, files, client, am, at=at, now=now, concurrency=concurrency)
            else:
                result = run(defs, files, client, None, at=at, now=now, concurrency=concurrency)
    except (Unreachable, PrometheusUnavailable) as exc:
        click.echo(f"slo: check: {exc}", err=True)
        sys.exit(2)
    click.echo(render(result, fmt), nl=False)
    if result.failed:
        sys.exit(1)
