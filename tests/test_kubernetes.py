"""PrometheusRule objects: valid against prometheus-operator's published CRD, with the namespace, labels and
annotations a kube-prometheus-stack ``ruleSelector`` needs.

The CRD (tests/data/kubernetes, origin and license in ORIGIN.md) is the schema the Kubernetes API server
applies on ``kubectl apply``; validating against it here catches what the cluster would refuse.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from generators.bundle import artifacts
from generators.kubernetes import Metadata
from slo.cli import main
from slo.loaders import load
from slo.model.errors import DefinitionError, SpecError
from slo.project.config import settings
from tests.conftest import DATA, EXAMPLE

CRD = DATA / "kubernetes" / "monitoring.coreos.com_prometheusrules.yaml"


def _schema() -> dict[str, Any]:
    crd = yaml.safe_load(CRD.read_text())
    assert crd["spec"]["names"]["kind"] == "PrometheusRule"
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    return version["schema"]["openAPIV3Schema"]


SCHEMA = _schema()


def _problems(obj: dict[str, Any]) -> list[str]:
    """What the API server would refuse: the CRD's schema, plus the group-name uniqueness it declares
    (``x-kubernetes-list-type: map`` keyed by ``name``), which JSON Schema does not express."""
    validator = jsonschema.Draft7Validator(SCHEMA)
    found = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    names = [g.get("name") for g in obj.get("spec", {}).get("groups", [])]
    if len(names) != len(set(names)):
        found.append(f"spec.groups: duplicate group names {names}")
    return found


def _objects(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {rel: yaml.safe_load(text) for rel, text in files.items() if rel.startswith("rules/kubernetes/")}


@functools.cache
def _example(meta: Metadata | None = None) -> dict[str, dict[str, Any]]:
    """The bundled example's PrometheusRule objects (generated once per metadata: rendering takes seconds)."""
    return _objects(artifacts(load([EXAMPLE / "slos.py"]), kubernetes_meta=meta))


META = Metadata(
    namespace="monitoring",
    labels={"release": "kube-prometheus-stack", "prometheus": "k8s"},
    annotations={"argocd.argoproj.io/sync-wave": "1", "owner": "SRE team <sre@example.com>"},
)


@pytest.mark.parametrize("meta", [None, META], ids=["plain", "namespace-labels-annotations"])
def test_generated_objects_are_valid_against_the_crd(meta: Metadata | None) -> None:
    objects = _example(meta)
    assert objects, "no PrometheusRule generated"
    for rel, obj in objects.items():
        assert _problems(obj) == [], rel
        assert obj["kind"] == "PrometheusRule" and obj["apiVersion"] == "monitoring.coreos.com/v1"


def test_namespace_labels_and_annotations_are_applied() -> None:
    obj = _example(META)["rules/kubernetes/ai-assistant.yaml"]
    metadata = obj["metadata"]
    assert metadata["namespace"] == "monitoring"
    assert metadata["labels"] == {
        "release": "kube-prometheus-stack",
        "prometheus": "k8s",
        "app.kubernetes.io/managed-by": "slo-toolkit",
        "slo-toolkit/service": "ai-assistant",
        "team": "sre",
    }
    assert metadata["annotations"] == {"argocd.argoproj.io/sync-wave": "1", "owner": "SRE team <sre@example.com>"}
    # a user's team label wins over the definitions' team
    obj = _example(Metadata(labels={"team": "platform"}))
    assert obj["rules/kubernetes/ai-assistant.yaml"]["metadata"]["labels"]["team"] == "platform"
    assert "namespace" not in obj["rules/kubernetes/ai-assistant.yaml"]["metadata"]


