"""Which Alertmanager release understands which config key: the target-version gate.

An Alertmanager config is parsed strictly: a key the running release does not know makes the whole
config fail to load (``field … not found``), so a newer receiver type in a config deployed to an
older Alertmanager takes every notification down. ``[tool.slo] alertmanager_version`` names the
release the output is for; generated receivers and a merged base config are checked against it.
Release facts are from Alertmanager's changelog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from slo.loaders.yamlsrc import join

# The current release when this table was last checked, and the oldest one still supported.
CURRENT = "0.35"
OLDEST = "0.25"


@dataclass(frozen=True, order=True)
class Version:
    """An Alertmanager release as (major, minor); the patch level never gates a config key."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: object) -> Version:
        """``0.28``, ``0.28.1`` or ``v0.28.1``; ValueError with a reason otherwise."""
        if not isinstance(text, str):
            raise ValueError(f"must be a version string such as {CURRENT!r}, got {text!r}")
        match = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?", text.strip())
        if not match:
            raise ValueError(f"must be a version such as {CURRENT!r} or '0.28.1', got {text!r}")
        version = cls(int(match.group(1)), int(match.group(2)))
        if version < cls.parse_known(OLDEST):
            raise ValueError(f"Alertmanager {text} is older than the oldest supported release, {OLDEST}")
        return version

    @classmethod
    def parse_known(cls, text: str) -> Version:
        major, minor = text.split(".")[:2]
        return cls(int(major), int(minor))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def target(text: str | None) -> Version:
    """The target release (the current one when not set)."""
    return Version.parse(text) if text is not None else Version.parse_known(CURRENT)


# Receiver integration types (``<kind>_configs``) newer than the oldest supported release.
RECEIVER_TYPES: dict[str, str] = {
    "msteams_configs": "0.26",
    "msteamsv2_configs": "0.28",
    "jira_configs": "0.28",
    "rocketchat_configs": "0.28",
    "incidentio_configs": "0.29",
    "mattermost_configs": "0.30",
}

# Fields of an integration, by integration type, and the release that made them work. Webhook
# ``url_file`` arrived in 0.26 but crashed Alertmanager until 0.28 (changelog 0.28.0, #3800); the
# Discord and Teams ``webhook_url_file`` arrived in 0.27 and were fixed in 0.28 (#3728, #3745).
FIELDS: dict[str, dict[str, str]] = {
    "webhook_configs": {"url_file": "0.28"},
    "discord_configs": {"webhook_url_file": "0.28"},
    "msteams_configs": {"webhook_url_file": "0.28"},
    "slack_configs": {"app_token": "0.30", "app_token_file": "0.30", "app_url": "0.30", "timeout": "0.30"},
    "pagerduty_configs": {"timeout": "0.30"},
    "email_configs": {"auth_secret_file": "0.31"},
    "telegram_configs": {"chat_id_file": "0.31"},
    "wechat_configs": {"api_secret_file": "0.31"},
}

# Keys of ``global:`` newer than the oldest supported release.
GLOBAL_KEYS: dict[str, str] = {
    "jira_api_url": "0.28",
    "rocketchat_api_url": "0.28",
    "rocketchat_token": "0.28",
    "rocketchat_token_file": "0.28",
    "rocketchat_token_id": "0.28",
    "rocketchat_token_id_file": "0.28",
    "slack_app_token": "0.30",
    "slack_app_token_file": "0.30",
    "slack_app_url": "0.30",
    "mattermost_webhook_url": "0.32",
    "mattermost_webhook_url_file": "0.32",
    "telegram_bot_token": "0.31",
    "telegram_bot_token_file": "0.31",
    "smtp_auth_secret_file": "0.31",
    "wechat_api_secret_file": "0.31",
}

# Keys of an inhibit rule newer than the oldest supported release.
INHIBIT_KEYS: dict[str, str] = {"name": "0.30"}


def _needs(path: str, key: str, since: str, version: Version) -> tuple[str, str] | None:
    if Version.parse_known(since) <= version:
        return None
    return (
        join(path, key),
        f"{key!r} needs Alertmanager {since} or newer, and the output is for {version} "
        "([tool.slo] alertmanager_version): raise the target version or drop it",
    )


def receiver_problems(receiver: Any, path: str, version: Version) -> list[tuple[str, str]]:
    """(path, reason) for every integration type or field of one receiver ``version`` does not know."""
    found: list[tuple[str, str]] = []
    if not isinstance(receiver, dict):
        return found
    for kind, configs in receiver.items():
        since = RECEIVER_TYPES.get(str(kind))
        problem = _needs(path, str(kind), since, version) if since else None
        if problem:
            found.append(problem)
            continue
        fields = FIELDS.get(str(kind), {})
        for i, entry in enumerate(configs if isinstance(configs, list) else []):
            for key in entry if isinstance(entry, dict) else {}:
                since = fields.get(str(key))
                problem = _needs(join(join(path, str(kind)), i), str(key), since, version) if since else None
                if problem:
                    found.append(problem)
    return found


def config_problems(data: dict[str, Any], version: Version) -> list[tuple[str, str]]:
    """(path, reason) for every key of an Alertmanager config the target release would refuse.

    Only keys known to be newer are reported: any other key (one newer than this table, say) is
    kept as it is and left to ``amtool check-config`` of the deployed release.
    """
    found: list[tuple[str, str]] = []
    glob = data.get("global")
    for key in glob if isinstance(glob, dict) else {}:
        since = GLOBAL_KEYS.get(str(key))
        problem = _needs("global", str(key), since, version) if since else None
        if problem:
            found.append(problem)
    receivers = data.get("receivers")
    for i, receiver in enumerate(receivers if isinstance(receivers, list) else []):
        found += receiver_problems(receiver, join("receivers", i), version)
    rules = data.get("inhibit_rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        for key in rule if isinstance(rule, dict) else {}:
            since = INHIBIT_KEYS.get(str(key))
            problem = _needs(join("inhibit_rules", i), str(key), since, version) if since else None
            if problem:
                found.append(problem)
    return found
