"""``slo report``: one calendar month (or span) of SLIs and error budgets from Prometheus.

Registered in :mod:`slo.cli` with ``main.add_command(report)``. Bad input exits 1 (via
:func:`slo.cli.guarded`); an unreachable or failing Prometheus exits 2 with one line on stderr and
writes nothing: the output is rendered completely before the file is (atomically, mode 0600)
replaced. So does an answer that is incomplete (server warnings, Thanos/VictoriaMetrics partial
responses, a part of the query missing), unless ``--allow-partial`` asks for the report anyway
with those SLOs flagged: a compliance figure is either right or absent.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from slo import config
from slo.errors import Problem, SpecError
from slo.loaders import Definitions, load
from slo.model import SLO, CalendarMonth, Service
from slo.report import compute, queries
from slo.report.client import Connection, PromClient, PrometheusUnavailable, public_url
from slo.report.periods import ReportPeriod, resolve, step_for, zone
from slo.report.render import FORMATS, render

F = TypeVar("F", bound=Callable[..., Any])


def _guarded(func: F) -> F:
    """:func:`slo.cli.guarded`, looked up at call time so either module may be imported first."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from slo.cli import guarded

        return guarded(func)(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _secret_file(path: str, option: str) -> str:
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SpecError(Problem(path, None, "", f"{option}: cannot read: {exc.strerror or exc}")) from None
    if not value:
        raise SpecError(Problem(path, None, "", f"{option}: the file is empty"))
    return value


def _secret_env(name: str, option: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SpecError(f"{option}: environment variable {name} is not set or empty")
    return value


def _headers(values: tuple[str, ...], tenant: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in values:
        name, sep, value = text.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or any(c in name for c in " \t\r\n") or "\n" in value or "\r" in value:
            raise SpecError(f"--header: expected 'Name: value', got {text!r}")
        out[name] = value
    if tenant:
        out["X-Scope-OrgID"] = tenant
    return out


def connection(
    url: str,
    bearer_token_file: str | None,
    bearer_token_env: str | None,
    basic_auth_user: str | None,
    basic_auth_password_file: str | None,
    basic_auth_password_env: str | None,
    ca_file: str | None,
    insecure: bool,
    header: tuple[str, ...],
    tenant: str | None,
    timeout: float,
    retries: int,
) -> Connection:
    """Turn the connection options into a :class:`Connection`; bad combinations are input errors (exit 1)."""
    if bearer_token_file and bearer_token_env:
        raise SpecError("give one of --bearer-token-file or --bearer-token-env")
    if basic_auth_password_file and basic_auth_password_env:
        raise SpecError("give one of --basic-auth-password-file or --basic-auth-password-env")
    token = None
    if bearer_token_file:
        token = _secret_file(bearer_token_file, "--bearer-token-file")
    elif bearer_token_env:
        token = _secret_env(bearer_token_env, "--bearer-token-env")
    basic = None
    if basic_auth_user is not None:
        if basic_auth_password_file:
            password = _secret_file(basic_auth_password_file, "--basic-auth-password-file")
        elif basic_auth_password_env:
            password = _secret_env(basic_auth_password_env, "--basic-auth-password-env")
        else:
            raise SpecError("--basic-auth-user needs --basic-auth-password-file or --basic-auth-password-env")
        basic = (basic_auth_user, password)
    elif basic_auth_password_file or basic_auth_password_env:
        raise SpecError("a basic-auth password needs --basic-auth-user")
    if token and basic:
        raise SpecError("use either a bearer token or basic auth, not both")
    if ca_file and insecure:
        raise SpecError("give either --ca-file or --insecure")
    if ca_file and not Path(ca_file).is_file():
        raise SpecError(Problem(ca_file, None, "", "--ca-file: no such file"))
    if timeout <= 0:
        raise SpecError("--timeout must be positive")
    return Connection(
        url=url,
        bearer_token=token,
        basic_auth=basic,
        ca_file=ca_file,
        insecure=insecure,
        headers=_headers(header, tenant),
        timeout=timeout,
        retries=retries,
    )


def default_timezone(slos: list[tuple[Service, SLO]]) -> str:
    """The SLOs' calendar time zone when they all agree on one, else UTC."""
    zones = {s.period.timezone for _, s in slos if isinstance(s.period, CalendarMonth)}
    return zones.pop() if len(zones) == 1 else "UTC"


def build(
    client: PromClient,
    slos: list[tuple[Service, SLO]],
    period: ReportPeriod,
    previous: ReportPeriod | None,
    concurrency: int,
    progress: bool,
) -> compute.Report:
    """Plan, query and compute every SLO; raises PrometheusUnavailable before anything is rendered."""
    jobs: list[tuple[queries.Key, queries.Query]] = []
    for i, (_, slo) in enumerate(slos):
        jobs += [((i, name), q) for name, q in queries.plan(slo, period).items()]
        if previous is not None:
            jobs += [((i, f"previous:{name}"), q) for name, q in queries.plan(slo, previous).items()]
    results = _run_with_progress(client, jobs, concurrency, progress, len(slos))
    rows = []
    for i, (service, slo) in enumerate(slos):
        row = _row(service, slo, period, results, i, "")
        if previous is not None:
            row.previous = _row(service, slo, previous, results, i, "previous:")
        rows.append(row)
    return compute.Report(period, rows, previous, source=public_url(client.url))


def _row(service: Service, slo: SLO, period: ReportPeriod, results: dict, i: int, prefix: str) -> compute.Row:
    kind = queries.kind(slo)
    step = step_for(period)
    hourly = results.get((i, prefix + "hourly"))
    if kind == "slices":
        return compute.slices(service, slo, period, results.get((i, prefix + "slices")))
    if kind == "events":
        totals = results.get((i, prefix + "totals"), [])
        return compute.events(service, slo, period, totals, hourly, step, queries.coverage_step(period))
    return compute.raw(service, slo, period, results.get((i, prefix + "totals"), []), hourly, step)


def _run_with_progress(
    client: PromClient, jobs: list, concurrency: int, progress: bool, slo_count: int
) -> dict[queries.Key, list]:
    if not progress:
        return queries.run(client, jobs, concurrency)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        return queries.run(client, jobs, concurrency)
    columns = (TextColumn("querying {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{slo_count} SLO(s)", total=len(jobs))
        return queries.run(client, jobs, concurrency, on_done=lambda _key: bar.advance(task))


def incomplete_summary(result: compute.Report) -> str | None:
    """One line naming the SLOs whose answers were incomplete and why, or None when all were whole."""
    found: list[str] = []
    for row in result.rows:
        for r, when in ((row, ""), (row.previous, " (previous period)")):
            if r is not None and r.incomplete:
                found.append(f"{r.service}/{r.slo}{when}: {r.incomplete[0]}")
    if not found:
        return None
    shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    return f"incomplete answers for {len(found)} SLO(s): {shown}"


@click.command("report")
@click.argument("sources", nargs=-1, type=click.Path())
@click.option(
    "--prometheus",
    "url",
    required=True,
    envvar="SLO_PROMETHEUS_URL",
    metavar="URL",
    help="Prometheus (or Thanos/Mimir/Cortex/VictoriaMetrics) base URL [env SLO_PROMETHEUS_URL].",
)
@click.option("--month", metavar="YYYY-MM", help="Calendar month to report (default: the last complete month).")
@click.option("--start", metavar="T", help="Span start: ISO 8601 date or date-time (with --end; end exclusive).")
@click.option("--end", metavar="T", help="Span end (exclusive).")
@click.option(
    "--timezone",
    metavar="TZ",
    help="IANA time zone of months and days (default: the SLOs' calendar zone if they share one, else UTC).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of stdout.")
@click.option("--compare-previous", is_flag=True, help="Add the previous period's SLI and error budget for each SLO.")
@click.option("--bearer-token-file", type=click.Path(dir_okay=False), help="Read a bearer token from FILE.")
@click.option("--bearer-token-env", metavar="VAR", help="Read a bearer token from environment variable VAR.")
@click.option("--basic-auth-user", metavar="USER", help="Basic auth user name.")
@click.option("--basic-auth-password-file", type=click.Path(dir_okay=False), help="Basic auth password from FILE.")
@click.option("--basic-auth-password-env", metavar="VAR", help="Basic auth password from environment variable VAR.")
@click.option("--ca-file", type=click.Path(dir_okay=False), help="CA bundle to verify the server's TLS certificate.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@click.option("--header", multiple=True, metavar="'NAME: VALUE'", help="Extra HTTP header (repeatable).")
@click.option("--tenant", metavar="ID", help="Tenant for Mimir/Cortex/Thanos: sends X-Scope-OrgID: ID.")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait for each answer.")
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Retries with backoff on 5xx, 429, timeouts and refused connections.",
)
@click.option("--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="Queries in flight.")
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Report even when the server flags answers as partial (warnings); those SLOs are marked incomplete.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr.")
@_guarded
def report(
    sources: tuple[str, ...],
    url: str,
    month: str | None,
    start: str | None,
    end: str | None,
    timezone: str | None,
    fmt: str,
    output: str | None,
    compare_previous: bool,
    bearer_token_file: str | None,
    bearer_token_env: str | None,
    basic_auth_user: str | None,
    basic_auth_password_file: str | None,
    basic_auth_password_env: str | None,
    ca_file: str | None,
    insecure: bool,
    header: tuple[str, ...],
    tenant: str | None,
    timeout: float,
    retries: int,
    concurrency: int,
    allow_partial: bool,
    quiet: bool,
) -> None:
    """SLI, error budget, worst day and coverage of every SLO over a calendar month, from Prometheus.

    Occurrence SLIs use increase() over the exact period at its end; time slices are evaluated
    once each by a range query stepping slice by slice from the period's start. An SLO without
    data is reported as "no data", never as compliant.
    """
    conn = connection(
        url, bearer_token_file, bearer_token_env, basic_auth_user, basic_auth_password_file,
        basic_auth_password_env, ca_file, insecure, header, tenant, timeout, retries,
    )  # fmt: skip
    defs: Definitions = load(config.resolve_sources(sources))
    slos = [(service, slo) for service in defs.services for slo in service.slos]
    tz = timezone or default_timezone(slos)
    zone(tz)
    period = resolve(month, start, end, tz)
    previous = period.previous() if compare_previous else None
    try:
        with PromClient(conn) as client:
            result = build(client, slos, period, previous, concurrency, progress=not quiet)
    except PrometheusUnavailable as exc:
        click.echo(f"slo: report: {exc}", err=True)
        sys.exit(2)
    problem = incomplete_summary(result)
    if problem and not allow_partial:
        click.echo(
            f"slo: report: {problem}; nothing written (rerun when the server is healthy, or pass --allow-partial "
            "to report with those SLOs marked incomplete)",
            err=True,
        )
        sys.exit(2)
    if problem:
        click.echo(f"slo: report: warning: {problem}", err=True)
    if output:
        from slo.output import remove_stale_temps, write_atomic

        target = Path(output)
        remove_stale_temps(target.parent, name=target.name)
        write_atomic(target, render(result, fmt), mode=0o600)
        click.echo(f"wrote {output} ({fmt}, {len(result.rows)} SLO(s), {period.label})", err=True)
        return
    color = fmt == "table" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render(result, fmt, color=color), nl=False)
