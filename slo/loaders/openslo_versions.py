"""OpenSLO ``v1alpha`` (what Sloth reads) and the ``v2alpha`` draft, translated to the v1 shape.

The v1 loader then checks them like any v1 document. Lines are carried over, so a problem in a
translated document still points at the user's line; paths in messages are the v1 paths.
"""

from __future__ import annotations

from typing import Any

from slo.loaders.yamlsrc import Document, join
from slo.model.errors import Problem

V1 = "openslo/v1"
V1ALPHA = "openslo/v1alpha"
V2ALPHA = "openslo.com/v2alpha"
_UNITS = {"minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "quarter": "Q", "year": "Y"}


class _Builder:
    """Copies values from an old document into a new shape, remembering each value's line."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.lines: dict[str, int] = {}

    def mark(self, new: str, old: str) -> None:
        line = self.doc.line(old)
        if line is not None:
            self.lines.setdefault(new, line)

    def copy(self, value: Any, new: str, old: str) -> Any:
        """``value`` (found at ``old``) placed at ``new``, with the lines of everything below it."""
        self.mark(new, old)
        if isinstance(value, dict):
            return {k: self.copy(v, join(new, str(k)), join(old, str(k))) for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, join(new, i), join(old, i)) for i, v in enumerate(value)]
        return value

    def document(self, data: Any) -> Document:
        return Document(self.doc.file, data, self.lines)


def _windows_v1alpha(b: _Builder, windows: Any) -> list[Any] | None:
    """``timeWindows: [{count: 30, unit: Day, isRolling}]`` → ``timeWindow: [{duration: 30d, …}]``."""
    if not isinstance(windows, list):
        return None
    out = []
    for i, w in enumerate(windows):
        old = join("spec.timeWindows", i)
        new = join("spec.timeWindow", i)
        if not isinstance(w, dict):
            out.append(b.copy(w, new, old))
            continue
        unit = _UNITS.get(str(w.get("unit", "")).lower(), str(w.get("unit", "")))
        item: dict[str, Any] = {"duration": f"{w.get('count', '')}{unit}"}
        b.mark(new, old)
        b.mark(join(new, "duration"), join(old, "count"))
        for key in ("isRolling", "calendar"):
            if key in w:
                item[key] = b.copy(w[key], join(new, key), join(old, key))
        out.append(item)
    return out


def _metric_v1alpha(b: _Builder, metric: Any, new: str, old: str) -> Any:
    """``{source: prometheus, queryType: promql, query}`` → ``{metricSource: {type, spec: {query}}}``."""
    if not isinstance(metric, dict):
        return b.copy(metric, new, old)
    source: dict[str, Any] = {"type": metric.get("source", "Prometheus"), "spec": {"query": metric.get("query")}}
    b.mark(join(new, "metricSource"), old)
    b.mark(join(new, "metricSource.type"), join(old, "source"))
    b.mark(join(new, "metricSource.spec.query"), join(old, "query"))
    return {"metricSource": source}


def from_v1alpha(doc: Document) -> list[Document]:
    """A v1alpha SLO: each objective carries its own ``ratioMetrics`` → one v1 SLO per objective,
    named ``<name>-<index>`` as Sloth names them (so the series keep their names when migrating)."""
    data, b0 = doc.data, _Builder(doc)
    if data.get("kind") != "SLO" or not isinstance(data.get("spec"), dict):
        out = b0.copy(data, "", "")
        out["apiVersion"] = V1
        return [b0.document(out)]
    spec = data["spec"]
    objectives = spec.get("objectives") if isinstance(spec.get("objectives"), list) else []
    name = (data.get("metadata") or {}).get("name") if isinstance(data.get("metadata"), dict) else None
    docs = []
    for i, objective in enumerate(objectives or [None]):
        b = _Builder(doc)
        new_spec: dict[str, Any] = {}
        for key in ("service", "description", "budgetingMethod"):
            if key in spec:
                new_spec[key] = b.copy(spec[key], join("spec", key), join("spec", key))
        if "timeWindows" in spec:
            new_spec["timeWindow"] = _windows_v1alpha(b, spec["timeWindows"])
        old = join("spec.objectives", i)
        obj: dict[str, Any] = {}
        if isinstance(objective, dict):
            for key, value in objective.items():
                if key in ("ratioMetrics", "ratioMetric"):
                    continue
                obj[key] = b.copy(value, join("spec.objectives[0]", key), join(old, key))
            ratio = objective.get("ratioMetrics") or objective.get("ratioMetric")
            if isinstance(ratio, dict):
                r_old = join(old, "ratioMetrics" if "ratioMetrics" in objective else "ratioMetric")
                r_new = "spec.indicator.spec.ratioMetric"
                metric: dict[str, Any] = {"counter": bool(ratio.get("incremental", True))}
                b.mark(r_new, r_old)
                b.mark(join(r_new, "counter"), join(r_old, "incremental"))
                for key in ("good", "bad", "total"):
                    if key in ratio:
                        metric[key] = _metric_v1alpha(b, ratio[key], join(r_new, key), join(r_old, key))
                indicator_name = f"{name}-sli" if isinstance(name, str) else "sli"
                new_spec["indicator"] = {"metadata": {"name": indicator_name}, "spec": {"ratioMetric": metric}}
                b.mark("spec.indicator", r_old)
        new_spec["objectives"] = [obj]
        b.mark("spec.objectives", "spec.objectives")
        b.mark("spec.objectives[0]", old)
        metadata = b.copy(data.get("metadata"), "metadata", "metadata")
        if isinstance(metadata, dict) and isinstance(name, str):
            # One v1 SLO per objective, named as Sloth (which reads v1alpha) names them: <name>-<index>.
            metadata = {**metadata, "name": f"{name}-{i}"}
        b.mark("", "")
        b.mark("apiVersion", "apiVersion")
        b.mark("kind", "kind")
        docs.append(b.document({"apiVersion": V1, "kind": "SLO", "metadata": metadata, "spec": new_spec}))
    return docs


def _metric_v2(b: _Builder, metric: Any, new: str, old: str) -> Any:
    """``{dataSourceRef | dataSourceSpec, spec}`` → ``{metricSource: {metricSourceRef | type, spec}}``."""
    if not isinstance(metric, dict) or "metricSource" in metric:
        return b.copy(metric, new, old)
    source: dict[str, Any] = {}
    b.mark(join(new, "metricSource"), old)
    if "dataSourceRef" in metric:
        source["metricSourceRef"] = b.copy(
            metric["dataSourceRef"], join(new, "metricSource.metricSourceRef"), join(old, "dataSourceRef")
        )
    ds = metric.get("dataSourceSpec")
    if isinstance(ds, dict) and "type" in ds:
        source["type"] = b.copy(ds["type"], join(new, "metricSource.type"), join(old, "dataSourceSpec.type"))
    if "spec" in metric:
        source["spec"] = b.copy(metric["spec"], join(new, "metricSource.spec"), join(old, "spec"))
    return {"metricSource": source}


def _sli_v2(b: _Builder, spec: Any, new: str, old: str) -> Any:
    if not isinstance(spec, dict):
        return b.copy(spec, new, old)
    out: dict[str, Any] = {}
    b.mark(new, old)
    for key, value in spec.items():
        if key == "thresholdMetric":
            out[key] = _metric_v2(b, value, join(new, key), join(old, key))
        elif key == "ratioMetric" and isinstance(value, dict):
            b.mark(join(new, key), join(old, key))
            out[key] = {
                k: _metric_v2(b, v, join(join(new, key), k), join(join(old, key), k))
                if k in ("good", "bad", "total", "raw")
                else b.copy(v, join(join(new, key), k), join(join(old, key), k))
                for k, v in value.items()
            }
        else:
            out[key] = b.copy(value, join(new, key), join(old, key))
    return out


def from_v2alpha(doc: Document) -> Document:
    """v2alpha (a draft): ``sli``/``sliRef`` → ``indicator``/``indicatorRef``, data sources → metric sources."""
    b, data = _Builder(doc), doc.data
    out: dict[str, Any] = {}
    b.mark("", "")
    for key, value in data.items():
        if key != "spec" or not isinstance(value, dict):
            out[key] = b.copy(value, key, key)
            continue
        spec: dict[str, Any] = {}
        b.mark("spec", "spec")
        kind = data.get("kind")
        for k, v in value.items():
            if kind == "SLO" and k == "sli":
                if isinstance(v, dict):
                    b.mark("spec.indicator", "spec.sli")
                    spec["indicator"] = {
                        key2: _sli_v2(b, v2, f"spec.indicator.{key2}", f"spec.sli.{key2}")
                        if key2 == "spec"
                        else b.copy(v2, f"spec.indicator.{key2}", f"spec.sli.{key2}")
                        for key2, v2 in v.items()
                    }
                else:
                    spec["indicator"] = b.copy(v, "spec.indicator", "spec.sli")
            elif kind == "SLO" and k == "sliRef":
                spec["indicatorRef"] = b.copy(v, "spec.indicatorRef", "spec.sliRef")
            elif kind == "SLI":
                spec.update(_sli_v2(b, {k: v}, "spec", "spec"))
            else:
                spec[k] = b.copy(v, join("spec", k), join("spec", k))
        out["spec"] = spec
    out["apiVersion"] = V1
    return b.document(out)


def draft_warning(doc: Document) -> Problem:
    return doc.problem(
        "apiVersion",
        f"{V2ALPHA} is a draft of OpenSLO v2: read where it maps onto v1 (sli, sliRef, dataSourceRef); "
        "keys of the draft without a v1 meaning are reported as unknown",
    )
