"""The chaos-mesh driver against a real kube-apiserver, with the test controller as Chaos Mesh.

Every fault kind goes through the driver's whole life: preflight (which takes the Lease),
create, confirm on a watch, delete and wait until gone, close (which releases the Lease).
Afterwards nothing with the run's label is left. The negative paths use the controller's
misbehaviour: an injection that never happens, a finalizer that is never released.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.cluster.kit import ensure_pods, fresh_namespace, require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client  # noqa: E402

from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions  # noqa: E402
from chaosrunner.adapters.chaosmesh.permissions import CHAOS_PLURALS  # noqa: E402
from chaosrunner.adapters.kube import labels  # noqa: E402
from chaosrunner.core.errors import InjectionError  # noqa: E402
from chaosrunner.core.model import BlastRadius  # noqa: E402
from chaosrunner.core.plan import Plan, make_plan  # noqa: E402
from chaosrunner.core.ports import RunInfo  # noqa: E402
from tests.cluster.chaos_controller import MISBEHAVE, FakeChaosController  # noqa: E402
from tests.unit.chaosmesh.builders import experiment  # noqa: E402
from tests.unit.chaosmesh.test_examples import FAULTS as EXAMPLES  # noqa: E402
from tests.unit.chaosmesh.test_examples import _load  # noqa: E402
from tests.unit.chaosmesh.test_render_kinds import CASES  # noqa: E402


def _first_of_each_kind() -> dict[str, dict[str, Any]]:
    """The first render case of each kind without a network peer (those are elsewhere)."""
    out: dict[str, dict[str, Any]] = {}
    for param in CASES:
        fault = param.values[0]
        if fault["type"] not in out and "target" not in fault.get("params", {}):
            out[fault["type"]] = fault
    return out


#: One fault of every kind the driver creates as an object, as the unit render tests write it.
KINDS = _first_of_each_kind()


PODS = {f"redis-{i}": {"app": "redis"} for i in range(3)} | {"web-0": {"app": "web"}}


@pytest.fixture(scope="module")
def namespace(core: client.CoreV1Api) -> str:
    return fresh_namespace(core, "cr-drv", PODS)


@pytest.fixture(scope="module")
def controller(namespace: str) -> Iterator[FakeChaosController]:
    with FakeChaosController(KUBECONFIG, namespace=namespace) as ctl:
        yield ctl
    assert ctl.errors == []


def _plan(ns: str, fault: dict[str, Any], **pods: Any) -> Plan:
    binding = {"namespace": ns, "labelSelector": {"app": "redis"}, "mode": "all", **pods}
    return make_plan(experiment([{"name": "f", **fault}], pods=binding))


def _driver(plan: Plan, ns: str, **opts: Any) -> tuple[ChaosMeshDriver, RunInfo]:
    options = ClusterOptions(
        kubeconfig=str(KUBECONFIG), allow_namespaces=(ns,), finalizer_timeout=3, **opts
    )
    run = RunInfo(f"t-{uuid.uuid4().hex[:10]}", plan.experiment.metadata.name, time.time())
    return ChaosMeshDriver(plan.experiment, options), run


def _left(custom: client.CustomObjectsApi, ns: str, run_id: str) -> list[str]:
    found = []
    for plural in sorted(set(CHAOS_PLURALS.values())):
        items = custom.list_namespaced_custom_object(
            "chaos-mesh.org", "v1alpha1", ns, plural, label_selector=labels.ours(run_id)
        )["items"]
        found += [f"{plural}/{i['metadata']['name']}" for i in items]
    return found


def _leases(core: client.CoreV1Api, ns: str) -> list[str]:
    api = client.CoordinationV1Api(core.api_client)
    return [lease.metadata.name for lease in api.list_namespaced_lease(ns).items]


@pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): the success path of every kind (PodChaos: also test_real_controller.py)"
)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_created_confirmed_removed_and_leaves_nothing(
    kind: str,
    namespace: str,
    controller: FakeChaosController,
    core: client.CoreV1Api,
    custom: client.CustomObjectsApi,
) -> None:
    fault = KINDS[kind]
    mode = {"mode": "one"} if kind in ("pod-kill", "container-kill", "process-kill") else {}
    plan = _plan(namespace, fault, **mode)
    driver, run = _driver(plan, namespace)
    pf = plan.faults[0]
    try:
        checks = driver.preflight(plan, run)
        assert all(c.ok for c in checks), checks
        assert _leases(core, namespace) == ["chaosrunner"]
        handle = driver.inject(pf, run)
        assert _left(custom, namespace, run.run_id) != []
        conf = driver.confirm(pf, handle, 15)
        assert conf.confirmed_at is not None, conf.detail
        assert conf.targets and all(t.injected_at for t in conf.targets)
        assert all(t.injected_at >= handle.created_at for t in conf.targets if t.injected_at)
        removal = driver.remove(pf, handle, 30)
        assert removal.confirmed and removal.detail == ""
    finally:
        driver.close()
    assert _left(custom, namespace, run.run_id) == []
    assert _leases(core, namespace) == []
    ensure_pods(core, namespace, PODS)  # pod-kill really deleted one


@pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): the success path of the upstream examples"
)
@pytest.mark.parametrize("path", EXAMPLES[:6], ids=[p.stem for p in EXAMPLES[:6]])
def test_raw_manifests_from_the_examples_run_through_the_driver(
    path: Any, namespace: str, controller: FakeChaosController, custom: client.CustomObjectsApi
) -> None:
    manifest = _load(path)
    manifest["spec"]["selector"] = {"labelSelectors": {"app": "redis"}}
    manifest["spec"].pop("duration", None)
    plan = _plan(namespace, {"type": "raw-manifest", "params": {"manifest": manifest}})
    driver, run = _driver(plan, namespace)
    pf = plan.faults[0]
    try:
        assert all(c.ok for c in driver.preflight(plan, run))
        handle = driver.inject(pf, run)
        if manifest["spec"].get("action") not in ("pod-kill", "container-kill"):
            assert driver.confirm(pf, handle, 15).confirmed_at is not None
        assert driver.remove(pf, handle, 30).confirmed
    finally:
        driver.close()
    assert _left(custom, namespace, run.run_id) == []


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"action": "explode", "delay": {"latency": "1ms"}},
         ["HTTP 422 Invalid", "spec.action", '"explode"', "supported values"]),
        ({"action": "delay", "delay": {"latency": "1ms", "latncy": "2ms"}},
         ["HTTP 400 BadRequest", 'unknown field "spec.delay.latncy"']),
    ],
    ids=["bad-value", "unknown-field"],
)  # fmt: skip
def test_an_invalid_object_is_refused_by_the_api_server_naming_the_field(
    spec: dict[str, Any], says: list[str], namespace: str, custom: client.CustomObjectsApi
) -> None:
    manifest = {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "NetworkChaos", "spec": spec}
    plan = _plan(namespace, {"type": "raw-manifest", "params": {"manifest": manifest}})
    driver, run = _driver(plan, namespace)
    try:
        with pytest.raises(InjectionError) as err:
            driver.inject(plan.faults[0], run)
    finally:
        driver.close()
    for text in says:
        assert text in str(err.value)
    assert _left(custom, namespace, run.run_id) == []


def test_a_second_create_of_the_same_fault_is_a_409_never_a_reuse(
    namespace: str, custom: client.CustomObjectsApi
) -> None:
    plan = _plan(namespace, {"type": "network-loss", "params": {"loss": "5%"}})
    driver, run = _driver(plan, namespace)
    pf = plan.faults[0]
    try:
        driver.inject(pf, run)
        with pytest.raises(InjectionError, match="already exists; chaosrunner never adopts"):
            driver.inject(pf, run)
    finally:
        driver.close()  # the sweep by run label removes the first one
    assert _left(custom, namespace, run.run_id) == []


def _misbehaving(namespace: str, how: str) -> tuple[Plan, ChaosMeshDriver, RunInfo]:
    """A loss fault the test controller is told (by annotation) to mishandle."""
    manifest = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "NetworkChaos",
        "metadata": {"annotations": {MISBEHAVE: how}},
        "spec": {"action": "loss", "loss": {"loss": "10"}},
    }
    plan = _plan(namespace, {"type": "raw-manifest", "params": {"manifest": manifest}})
    return (plan, *_driver(plan, namespace))


@pytest.mark.standin("misbehaviour on demand: never-inject, then a clean removal")
def test_injection_never_confirmed_reports_why_and_removal_still_works(
    namespace: str, controller: FakeChaosController, custom: client.CustomObjectsApi
) -> None:
    plan, driver, run = _misbehaving(namespace, "never-inject")
    pf = plan.faults[0]
    try:
        handle = driver.inject(pf, run)
        started = time.monotonic()
        conf = driver.confirm(pf, handle, 3)
        assert time.monotonic() - started >= 2.9
        assert conf.confirmed_at is None
        assert "AllInjected=False" in conf.detail and "0/3 target(s) injected" in conf.detail
        assert driver.remove(pf, handle, 30).confirmed
    finally:
        driver.close()
    assert _left(custom, namespace, run.run_id) == []


@pytest.mark.standin("misbehaviour on demand: a finalizer that only the forced annotation releases")
def test_a_stuck_finalizer_is_forced_and_the_removal_says_so(
    namespace: str, controller: FakeChaosController, custom: client.CustomObjectsApi
) -> None:
    plan, driver, run = _misbehaving(namespace, "hold-finalizer")
    pf = plan.faults[0]
    try:
        handle = driver.inject(pf, run)
        assert driver.confirm(pf, handle, 15).confirmed_at is not None
        removal = driver.remove(pf, handle, 30)
    finally:
        driver.close()
    assert removal.confirmed
    assert "chaos-mesh/records" in removal.detail
    assert "chaos-mesh.chaos-mesh.org/cleanFinalizer=forced" in removal.detail
    assert _left(custom, namespace, run.run_id) == []
    name = handle.details["object"]["name"]
    assert controller.actions_for(name, "finalizer-removed")


def test_a_second_run_on_the_namespace_is_refused_by_the_lease(
    namespace: str, core: client.CoreV1Api
) -> None:
    plan = _plan(namespace, {"type": "network-loss", "params": {"loss": "5%"}})
    first, run1 = _driver(plan, namespace)
    second, run2 = _driver(plan, namespace)
    try:
        assert all(c.ok for c in first.preflight(plan, run1))
        checks = second.preflight(plan, run2)
        lock = next(c for c in checks if c.name == "no other run holds the namespaces")
        assert not lock.ok
        assert f"held by run {run1.run_id}" in lock.detail
    finally:
        second.close()
        first.close()
    assert _leases(core, namespace) == []
    third, run3 = _driver(plan, namespace)
    try:
        assert all(c.ok for c in third.preflight(plan, run3))
    finally:
        third.close()


def test_an_expired_lease_of_a_dead_run_is_taken_over(
    namespace: str, core: client.CoreV1Api
) -> None:
    api = client.CoordinationV1Api(core.api_client)
    stale = time.strftime("%Y-%m-%dT%H:%M:%S.123456Z", time.gmtime(time.time() - 3600))
    api.create_namespaced_lease(
        namespace,
        {
            "metadata": {"name": "chaosrunner", "labels": {labels.MANAGED_BY: labels.MANAGER}},
            "spec": {"holderIdentity": "dead-run", "leaseDurationSeconds": 60, "renewTime": stale},
        },
    )
    plan = _plan(namespace, {"type": "network-loss", "params": {"loss": "5%"}})
    driver, run = _driver(plan, namespace)
    try:
        assert all(c.ok for c in driver.preflight(plan, run))
        assert (
            api.read_namespaced_lease("chaosrunner", namespace).spec.holder_identity == run.run_id
        )
    finally:
        driver.close()
    assert _leases(core, namespace) == []


@pytest.mark.parametrize(
    ("pods", "options", "check", "says"),
    [
        ({"labelSelector": {"app": "nothing"}}, {}, "selectors match Running pods",
         "matches no Running pod (0 pod(s) match)"),
        ({}, {"allow_namespaces": ()}, "namespaces allowed", "is not allowed"),
        ({"namespace": "kube-system"}, {"allow_namespaces": ()}, "namespaces allowed",
         "kube-system is a system namespace"),
    ],
    ids=["empty-selector", "namespace-not-allowed", "kube-system"],
)  # fmt: skip
def test_preflight_stops_before_anything_is_created(
    pods: dict[str, Any],
    options: dict[str, Any],
    check: str,
    says: str,
    namespace: str,
    core: client.CoreV1Api,
    custom: client.CustomObjectsApi,
) -> None:
    plan = _plan(namespace, {"type": "network-loss", "params": {"loss": "5%"}}, **pods)
    driver, run = _driver(plan, namespace)
    if options:
        driver.options = ClusterOptions(kubeconfig=str(KUBECONFIG), **options)
    try:
        checks = driver.preflight(plan, run)
    finally:
        driver.close()
    failed = [c for c in checks if not c.ok]
    assert [c.name for c in failed] == [check], checks
    assert says in failed[0].detail
    assert _leases(core, namespace) == []
    assert _left(custom, namespace, run.run_id) == []


@pytest.mark.parametrize(
    ("mode", "radius", "ok", "says"),
    [
        ({"mode": "all"}, BlastRadius(max_targets=2), False, "may hit 3 pods (mode all); the limit is 2"),
        ({"mode": "one"}, BlastRadius(max_targets=2), True, "at most 2 pods"),
        ({"mode": "fixed-percent", "value": "67"}, BlastRadius(max_percent=0.5), False,
         "may hit 3 of 3 pods (100%); the limit is 50%"),
        ({"mode": "fixed", "value": 1}, BlastRadius(max_percent=0.5), True, "at most 50%"),
    ],
    ids=["all-over-count", "one-within-count", "percent-over", "fixed-within-percent"],
)  # fmt: skip
def test_the_blast_radius_limit_is_enforced_by_mode(
    mode: dict[str, Any], radius: BlastRadius, ok: bool, says: str, namespace: str
) -> None:
    plan = _plan(namespace, {"type": "network-loss", "params": {"loss": "5%"}}, **mode)
    limited = make_plan(dataclasses.replace(plan.experiment, blast_radius=radius))
    driver, run = _driver(limited, namespace)
    try:
        checks = driver.preflight(limited, run)
    finally:
        driver.close()
    check = next(c for c in checks if c.name == "blast radius within limit")
    assert check.ok is ok
    assert says in check.detail
