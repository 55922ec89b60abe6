"""The driver against a real API server that misbehaves: 429, 5xx and watches cut mid-stream.

A small front (tests/cluster/flaky_api.py) forwards to the test cluster's kube-apiserver and
injects the failures; the test controller plays Chaos Mesh behind it. What is checked is both
the outcome (the fault is confirmed and removed, or the run rolls back cleanly) and what
chaosrunner sent: a create retried only after a 429, never after a 5xx; a watch resumed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.kit import fresh_namespace, require_cluster

KUBECONFIG = require_cluster()
pytestmark = pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): a NetworkChaos confirmed behind a flaky API front"
)

from kubernetes import client  # noqa: E402

from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions  # noqa: E402
from chaosrunner.core.errors import InjectionError  # noqa: E402
from chaosrunner.core.plan import Plan, make_plan  # noqa: E402
from chaosrunner.core.ports import RunInfo  # noqa: E402
from tests.cluster.chaos_controller import FakeChaosController  # noqa: E402
from tests.cluster.flaky_api import FlakyApi, Rule, flaky_front  # noqa: E402
from tests.unit.chaosmesh.builders import experiment  # noqa: E402

CHAOS = "/apis/chaos-mesh.org/v1alpha1/namespaces/"


@pytest.fixture(scope="module")
def namespace(core: client.CoreV1Api) -> str:
    return fresh_namespace(core, "cr-flaky", {"redis-0": {"app": "redis"}})


@pytest.fixture(scope="module")
def controller(namespace: str) -> Iterator[FakeChaosController]:
    with FakeChaosController(KUBECONFIG, namespace=namespace) as ctl:
        yield ctl
    assert ctl.errors == []


@pytest.fixture
def front(tmp_path: Path) -> Iterator[tuple[FlakyApi, Path]]:
    with flaky_front(KUBECONFIG, tmp_path / "kubeconfig") as made:
        yield made


def _setup(ns: str, kubeconfig: Path) -> tuple[Plan, ChaosMeshDriver, RunInfo]:
    pods = {"namespace": ns, "labelSelector": {"app": "redis"}, "mode": "all"}
    plan = make_plan(
        experiment([{"name": "f", "type": "network-loss", "params": {"loss": "5%"}}], pods=pods)
    )
    options = ClusterOptions(
        kubeconfig=str(kubeconfig), allow_namespaces=(ns,), finalizer_timeout=3
    )
    run = RunInfo(f"t-{uuid.uuid4().hex[:10]}", plan.experiment.metadata.name, time.time())
    return plan, ChaosMeshDriver(plan.experiment, options), run


def _sent(
    api: FlakyApi, method: str, part: str, watch: bool = False, dry_run: bool = False
) -> list[int]:
    """Status codes of the requests sent; preflight's dry-run creates apart from real ones."""
    return [
        s
        for m, p, s in api.log
        if m == method
        and part in p
        and ("watch=true" in p) == watch
        and ("dryRun=All" in p) == dry_run
    ]


def _objects(custom: client.CustomObjectsApi, ns: str) -> list[Any]:
    return list(
        custom.list_namespaced_custom_object("chaos-mesh.org", "v1alpha1", ns, "networkchaos")[
            "items"
        ]
    )


def test_429_on_create_503_on_delete_and_a_cut_watch_are_all_survived(
    namespace: str, controller: FakeChaosController, front: tuple[FlakyApi, Path],
    custom: client.CustomObjectsApi,
) -> None:  # fmt: skip
    api, kubeconfig = front
    plan, driver, run = _setup(namespace, kubeconfig)
    pf = plan.faults[0]
    api.rules += [
        Rule("GET", f"{CHAOS}{namespace}/networkchaos", "cut-watch", watch=True),
        Rule("POST", "/selfsubjectaccessreviews", "503", times=2),
        Rule("DELETE", f"{CHAOS}{namespace}/networkchaos/", "503"),
    ]
    try:
        assert all(c.ok for c in driver.preflight(plan, run))
        # After preflight, whose server-side dry run of the same create would take the 429.
        api.rules.append(Rule("POST", f"{CHAOS}{namespace}/networkchaos", "429"))
        handle = driver.inject(pf, run)
        conf = driver.confirm(pf, handle, 15)
        assert conf.confirmed_at is not None, conf.detail
        assert driver.remove(pf, handle, 30).confirmed
    finally:
        driver.close()
    assert _sent(api, "POST", f"{CHAOS}{namespace}/networkchaos") == [429, 201]
    assert _sent(api, "POST", f"{CHAOS}{namespace}/networkchaos", dry_run=True) == [201]
    assert _sent(api, "POST", "/selfsubjectaccessreviews")[:3] == [503, 503, 201]
    assert _sent(api, "DELETE", f"{CHAOS}{namespace}/networkchaos/")[:2] == [503, 200]
    # The confirming watch was cut and resumed: more than one watch, each after a fresh list.
    assert len(_sent(api, "GET", f"{CHAOS}{namespace}/networkchaos", watch=True)) >= 2
    assert _objects(custom, namespace) == []


def test_a_5xx_on_create_is_never_retried_and_what_it_made_is_swept(
    namespace: str, controller: FakeChaosController, front: tuple[FlakyApi, Path],
    custom: client.CustomObjectsApi,
) -> None:  # fmt: skip
    api, kubeconfig = front
    plan, driver, run = _setup(namespace, kubeconfig)
    try:
        assert all(c.ok for c in driver.preflight(plan, run))
        api.rules.append(Rule("POST", f"{CHAOS}{namespace}/networkchaos", "500-after-forward"))
        with pytest.raises(InjectionError, match="HTTP 500"):
            driver.inject(plan.faults[0], run)
        assert len(_objects(custom, namespace)) == 1  # it was created after all
    finally:
        driver.close()  # sweeps by the run's label
    assert _sent(api, "POST", f"{CHAOS}{namespace}/networkchaos") == [500]
    assert _objects(custom, namespace) == []
