"""Rendered objects are accepted by a real kube-apiserver with the Chaos Mesh CRDs installed.

Server-side dry run (``dryRun=All``) with ``fieldValidation=Strict``: the API server runs
decoding, defaulting, the CRD's structural schema and admission, and stores nothing; Strict
turns a pruned unknown field into an error. This is the proof the unit tests' schema check
stands in for. Needs the local control plane (``scripts/cluster-up.sh``); the module is skipped
when its kubeconfig is absent and fails, saying so, when the kubeconfig is there but the API
server does not answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.kit import require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

from chaosrunner.adapters.chaosmesh import render, to_yaml  # noqa: E402
from tests.unit.chaosmesh import crd  # noqa: E402
from tests.unit.chaosmesh.builders import RUN_ID, planned  # noqa: E402
from tests.unit.chaosmesh.test_examples import FAULTS as EXAMPLES  # noqa: E402
from tests.unit.chaosmesh.test_render_kinds import CASES  # noqa: E402

NAMESPACE = "chaosrunner-render"
PODS = {"namespace": NAMESPACE, "labelSelector": {"app": "redis"}, "mode": "all"}


@pytest.fixture(scope="module")
def api(core: client.CoreV1Api, custom: client.CustomObjectsApi) -> client.CustomObjectsApi:
    try:  # one fixed namespace: created once, kept (only dry runs go into it)
        core.create_namespace({"metadata": {"name": NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    return custom


def _plural(kind: str) -> str:
    return str(crd._crds()[kind]["spec"]["names"]["plural"])


def _dry_run(api: client.CustomObjectsApi, obj: Mapping[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = api.create_namespaced_custom_object(
        "chaos-mesh.org", "v1alpha1", obj["metadata"]["namespace"], _plural(obj["kind"]), obj,
        dry_run="All", field_validation="Strict",
    )  # fmt: skip
    return created


def _contains(got: Any, want: Any) -> bool:
    if isinstance(want, Mapping):
        return isinstance(got, Mapping) and all(
            k in got and _contains(got[k], v) for k, v in want.items()
        )
    return bool(got == want)


def _render(fault: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
    pf, plan = planned(fault, pods=PODS, **kw)
    return render(pf, plan.experiment.binding("redis"), run_id=RUN_ID, experiment="cm-render")


@pytest.mark.parametrize(("fault", "chaos", "expect"), CASES)
def test_every_kind_is_accepted(
    api: client.CustomObjectsApi, fault: dict[str, Any], chaos: str, expect: dict[str, Any]
) -> None:
    obj = _render(fault)
    created = _dry_run(api, obj)
    assert created["kind"] == chaos
    assert _contains(created["spec"], obj["spec"])  # nothing pruned; defaults may be added
    assert created["metadata"]["labels"] == obj["metadata"]["labels"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_through_raw_manifest_is_accepted(
    api: client.CustomObjectsApi, path: Path
) -> None:
    manifest = yaml.safe_load(path.read_text())
    obj = _render({"type": "raw-manifest", "params": {"manifest": manifest}},
                  schedule={"baseline": "10s", "blast": "10m", "recovery": "10s"})  # fmt: skip
    assert _contains(_dry_run(api, obj)["spec"], obj["spec"])


@pytest.mark.parametrize(
    ("path", "value", "status", "field"),
    [(("spec", "mode"), "bogus", 422, "spec.mode"),
     (("spec", "delay", "jitter"), "1m30s", 422, "spec.delay.jitter"),
     (("spec", "externalTarget"), ["1.1.1.1"], 400, 'unknown field "spec.externalTarget"')],
    ids=["bad-mode", "compound-jitter", "unknown-field"],
)  # fmt: skip
def test_a_broken_object_is_rejected_naming_the_field(
    api: client.CustomObjectsApi, path: tuple[str, ...], value: Any, status: int, field: str
) -> None:
    """422 for the CRD schema (Invalid); 400 for Strict decoding of an unknown field."""
    obj = _render({"type": "network-delay", "params": {"latency": "10ms", "jitter": "1ms"}})
    node = obj
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ApiException) as caught:
        _dry_run(api, obj)
    assert caught.value.status == status
    assert field in json.loads(caught.value.body)["message"]


def test_the_yaml_stream_render_prints_is_accepted_document_by_document(
    api: client.CustomObjectsApi,
) -> None:
    """What `chaosrunner render` prints for `kubectl create -f -`, sent through the API server.

    kubectl is not installed on this machine kind, so each document of the stream is parsed
    back from the text (as kubectl would) and dry-run created.
    """
    objects = [_render(p.values[0]) for p in CASES[:8]]
    documents = [d for d in yaml.safe_load_all(to_yaml(objects)) if d]
    assert documents == objects
    for doc in documents:
        assert _dry_run(api, doc)["metadata"]["name"] == doc["metadata"]["name"]
