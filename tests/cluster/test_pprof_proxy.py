"""Goroutine profiles of cluster pods through the API server's pod proxy (issue #11).

The pods are kwok pods whose IPs are network-namespace test hosts running the real demo
service (tests/cluster/nethost.py), which serves Go's /debug/pprof: every capture goes API
server -> pod proxy -> the demo. A leak started on one pod shows in the diff of its captures at
the leak hook's stack; a wrong pprof port is an EvidenceError that names the pod.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from tests.cluster.kit import require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client, config  # noqa: E402

from chaosrunner.adapters.chaosmesh.driver import ClusterOptions  # noqa: E402
from chaosrunner.adapters.chaosmesh.pprof import PodProxyProfileFetcher  # noqa: E402
from chaosrunner.core.errors import EvidenceError  # noqa: E402
from chaosrunner.core.goroutines import (  # noqa: E402
    Capture,
    parse_goroutine_profile,
    target_profiles,
)
from chaosrunner.core.model import Experiment  # noqa: E402
from tests.cluster.nethost import LeakPod, direct_hook, leak_pods, proxy_hook  # noqa: E402
from tests.unit.chaosmesh.builders import experiment  # noqa: E402

FAULT = {"name": "kill", "type": "pod-kill"}  # any fault: the binding is what is read


@pytest.fixture
def pods(core: client.CoreV1Api) -> Iterator[list[LeakPod]]:
    ns = f"cr-pprof-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": ns}})
    with leak_pods(core, ns, {"app": "demo"}, count=2) as made:
        yield made


def _experiment(ns: str, port: int) -> Experiment:
    binding = {"namespace": ns, "labelSelector": {"app": "demo"}, "mode": "all"}
    parts = {"pprof": {"port": port, "path": "/debug/pprof"}}
    return experiment([FAULT], pods=binding, extra_parts=parts)


def _fetcher(exp: Experiment) -> PodProxyProfileFetcher:
    return PodProxyProfileFetcher(exp, ClusterOptions(kubeconfig=str(KUBECONFIG)))


def test_a_leak_shows_at_the_leak_hooks_stack_in_profiles_read_through_the_pod_proxy(
    pods: list[LeakPod],
) -> None:
    ns = pods[0].namespace
    exp = _experiment(ns, pods[0].port)
    binding = exp.binding("redis")
    fetcher = _fetcher(exp)
    before = {t.source: t.text for t in fetcher.goroutines(binding)}
    assert sorted(before) == sorted(f"{ns}/{p.pod}:{p.port}/debug/pprof/goroutine" for p in pods)
    api = config.new_client_from_config(config_file=str(KUBECONFIG))
    leaking = pods[0]
    try:
        start = {"rate": 200, "max": 60, "expiresInSeconds": 60, "runId": "pprof-test"}
        assert proxy_hook(api, leaking, "POST", "start", start)[0] == 200
        deadline = time.monotonic() + 15
        while direct_hook(leaking)[1]["held"] < 60 and time.monotonic() < deadline:
            time.sleep(0.2)
        after = {t.source: t.text for t in fetcher.goroutines(binding)}
    finally:
        proxy_hook(api, leaking, "POST", "release", {"runId": "pprof-test"})
        api.close()
    for p in pods:
        source = f"{ns}/{p.pod}:{p.port}/debug/pprof/goroutine"
        captures = [
            Capture("baseline", parse_goroutine_profile(before[source])),
            Capture("blast", parse_goroutine_profile(after[source])),
        ]
        evidence = target_profiles("demo", captures)
        top = evidence.growth[0] if evidence.growth else None
        if p is leaking:
            assert top is not None and top.top is not None, evidence
            assert "leakhook" in top.top.function and top.growth >= 55, top
            assert any(o.endswith("/leakhook.") for o in evidence.own), evidence.own
        else:  # the other pod did not leak: nothing of the hook grew there
            assert top is None or "leakhook" not in str(top.top), top


def test_a_wrong_pprof_port_is_evidence_missing_naming_the_pod(pods: list[LeakPod]) -> None:
    ns = pods[0].namespace
    exp = _experiment(ns, 8099)
    with pytest.raises(
        EvidenceError, match=rf"read the profile of {ns}/leak-demo-\d:8099/debug/pprof"
    ):
        _fetcher(exp).goroutines(exp.binding("redis"))
