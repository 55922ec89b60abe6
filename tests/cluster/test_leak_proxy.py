"""goroutine-leak in a cluster: the driver starts, confirms and releases the leak hook of each
selected pod through the API server's pod proxy.

The pods are kwok pods whose IPs are network-namespace test hosts running the real demo
service (tests/cluster/nethost.py), so every call goes API server -> pod proxy -> the hook.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from tests.cluster.kit import require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client, config  # noqa: E402

from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions  # noqa: E402
from chaosrunner.core.errors import InjectionError  # noqa: E402
from chaosrunner.core.plan import make_plan  # noqa: E402
from chaosrunner.core.ports import RunInfo  # noqa: E402
from tests.cluster.nethost import LeakPod, direct_hook, leak_pods, proxy_hook  # noqa: E402
from tests.unit.chaosmesh.builders import experiment  # noqa: E402

HOOK = {"port": 8080, "path": "/debug/chaos/goroutine-leak"}


@pytest.fixture
def pods(core: client.CoreV1Api) -> Iterator[list[LeakPod]]:
    ns = f"cr-leak-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": ns}})
    with leak_pods(core, ns, {"app": "demo"}, count=2) as made:
        yield made


def test_the_leak_is_started_confirmed_and_released_on_every_pod(pods: list[LeakPod]) -> None:
    ns = pods[0].namespace
    binding = {"namespace": ns, "labelSelector": {"app": "demo"}, "mode": "all"}
    fault = {"name": "leak", "type": "goroutine-leak", "params": {"rate": 50, "max": 200}}
    plan = make_plan(experiment([fault], pods=binding, extra_parts={"hook": HOOK}))
    options = ClusterOptions(kubeconfig=str(KUBECONFIG), allow_namespaces=(ns,))
    driver = ChaosMeshDriver(plan.experiment, options)
    run = RunInfo(f"t-{uuid.uuid4().hex[:10]}", plan.experiment.metadata.name, time.time())
    pf = plan.faults[0]
    try:
        checks = driver.preflight(plan, run)
        assert all(c.ok for c in checks), checks
        assert "pod proxy 8080/debug/chaos/goroutine-leak" in driver.describe(pf, run)
        handle = driver.inject(pf, run)
        assert sorted(handle.details["pods"]) == sorted(f"{ns}/{p.pod}" for p in pods)
        conf = driver.confirm(pf, handle, 15)
        assert conf.confirmed_at is not None, conf.detail
        assert sorted(t.id for t in conf.targets) == sorted(f"{ns}/{p.pod}" for p in pods)
        for p in pods:
            status, body = direct_hook(p)
            assert status == 200 and body["active"] and body["runId"] == run.run_id
            assert body["held"] > 0
        removal = driver.remove(pf, handle, 30)
        assert removal.confirmed, removal.detail
    finally:
        driver.close()
    for p in pods:
        status, body = direct_hook(p)
        assert status == 200 and not body["active"] and body["held"] == 0
        assert body["lastRelease"]["reason"] == "release"


def test_a_pod_already_leaking_for_another_run_refuses_and_starts_nothing(
    pods: list[LeakPod],
) -> None:
    ns = pods[0].namespace
    api = config.new_client_from_config(config_file=str(KUBECONFIG))
    busy = {"rate": 1, "max": 5, "expiresInSeconds": 60, "runId": "someone-else"}
    assert proxy_hook(api, pods[1], "POST", "start", busy)[0] == 200
    binding = {"namespace": ns, "labelSelector": {"app": "demo"}, "mode": "all"}
    fault = {"name": "leak", "type": "goroutine-leak", "params": {"rate": 50}}
    plan = make_plan(experiment([fault], pods=binding, extra_parts={"hook": HOOK}))
    driver = ChaosMeshDriver(
        plan.experiment, ClusterOptions(kubeconfig=str(KUBECONFIG), allow_namespaces=(ns,))
    )
    run = RunInfo(f"t-{uuid.uuid4().hex[:10]}", plan.experiment.metadata.name, time.time())
    try:
        with pytest.raises(InjectionError, match="already runs a leak for run 'someone-else'"):
            driver.inject(plan.faults[0], run)
    finally:
        driver.close()
        api.close()
    body = direct_hook(pods[0])[1]
    assert not body["active"] and body["held"] == 0  # started first, then released
    assert direct_hook(pods[1])[1]["runId"] == "someone-else"
