"""An OpenSLO objective → the target and the SLI it measures, by budgeting method.

Occurrences count the indicator's events; Timeslices judge each slice against a target;
RatioTimeslices average the slices' good ratios. What an objective cannot combine with its
method or indicator is refused at the objective's key.
"""

from __future__ import annotations

import math
from typing import Any

from slo.loaders.located import call as _call
from slo.loaders.located import fail as _fail
from slo.loaders.openslo_indicators import Indicator
from slo.loaders.yamlsrc import Document, join
from slo.model.durations import Duration
from slo.model.sli import SLI, LatencySLI, ProbeSLI, RatioSLI, TimeSliceSLI
from slo.model.values import normalise_objective


def objective_target(doc: Document, path: str, objective: dict[str, Any]) -> float:
    has_target, has_percent = "target" in objective, "targetPercent" in objective
    if has_target and has_percent:
        raise _fail(doc, path, "give either target (e.g. 0.999) or targetPercent (e.g. 99.9), not both")
    if has_target:
        value = objective["target"]
        if not 0 < value < 1:
            raise _fail(
                doc,
                join(path, "target"),
                f"must be a fraction between 0 and 1 such as 0.999 (targetPercent takes 99.9), got {value!r}",
            )
        return _call(doc, join(path, "target"), lambda: normalise_objective(value))
    if has_percent:
        value = objective["targetPercent"]
        if not 0 < value < 100:
            raise _fail(
                doc,
                join(path, "targetPercent"),
                f"must be a percentage between 0 and 100 such as 99.9 (100 leaves no budget), got {value!r}",
            )
        return _call(doc, join(path, "targetPercent"), lambda: normalise_objective(value / 100))
    raise _fail(doc, path, "missing 'target' (a fraction such as 0.999) or 'targetPercent' (such as 99.9)")


def _slice_window(doc: Document, path: str, value: float | str) -> Duration:
    if isinstance(value, str):
        return _call(doc, path, lambda: Duration.parse(value.strip()))
    if not math.isfinite(value) or value <= 0 or value != int(value):
        raise _fail(doc, path, f"must be a whole number of minutes such as 5, or a duration such as 5m, got {value!r}")
    return Duration(int(value) * 60)


def objective_sli(doc: Document, path: str, method: str, objective: dict[str, Any], indicator: Indicator) -> SLI:
    """Budgeting method + objective + indicator → the SLI of one SLO."""
    threshold_keys = [k for k in ("op", "value") if k in objective]
    if method == "Occurrences":
        for key in ("timeSliceTarget", "timeSliceWindow"):
            if key in objective:
                raise _fail(doc, join(path, key), f"{key} only applies to budgetingMethod: Timeslices")
        if indicator.gauge is not None:
            raise _fail(
                doc,
                "spec.budgetingMethod",
                "a thresholdMetric (gauge) SLI needs budgetingMethod: Timeslices",
            )
        if threshold_keys:
            raise _fail(doc, join(path, threshold_keys[0]), "op and value only apply to a thresholdMetric SLI")
        assert indicator.events is not None
        return indicator.events
    if method == "RatioTimeslices":
        return _ratio_timeslices(doc, path, objective, indicator)
    missing = [k for k in ("timeSliceTarget", "timeSliceWindow") if k not in objective]
    if missing:
        raise _fail(
            doc,
            path,
            f"missing required key {', '.join(repr(k) for k in missing)} (budgetingMethod: Timeslices)",
        )
    slice_target = objective["timeSliceTarget"]
    if not 0 < slice_target <= 1:
        raise _fail(
            doc,
            join(path, "timeSliceTarget"),
            f"must be a fraction in (0, 1] such as 0.999 (a slice's good share), got {slice_target!r}",
        )
    window = _slice_window(doc, join(path, "timeSliceWindow"), objective["timeSliceWindow"])
    inner = _slice_inner(doc, path, objective, indicator)
    return _call(doc, join(path, "timeSliceWindow"), lambda: TimeSliceSLI(inner, window, slice_target))


def _ratio_timeslices(doc: Document, path: str, objective: dict[str, Any], indicator: Indicator) -> SLI:
    """RatioTimeslices: the mean of the slices' good ratios (a slice-mean SLI); no slice target."""
    if "timeSliceWindow" not in objective:
        raise _fail(doc, path, "missing required key 'timeSliceWindow' (budgetingMethod: RatioTimeslices)")
    if "timeSliceTarget" in objective:
        raise _fail(
            doc,
            join(path, "timeSliceTarget"),
            "timeSliceTarget only applies to budgetingMethod: Timeslices (RatioTimeslices averages the "
            "slices' good ratios; no slice is judged against a target)",
        )
    window = _slice_window(doc, join(path, "timeSliceWindow"), objective["timeSliceWindow"])
    inner = _slice_inner(doc, path, objective, indicator)
    return _call(doc, join(path, "timeSliceWindow"), lambda: TimeSliceSLI(inner, window, mean=True))


def _slice_inner(
    doc: Document, path: str, objective: dict[str, Any], indicator: Indicator
) -> RatioSLI | LatencySLI | ProbeSLI:
    """What a sliced objective measures in each slice: the indicator's events, or its 0/1 gauge."""
    threshold_keys = [k for k in ("op", "value") if k in objective]
    inner: RatioSLI | LatencySLI | ProbeSLI
    if indicator.gauge is not None:
        if objective.get("op") != "gte" or objective.get("value") != 1:
            raise _fail(
                doc,
                join(path, "op") if "op" in objective else path,
                "a thresholdMetric is read as a 0/1 probe gauge such as probe_success: only op: gte with "
                f"value: 1 is supported, got op: {objective.get('op')}, value: {objective.get('value')}",
            )
        gauge = indicator.gauge
        inner = _call(doc, path, lambda: ProbeSLI(gauge))
    else:
        if threshold_keys:
            raise _fail(doc, join(path, threshold_keys[0]), "op and value only apply to a thresholdMetric SLI")
        assert indicator.events is not None
        inner = indicator.events
    return inner
