"""`chaosrunner schedule` against the real API server: the printed CronJob is accepted.

The CLI's YAML is sent as written through the dynamic client with server-side dry run and
Strict field validation (an unknown or misplaced field is refused, not dropped), together with
manifests/rbac.yaml's ServiceAccount and Role for real in a fresh namespace, and a
PersistentVolumeClaim of the name given: the CronJob's references resolve to objects the API
server accepted.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.kit import ROOT, require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client, dynamic  # noqa: E402

from tests.cluster.identities import in_namespace, load_documents  # noqa: E402

RUN = uuid.uuid4().hex[:8]


def _schedule(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "schedule", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    doc = yaml.safe_load(out.stdout)
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def dyn(api_client: client.ApiClient) -> dynamic.DynamicClient:
    return dynamic.DynamicClient(api_client)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def namespace(api_client: client.ApiClient) -> str:
    name = f"sched-{RUN}"
    client.CoreV1Api(api_client).create_namespace(
        client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
    )
    return name


def _create(dyn: dynamic.DynamicClient, obj: dict[str, Any], *, dry_run: bool) -> Any:
    resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    kwargs: dict[str, Any] = {"dry_run": "All"} if dry_run else {}
    return resource.create(
        body=obj,
        namespace=obj["metadata"].get("namespace"),
        query_params=[("fieldValidation", "Strict")],
        **kwargs,
    )


@pytest.mark.parametrize(
    ("file", "kind_args"),
    [
        ("experiments/redis-timeout.yaml", ["run", "/experiments/redis-timeout.yaml"]),
        ("GAMEDAY", ["gameday", "run", "/experiments/monthly.yaml"]),
    ],
)
def test_the_printed_cronjob_is_accepted_with_strict_field_validation(
    dyn: dynamic.DynamicClient,
    namespace: str,
    tmp_path: Path,
    file: str,
    kind_args: list[str],
) -> None:
    if file == "GAMEDAY":
        path = tmp_path / "monthly.yaml"
        path.write_text(
            "apiVersion: chaosrunner.io/v1alpha1\nkind: GameDay\nmetadata: {name: monthly}\n"
        )
        file = str(path)
    doc = _schedule(
        file, "--cron", "0 10 1 * *", "--pvc", "gameday-results", "--namespace", namespace
    )
    for rbac in load_documents(ROOT / "manifests" / "rbac.yaml"):
        _create(dyn, in_namespace(rbac, namespace), dry_run=True)
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "gameday-results", "namespace": namespace},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }
    _create(dyn, pvc, dry_run=True)
    created = _create(dyn, doc, dry_run=True).to_dict()
    assert created["kind"] == "CronJob"
    assert created["metadata"]["namespace"] == namespace
    assert created["spec"]["schedule"] == "0 10 1 * *"
    pod = created["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "chaosrunner"
    assert pod["containers"][0]["args"][: len(kind_args)] == kind_args
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    ]
    assert claims == ["gameday-results"]


def test_an_invalid_field_would_be_refused_so_the_check_can_fail(
    dyn: dynamic.DynamicClient, namespace: str
) -> None:
    doc = _schedule(
        "experiments/redis-timeout.yaml", "--cron", "@monthly", "--namespace", namespace
    )
    doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["serviceAcountName"] = "typo"
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as info:
        _create(dyn, doc, dry_run=True)
    assert "serviceAcountName" in str(info.value.body)
