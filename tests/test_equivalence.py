"""One service written four ways loads into one model.

tests/data/equivalent holds the checkout service as the Python DSL, the toolkit's YAML, OpenSLO v1
and Sloth. Equal models mean equal rules, dashboards and reports, whichever format a team writes.
Sloth cannot express latency or time-slice SLOs, so its file holds only the availability SLO.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from slo.loaders import load
from slo.model.alert_policy import DEFAULT_POLICY
from slo.model.service import Service
from slo.model.sli import LatencySLI, RatioSLI, TimeSliceSLI

EQUIVALENT = Path(__file__).parent / "data" / "equivalent"


def service(name: str) -> Service:
    loaded = load([EQUIVALENT / name])
    assert [s.name for s in loaded.services] == ["checkout"]
    return loaded.services[0]


def test_the_python_definition_holds_one_slo_of_each_kind() -> None:
    """Guards the fixture itself: the comparison is only as strong as what it compares."""
    reference = service("slos.py")
    assert [s.name for s in reference.slos] == ["availability", "latency", "error-rate"]
    availability, latency, error_rate = reference.slos
    assert isinstance(availability.sli, RatioSLI) and availability.objective == 0.999
    assert isinstance(latency.sli, LatencySLI) and latency.sli.threshold == 0.3 and latency.objective == 0.99
    assert isinstance(error_rate.sli, TimeSliceSLI) and str(error_rate.sli.slice) == "5m"
    assert all(s.alerting == DEFAULT_POLICY for s in reference.slos)
    assert reference.team == "payments"


@pytest.mark.parametrize("name", ["slos.yaml", "openslo.yaml"])
def test_formats_that_express_every_slo_equal_the_python_model(name: str) -> None:
    assert service(name) == service("slos.py")


def test_sloth_equals_the_python_model_restricted_to_availability() -> None:
    reference = service("slos.py")
    availability = next(s for s in reference.slos if s.name == "availability")
    assert service("sloth.yaml") == replace(reference, slos=(availability,))
