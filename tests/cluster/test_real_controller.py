"""The driver and whole runs against Chaos Mesh's REAL chaos-controller-manager.

scripts/cluster-up.sh runs the controller built from the pinned module (hack/chaos-mesh), with
its admission webhooks on, reconciling only the namespace ``$CHAOSRUNNER_CHAOS_MESH_NAMESPACE``
(``chaos-real``); every test here works in that one namespace (shared: each test brings back
the pods it needs, and leaves no chaos object and no Lease). What runs for real: PodChaos pod-kill and pod-failure (the
controller deletes or patches the pod itself), preflight, selection by mode, the webhooks'
validation. No chaos-daemon serves kwok-node-0 (the stand-in daemon of test_real_daemon.py has
a node of its own): every daemon-based kind is never injected here, which is its
failure path (INCONCLUSIVE; the object removed in the end, by escalation when the controller
holds its finalizer). The status reading is the driver's own: conditions in any order,
``generation`` rising with each status write, events capped, a duration that slips. One test
also starts the stand-in, to show the two controllers never reconcile the same object.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.kit import ensure_pods, fresh_namespace, require_cluster

KUBECONFIG = require_cluster()
pytestmark = pytest.mark.chaos_mesh

from kubernetes import client  # noqa: E402
from promlab import PromLab  # noqa: E402

from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions  # noqa: E402
from chaosrunner.adapters.chaosmesh.permissions import CHAOS_PLURALS  # noqa: E402
from chaosrunner.core.errors import InjectionError  # noqa: E402
from chaosrunner.core.model import BlastRadius  # noqa: E402
from chaosrunner.core.plan import Plan, make_plan  # noqa: E402
from chaosrunner.core.ports import RunInfo  # noqa: E402
from tests.cluster.chaos_controller import FakeChaosController  # noqa: E402
from tests.cluster.test_cluster_runs import HERE, LOSS, finish, left_in  # noqa: E402
from tests.integration.runs import Run, start  # noqa: E402
from tests.unit.chaosmesh.builders import experiment  # noqa: E402

NS = os.environ.get("CHAOSRUNNER_CHAOS_MESH_NAMESPACE", "chaos-real")
GROUP, VERSION = "chaos-mesh.org", "v1alpha1"
PODS = {f"redis-{i}": {"app": "redis"} for i in range(3)} | {"web-0": {"app": "web"}}
POD_FAILURE = str(HERE / "cluster-pod-failure.yaml")

#: The daemon-based kinds: without a chaos-daemon the real controller never injects them.
DAEMON_FAULTS: dict[str, dict[str, Any]] = {
    "NetworkChaos": {"type": "network-loss", "params": {"loss": "25%"}},
    "StressChaos": {"type": "cpu-stress", "params": {"workers": 1, "load": "50%"}},
    "IOChaos": {"type": "io-fault", "params": {"volumePath": "/data", "errno": 28}},
    "TimeChaos": {"type": "time-skew", "params": {"timeOffset": "-10m"}},
    "DNSChaos": {"type": "dns-error", "params": {"patterns": ["redis.demo.svc.cluster.local"]}},
    "HTTPChaos": {
        "type": "raw-manifest",
        "params": {
            "manifest": {
                "apiVersion": "chaos-mesh.org/v1alpha1",
                "kind": "HTTPChaos",
                "spec": {"target": "Request", "port": 80, "abort": True},
            }
        },
    },
    "PodChaos/container-kill": {"type": "container-kill", "params": {"containerNames": ["redis"]}},
}


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    """The real controller's namespace, holding PODS (all Running), and nothing of ours."""
    try:
        core.read_namespace(NS)
    except client.ApiException as exc:
        pytest.fail(f"namespace {NS} is missing ({exc.status}): rerun scripts/cluster-up.sh")
    ensure_pods(core, NS, PODS)
    assert left_in(core, NS) == []
    custom = client.CustomObjectsApi(core.api_client)
    for plural, name in _pod_chaos(custom):  # an earlier test's (no garbage collector here)
        custom.delete_namespaced_custom_object(GROUP, VERSION, NS, plural, name)
    return NS


def _plan(fault: dict[str, Any], **pods: Any) -> Plan:
    binding = {"namespace": NS, "labelSelector": {"app": "redis"}, "mode": "all", **pods}
    return make_plan(experiment([{"name": "f", **fault}], pods=binding))


def _driver(plan: Plan) -> tuple[ChaosMeshDriver, RunInfo]:
    options = ClusterOptions(
        kubeconfig=str(KUBECONFIG), allow_namespaces=(NS,), finalizer_timeout=3
    )
    run = RunInfo(f"t-{uuid.uuid4().hex[:10]}", plan.experiment.metadata.name, time.time())
    return ChaosMeshDriver(plan.experiment, options), run


