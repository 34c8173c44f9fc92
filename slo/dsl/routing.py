"""Alertmanager routing in the Python DSL: receivers, per-team and per-service routes, the routing tree.

The model and its validation live in :mod:`slo.model.routing`; these helpers only give it one readable
call per receiver. Secrets are given as files, never as values: the literal parameters
(routing_key=, api_url=, api_key=, auth_password=) exist only to refuse them clearly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from slo.model.errors import DefinitionError
from slo.model.receivers import (
    Email,
    Integration,
    MSTeamsV2,
    Opsgenie,
    PagerDuty,
    Receiver,
    Slack,
    Webhook,
    refuse_literal,
)
from slo.model.routing import DEFAULT_GROUP_BY, Route, Routing, make_routing


def _receiver(name: str, integration: Callable[[], Integration]) -> Receiver:
    try:
        return Receiver(name, (integration(),))
    except DefinitionError as exc:
        raise exc.under(f"receiver {name!r}") from None


def pagerduty(
    name: str,
    *,
    routing_key_file: str | None = None,
    url: str | None = None,
    send_resolved: bool | None = None,
    description: str | None = None,
    routing_key: str | None = None,
    service_key: str | None = None,
) -> Receiver:
    """A PagerDuty (Events API v2) receiver; the routing key is read from ``routing_key_file``.

    ``description`` (a Go template) replaces the generated notification template's incident title.
    """
    refuse_literal({"routing_key": routing_key, "service_key": service_key}, f"receiver {name!r}")
    return _receiver(name, lambda: PagerDuty(routing_key_file, url, send_resolved, description))  # type: ignore[arg-type]


def slack(
    name: str,
    *,
    api_url_file: str | None = None,
    channel: str | None = None,
    title: str | None = None,
    text: str | None = None,
    send_resolved: bool | None = None,
    app_token_file: str | None = None,
    api_url: str | None = None,
    app_token: str | None = None,
) -> Receiver:
    """A Slack receiver; the webhook URL (a secret) is read from ``api_url_file``, or a Slack app's bot
    token from ``app_token_file`` (Alertmanager 0.30+). ``title``/``text`` replace the generated
    notification templates; ``send_resolved`` defaults to true (Slack's own default is false)."""
    refuse_literal({"app_token": app_token}, f"receiver {name!r}")
    if api_url is not None:
        raise DefinitionError(
            "refusing a literal secret: a Slack webhook URL is itself a secret and generated files must not "
            "contain secrets. Write it to a file readable by Alertmanager and give api_url_file instead",
            f"receiver {name!r}.api_url",
        )
    return _receiver(
        name,
        lambda: Slack(api_url_file, channel, title, text, send_resolved, app_token_file),
    )


def msteamsv2(
    name: str,
    *,
    webhook_url_file: str | None = None,
    title: str | None = None,
    text: str | None = None,
    send_resolved: bool | None = None,
    webhook_url: str | None = None,
) -> Receiver:
    """A Microsoft Teams receiver through a Power Automate workflow (Alertmanager 0.28+); the workflow
    URL (a secret) is read from ``webhook_url_file``."""
    refuse_literal({"webhook_url": webhook_url}, f"receiver {name!r}")
    return _receiver(name, lambda: MSTeamsV2(webhook_url_file, title, text, send_resolved))  # type: ignore[arg-type]


def opsgenie(
    name: str,
    *,
    api_key_file: str | None = None,
    api_url: str | None = None,
    priority: str | None = None,
    send_resolved: bool | None = None,
    message: str | None = None,
    description: str | None = None,
    api_key: str | None = None,
) -> Receiver:
    """An Opsgenie receiver; the API key is read from ``api_key_file``. ``message``/``description``
    replace the generated notification templates. (Atlassian ends Opsgenie's support in April 2027.)"""
    refuse_literal({"api_key": api_key}, f"receiver {name!r}")
    return _receiver(
        name,
        lambda: Opsgenie(api_key_file, api_url, priority, send_resolved, message, description),  # type: ignore[arg-type]
    )


def webhook(
    name: str,
    *,
    url: str | None = None,
    url_file: str | None = None,
    credentials_file: str | None = None,
    max_alerts: int | None = None,
    send_resolved: bool | None = None,
) -> Receiver:
    """A webhook receiver: ``url`` (without credentials) or ``url_file``; bearer credentials from a file."""
    return _receiver(name, lambda: Webhook(url, url_file, credentials_file, max_alerts, send_resolved))


def email(
    name: str,
    *,
    to: str,
    sender: str | None = None,
    smarthost: str | None = None,
    auth_username: str | None = None,
    auth_password_file: str | None = None,
    require_tls: bool | None = None,
    send_resolved: bool | None = None,
    subject: str | None = None,
    html: str | None = None,
    text: str | None = None,
    auth_password: str | None = None,
) -> Receiver:
    """An e-mail receiver (``sender`` is Alertmanager's ``from``); the SMTP password from a file.
    ``subject``/``html``/``text`` replace the generated notification templates."""
    refuse_literal({"auth_password": auth_password}, f"receiver {name!r}")
    return _receiver(
        name,
        lambda: Email(
            to, sender, smarthost, auth_username, auth_password_file, require_tls, send_resolved, subject, html, text
        ),
    )


def team_route(
    team: str,
    *,
    critical: str | None = None,
    warning: str | None = None,
    service: str | None = None,
    group_wait: str | None = None,
    group_interval: str | None = None,
    repeat_interval: str | None = None,
) -> Route:
    """Send one team's pages (``critical``) and/or tickets (``warning``) to its own receivers."""
    # Route parses the durations given as text (hence the ignores).
    return Route(team, service, critical, warning, group_wait, group_interval, repeat_interval)  # type: ignore[arg-type]


def service_route(
    service: str,
    *,
    critical: str | None = None,
    warning: str | None = None,
    group_wait: str | None = None,
    group_interval: str | None = None,
    repeat_interval: str | None = None,
) -> Route:
    """Send one service's pages and/or tickets to their own receivers (put it before its team's route)."""
    return Route(None, service, critical, warning, group_wait, group_interval, repeat_interval)  # type: ignore[arg-type]


def routing(
    *receivers: Receiver,
    critical: str | None = None,
    warning: str | None = None,
    default: str | None = None,
    routes: Iterable[Route] = (),
    group_by: Iterable[str] = DEFAULT_GROUP_BY,
    group_wait: str = "10s",
    group_interval: str = "10s",
    repeat_interval: str = "1h",
    inhibit: bool = True,
    cross_inhibit: bool = False,
) -> Routing:
    """Alertmanager routing for the SLO alerts; assign it to a module-level name so the loader finds it.

    Defaults follow the seeds: pages (``severity=critical``) to the pager receiver, tickets
    (``severity=warning``) to the chat receiver, group_wait/group_interval 10s, repeat_interval 1h,
    grouped by alertname, service and slo. ``routes`` (``team_route``/``service_route``) override
    per team or service: the first that matches an alert and names a receiver for its severity wins;
    a severity no route names goes to ``critical``/``warning``. ``cross_inhibit=True`` lets an SLO page
    inhibit the same service's threshold-alert criticals of the same symptom (error ratio, latency).
    """
    return make_routing(
        receivers,
        critical=critical,
        warning=warning,
        default=default,
        routes=routes,
        group_by=group_by,
        group_wait=group_wait,
        group_interval=group_interval,
        repeat_interval=repeat_interval,
        inhibit=inhibit,
        cross_inhibit=cross_inhibit,
    )
