"""Project defaults read from ``[tool.slo]`` in ./pyproject.toml.

``sources`` names the definitions used when a command gets no SOURCE; ``out`` the output
directory; ``alertmanager_base`` a hand-written Alertmanager config the generated routing is merged
into; ``alertmanager_version`` the Alertmanager release the config is for (default: the current
one); ``[tool.slo.kubernetes]`` the namespace, labels and annotations of the PrometheusRule
objects; ``[tool.slo.rule_groups]`` the ``labels``, ``limit`` and ``query_offset`` of every generated
rule group (for ``prometheus_version``). Without the table the defaults are
``slos.py``/``slos.yaml``/``slos/`` in the current directory, whichever exists.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from slo.model.errors import Problem, SpecError

FALLBACK_SOURCES = ("slos.py", "slos.yaml", "slos.yml", "slos")


@dataclass(frozen=True)
class Settings:
    sources: tuple[str, ...]
    out: str = "."
    grafana_url: str | None = None
    alertmanager_base: str | None = None
    alertmanager_version: str | None = None
    kubernetes: Any = None  # generators.kubernetes.Metadata, or None
    prometheus_version: str = "3.16"  # the Prometheus rules are generated for (generators/rule_compat.py)
    rule_groups: Any = None  # generators.rule_compat.GroupSettings from [tool.slo.rule_groups], or None


def settings(cwd: Path | None = None) -> Settings:
    """Read ``[tool.slo]``; fall back to conventional file names."""
    base = cwd or Path.cwd()
    pyproject = base / "pyproject.toml"
    table: dict[str, object] = {}
    if pyproject.is_file():
        try:
            table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("slo", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SpecError(Problem(str(pyproject), None, "tool.slo", f"cannot read: {exc}")) from None
    sources = table.get("sources")
    if sources is not None and (not isinstance(sources, list) or not all(isinstance(s, str) for s in sources)):
        raise SpecError(Problem(str(pyproject), None, "tool.slo.sources", "must be a list of paths"))
    if not sources:
        sources = [name for name in FALLBACK_SOURCES if (base / name).exists()]
    out = table.get("out", ".")
    grafana = table.get("grafana_url")
    am_base = table.get("alertmanager_base")
    if am_base is not None and (not isinstance(am_base, str) or not am_base):
        raise SpecError(Problem(str(pyproject), None, "tool.slo.alertmanager_base", "must be a file path"))
    if am_base is not None and not Path(am_base).is_absolute():
        am_base = str(base / am_base) if cwd is not None else am_base
    found = Settings(tuple(str(s) for s in sources), str(out), str(grafana) if grafana else None, am_base or None)
    prometheus = _prometheus_version(pyproject, table.get("prometheus_version"))
    return replace(
        found,
        alertmanager_version=_alertmanager_version(pyproject, table.get("alertmanager_version")),
        kubernetes=_kubernetes(pyproject, table.get("kubernetes")),
        prometheus_version=prometheus,
        rule_groups=_rule_groups(pyproject, table.get("rule_groups"), prometheus),
    )


def _rule_groups(pyproject: Path, value: object, prometheus_version: str) -> Any:
    """``[tool.slo.rule_groups]``: labels, limit, query_offset of every generated rule group, checked
    against ``prometheus_version`` (a field the target lacks is refused with the version it needs)."""
    from generators.rule_compat import CompatError, PrometheusTarget, group_settings

    if value is None:
        return None
    try:
        return group_settings(value, PrometheusTarget.parse(prometheus_version))
    except CompatError as exc:
        where = f"tool.slo.rule_groups.{exc.field}".rstrip(".")
        raise SpecError(Problem(str(pyproject), None, where, str(exc))) from None


def _prometheus_version(pyproject: Path, value: object) -> str:
    from generators.rule_compat import DEFAULT_PROMETHEUS, PrometheusTarget

    if value is None:
        return DEFAULT_PROMETHEUS
    if not isinstance(value, str):  # a TOML number would read 3.10 as 3.1
        raise SpecError(
            Problem(str(pyproject), None, "tool.slo.prometheus_version", 'must be a quoted string such as "3.16"')
        )
    try:
        PrometheusTarget.parse(value)
    except ValueError as exc:
        raise SpecError(Problem(str(pyproject), None, "tool.slo.prometheus_version", str(exc))) from None
    return str(value)


def _alertmanager_version(pyproject: Path, value: object) -> str | None:
    from generators.alertmanager_versions import Version

    if value is None:
        return None
    try:
        Version.parse(value)
    except ValueError as exc:
        raise SpecError(Problem(str(pyproject), None, "tool.slo.alertmanager_version", str(exc))) from None
    return str(value)


def _kubernetes(pyproject: Path, value: object) -> Any:
    """``[tool.slo.kubernetes]``: namespace, labels, annotations of the PrometheusRule objects."""
    from generators.kubernetes import Metadata
    from slo.model.errors import DefinitionError

    if value is None:
        return None
    where = "tool.slo.kubernetes"
    if not isinstance(value, dict):
        raise SpecError(Problem(str(pyproject), None, where, "must be a table (namespace, labels, annotations)"))
    unknown = sorted(set(value) - {"namespace", "labels", "annotations"})
    if unknown:
        raise SpecError(
            Problem(
                str(pyproject), None, f"{where}.{unknown[0]}", "unknown key (known: namespace, labels, annotations)"
            )
        )
    for key in ("labels", "annotations"):
        if not isinstance(value.get(key, {}), dict):
            raise SpecError(Problem(str(pyproject), None, f"{where}.{key}", "must be a table of strings"))
    try:
        return Metadata(value.get("namespace"), value.get("labels", {}), value.get("annotations", {}))
    except DefinitionError as exc:
        raise SpecError(Problem(str(pyproject), None, f"{where}.{exc.path}".rstrip("."), exc.message)) from None


def resolve_sources(given: tuple[str, ...]) -> tuple[str, ...]:
    """The SOURCE arguments, or the project's defaults, or a clear error."""
    if given:
        return given
    found = settings().sources
    if not found:
        raise SpecError(
            Problem(
                "<command line>",
                None,
                "",
                "no SOURCE given and no default found: pass files or directories, add [tool.slo] sources "
                "to pyproject.toml, or create slos.py / slos.yaml",
            )
        )
    return found