def _object(custom: client.CustomObjectsApi, handle: Any) -> dict[str, Any]:
    ref = handle.details["object"]
    plural = CHAOS_PLURALS[ref["kind"]]
    obj: dict[str, Any] = custom.get_namespaced_custom_object(
        GROUP, VERSION, ref["namespace"], plural, ref["name"]
    )
    return obj


def _pod_chaos(custom: client.CustomObjectsApi) -> list[tuple[str, str]]:
    """The PodNetworkChaos/PodIOChaos/PodHttpChaos in NS: the controller makes them, owned by
    the pod, for the daemon-based kinds."""
    out = []
    for plural in ("podnetworkchaos", "podiochaos", "podhttpchaos"):
        items = custom.list_namespaced_custom_object(GROUP, VERSION, NS, plural)["items"]
        out += [(plural, i["metadata"]["name"]) for i in items]
    return out


@pytest.mark.parametrize(
    ("fault", "mode", "hit"),
    [
        ({"type": "pod-kill"}, {"mode": "one"}, 1),
        ({"type": "pod-failure"}, {"mode": "all"}, 3),
    ],
    ids=["pod-kill", "pod-failure"],
)
def test_pod_chaos_is_created_confirmed_by_the_controller_and_removed(
    fault: dict[str, Any],
    mode: dict[str, Any],
    hit: int,
    ns: str,
    core: client.CoreV1Api,
    custom: client.CustomObjectsApi,
) -> None:
    plan = _plan(fault, **mode)
    driver, run = _driver(plan)
    pf = plan.faults[0]
    try:
        checks = driver.preflight(plan, run)
        assert all(c.ok for c in checks), checks
        handle = driver.inject(pf, run)
        conf = driver.confirm(pf, handle, 20)
        assert conf.confirmed_at is not None, conf.detail
        assert len(conf.targets) == hit and all(t.injected_at for t in conf.targets)
        live = _object(custom, handle)
        # Written by Chaos Mesh, not by chaosrunner: its finalizer, desired phase and records.
        assert live["metadata"]["finalizers"] == ["chaos-mesh/records"]
        assert live["status"]["experiment"]["desiredPhase"] == "Run"
        records = live["status"]["experiment"]["containerRecords"]
        assert sorted(r["id"] for r in records) == sorted(t.id for t in conf.targets)
        assert all(r["phase"] == "Injected" and r["injectedCount"] == 1 for r in records)
        # Status is written by whole-object Updates: generation rose, and confirm still held.
        assert live["metadata"]["generation"] > 1
        if fault["type"] == "pod-kill":
            (killed,) = (t.id.split("/")[1] for t in conf.targets)
            names = {p.metadata.name for p in core.list_namespaced_pod(NS).items}
            assert killed not in names  # really deleted by the controller
        removal = driver.remove(pf, handle, 30)
        assert removal.confirmed and removal.detail == "" and removal.escalation is None
    finally:
        driver.close()
    assert left_in(core, NS) == []


@pytest.mark.parametrize(
    ("mode", "hit"),
    [({"mode": "one"}, 1), ({"mode": "fixed", "value": 2}, 2),
     ({"mode": "fixed-percent", "value": "34"}, 2), ({"mode": "fixed-percent", "value": "67"}, 3),
     ({"mode": "all"}, 3)],
    ids=["one", "fixed-2", "fixed-percent-34", "fixed-percent-67", "all"],
)  # fmt: skip
def test_the_controller_selects_by_mode(
    mode: dict[str, Any], hit: int, ns: str, core: client.CoreV1Api
) -> None:
    plan = _plan({"type": "pod-failure"}, **mode)
    # The blast radius counts what Chaos Mesh may hit: one pod fewer is refused at preflight.
    tight = make_plan(dataclasses.replace(plan.experiment, blast_radius=BlastRadius(hit - 1)))
    driver, run = _driver(tight)
    try:
        radius = next(
            c for c in driver.preflight(tight, run) if c.name == "blast radius within limit"
        )
    finally:
        driver.close()
    assert not radius.ok and f"may hit {hit} " in radius.detail, radius.detail
    driver, run = _driver(plan)
    pf = plan.faults[0]
    try:
        assert all(c.ok for c in driver.preflight(plan, run))
        handle = driver.inject(pf, run)
        conf = driver.confirm(pf, handle, 20)
        assert conf.confirmed_at is not None, conf.detail
        ids = [t.id for t in conf.targets]
        assert len(ids) == hit and len(set(ids)) == hit
        assert all(i.startswith(f"{NS}/redis-") for i in ids)  # never web-0
        assert driver.remove(pf, handle, 30).confirmed
    finally:
        driver.close()
    assert left_in(core, NS) == []


