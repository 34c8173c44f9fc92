"""Options for talking to a Prometheus-compatible server, shared by every live command.

``report``, ``check``, ``backfill`` and ``backtest`` take the same URL, auth, TLS, header, timeout
and retry options; :func:`prometheus_options` adds them to a click command and hands the command
one :class:`~slo.report.client.Connection` as ``conn``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from slo.model.errors import Problem, SpecError
from slo.report.client import Connection

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--prometheus",
        "url",
        required=True,
        envvar="SLO_PROMETHEUS_URL",
        metavar="URL",
        help="Prometheus (or Thanos/Mimir/Cortex/VictoriaMetrics) base URL [env SLO_PROMETHEUS_URL].",
    ),
    click.option("--bearer-token-file", type=click.Path(dir_okay=False), help="Read a bearer token from FILE."),
    click.option("--bearer-token-env", metavar="VAR", help="Read a bearer token from environment variable VAR."),
    click.option("--basic-auth-user", metavar="USER", help="Basic auth user name."),
    click.option("--basic-auth-password-file", type=click.Path(dir_okay=False), help="Basic auth password from FILE."),
    click.option("--basic-auth-password-env", metavar="VAR", help="Basic auth password from environment variable VAR."),
    click.option(
        "--ca-file", type=click.Path(dir_okay=False), help="CA bundle to verify the server's TLS certificate."
    ),
    click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate."),
    click.option("--header", multiple=True, metavar="'NAME: VALUE'", help="Extra HTTP header (repeatable)."),
    click.option("--tenant", metavar="ID", help="Tenant for Mimir/Cortex/Thanos: sends X-Scope-OrgID: ID."),
    click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds to wait for each answer."),
    click.option(
        "--retries",
        type=click.IntRange(0, 10),
        default=3,
        show_default=True,
        help="Retries with backoff on 5xx, 429, timeouts and refused connections.",
    ),
)
_NAMES = (
    "url", "bearer_token_file", "bearer_token_env", "basic_auth_user", "basic_auth_password_file",
    "basic_auth_password_env", "ca_file", "insecure", "header", "tenant", "timeout", "retries",
)  # fmt: skip


def prometheus_options(func: F) -> F:
    """Add --prometheus and the connection options; the command receives ``conn: Connection``.

    Bad option values are input errors (exit 1 with one line), whichever order the decorators are in.
    """
    from slo.commands.common import guarded

    @guarded
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = [kwargs.pop(name) for name in _NAMES]
        kwargs["conn"] = connection(*values)
        return func(*args, **kwargs)

    decorated: Callable[..., Any] = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[return-value]


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
