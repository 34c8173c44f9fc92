"""Alertmanager routing as part of the SLO model: receivers, routes by team/service/severity, defaults.

Immutable dataclasses validated on construction, like the rest of :mod:`slo.model`. The generated SLO alerts carry
``severity`` ``critical`` (pages) or ``warning`` (tickets), plus ``service``, ``slo`` and the owner's
``team``; a :class:`Routing` says which receiver gets which:

* pages go to the ``critical`` receiver (the pager), tickets to the ``warning`` receiver (the chat);
* :class:`Route` overrides, in the order given, send one team's or one service's pages and/or tickets
  elsewhere; the first route that matches an alert and names a receiver for its severity wins, so a
  severity a route leaves out falls through to later routes and then to the default receiver;
* alerts are grouped by ``alertname``, ``service`` and ``slo``, so one incident is one notification and
  two SLOs are never merged into one (the seeds' ``group_by: ['alertname']`` would merge them).

Secrets never enter the model (receivers and integrations: :mod:`slo.model.receivers`): receivers hold
paths of files Alertmanager reads at notification time (``routing_key_file``, ``api_url_file``,
``app_token_file``, ``api_key_file``, ``auth_password_file``, ``webhook_url_file``, ``credentials_file``).
A literal secret (``routing_key=``, a Slack webhook URL, a password in a URL) is refused with a
:class:`DefinitionError` saying which ``*_file`` field to use instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slo.model.durations import Duration
from slo.model.errors import DefinitionError
from slo.model.receivers import Receiver
from slo.model.values import check_name

SEVERITIES = ("critical", "warning")
DEFAULT_GROUP_BY = ("alertname", "service", "slo")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

# ---------------------------------------------------------------------------------------------
# Routes


def _duration(value: Duration | str | None, what: str) -> Duration | None:
    if value is None:
        return None
    try:
        return Duration.parse(value)
    except DefinitionError as exc:
        raise exc.under(what) from None


def _label_value(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise DefinitionError(f"must be a non-empty string, got {value!r}", what)
    return value


@dataclass(frozen=True)
class Route:
    """An override for one team's or one service's alerts (or both: the service of that team).

    ``critical`` / ``warning`` name the receivers for pages / tickets. A severity the route leaves out
    falls through to the later routes and finally to the routing's default receiver for it, so a
    service route may redirect only the pages and leave the tickets to its team's route. Timing
    fields override the routing's for the severities this route sends.
    """

    team: str | None = None
    service: str | None = None
    critical: str | None = None
    warning: str | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None

    def __post_init__(self) -> None:
        _label_value(self.team, "team")
        _label_value(self.service, "service")
        if self.team is None and self.service is None:
            raise DefinitionError("a route needs 'team' or 'service' (or both) to match on")
        for attr in ("critical", "warning"):
            if getattr(self, attr) is not None:
                check_name("receiver", getattr(self, attr))
        for attr in ("group_wait", "group_interval", "repeat_interval"):
            object.__setattr__(self, attr, _duration(getattr(self, attr), attr))
        if self.critical is None and self.warning is None:
            raise DefinitionError("a route changes nothing: give a 'critical' and/or a 'warning' receiver")

    def sends(self, severity: str | None) -> str | None:
        """The receiver this route names for ``severity``, if any."""
        return getattr(self, severity) if severity in SEVERITIES else None

    @property
    def matchers(self) -> tuple[tuple[str, str], ...]:
        """Label equalities this route matches, service first."""
        out = []
        if self.service is not None:
            out.append(("service", self.service))
        if self.team is not None:
            out.append(("team", self.team))
        return tuple(out)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(k) == v for k, v in self.matchers)

    def timing(self) -> dict[str, str]:
        return {
            attr: str(getattr(self, attr))
            for attr in ("group_wait", "group_interval", "repeat_interval")
            if getattr(self, attr) is not None
        }

    def describe(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.matchers)


@dataclass(frozen=True)
class Routing:
    """Receivers, default receivers per severity, overrides and grouping/timing for SLO alerts.

    ``critical`` defaults to the only pager receiver (PagerDuty/Opsgenie), ``warning`` to the only
    Slack receiver; with a single receiver it gets both. ``default`` (alerts with another severity,
    and in a standalone config every non-SLO alert) defaults to ``warning``.
    """

    receivers: tuple[Receiver, ...]
    critical: str | None = None
    warning: str | None = None
    default: str | None = None
    routes: tuple[Route, ...] = ()
    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    group_wait: Duration = field(default_factory=lambda: Duration.parse("10s"))
    group_interval: Duration = field(default_factory=lambda: Duration.parse("10s"))
    repeat_interval: Duration = field(default_factory=lambda: Duration.parse("1h"))
    inhibit: bool = True
    cross_inhibit: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "receivers", tuple(self.receivers))
        object.__setattr__(self, "routes", tuple(self.routes))
        if not self.receivers:
            raise DefinitionError("routing needs at least one receiver", "receivers")
        names: list[str] = []
        for i, r in enumerate(self.receivers):
            if not isinstance(r, Receiver):
                raise DefinitionError(f"expected a receiver, got {type(r).__name__}", f"receivers[{i}]")
            if r.name in names:
                raise DefinitionError(f"duplicate receiver name {r.name!r}", f"receivers[{i}].name")
            names.append(r.name)
        object.__setattr__(self, "critical", self._pick("critical", self.critical, lambda r: r.pager))
        object.__setattr__(self, "warning", self._pick("warning", self.warning, lambda r: r.chat))
        object.__setattr__(self, "default", self.default or self.warning)
        for attr in ("critical", "warning", "default"):
            self._known(getattr(self, attr), attr)
        for i, route in enumerate(self.routes):
            if not isinstance(route, Route):
                raise DefinitionError(f"expected a route, got {type(route).__name__}", f"routes[{i}]")
            for attr in ("critical", "warning"):
                self._known(getattr(route, attr), f"routes[{i}].{attr}")
        self._unreachable()
        group_by = self.group_by
        if isinstance(group_by, str) or not all(isinstance(g, str) for g in group_by):
            raise DefinitionError(f"must be a list of label names, got {group_by!r}", "group_by")
        object.__setattr__(self, "group_by", tuple(group_by))
        if self.group_by != ("...",):
            bad = [g for g in self.group_by if not LABEL_NAME.match(g)]
            if bad:
                raise DefinitionError(f"not label names: {bad}", "group_by")
            missing = [g for g in ("service", "slo") if g not in self.group_by]
            if missing:
                raise DefinitionError(
                    f"must include {missing}: without them alerts of different SLOs are merged into one notification",
                    "group_by",
                )
        for attr in ("group_wait", "group_interval", "repeat_interval"):
            object.__setattr__(self, attr, _duration(getattr(self, attr), attr))
        if not isinstance(self.inhibit, bool):
            raise DefinitionError(f"must be true or false, got {self.inhibit!r}", "inhibit")
        if not isinstance(self.cross_inhibit, bool):
            raise DefinitionError(f"must be true or false, got {self.cross_inhibit!r}", "cross_inhibit")
        if self.cross_inhibit and not self.inhibit:
            raise DefinitionError("cross_inhibit needs inhibit (inhibit: false turns every rule off)", "cross_inhibit")

    def _pick(self, severity: str, given: str | None, kind: Any) -> str:
        if given is not None:
            return given
        if len(self.receivers) == 1:
            return self.receivers[0].name
        fitting = [r.name for r in self.receivers if kind(r)]
        if len(fitting) == 1:
            return fitting[0]
        which = "pager (PagerDuty/Opsgenie)" if severity == "critical" else "Slack"
        raise DefinitionError(
            f"say which receiver gets {severity} alerts: there is {'no' if not fitting else 'more than one'} "
            f"{which} receiver to default to",
            severity,
        )

    def _known(self, name: str | None, what: str) -> None:
        if name is not None and name not in self.receiver_names:
            raise DefinitionError(f"unknown receiver {name!r} (receivers: {', '.join(self.receiver_names)})", what)

    def _unreachable(self) -> None:
        """A severity of a route that an earlier, broader route already sends can never be reached: say so."""
        for j, later in enumerate(self.routes):
            for severity in SEVERITIES:
                if later.sends(severity) is None:
                    continue
                for i, earlier in enumerate(self.routes[:j]):
                    if earlier.sends(severity) is not None and set(earlier.matchers) <= set(later.matchers):
                        raise DefinitionError(
                            f"this route ({later.describe()}) is never reached for {severity} alerts: routes[{i}] "
                            f"({earlier.describe()}) sends them first; put the more specific route first",
                            f"routes[{j}].{severity}",
                        )

    @property
    def receiver_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.receivers)

    def receiver(self, name: str) -> Receiver:
        return next(r for r in self.receivers if r.name == name)

    def by_severity(self, severity: str | None) -> str:
        """The default receiver for a severity."""
        if severity == "critical":
            return self.critical  # type: ignore[return-value]
        if severity == "warning":
            return self.warning  # type: ignore[return-value]
        return self.default  # type: ignore[return-value]

    def receiver_for(self, labels: Mapping[str, str]) -> str:
        """Where an SLO alert with ``labels`` must go: the routing's meaning, independent of any config.

        The first route that matches the labels and names a receiver for the alert's severity wins;
        otherwise the default receiver for the severity.
        """
        severity = labels.get("severity")
        for route in self.routes:
            chosen = route.sends(severity)
            if chosen is not None and route.matches(labels):
                return chosen
        return self.by_severity(severity)

    def timing(self) -> dict[str, str]:
        return {
            "group_wait": str(self.group_wait),
            "group_interval": str(self.group_interval),
            "repeat_interval": str(self.repeat_interval),
        }


def make_routing(
    receivers: Iterable[Receiver],
    *,
    critical: str | None = None,
    warning: str | None = None,
    default: str | None = None,
    routes: Iterable[Route] = (),
    group_by: Iterable[str] = DEFAULT_GROUP_BY,
    group_wait: str | Duration = "10s",
    group_interval: str | Duration = "10s",
    repeat_interval: str | Duration = "1h",
    inhibit: bool = True,
    cross_inhibit: bool = False,
) -> Routing:
    """Build a :class:`Routing` from plain values (durations as text)."""
    return Routing(
        receivers=tuple(receivers),
        critical=critical,
        warning=warning,
        default=default,
        routes=tuple(routes),
        group_by=tuple(group_by) if not isinstance(group_by, str) else group_by,  # type: ignore[arg-type]
        group_wait=_duration(group_wait, "group_wait"),  # type: ignore[arg-type]
        group_interval=_duration(group_interval, "group_interval"),  # type: ignore[arg-type]
        repeat_interval=_duration(repeat_interval, "repeat_interval"),  # type: ignore[arg-type]
        inhibit=inhibit,
        cross_inhibit=cross_inhibit,
    )
