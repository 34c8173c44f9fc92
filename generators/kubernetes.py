"""prometheus-operator ``PrometheusRule`` objects wrapping the same rule groups.

A Prometheus managed by the operator loads only the PrometheusRule objects its ``ruleSelector`` and
``ruleNamespaceSelector`` select; kube-prometheus-stack's default selector wants the Helm release's
label (``release: <release name>``). :class:`Metadata` (``[tool.slo.kubernetes]``) gives the objects
a namespace and the extra labels and annotations such a selector needs. Names, label keys and
values are checked as the Kubernetes API server checks them, so a typo fails at generate time
rather than at ``kubectl apply``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slo.model.errors import DefinitionError
from slo.model.service import Service

MANAGED_BY = {"app.kubernetes.io/managed-by": "slo-toolkit"}
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


def check_namespace(value: object, what: str = "namespace") -> str:
    """A namespace name: a DNS-1123 label (lower case, digits, '-', at most 63 characters)."""
    if not isinstance(value, str) or not value or len(value) > 63 or not _DNS_LABEL.match(value):
        raise DefinitionError(
            f"must be a Kubernetes namespace name (lower-case letters, digits and '-', at most 63), got {value!r}",
            what,
        )
    return value


def check_key(key: object, what: str) -> str:
    """A label or annotation key: optional DNS-subdomain prefix and '/', then a name of at most 63."""
    if not isinstance(key, str) or not key:
        raise DefinitionError(f"keys must be non-empty strings, got {key!r}", what)
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise DefinitionError(f"key {key!r}: the prefix before '/' must be a DNS subdomain", what)
    if not name or len(name) > 63 or not _NAME.match(name):
        raise DefinitionError(
            f"key {key!r}: the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending "
            "with a letter or digit",
            what,
        )
    return key


def check_label_value(value: object, what: str) -> str:
    """A label value: at most 63 letters, digits, '-', '_', '.', alphanumeric at both ends (or empty)."""
    if not isinstance(value, str) or len(value) > 63 or not _NAME.match(value):
        raise DefinitionError(
            f"label value {value!r} must be at most 63 letters, digits, '-', '_' or '.', starting and ending "
            "with a letter or digit",
            what,
        )
    return value


@dataclass(frozen=True)
class Metadata:
    """Namespace, extra labels and annotations of every generated PrometheusRule."""

    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.namespace is not None:
            check_namespace(self.namespace)
        for attr in ("labels", "annotations"):
            value = getattr(self, attr)
            if isinstance(value, Mapping):
                object.__setattr__(self, attr, tuple(sorted(value.items())))
        for key, value in self.labels:
            check_key(key, "labels")
            check_label_value(value, f"labels.{key}")
        for key, value in self.annotations:
            check_key(key, "annotations")
            if not isinstance(value, str):
                raise DefinitionError(f"annotation values must be strings, got {value!r}", f"annotations.{key}")
        reserved = set(MANAGED_BY) | {"slo-toolkit/service"}
        clash = reserved & {k for k, _ in self.labels}
        if clash:
            raise DefinitionError(f"label(s) {sorted(clash)} are set by the toolkit", "labels")


def object_name(service: Service) -> str:
    """``slo-<service>`` as a DNS-1123 subdomain (lower case; '_' becomes '-'), as the API server requires."""
    name = re.sub(r"[^a-z0-9.-]", "-", f"slo-{service.name}".lower())
    name = re.sub(r"\.(?=[.-])|-(?=\.)", "", name)[:253]
    return name.rstrip(".-")


def _valid_label_value(value: str) -> bool:
    return len(value) <= 63 and bool(_NAME.match(value))


def prometheus_rule(service: Service, rule_file: dict[str, Any], meta: Metadata | None = None) -> dict[str, Any]:
    """A PrometheusRule for ``service`` carrying ``rule_file``'s groups unchanged."""
    meta = meta or Metadata()
    labels = {**dict(meta.labels), **MANAGED_BY}
    annotations = dict(meta.annotations)
    # Service and team names allow what label values do not (128 characters, a trailing '-'):
    # those go into annotations, which take any text.
    own = {"slo-toolkit/service": service.name}
    if service.team and "team" not in labels:
        own["team"] = service.team
    for key, value in own.items():
        if _valid_label_value(value):
            labels[key] = value
        else:
            annotations.setdefault(key if "/" in key else f"slo-toolkit/{key}", value)
    metadata: dict[str, Any] = {"name": object_name(service)}
    if meta.namespace is not None:
        metadata["namespace"] = meta.namespace
    metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": {"groups": rule_file["groups"]},
    }
