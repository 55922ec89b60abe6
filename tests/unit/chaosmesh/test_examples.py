"""Chaos Mesh's own example manifests go through raw-manifest and come back as written.

The corpus (../shared/chaos-mesh/examples, copied from Chaos Mesh v2.8.3) was written by its
maintainers, so it is the best test input we have for the pass-through: each chaos object must
load as a fault, render with only our labels, annotations and namespace added, and still
validate against its CRD. The three objects that are not faults (Schedule, StatusCheck,
RemoteCluster) must be refused at validation with the reason, and the two that have CRDs are
still checked against them, so the validator is exercised on them too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from chaosrunner.adapters.chaosmesh import render
from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.faults.raw_manifest import KINDS
from tests.unit.chaosmesh import crd
from tests.unit.chaosmesh.builders import RUN_ID, planned

EXAMPLES = sorted(crd.EXAMPLES.glob("*.yaml"))
#: Long enough that the corpus' longest written duration (400s) fits the fault's expiry.
LONG = {"baseline": "10s", "blast": "10m", "recovery": "10s"}


def _load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    assert isinstance(doc, dict)
    return doc


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


FAULTS = [p for p in EXAMPLES if _load(p)["kind"] in KINDS]
OTHERS = [p for p in EXAMPLES if _load(p)["kind"] not in KINDS]


def test_the_corpus_is_there() -> None:
    assert len(FAULTS) >= 20
    assert {_load(p)["kind"] for p in OTHERS} == {"Schedule", "StatusCheck", "RemoteCluster"}


@pytest.mark.parametrize("path", FAULTS, ids=_ids(FAULTS))
def test_example_renders_back_as_written_and_validates(path: Path) -> None:
    original = _load(path)
    pf, plan = planned({"type": "raw-manifest", "params": {"manifest": original}}, schedule=LONG)
    obj = render(pf, plan.experiment.binding("redis"), run_id=RUN_ID, experiment="cm-render")

    assert crd.errors(obj) == []
    assert crd.webhook_problems(obj) == []
    # Every example has its selector and mode, and a duration unless it is one-shot.
    assert obj["spec"] == original["spec"]
    assert obj["apiVersion"] == original["apiVersion"]
    assert obj["kind"] == original["kind"]
    meta = obj["metadata"]
    assert meta["name"] == original["metadata"]["name"]
    assert meta["namespace"] == "demo"  # the examples name none: the binding's
    assert meta["labels"]["chaosrunner.io/run-id"] == RUN_ID
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "chaosrunner"
    assert meta["annotations"]["chaosrunner.io/run-id"] == RUN_ID
    assert set(meta) == {"name", "namespace", "labels", "annotations"}
    assert pf.fault.params["manifest"] == original  # rendering copied, never mutated


@pytest.mark.parametrize("path", OTHERS, ids=_ids(OTHERS))
def test_objects_that_are_not_faults_are_refused_with_the_reason(path: Path) -> None:
    original = _load(path)
    with pytest.raises(ExperimentError) as caught:
        planned({"type": "raw-manifest", "params": {"manifest": original}})
    message = str(caught.value)
    assert f"spec.faults[0].params.manifest.kind: a {original['kind']} cannot be a fault" in message
    if original["kind"] in crd.kinds():
        assert crd.errors(original) == []  # the example itself is a valid object
    else:
        assert original["kind"] == "RemoteCluster"  # cluster-scoped; no CRD is shipped for it