def default_period(cwd: Path | None = None) -> str | None:
    """``[tool.slo] default_period``: the SLO period of specs without one of their own (Sloth's).

    Sloth's ``--default-slo-period``; a 28-day Sloth setup sets ``default_period = "28d"`` so its
    burn-rate factors are the 28-day ones. None when not set (then 30d).
    """
    from slo.model.periods import Rolling, parse_period

    pyproject = (cwd or Path.cwd()) / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("slo", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(Problem(str(pyproject), None, "tool.slo", f"cannot read: {exc}")) from None
    value = table.get("default_period")
    if value is None:
        return None
    from slo.model.errors import DefinitionError

    try:
        if not isinstance(parse_period(value), Rolling):
            raise DefinitionError("a default period must be rolling whole days such as 28d or 30d")
    except DefinitionError as exc:
        raise SpecError(Problem(str(pyproject), None, "tool.slo.default_period", exc.message)) from None
    return str(value)


def sloth_compat(cwd: Path | None = None) -> bool:
    """``[tool.slo] sloth_compat``: also write Sloth's labels and series names (generators/sloth_compat.py)."""
    pyproject = (cwd or Path.cwd()) / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("slo", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(Problem(str(pyproject), None, "tool.slo", f"cannot read: {exc}")) from None
    value = table.get("sloth_compat", False)
    if not isinstance(value, bool):
        raise SpecError(Problem(str(pyproject), None, "tool.slo.sloth_compat", "must be true or false"))
    return value
