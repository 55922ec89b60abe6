"""The whole control plane, through kubectl: what a bare API server could not show.

scripts/cluster-up.sh runs kube-controller-manager and kube-scheduler beside kube-apiserver, and
builds kubectl from the same release. Here, as a user would:

- ``manifests/`` is created with ``kubectl create -f -`` (into a fresh namespace instead of
  ``demo``): each Deployment's pod is created by its ReplicaSet, bound to the kwok node by
  kube-scheduler (no ``spec.nodeName`` in the files) and Running; the Job's pod is created by the
  real Job controller and the Job completes (kwok ends a Job's pods at once); the suspended
  CronJob is accepted, and the README's ``kubectl create job --from=cronjob/...`` runs it.
- A deleted namespace finishes terminating, and an owned object is garbage-collected.
- The README's promise, literally: ``chaosrunner render FILE --env cluster | kubectl create -f -``
  for every shipped experiment, accepted by the test cluster with whatever admission it runs
  (Chaos Mesh's webhooks when cluster-up installs them).

Needs the local control plane; skipped without its kubeconfig (failed in CI).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.kit import NODE, ROOT, require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

from tests.cluster.identities import MANIFEST_NAMESPACE, in_namespace, load_documents  # noqa: E402

KUBECTL = Path(os.environ.get("CHAOSRUNNER_KUBECTL") or ROOT / ".cache" / "bin" / "kubectl")
CHAOSRUNNER = Path(sys.executable).parent / "chaosrunner"
MANIFESTS = ROOT / "manifests"
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
RUN = uuid.uuid4().hex[:8]
#: kwok sometimes sees a new pod only at its next relist (etcd 3.4 ends its watches), 15-40 s.
POD_TIMEOUT = 90
CONTROLLER_TIMEOUT = 60


def kubectl(*args: str, stdin: str | None = None, check: bool = True) -> str:
    if not KUBECTL.exists():
        pytest.fail(f"{KUBECTL} is missing: scripts/cluster-up.sh builds it", pytrace=False)
    done = subprocess.run(
        [str(KUBECTL), f"--kubeconfig={KUBECONFIG}", *args],
        input=stdin, capture_output=True, text=True, timeout=POD_TIMEOUT + 30, check=False,
    )  # fmt: skip
    if check and done.returncode != 0:
        pytest.fail(f"kubectl {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return done.stdout


def eventually(what: str, probe: Callable[[], bool], timeout: float = CONTROLLER_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f}s: {what}")
        time.sleep(0.5)


def gone(read: Callable[[], object]) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            read()
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        return False

    return probe


@pytest.fixture(scope="module")
def manifests_ns(core: client.CoreV1Api) -> Iterator[str]:
    """``manifests/`` created with kubectl in a fresh namespace; the namespace is deleted after."""
    ns = f"kc-{RUN}"
    kubectl("create", "namespace", ns)
    order = ["demo.yaml", "rbac.yaml", "job.yaml", "cronjob.yaml"]  # the Job needs its account
    assert sorted(order) == sorted(p.name for p in MANIFESTS.glob("*.yaml"))
    docs = [
        in_namespace(d, ns)
        for name in order
        for d in load_documents(MANIFESTS / name)
        if d["kind"] != "Namespace"
    ]
    out = kubectl("create", "-f", "-", "-o", "name", stdin=yaml.safe_dump_all(docs))
    assert len(out.split()) == len(docs), out
    yield ns
    kubectl("delete", "namespace", ns, "--wait=false")


def _pods(core: client.CoreV1Api, ns: str, selector: str) -> list[client.V1Pod]:
    return list(core.list_namespaced_pod(ns, label_selector=selector).items)


@pytest.mark.parametrize(
    "deployment",
    [d["metadata"]["name"] for d in load_documents(MANIFESTS / "demo.yaml")
     if d["kind"] == "Deployment"],
)  # fmt: skip
def test_each_demo_deployment_runs_its_pods_scheduled_onto_kwok(
    core: client.CoreV1Api, api_client: client.ApiClient, manifests_ns: str, deployment: str
) -> None:
    (doc,) = [
        d for d in load_documents(MANIFESTS / "demo.yaml")
        if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment
    ]  # fmt: skip
    assert "nodeName" not in doc["spec"]["template"]["spec"]  # only a scheduler can bind it
    kubectl("wait", "-n", manifests_ns, "--for=condition=Available", f"deployment/{deployment}",
            f"--timeout={POD_TIMEOUT}s")  # fmt: skip
    selector = ",".join(f"{k}={v}" for k, v in doc["spec"]["selector"]["matchLabels"].items())
    pods = _pods(core, manifests_ns, selector)
    assert len(pods) == doc["spec"].get("replicas", 1)
    apps = client.AppsV1Api(api_client)
    for pod in pods:
        assert pod.status.phase == "Running"
        assert pod.spec.node_name == NODE
        assert pod.spec.service_account_name == "default"  # the ServiceAccount admission plugin
        (owner,) = pod.metadata.owner_references
        assert owner.kind == "ReplicaSet" and owner.controller
        rs = apps.read_namespaced_replica_set(owner.name, manifests_ns)
        (rs_owner,) = rs.metadata.owner_references
        assert (rs_owner.kind, rs_owner.name) == ("Deployment", deployment)
        events = core.list_namespaced_event(
            manifests_ns, field_selector=f"involvedObject.name={pod.metadata.name},reason=Scheduled"
        ).items
        assert events, f"no Scheduled event for {pod.metadata.name}"
        reporters = {(e.source.component if e.source else None) or e.reporting_component
                     for e in events}  # fmt: skip
        assert reporters == {"default-scheduler"}


def test_the_job_controller_runs_the_jobs_pod(core: client.CoreV1Api, manifests_ns: str) -> None:
    (job,) = [d for d in load_documents(MANIFESTS / "job.yaml") if d["kind"] == "Job"]
    name = job["metadata"]["name"]
    kubectl("wait", "-n", manifests_ns, "--for=condition=Complete", f"job/{name}",
            f"--timeout={POD_TIMEOUT}s")  # fmt: skip
    (pod,) = _pods(core, manifests_ns, f"batch.kubernetes.io/job-name={name}")
    (owner,) = pod.metadata.owner_references
    assert (owner.kind, owner.name, owner.controller) == ("Job", name, True)
    assert pod.spec.node_name == NODE
    assert pod.spec.service_account_name == job["spec"]["template"]["spec"]["serviceAccountName"]
    assert pod.status.phase == "Succeeded"


def test_the_suspended_cron_job_is_accepted_and_runs_by_hand(
    core: client.CoreV1Api, manifests_ns: str
) -> None:
    (cron,) = [d for d in load_documents(MANIFESTS / "cronjob.yaml") if d["kind"] == "CronJob"]
    name = cron["metadata"]["name"]
    got = json.loads(kubectl("get", "-n", manifests_ns, f"cronjob/{name}", "-o", "json"))
    assert got["spec"]["suspend"] is True
    assert got["spec"]["schedule"] == cron["spec"]["schedule"]
    manual = f"{name}-manual"  # the command in cronjob.yaml's header
    kubectl("create", "job", f"--from=cronjob/{name}", manual, "-n", manifests_ns)
    kubectl("wait", "-n", manifests_ns, "--for=condition=Complete", f"job/{manual}",
            f"--timeout={POD_TIMEOUT}s")  # fmt: skip
    (pod,) = _pods(core, manifests_ns, f"batch.kubernetes.io/job-name={manual}")
    assert pod.metadata.owner_references[0].kind == "Job"


def test_a_deleted_namespace_finishes_terminating(core: client.CoreV1Api) -> None:
    ns = f"kc-gone-{RUN}"
    core.create_namespace({"metadata": {"name": ns}})
    eventually(
        "the default ServiceAccount and kube-root-ca.crt in a new namespace",
        lambda: (
            bool(core.list_namespaced_service_account(ns).items)
            and bool(core.list_namespaced_config_map(ns).items)
        ),
    )
    core.create_namespaced_config_map(ns, {"metadata": {"name": "content"}})
    core.create_namespaced_pod(
        ns,
        {"metadata": {"name": "p"},
         "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": "fake"}]}},
    )  # fmt: skip
    core.delete_namespace(ns)
    assert core.read_namespace(ns).status.phase == "Terminating"
    eventually(f"namespace {ns} gone", gone(lambda: core.read_namespace(ns)))


def test_an_owned_object_is_garbage_collected(core: client.CoreV1Api) -> None:
    ns = f"kc-gc-{RUN}"
    core.create_namespace({"metadata": {"name": ns}})
    try:
        owner = core.create_namespaced_config_map(ns, {"metadata": {"name": "owner"}})
        ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
               "uid": owner.metadata.uid}  # fmt: skip
        core.create_namespaced_config_map(
            ns, {"metadata": {"name": "dependent", "ownerReferences": [ref]}}
        )
        core.create_namespaced_config_map(ns, {"metadata": {"name": "bystander"}})
        core.delete_namespaced_config_map("owner", ns, propagation_policy="Background")
        eventually(
            "the dependent ConfigMap garbage-collected",
            gone(lambda: core.read_namespaced_config_map("dependent", ns)),
        )
        core.read_namespaced_config_map("bystander", ns)  # only what the owner owned
    finally:
        core.delete_namespace(ns)


@pytest.fixture(scope="module")
def demo_namespace(core: client.CoreV1Api) -> str:
    """The experiments' own namespace, with no pod in it: the objects select nothing."""
    try:
        core.create_namespace({"metadata": {"name": MANIFEST_NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    pods = [p.metadata.name for p in core.list_namespaced_pod(MANIFEST_NAMESPACE).items]
    assert pods == [], f"namespace {MANIFEST_NAMESPACE} has pods a fault could hit: {pods}"
    return MANIFEST_NAMESPACE


@pytest.mark.parametrize("experiment", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_render_piped_to_kubectl_create_is_accepted(demo_namespace: str, experiment: Path) -> None:
    run_id = f"kc-{RUN}"
    cmd = (f"{CHAOSRUNNER} render {experiment.relative_to(ROOT)} --env cluster --run-id {run_id}"
           f" | {KUBECTL} --kubeconfig={KUBECONFIG} create -f -")  # fmt: skip
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    rendered = subprocess.run(
        [str(CHAOSRUNNER), "render", str(experiment), "--env", "cluster", "--run-id", run_id],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    docs: list[dict[str, Any]] = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    if not docs:  # e.g. goroutine-leak: the driver calls a hook, there is nothing to create
        assert "is not a Chaos Mesh object" in rendered.stderr
        assert done.returncode != 0 and "no objects passed to create" in done.stderr
        return
    assert done.returncode == 0, f"{cmd}\n{done.stderr}"
    assert sorted(done.stdout.splitlines()) == sorted(
        f"{d['kind'].lower()}.chaos-mesh.org/{d['metadata']['name']} created" for d in docs
    )
    for d in docs:
        assert d["metadata"]["namespace"] == demo_namespace
        got = json.loads(kubectl("get", "-n", demo_namespace, f"{d['kind']}/{d['metadata']['name']}",
                                 "-o", "json"))  # fmt: skip
        assert got["metadata"]["labels"]["chaosrunner.io/run-id"] == run_id
    kubectl("delete", "-f", "-", "--wait=false", stdin=rendered.stdout)
