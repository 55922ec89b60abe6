"""The API server's pod proxy reaches the leak hook of a netns test host (tests/cluster/nethost.py).

End to end: a real kube-apiserver proxies ``/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/...``
to the pod's ``status.podIP``, which is the address of a network namespace this test created,
where the demo service serves its goroutine-leak hook. Also proves that teardown leaves no netns,
veth, process or pod behind, when the body fails too. Needs the local control plane
(``scripts/cluster-up.sh``) and root with ``ip``: skipped without them, failed when CI=true.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.kit import require_cluster

KUBECONFIG = require_cluster()

from kubernetes.client.exceptions import ApiException  # noqa: E402

from tests.cluster import nethost  # noqa: E402
from tests.cluster.nethost import LeakPod, direct_hook, leak_pods, proxy_hook  # noqa: E402

LABELS = {"app": "demo"}
STATUS_KEYS = {"active", "held", "rate", "max", "runId", "startedAt", "expiresAt", "lastRelease"}


@pytest.fixture(scope="module")
def namespace(core: Any) -> Iterator[str]:
    # a fresh one per module; deleted at the end, not waited for
    ns = f"crtest-nethost-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": ns}})
    yield ns
    with contextlib.suppress(ApiException):
        core.delete_namespace(ns)


@pytest.fixture
def two_pods(core: Any, namespace: str) -> Iterator[list[LeakPod]]:
    with leak_pods(core, namespace, LABELS, count=2) as pods:
        yield pods


def _start_body(run_id: str, max_held: int = 3) -> dict[str, Any]:
    return {"rate": 50, "max": max_held, "expiresInSeconds": 60, "runId": run_id}


def _eventually_held(api_client: Any, pod: LeakPod, want: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    body: Any = None
    while time.monotonic() < deadline:
        _, body = proxy_hook(api_client, pod)
        if body["held"] == want:
            return
        time.sleep(0.1)
    raise AssertionError(f"{pod.pod}: held never reached {want}: {body}")


def _children_running_demo_service() -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmd = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and str(nethost.DEMO_SERVICE).encode() in cmd:
            pids.append(int(proc.name))
    return pids


def _pid_is_demo_service(pid: int) -> bool:
    try:
        return str(nethost.DEMO_SERVICE).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _host_addresses() -> str:
    return subprocess.run(
        ["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout


def _leftovers(core: Any, pods: list[LeakPod]) -> list[str]:
    """Everything of ``pods`` that still exists (empty when teardown was complete)."""
    left = []
    addresses = _host_addresses()
    for p in pods:
        if nethost.netns_exists(p.netns):
            left.append(f"netns {p.netns}")
        if nethost.link_exists(p.veth):
            left.append(f"veth {p.veth}")
        if _pid_is_demo_service(p.pid):
            left.append(f"demo-service pid {p.pid}")
        host_side = str(ipaddress.IPv4Address(p.ip) - 1)
        if f"inet {host_side}/" in addresses:
            left.append(f"host address {host_side}")
        try:
            core.read_namespaced_pod(p.pod, p.namespace)
            left.append(f"pod {p.namespace}/{p.pod}")
        except ApiException as exc:
            if exc.status != 404:
                raise
    left.extend(f"child demo-service pid {pid}" for pid in _children_running_demo_service())
    return left


def _assert_present(core: Any, pods: list[LeakPod]) -> None:
    for p in pods:
        assert nethost.netns_exists(p.netns)
        assert nethost.link_exists(p.veth)
        assert _pid_is_demo_service(p.pid)
        assert core.read_namespaced_pod(p.pod, p.namespace).status.pod_ip == p.ip


# ----------------------------------------------------------------------------- the pods


def test_pods_carry_the_netns_address(core: Any, namespace: str, two_pods: list[LeakPod]) -> None:
    assert len({p.ip for p in two_pods}) == 2
    assert len({p.netns for p in two_pods}) == 2
    for p in two_pods:
        ip = ipaddress.IPv4Address(p.ip)
        assert ip in ipaddress.IPv4Network("198.19.0.0/16")
        assert ip not in ipaddress.IPv4Network("198.18.0.0/16")  # kwok's pod CIDR
        assert (p.namespace, p.port, p.hook_path) == (namespace, 8080, nethost.HOOK_PATH)
        pod = core.read_namespaced_pod(p.pod, namespace)
        assert pod.spec.node_name == nethost.NODE
        assert pod.status.phase == "Running"
        assert pod.status.pod_ip == p.ip
        assert [x.ip for x in pod.status.pod_ips] == [p.ip]
        assert pod.metadata.labels == LABELS
    selected = core.list_namespaced_pod(namespace, label_selector="app=demo").items
    assert {p.metadata.name for p in selected} == {p.pod for p in two_pods}


# ----------------------------------------------------------------------------- the proxy


def test_proxy_get_returns_the_hook_status(
    api_client: Any, core: Any, two_pods: list[LeakPod]
) -> None:
    for p in two_pods:
        status, body = proxy_hook(api_client, p)
        assert status == 200, body
        assert set(body) == STATUS_KEYS
        assert body["active"] is False
        assert body["held"] == 0

    # the generated method works too for GET (read the raw body: it would str() the JSON)
    p = two_pods[0]
    raw = core.connect_get_namespaced_pod_proxy_with_path(
        f"{p.pod}:{p.port}", p.namespace, p.hook_path.lstrip("/") + "/",
        _preload_content=False, _request_timeout=10,
    )  # fmt: skip
    assert set(json.loads(raw.data)) == STATUS_KEYS


def test_proxy_start_and_release_are_per_pod(
    api_client: Any, core: Any, two_pods: list[LeakPod]
) -> None:
    first, second = two_pods
    run_id = f"nethost-{uuid.uuid4().hex[:8]}"

    status, body = proxy_hook(api_client, first, "POST", "start", _start_body(run_id))
    assert status == 200, body
    assert (body["active"], body["runId"], body["max"]) == (True, run_id, 3)
    _eventually_held(api_client, first, 3)

    # the proxy reached the first pod's host only: the second is idle, the first's host is busy
    assert proxy_hook(api_client, second)[1]["active"] is False
    assert direct_hook(first)[1]["runId"] == run_id
    assert direct_hook(second)[1]["active"] is False

    status, body = proxy_hook(api_client, first, "POST", "start", _start_body("other"))
    assert status == 409, body
    assert body["status"]["runId"] == run_id

    status, body = proxy_hook(api_client, first, "POST", "release")
    assert status == 200, body
    assert (body["active"], body["held"]) == (False, 0)
    assert body["lastRelease"]["runId"] == run_id
    assert body["lastRelease"]["reason"] == "release"
    assert proxy_hook(api_client, second)[1]["lastRelease"] is None

    status, body = proxy_hook(api_client, second, "POST", "start", _start_body(run_id + "-2", 1))
    assert status == 200, body
    _eventually_held(api_client, second, 1)
    assert proxy_hook(api_client, first)[1]["active"] is False
    status, body = proxy_hook(api_client, second, "POST", "release")
    assert (status, body["active"], body["lastRelease"]["reason"]) == (200, False, "release")

    # kwok saw the pods meanwhile and left their IPs alone
    for p in two_pods:
        assert core.read_namespaced_pod(p.pod, p.namespace).status.pod_ip == p.ip


def test_generated_connect_post_sends_no_body(core: Any, two_pods: list[LeakPod]) -> None:
    """Why proxy_hook uses call_api: connect_post_*_proxy_with_path has no body parameter."""
    p = two_pods[0]
    with pytest.raises(ApiException) as err:
        core.connect_post_namespaced_pod_proxy_with_path(
            f"{p.pod}:{p.port}", p.namespace, p.hook_path.lstrip("/") + "/start",
            _request_timeout=10,
        )  # fmt: skip
    assert err.value.status == 400
    assert "invalid start request" in str(err.value.body)


# ----------------------------------------------------------------------------- teardown


def test_teardown_leaves_nothing(core: Any, namespace: str) -> None:
    with leak_pods(core, namespace, LABELS, count=2, name_prefix="teardown") as pods:
        _assert_present(core, pods)
    assert _leftovers(core, pods) == []


def test_teardown_leaves_nothing_when_the_body_fails(core: Any, namespace: str) -> None:
    seen: list[LeakPod] = []
    with (
        pytest.raises(RuntimeError, match="the test failed"),
        leak_pods(core, namespace, LABELS, count=2, name_prefix="failing") as pods,
    ):
        seen.extend(pods)
        _assert_present(core, pods)
        raise RuntimeError("the test failed")
    assert len(seen) == 2
    assert _leftovers(core, seen) == []


def test_teardown_leaves_nothing_when_setup_fails(core: Any, namespace: str) -> None:
    """The pod is refused (bad label) after the netns host is up: the host is removed too."""
    mine = f"{nethost.NETNS_PREFIX}{os.getpid()}-"
    before = {n for n in nethost._netns_names() if n.startswith(mine)}
    with (
        pytest.raises(ApiException) as err,
        leak_pods(core, namespace, {"app": "not a valid label value!"}),
    ):
        pytest.fail("setup should have failed")
    assert err.value.status == 422
    assert {n for n in nethost._netns_names() if n.startswith(mine)} == before
    links = subprocess.run(
        ["ip", "-o", "link", "show"], capture_output=True, text=True, check=True
    ).stdout
    assert f": cr{os.getpid()}h" not in links
    assert _children_running_demo_service() == []


def test_without_netns_it_skips_or_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="iproute2"):
        nethost._require_netns()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI needs netns test hosts"):
        nethost._require_netns()


def test_leftovers_of_a_killed_run_are_reaped(core: Any, namespace: str) -> None:
    """A run killed with SIGKILL cannot tear down; the next setup removes what it left."""
    pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    dead = next(p for p in range(min(pid_max - 1, 9_999_999), 1, -1) if not nethost._pid_alive(p))
    netns, veth, pod = f"{nethost.NETNS_PREFIX}{dead}-0", f"cr{dead}h0", "killed-run-0"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    try:
        subprocess.run(
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns],
            check=True,
        )
        core.create_namespaced_pod(
            namespace,
            {
                "metadata": {"name": pod, "annotations": {nethost.NETNS_ANNOTATION: netns}},
                "spec": {"containers": [{"name": "app", "image": "fake"}]},
            },
        )
        with leak_pods(core, namespace, LABELS, name_prefix="reaper") as pods:
            assert not nethost.netns_exists(netns)
            assert not nethost.link_exists(veth)
            with pytest.raises(ApiException) as err:
                core.read_namespaced_pod(pod, namespace)
            assert err.value.status == 404
            _assert_present(core, pods)
        assert _leftovers(core, pods) == []
    finally:  # only if the reaper failed
        subprocess.run(["ip", "link", "del", veth], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "del", netns], capture_output=True, check=False)
        with contextlib.suppress(ApiException):
            core.delete_namespaced_pod(pod, namespace, grace_period_seconds=0)