def test_the_schema_check_catches_what_the_api_server_refuses() -> None:
    obj = _example()["rules/kubernetes/ai-assistant.yaml"]
    broken = yaml.safe_load(yaml.safe_dump(obj))
    alert = next(r for g in broken["spec"]["groups"] for r in g["rules"] if "alert" in r)
    alert["for"] = "5 minutes"
    broken["spec"]["groups"][0]["interval"] = 30
    broken["spec"]["groups"].append(dict(broken["spec"]["groups"][0]))
    problems = "\n".join(_problems(broken))
    assert "for: '5 minutes' does not match" in problems
    assert "interval: 30 is not of type 'string'" in problems
    assert "duplicate group names" in problems


def test_odd_service_and_team_names_still_give_valid_objects() -> None:
    from slo import availability, regex, service
    from slo.loaders import Definitions

    odd = service(
        "Billing_API-",
        availability("availability", 99.9, "http_requests_total", errors={"code": regex("5..")}),
        team="Payments & Billing",
    )
    defs = Definitions((odd,), (("Billing_API-", "test"),), None, None)
    obj = _objects(artifacts(defs))["rules/kubernetes/Billing_API-.yaml"]
    assert _problems(obj) == []
    assert obj["metadata"]["name"] == "slo-billing-api"
    # values Kubernetes refuses as label values are kept as annotations
    assert obj["metadata"]["annotations"] == {
        "slo-toolkit/service": "Billing_API-",
        "slo-toolkit/team": "Payments & Billing",
    }
    assert obj["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "slo-toolkit"}


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"namespace": "Monitoring"}, "namespace: must be a Kubernetes namespace name"),
        ({"namespace": "x" * 64}, "at most 63"),
        ({"labels": {"release": "kube prometheus"}}, "labels.release: label value 'kube prometheus'"),
        ({"labels": {"-bad": "x"}}, "labels: key '-bad': the name must be"),
        ({"labels": {"Example.COM/x": "y"}}, "the prefix before '/' must be a DNS subdomain"),
        ({"labels": {"app.kubernetes.io/managed-by": "me"}}, "are set by the toolkit"),
        ({"annotations": {"note": 3}}, "annotations.note: annotation values must be strings"),
    ],
)
def test_bad_metadata_is_refused(kwargs: dict[str, Any], expected: str) -> None:
    with pytest.raises(DefinitionError) as err:
        Metadata(**kwargs)
    assert expected in str(err.value)


def _project(tmp_path: Path, table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(table))
    (tmp_path / "slos.py").write_text((EXAMPLE / "slos.py").read_text())
    return tmp_path


def test_pyproject_kubernetes_table_reaches_the_generated_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(
        tmp_path,
        """\
        [tool.slo]
        out = "gen"

        [tool.slo.kubernetes]
        namespace = "monitoring"
        labels = { release = "kube-prometheus-stack" }
        annotations = { "example.com/owner" = "sre" }
        """,
    )
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["generate"])
    assert result.exit_code == 0, result.output
    obj = yaml.safe_load((project / "gen" / "rules" / "kubernetes" / "ai-assistant.yaml").read_text())
    assert obj["metadata"]["namespace"] == "monitoring"
    assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert obj["metadata"]["annotations"] == {"example.com/owner": "sre"}
    assert _problems(obj) == []


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("[tool.slo.kubernetes]\nnamespace = 'Prod'\n", "tool.slo.kubernetes.namespace: must be a Kubernetes"),
        ("[tool.slo.kubernetes]\nlabel = {a = 'b'}\n", "tool.slo.kubernetes.label: unknown key"),
        ("[tool.slo.kubernetes]\nlabels = ['release']\n", "tool.slo.kubernetes.labels: must be a table"),
        ("[tool.slo]\nkubernetes = 'monitoring'\n", "tool.slo.kubernetes: must be a table"),
        ("[tool.slo.kubernetes.labels]\nrelease = 'a b'\n", "tool.slo.kubernetes.labels.release: label value"),
    ],
)
def test_bad_pyproject_kubernetes_table_is_located(tmp_path: Path, table: str, expected: str) -> None:
    with pytest.raises(SpecError) as err:
        settings(_project(tmp_path, table))
    assert expected in str(err.value)
    assert "pyproject.toml" in str(err.value)