def test_preflight_refuses_an_empty_selection_and_creates_nothing(
    ns: str, core: client.CoreV1Api
) -> None:
    plan = _plan({"type": "pod-failure"}, labelSelector={"app": "nothing"})
    driver, run = _driver(plan)
    try:
        checks = driver.preflight(plan, run)
    finally:
        driver.close()
    failed = [c for c in checks if not c.ok]
    assert [c.name for c in failed] == ["selectors match Running pods"]
    assert left_in(core, NS) == []


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"action": "pod-failure", "mode": "bogus"},
         ["HTTP 422", "spec.mode", '"bogus"', "supported values"]),
        ({"action": "container-kill", "mode": "one"},
         ['admission webhook "vpodchaos.kb.io" denied the request', "Spec.containerNames",
          "the name of container is required on container-kill action"]),
        ({"action": "pod-failure", "mode": "fixed", "value": "abc"},
         ['admission webhook "vpodchaos.kb.io" denied the request', 'value: Invalid value: "abc"']),
    ],
    ids=["schema-mode", "webhook-container-names", "webhook-value"],
)  # fmt: skip
def test_what_the_api_server_refuses_fails_preflight_naming_the_field(
    spec: dict[str, Any], says: list[str], ns: str, core: client.CoreV1Api
) -> None:
    manifest = {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos", "spec": spec}
    plan = _plan({"type": "raw-manifest", "params": {"manifest": manifest}})
    driver, run = _driver(plan)
    try:
        checks = driver.preflight(plan, run)  # the dry run: refused, nothing created
        with pytest.raises(InjectionError) as err:  # and the create itself, were it tried
            driver.inject(plan.faults[0], run)
    finally:
        driver.close()
    failed = [c for c in checks if not c.ok]
    assert [c.name for c in failed] == ["Chaos Mesh admits the objects (server-side dry run)"]
    for text in says:
        assert text in failed[0].detail, failed[0].detail
        assert text in str(err.value), str(err.value)
    assert left_in(core, NS) == []


@pytest.mark.parametrize("kind", sorted(DAEMON_FAULTS))
def test_a_daemon_kind_is_never_injected_and_its_removal_still_ends(
    kind: str, ns: str, core: client.CoreV1Api, custom: client.CustomObjectsApi
) -> None:
    plan = _plan(DAEMON_FAULTS[kind], mode="one")
    driver, run = _driver(plan)
    pf = plan.faults[0]
    try:
        assert all(c.ok for c in driver.preflight(plan, run))
        handle = driver.inject(pf, run)
        conf = driver.confirm(pf, handle, 4)
        assert conf.confirmed_at is None
        assert "AllInjected=True" not in conf.detail, conf.detail
        live = _object(custom, handle)
        assert live["metadata"]["finalizers"] == ["chaos-mesh/records"]  # the real controller's
        removal = driver.remove(pf, handle, 40)
    finally:
        driver.close()
    assert removal.confirmed, removal.detail
    assert left_in(core, NS) == []
    esc = removal.escalation
    if kind == "NetworkChaos":  # seen every time: the records step keeps failing on Recover
        assert esc is not None, removal.detail
    if esc is not None:  # the controller held its finalizer: chaosrunner took it off
        assert any("chaos-mesh/records removed by chaosrunner" in s for s in esc.steps), esc
    # What the controller made and the pod owns is not chaosrunner's to delete, but it is said.
    for plural, name in _pod_chaos(custom):
        assert esc is not None and any(name in m for m in esc.may_remain), (plural, name, esc)


def _start(exp: str, tmp: Path, lab: PromLab, *args: str) -> Run:
    return start(
        exp, tmp, "--var", f"prom_url={lab.prometheus_url}", "--var", f"ns={NS}",
        "--kubeconfig", str(KUBECONFIG), *args,
    )  # fmt: skip


def test_a_pod_failure_run_passes_under_the_real_controller(
    prom_lab_fresh: PromLab, ns: str, core: client.CoreV1Api, tmp_path: Path
) -> None:
    code, journal, out = finish(_start(POD_FAILURE, tmp_path, prom_lab_fresh))
    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED"
    inj = journal["injections"][0]
    assert sorted(t["id"] for t in inj["targets"]) == [f"{NS}/redis-{i}" for i in range(3)]
    assert inj["confirmedAt"] and inj["removalConfirmed"] and not inj.get("escalation")
    assert left_in(core, NS) == []


def test_never_injected_is_inconclusive_and_the_finalizer_is_taken_off(
    prom_lab_fresh: PromLab, ns: str, core: client.CoreV1Api, tmp_path: Path
) -> None:
    code, journal, out = finish(_start(LOSS, tmp_path, prom_lab_fresh), timeout=180)
    assert code == 3, out
    assert journal["outcome"]["verdict"] == "INCONCLUSIVE"
    inj = journal["injections"][0]
    assert inj["confirmedAt"] is None
    esc = inj["escalation"]
    assert any("chaos-mesh/records removed by chaosrunner" in s for s in esc["steps"]), esc
    assert "cleanFinalizer=forced did not release it" in esc["steps"][0]
    assert left_in(core, NS) == []


def test_cleanup_after_a_sigkill_takes_the_finalizer_off_too(
    prom_lab_fresh: PromLab, ns: str, core: client.CoreV1Api, tmp_path: Path
) -> None:
    r = _start(LOSS, tmp_path, prom_lab_fresh, "--var", "blast=60s")
    journal = r.wait_for_journal(lambda j: j["injections"] and j["injections"][0].get("createdAt"))
    run_id = journal["runId"]
    r.proc.send_signal(signal.SIGKILL)
    r.wait(10)
    left = left_in(core, NS)
    assert any(x.startswith("networkchaos/") for x in left) and "lease/chaosrunner" in left
    done = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "cleanup", "--run-id", run_id,
         "--namespace", NS, "--kubeconfig", str(KUBECONFIG)],
        check=False, capture_output=True, text=True, timeout=180,
        env={"CHAOSRUNNER_STATE_DIR": str(r.state), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert f"cluster: deleted NetworkChaos {NS}/" in out and "ESCALATED" in out, out
    assert f"cluster: deleted Lease {NS}/chaosrunner (run {run_id})" in out, out
    assert done.returncode == 4, out  # an escalated removal is never a clean cleanup
    assert left_in(core, NS) == []


def test_a_fault_the_webhook_refuses_is_an_error_at_preflight_naming_the_field(
    prom_lab_fresh: PromLab, ns: str, core: client.CoreV1Api, tmp_path: Path
) -> None:
    refused = str(HERE / "cluster-refused.yaml")
    code, journal, out = finish(_start(refused, tmp_path, prom_lab_fresh))
    assert code == 4, out
    assert journal["outcome"]["verdict"] == "ERROR"
    failed = [c for c in journal["preflight"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["Chaos Mesh admits the objects (server-side dry run)"]
    detail = failed[0]["detail"]
    assert 'admission webhook "vpodchaos.kb.io" denied the request' in detail, detail
    assert "Spec.containerNames" in detail and "required on container-kill action" in detail
    assert journal["injections"] == []
    assert left_in(core, NS) == []


def _managers(obj: dict[str, Any]) -> set[str]:
    return {str(f.get("manager")) for f in obj["metadata"].get("managedFields") or []}


def _pod_failure(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "PodChaos",
        "metadata": {"name": name},
        "spec": {
            "action": "pod-failure",
            "mode": "one",
            "duration": "30s",
            "selector": {"labelSelectors": {"app": "redis"}},
        },
    }


def _written(custom: client.CustomObjectsApi, ns: str, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        obj: dict[str, Any] = custom.get_namespaced_custom_object(
            GROUP, VERSION, ns, "podchaos", name
        )
        if obj.get("status", {}).get("experiment", {}).get("containerRecords"):
            return obj
        assert time.monotonic() < deadline, f"no controller wrote {ns}/{name}: {obj}"
        time.sleep(0.2)


def test_the_real_controller_and_the_stand_in_never_reconcile_the_same_object(
    ns: str, core: client.CoreV1Api, custom: client.CustomObjectsApi
) -> None:
    other = fresh_namespace(core, "cr-sep", {"redis-0": {"app": "redis"}})
    name = f"sep-{uuid.uuid4().hex[:8]}"
    with FakeChaosController(KUBECONFIG) as standin:  # every namespace it may see
        for where in (NS, other):
            custom.create_namespaced_custom_object(
                GROUP, VERSION, where, "podchaos", _pod_failure(name)
            )
        real, fake = _written(custom, NS, name), _written(custom, other, name)
        for where in (NS, other):
            custom.delete_namespaced_custom_object(GROUP, VERSION, where, "podchaos", name)
        assert standin.errors == []
    # Status writers, by the field manager of their updates: one each, never both.
    assert "chaos-controller-manager" in _managers(real), _managers(real)
    assert "chaos-controller-manager" not in _managers(fake), _managers(fake)
    assert [a.namespace for a in standin.actions_for(name)] and all(
        a.namespace == other for a in standin.actions_for(name)
    )
