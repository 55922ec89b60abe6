"""Removal that always ends, against a real kube-apiserver: escalation past a stuck finalizer.

The test controller is told (``ignore-forced``) to do what the real Chaos Mesh controller does
while its records keep failing: keep ``chaos-mesh/records`` even with ``cleanFinalizer:
forced``, and (for a NetworkChaos) leave a PodNetworkChaos per pod, owned by the Pod, with an
entry whose ``source`` names the chaos. The driver must remove the finalizer itself, see the
object gone, say which targets were still injected and that the PodNetworkChaos may remain,
and never delete it (it is the pod's). The run is then INCONCLUSIVE, never PASSED; and
``chaosrunner cleanup`` after a SIGKILL escalates the same way and exits 4.

When the cluster has no PodNetworkChaos CRD (the stand-in's control plane installs only the
chaos kinds), a minimal one is created for this module and removed afterwards.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.kit import fresh_namespace, require_cluster

KUBECONFIG = require_cluster()
pytestmark = pytest.mark.standin(
    "misbehaviour on demand: ignore-forced on a CONFIRMED fault (the real controller's own "
    "stuck finalizer, never injected: test_real_controller.py)"
)

from kubernetes import client  # noqa: E402
from promlab import PromLab  # noqa: E402

from tests.cluster.chaos_controller import FakeChaosController  # noqa: E402
from tests.cluster.test_cluster_runs import LOSS, finish, left_in, start_run  # noqa: E402
from tests.cluster.test_driver import _left, _misbehaving  # noqa: E402

PODS = {f"redis-{i}": {"app": "redis"} for i in range(2)}
PNC = "podnetworkchaos.chaos-mesh.org"
#: Enough of the CRD for the API server to store what Chaos Mesh writes (ours, minimal).
MINIMAL_PNC_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": PNC},
    "spec": {
        "group": "chaos-mesh.org",
        "scope": "Namespaced",
        "names": {"kind": "PodNetworkChaos", "plural": "podnetworkchaos",
                  "singular": "podnetworkchaos", "listKind": "PodNetworkChaosList"},
        "versions": [{"name": "v1alpha1", "served": True, "storage": True, "schema": {
            "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        }}],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def pod_network_chaos_crd(api_client: client.ApiClient) -> Iterator[None]:
    ext = client.ApiextensionsV1Api(api_client)
    made = False
    try:
        ext.read_custom_resource_definition(PNC)
    except client.ApiException as exc:
        if exc.status != 404:
            raise
        ext.create_custom_resource_definition(MINIMAL_PNC_CRD)
        made = True
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conds = ext.read_custom_resource_definition(PNC).status.conditions or []
        if any(c.type == "Established" and c.status == "True" for c in conds):
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"{PNC} never became Established")
    yield
    if made:
        ext.delete_custom_resource_definition(PNC)


@pytest.fixture(scope="module")
def controller(pod_network_chaos_crd: None) -> Iterator[FakeChaosController]:
    with FakeChaosController(KUBECONFIG) as ctl:
        yield ctl
    assert ctl.errors == []


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    return fresh_namespace(core, "cr-esc", PODS)


def pod_network_chaos(custom: client.CustomObjectsApi, ns: str) -> dict[str, list[str]]:
    """Each PodNetworkChaos in ``ns``: the sources of its entries."""
    items = custom.list_namespaced_custom_object(
        "chaos-mesh.org", "v1alpha1", ns, "podnetworkchaos"
    )["items"]
    return {i["metadata"]["name"]: [t["source"] for t in i["spec"].get("tcs", [])] for i in items}


def test_the_driver_removes_a_finalizer_the_forced_annotation_does_not_release(
    ns: str, controller: FakeChaosController, custom: client.CustomObjectsApi
) -> None:
    plan, driver, run = _misbehaving(ns, "ignore-forced")
    pf = plan.faults[0]
    try:
        handle = driver.inject(pf, run)
        assert driver.confirm(pf, handle, 15).confirmed_at is not None
        started = time.monotonic()
        removal = driver.remove(pf, handle, 30)
        took = time.monotonic() - started
    finally:
        driver.close()
    name = str(handle.details["object"]["name"])  # type: ignore[index]
    assert removal.confirmed, removal.detail
    assert took < 3 + 3 + 10, took  # finalizer timeout 3 s, forced grace 3 s, then at once
    esc = removal.escalation
    assert esc is not None, removal.detail
    assert sorted(r.split(" ")[0] for r in esc.not_recovered) == [f"{ns}/redis-0", f"{ns}/redis-1"]
    assert all("(Injected, injected 1x, recovered 0x" in r for r in esc.not_recovered)
    assert "chaos-mesh/records removed by chaosrunner" in esc.steps[1]
    assert esc.removed == ()
    assert sorted(esc.may_remain) == [
        f"PodNetworkChaos {ns}/redis-{i}: owned by Pod redis-{i}, holds entries of NetworkChaos "
        f"{ns}/{name} (no other chaos in it); not chaosrunner's to delete"
        for i in range(2)
    ]
    # The controller never released it (we did), and the pod's objects were left alone.
    assert not controller.actions_for(name, "finalizer-removed")
    assert pod_network_chaos(custom, ns) == {f"redis-{i}": [f"{ns}/{name}"] for i in range(2)}
    assert _left(custom, ns, run.run_id) == []


def test_a_run_whose_removal_was_escalated_is_inconclusive_and_says_so(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, custom: client.CustomObjectsApi, tmp_path: Path,
) -> None:  # fmt: skip
    r = start_run(LOSS, tmp_path, prom_lab_fresh, ns, "--var", "misbehave=ignore-forced")
    code, journal, out = finish(r, timeout=180)
    assert code == 3, out
    assert journal["outcome"]["verdict"] == "INCONCLUSIVE"
    reasons = journal["outcome"]["reasons"]
    assert any("needed its finalizer taken off by chaosrunner" in x for x in reasons), reasons
    inj = journal["injections"][0]
    assert inj["confirmedAt"] and inj["removalConfirmed"]
    esc = inj["escalation"]
    assert sorted(x.split(" ")[0] for x in esc["notRecovered"]) == [
        f"{ns}/redis-0",
        f"{ns}/redis-1",
    ]
    assert len(esc["mayRemain"]) == 2 and all("PodNetworkChaos" in x for x in esc["mayRemain"])
    assert "WARNING: removing loss needed its finalizer taken off" in out
    assert left_in(core, ns) == []
    assert sorted(pod_network_chaos(custom, ns)) == ["redis-0", "redis-1"]  # not ours: kept


def test_cleanup_after_a_sigkill_escalates_too_and_exits_4(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    r = start_run(
        LOSS, tmp_path, prom_lab_fresh, ns, "--var", "blast=60s",
        "--var", "misbehave=ignore-forced",
    )  # fmt: skip
    journal = r.wait_for_journal(lambda j: j["injections"] and j["injections"][0]["confirmedAt"])
    run_id = journal["runId"]
    r.proc.send_signal(signal.SIGKILL)
    r.wait(10)
    assert any(x.startswith("networkchaos/") for x in left_in(core, ns))
    done = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "cleanup", "--run-id", run_id,
         "--namespace", ns, "--kubeconfig", str(KUBECONFIG)],
        check=False, capture_output=True, text=True, timeout=180,
        env={"CHAOSRUNNER_STATE_DIR": str(r.state), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 4, out
    assert f"cluster: deleted NetworkChaos {ns}/" in done.stdout
    assert "only by removing its finalizer: ESCALATED, its targets may not have recovered" in out
    assert f"cluster: MAY REMAIN: PodNetworkChaos {ns}/redis-0: owned by Pod redis-0" in out
    assert f"cluster: deleted Lease {ns}/chaosrunner (run {run_id})" in done.stdout
    assert left_in(core, ns) == []
