"""Alertmanager receivers and their integrations (PagerDuty, Slack, Opsgenie, webhook, e-mail, Teams).

Immutable dataclasses validated on construction. Secrets never enter the model: integrations hold
paths of files Alertmanager reads at notification time (``routing_key_file``, ``api_url_file``,
``app_token_file``, ``api_key_file``, ``auth_password_file``, ``webhook_url_file``,
``credentials_file``); a literal secret is refused with a :class:`DefinitionError` naming the
``*_file`` field to use instead. :mod:`slo.model.routing` says which receiver gets which alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from slo.model.errors import DefinitionError
from slo.model.values import check_name

# ---------------------------------------------------------------------------------------------
# Secrets

# Literal-secret settings of Alertmanager integrations and the *_file field that replaces each.
LITERAL_SECRETS: dict[str, str] = {
    "routing_key": "routing_key_file",
    "service_key": "service_key_file",
    "api_key": "api_key_file",
    "auth_password": "auth_password_file",
    "auth_secret": "auth_password_file",
    "password": "password_file",
    "credentials": "credentials_file",
    "bearer_token": "bearer_token_file",
    "app_token": "app_token_file",
    "webhook_url": "webhook_url_file",
}
_SLACK_HOOK = re.compile(r"hooks\.slack\.com/(services|workflows|triggers)/", re.IGNORECASE)
_SLACK_TOKEN = re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{8,}")
_SECRET_PARAMS = {
    "access_token",
    "api_key",
    "apikey",
    "auth",
    "code",
    "key",
    "password",
    "secret",
    "sig",
    "signature",
    "token",
}


def secret_in(value: str) -> str | None:
    """Why ``value`` looks like a literal secret, or None.

    Catches what is commonly pasted by mistake: a Slack webhook URL (the URL is the credential), a
    Slack token, a URL with a password (``https://user:pw@host``) or a token in its query string.
    """
    if _SLACK_HOOK.search(value):
        return "a Slack webhook URL is itself a secret"
    if _SLACK_TOKEN.search(value):
        return "it contains a Slack token"
    if "://" in value:
        try:
            parts = urlsplit(value.strip())
        except ValueError:
            return None
        if parts.password:
            return "the URL contains a password"
        for name, _ in parse_qsl(parts.query, keep_blank_values=True):
            if name.lower() in _SECRET_PARAMS:
                return f"the URL carries a {name!r} query parameter"
    return None


def _plain(value: object, what: str) -> str | None:
    """An optional non-secret setting: a non-empty string that does not look like a secret."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(f"must be a non-empty string, got {value!r}", what)
    reason = secret_in(value)
    if reason:
        raise DefinitionError(f"refusing a literal secret ({reason}): generated files must not contain secrets", what)
    return value


def _file(value: object, what: str) -> str:
    """A secret file path: absolute, so a pasted secret is not mistaken for a path."""
    # The value is not echoed: a secret pasted here by mistake must not end up in a log either.
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError("missing: name a file holding the secret (an absolute path Alertmanager can read)", what)
    if not value.startswith("/"):
        raise DefinitionError(
            "must be an absolute path to a file holding the secret (Alertmanager reads it when it notifies), "
            "not the secret itself",
            what,
        )
    return value


def _flag(value: object, what: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise DefinitionError(f"must be true or false, got {value!r}", what)
    return value


def refuse_literal(secrets: Mapping[str, object], where: str = "") -> None:
    """Raise for the first literal secret given (a non-None value under a secret key)."""
    for key, value in secrets.items():
        if value is not None:
            use = LITERAL_SECRETS.get(key, f"{key}_file")
            raise DefinitionError(
                f"refusing a literal secret: generated files must not contain secrets. Write it to a file "
                f"readable by Alertmanager and give {use} instead",
                f"{where}.{key}" if where else key,
            )


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ---------------------------------------------------------------------------------------------
# Integrations


@dataclass(frozen=True)
class PagerDuty:
    """PagerDuty Events API v2; the integration's routing key is read from ``routing_key_file``."""

    routing_key_file: str
    url: str | None = None
    send_resolved: bool | None = None
    description: str | None = None

    KIND: ClassVar[str] = "pagerduty"
    PAGER: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _file(self.routing_key_file, "routing_key_file")
        _plain(self.url, "url")
        _plain(self.description, "description")
        _flag(self.send_resolved, "send_resolved")

    def config(self) -> dict[str, Any]:
        return _drop_none(
            {
                "routing_key_file": self.routing_key_file,
                "url": self.url,
                "description": self.description,
                "send_resolved": self.send_resolved,
            }
        )


@dataclass(frozen=True)
class Slack:
    """A Slack incoming webhook (URL read from ``api_url_file``) or a Slack app (bot token read from
    ``app_token_file``, Alertmanager 0.30 or newer; it posts to ``channel``)."""

    api_url_file: str | None = None
    channel: str | None = None
    title: str | None = None
    text: str | None = None
    send_resolved: bool | None = None
    app_token_file: str | None = None

    KIND: ClassVar[str] = "slack"
    PAGER: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if self.app_token_file is None or self.api_url_file is not None:
            _file(self.api_url_file, "api_url_file")
        if self.app_token_file is not None:
            _file(self.app_token_file, "app_token_file")
            if self.channel is None:
                raise DefinitionError("a Slack app posts to a channel: give 'channel'", "channel")
        for attr in ("channel", "title", "text"):
            _plain(getattr(self, attr), attr)
        _flag(self.send_resolved, "send_resolved")

    def config(self) -> dict[str, Any]:
        return _drop_none(
            {
                "api_url_file": self.api_url_file,
                "app_token_file": self.app_token_file,
                "channel": self.channel,
                "title": self.title,
                "text": self.text,
                "send_resolved": self.send_resolved,
            }
        )


@dataclass(frozen=True)
class Opsgenie:
    """Opsgenie alerts; the API key is read from ``api_key_file``."""

    api_key_file: str
    api_url: str | None = None
    priority: str | None = None
    send_resolved: bool | None = None
    message: str | None = None
    description: str | None = None

    KIND: ClassVar[str] = "opsgenie"
    PAGER: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _file(self.api_key_file, "api_key_file")
        for attr in ("api_url", "priority", "message", "description"):
            _plain(getattr(self, attr), attr)
        _flag(self.send_resolved, "send_resolved")

    def config(self) -> dict[str, Any]:
        return _drop_none(
            {
                "api_key_file": self.api_key_file,
                "api_url": self.api_url,
                "priority": self.priority,
                "message": self.message,
                "description": self.description,
                "send_resolved": self.send_resolved,
            }
        )


@dataclass(frozen=True)
class Webhook:
    """A generic webhook: ``url`` (no credentials in it) or ``url_file``; optional bearer credentials file.

    ``url_file`` arrived in Alertmanager 0.26 and crashed it until 0.28: the generator refuses it
    when the target ``alertmanager_version`` is older than 0.28.
    """

    url: str | None = None
    url_file: str | None = None
    credentials_file: str | None = None
    max_alerts: int | None = None
    send_resolved: bool | None = None

    KIND: ClassVar[str] = "webhook"
    PAGER: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if (self.url is None) == (self.url_file is None):
            raise DefinitionError("a webhook needs exactly one of 'url' or 'url_file'")
        if self.url is not None:
            _plain(self.url, "url")
            if not re.match(r"^https?://[^/\s]", self.url):
                raise DefinitionError(f"must be an http:// or https:// URL, got {self.url!r}", "url")
        if self.url_file is not None:
            _file(self.url_file, "url_file")
        if self.credentials_file is not None:
            _file(self.credentials_file, "credentials_file")
        m = self.max_alerts
        if m is not None and (isinstance(m, bool) or not isinstance(m, int) or m < 0):
            raise DefinitionError(f"must be a whole number >= 0, got {m!r}", "max_alerts")
        _flag(self.send_resolved, "send_resolved")

    def config(self) -> dict[str, Any]:
        out = _drop_none({"url": self.url, "url_file": self.url_file})
        if self.credentials_file:
            out["http_config"] = {"authorization": {"credentials_file": self.credentials_file}}
        return {**out, **_drop_none({"max_alerts": self.max_alerts, "send_resolved": self.send_resolved})}


@dataclass(frozen=True)
class Email:
    """E-mail through an SMTP smarthost; the SMTP password is read from ``auth_password_file``."""

    to: str
    sender: str | None = None
    smarthost: str | None = None
    auth_username: str | None = None
    auth_password_file: str | None = None
    require_tls: bool | None = None
    send_resolved: bool | None = None
    subject: str | None = None
    html: str | None = None
    text: str | None = None

    KIND: ClassVar[str] = "email"
    PAGER: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if not isinstance(self.to, str) or "@" not in self.to:
            raise DefinitionError(f"must be an e-mail address, got {self.to!r}", "to")
        for attr in ("to", "sender", "smarthost", "auth_username", "subject", "html", "text"):
            _plain(getattr(self, attr), attr)
        if self.smarthost is not None and not re.match(r"^[^\s:]+:\d+$", self.smarthost):
            raise DefinitionError(f"must be host:port, got {self.smarthost!r}", "smarthost")
        if self.auth_password_file is not None:
            _file(self.auth_password_file, "auth_password_file")
        _flag(self.require_tls, "require_tls")
        _flag(self.send_resolved, "send_resolved")

    def config(self) -> dict[str, Any]:
        return _drop_none(
            {
                "to": self.to,
                "from": self.sender,
                "smarthost": self.smarthost,
                "auth_username": self.auth_username,
                "auth_password_file": self.auth_password_file,
                "require_tls": self.require_tls,
                "headers": {"Subject": self.subject} if self.subject is not None else None,
                "html": self.html,
                "text": self.text,
                "send_resolved": self.send_resolved,
            }
        )


@dataclass(frozen=True)
class MSTeamsV2:
    """Microsoft Teams through a Power Automate (Flows) workflow, Alertmanager 0.28 or newer; the
    workflow URL (a secret) is read from ``webhook_url_file``."""

    webhook_url_file: str
    title: str | None = None
    text: str | None = None
    send_resolved: bool | None = None

    KIND: ClassVar[str] = "msteamsv2"
    PAGER: ClassVar[bool] = False

    def __post_init__(self) -> None:
        _file(self.webhook_url_file, "webhook_url_file")
        _plain(self.title, "title")
        _plain(self.text, "text")
        _flag(self.send_resolved, "send_resolved")

    def config(self) -> dict[str, Any]:
        return _drop_none(
            {
                "webhook_url_file": self.webhook_url_file,
                "title": self.title,
                "text": self.text,
                "send_resolved": self.send_resolved,
            }
        )


Integration = PagerDuty | Slack | Opsgenie | Webhook | Email | MSTeamsV2
KINDS: dict[str, type[Integration]] = {  # type: ignore[misc]
    k.KIND: k for k in (PagerDuty, Slack, Opsgenie, Webhook, Email, MSTeamsV2)
}


@dataclass(frozen=True)
class Receiver:
    """A named Alertmanager receiver with one or more integrations."""

    name: str
    integrations: tuple[Integration, ...]

    def __post_init__(self) -> None:
        check_name("receiver", self.name)
        object.__setattr__(self, "integrations", tuple(self.integrations))
        if not self.integrations:
            raise DefinitionError(f"receiver {self.name!r} needs at least one of {', '.join(KINDS)}", "receivers")
        for i in self.integrations:
            if not isinstance(i, PagerDuty | Slack | Opsgenie | Webhook | Email | MSTeamsV2):
                raise DefinitionError(f"receiver {self.name!r}: not an integration: {i!r}")

    @property
    def pager(self) -> bool:
        """Whether this receiver pages someone (PagerDuty or Opsgenie)."""
        return any(i.PAGER for i in self.integrations)

    @property
    def chat(self) -> bool:
        return any(isinstance(i, Slack | MSTeamsV2) for i in self.integrations)

    def config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        for kind in KINDS:
            configs = [i.config() for i in self.integrations if kind == i.KIND]
            if configs:
                out[f"{kind}_configs"] = configs
        return out
