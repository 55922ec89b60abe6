"""Pods the API server can really proxy to: each one is a demo-service in a test netns.

kube-apiserver refuses to proxy to a loopback pod IP, and kwok's pod IPs (198.18.0.0/16) are
only written into pod status: nothing serves them, and this machine's network rule forbids
dialling any address that is neither loopback nor a test host the test itself created. So
``leak_pods`` builds, per pod, a test host the test owns:

1. a network namespace ``crtest-<pid>-<n>`` and a veth pair: host side ``cr<pid>h<n>`` with
   198.19.X.1/30, netns side ``eth0`` with 198.19.X.2/30 (RFC 2544 range; not kwok's
   198.18.0.0/16). Before anything dials 198.19.X.2 we check the kernel routes it through our
   veth, never the default route;
2. ``.cache/bin/demo-service`` inside the netns (``ip netns exec``), listening on
   198.19.X.2:8080; its goroutine-leak hook is mounted at ``HOOK_PATH``. It needs no Redis to
   start (the client dials lazily, and only ``/items`` uses it; its address is the netns's own
   loopback, where nothing listens);
3. a Pod whose ``status.podIP``/``podIPs`` is 198.19.X.2, phase Running, bound to kwok-node-0.

How the pod IP sticks with kwok v0.7: the API server drops ``status`` on create, and kwok's only
pod stage that writes an IP, ``pod-ready``, selects pods *without* ``.status.podIP``. So the pod
is created unbound (kwok ignores pods without ``spec.nodeName``), its status (Running, Ready,
podIP) is written through the status subresource, and only then is it bound to the node with a
``pods/binding``. Its ``spec.schedulerName`` (``SCHEDULER_NAME``) names no running scheduler,
so kube-scheduler leaves the binding to us instead of racing us for it. kwok first sees the pod with our IP already set, no stage matches, and there is
no race with kwok writing an IP from its CIDR (patching after kwok would race with it).

Teardown (an ``ExitStack``, so it also runs when setup or the test fails): delete the pod
(grace period 0: there is no kubelet to confirm a graceful delete), stop the process, delete the
veth and the netns. A later call also reaps what a killed run left behind: netns and veths whose
creating pid is gone, and pods annotated with such a netns. Without root or ``ip`` the caller is
skipped, or failed when CI=true.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import ipaddress
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_SERVICE = ROOT / ".cache" / "bin" / "demo-service"
HOOK_PATH = "/debug/chaos/goroutine-leak"  # demo/cmd/demo-service/server.go LeakHookPath
PORT = 8080
NODE = "kwok-node-0"
NETNS_PREFIX = "crtest-"
NETNS_ANNOTATION = "chaosrunner.dev/nethost-netns"  # on each pod: its test host's netns
HOST_ANNOTATION = "chaosrunner.dev/nethost-address"
#: A scheduler that does not exist: kube-scheduler must not bind the pod before its status is set.
SCHEDULER_NAME = "chaosrunner-nethost-binds-itself"
TEST_HOSTS = ipaddress.IPv4Network("198.19.0.0/16")
KWOK_POD_CIDR = ipaddress.IPv4Network("198.18.0.0/16")
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
_LOCK = Path(tempfile.gettempdir()) / "chaosrunner-nethost.lock"
_NETNS_RE = re.compile(rf"^{NETNS_PREFIX}(\d+)-(\d+)$")
_VETH_RE = re.compile(r"^cr(\d+)h(\d+)$")
_serial = itertools.count()


@dataclass(frozen=True)
class LeakPod:
    """One pod whose IP is a live netns test host serving the leak hook."""

    namespace: str
    pod: str
    ip: str
    port: int
    hook_path: str
    netns: str
    pid: int  # demo-service, inside ``netns``
    veth: str  # host side of the veth pair

    @property
    def proxy_path(self) -> str:
        """The hook's status URL path through the API server's pod proxy (trailing slash)."""
        return (
            f"/api/v1/namespaces/{self.namespace}/pods/{self.pod}:{self.port}"
            f"/proxy{self.hook_path}/"
        )


class NetHostError(RuntimeError):
    """Setting up or tearing down a netns test host failed."""


# ----------------------------------------------------------------------------- public helpers


def proxy_hook(
    api_client: Any,
    pod: LeakPod,
    method: str = "GET",
    action: str = "",
    body: Mapping[str, Any] | None = None,
    timeout: float = 10.0,
) -> tuple[int, Any]:
    """Call the pod's leak hook through the API server's pod proxy: (HTTP status, JSON body).

    ``action`` is "" (GET status), "start" or "release". Goes through ``ApiClient.call_api``
    because the generated ``connect_post_namespaced_pod_proxy*`` methods send no request body.
    """
    method, url, headers, req_body, post_params = api_client.param_serialize(
        method=method,
        resource_path=pod.proxy_path + action,
        header_params={"Accept": "application/json", "Content-Type": "application/json"},
        body=dict(body) if body is not None else None,
        auth_settings=["BearerToken"],
    )
    resp = api_client.call_api(
        method, url, header_params=headers, body=req_body, post_params=post_params,
        _request_timeout=timeout,
    )  # fmt: skip
    raw: bytes = resp.read()
    try:
        return int(resp.status), json.loads(raw)
    except ValueError:
        return int(resp.status), raw.decode(errors="replace")


def direct_hook(pod: LeakPod, method: str = "GET", action: str = "") -> tuple[int, Any]:
    """Call the hook directly on the netns address (only while the fixture owns it)."""
    return _http(pod.ip, pod.port, method, f"{pod.hook_path}/{action}", timeout=2.0)


def netns_exists(name: str) -> bool:
    return name in _netns_names()


def link_exists(name: str) -> bool:
    return _ip("link", "show", "dev", name, check=False).returncode == 0


# ----------------------------------------------------------------------------- the fixture


@contextlib.contextmanager
def leak_pods(
    core_api: Any,
    namespace: str,
    labels: Mapping[str, str],
    count: int = 1,
    *,
    name_prefix: str = "leak-demo",
    node: str = NODE,
    port: int = PORT,
) -> Iterator[list[LeakPod]]:
    """``count`` Running pods ``<name_prefix>-<i>`` in ``namespace``, each a netns test host.

    ``core_api`` is a ``kubernetes.client.CoreV1Api``. Everything is removed on exit, also when
    setup or the body fails.
    """
    if count < 1:
        raise ValueError("count must be >= 1")
    _require_netns()
    with contextlib.ExitStack() as stack:
        pods = [
            _leak_pod(stack, core_api, namespace, labels, f"{name_prefix}-{i}", node, port)
            for i in range(count)
        ]
        yield pods


def _leak_pod(
    stack: contextlib.ExitStack,
    core_api: Any,
    namespace: str,
    labels: Mapping[str, str],
    name: str,
    node: str,
    port: int,
) -> LeakPod:
    host = netns_host(stack, core_api)
    netns, veth, ip = host.netns, host.veth, host.ip
    proc, log = _start_demo_service(stack, netns, ip, port)
    _wait_ready(proc, log, ip, port)

    _create_pod(stack, core_api, namespace, labels, name, node, netns, ip, port)
    return LeakPod(namespace, name, ip, port, HOOK_PATH, netns, proc.pid, veth)


# ----------------------------------------------------------------------------- netns and veth


@dataclass(frozen=True)
class NetnsHost:
    """A network namespace with one veth: ``ip`` (inside, on eth0) is routed via ``veth``."""

    netns: str
    veth: str  # host side
    ip: str


def netns_host(stack: contextlib.ExitStack, core_api: Any) -> NetnsHost:
    """A new netns test host, removed by ``stack``; reaps what killed runs left first.

    The caller has called ``_require_netns()``. Anything started inside the netns is killed
    when it is deleted.
    """
    n = next(_serial)
    netns, veth = f"{NETNS_PREFIX}{os.getpid()}-{n}", f"cr{os.getpid()}h{n}"
    with _locked():  # choosing a free /30 and taking it is atomic across test processes
        _reap_stale(core_api)
        _ip("netns", "add", netns)
        stack.callback(_delete_netns, netns)
        _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
        stack.callback(_delete_link, veth)
        net = _free_slash30()
        host_ip, ip = (str(a) for a in net.hosts())
        _ip("addr", "add", f"{host_ip}/30", "dev", veth)
    _ip("link", "set", veth, "up")
    _ip("-n", netns, "addr", "add", f"{ip}/30", "dev", "eth0")
    _ip("-n", netns, "link", "set", "lo", "up")
    _ip("-n", netns, "link", "set", "eth0", "up")
    _check_routed(ip, veth)
    return NetnsHost(netns, veth, ip)


def _require_netns(*, demo_service: bool = True) -> None:
    problem = None
    if shutil.which("ip") is None:
        problem = "`ip` (Debian package iproute2) is not installed"
    elif os.geteuid() != 0:
        problem = "creating network namespaces needs root"
    elif demo_service and not DEMO_SERVICE.exists():
        problem = f"{DEMO_SERVICE} is not built (run scripts/build-go.sh)"
    else:
        probe = f"{NETNS_PREFIX}{os.getpid()}-probe"
        res = _ip("netns", "add", probe, check=False)
        if res.returncode != 0:
            problem = f"`ip netns add` fails: {res.stderr.strip()}"
        else:
            _ip("netns", "del", probe, check=False)
    if problem is None:
        return
    msg = f"no netns test hosts: {problem}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs netns test hosts: {problem}", pytrace=False)
    pytest.skip(msg)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and res.returncode != 0:
        raise NetHostError(f"ip {' '.join(args)}: {res.stderr.strip() or res.returncode}")
    return res


def _netns_names() -> list[str]:
    out = _ip("netns", "list").stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    with _LOCK.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _free_slash30() -> ipaddress.IPv4Network:
    """A /30 of TEST_HOSTS that no address on this host is in (call under ``_locked``)."""
    used: set[ipaddress.IPv4Network] = set()
    for line in _ip("-o", "-4", "addr", "show").stdout.splitlines():
        m = re.search(r"\binet (\S+)", line)
        if m:
            iface = ipaddress.IPv4Interface(m.group(1))
            if iface.ip in TEST_HOSTS:
                used.add(ipaddress.IPv4Network((iface.ip, 30), strict=False))
    start = os.getpid() % 4096 * 4  # spread concurrent runs; wraps over all 16384 subnets
    subnets = list(TEST_HOSTS.subnets(new_prefix=30))
    for i in range(len(subnets)):
        net = subnets[(start + i) % len(subnets)]
        if net not in used:
            return net
    raise NetHostError(f"no free /30 left in {TEST_HOSTS}")


def _check_routed(ip: str, veth: str) -> None:
    """The kernel sends traffic for ``ip`` through our veth (never the default route)."""
    route = _ip("-o", "route", "get", ip).stdout
    if f" dev {veth} " not in f" {route} " or " via " in route:
        raise NetHostError(f"{ip} is not routed through {veth}: {route.strip()}")
    assert ipaddress.IPv4Address(ip) in TEST_HOSTS
    assert ipaddress.IPv4Address(ip) not in KWOK_POD_CIDR


def _delete_link(veth: str) -> None:
    if link_exists(veth):
        _ip("link", "del", veth)


def _delete_netns(netns: str) -> None:
    for pid in _netns_pids(netns):  # only ever our demo-service; normally already stopped
        _kill(pid)
    if netns_exists(netns):
        _ip("netns", "del", netns)


def _netns_pids(netns: str) -> list[int]:
    res = _ip("netns", "pids", netns, check=False)
    return [int(p) for p in res.stdout.split()] if res.returncode == 0 else []


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _reap_stale(core_api: Any) -> None:
    """Remove what earlier runs left when they were killed (call under ``_locked``).

    Their netns, veths and pods: named after, or annotated with, a pid that is gone. A stale
    pod matters most: its IP is served by nothing, so a proxy to it would leave the host.
    """
    from kubernetes.client.exceptions import ApiException

    for pod in core_api.list_pod_for_all_namespaces().items:
        m = _NETNS_RE.match((pod.metadata.annotations or {}).get(NETNS_ANNOTATION, ""))
        if m and not _pid_alive(int(m.group(1))):
            try:
                core_api.delete_namespaced_pod(
                    pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0
                )
            except ApiException as exc:
                if exc.status != 404:
                    raise
    for netns in _netns_names():
        m = _NETNS_RE.match(netns)
        if m and not _pid_alive(int(m.group(1))):
            _delete_netns(netns)
    for line in _ip("-o", "link", "show").stdout.splitlines():
        fields = line.split(":")
        if len(fields) > 1:
            name = fields[1].strip().split("@")[0]
            m = _VETH_RE.match(name)
            if m and not _pid_alive(int(m.group(1))):
                _ip("link", "del", name, check=False)


# ----------------------------------------------------------------------------- demo-service


def _start_demo_service(
    stack: contextlib.ExitStack, netns: str, ip: str, port: int
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    log = stack.enter_context(tempfile.TemporaryFile(prefix="demo-service-"))  # noqa: SIM115
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEMO_", "LEAKHOOK_"))}
    # `ip netns exec` enters the netns and execs the service: the Popen pid is demo-service.
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns, str(DEMO_SERVICE), f"--listen={ip}:{port}",
         "--redis-addr=127.0.0.1:16380"],  # the netns's own loopback: nothing dials out
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip
    stack.callback(_stop, proc)
    return proc, log


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def _http(ip: str, port: int, method: str, path: str, timeout: float) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(ip, port, timeout=timeout)  # never via a proxy
    try:
        conn.request(method, path, headers={"Accept": "application/json"})
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode(errors="replace")


def _wait_ready(proc: subprocess.Popen[bytes], log: IO[bytes], ip: str, port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise NetHostError(
                f"demo-service exited with {proc.returncode} before serving:\n{_tail(log)}"
            )
        try:
            status, body = _http(ip, port, "GET", f"{HOOK_PATH}/", timeout=1.0)
        except OSError as exc:
            last = exc
        else:
            if status == 200 and isinstance(body, dict) and "active" in body:
                return
            last = (status, body)
        time.sleep(0.05)
    raise NetHostError(
        f"demo-service on {ip}:{port} not ready after {READY_TIMEOUT}s ({last}):\n{_tail(log)}"
    )


# ----------------------------------------------------------------------------- the pod


def _create_pod(
    stack: contextlib.ExitStack,
    core_api: Any,
    namespace: str,
    labels: Mapping[str, str],
    name: str,
    node: str,
    netns: str,
    ip: str,
    port: int,
) -> None:
    from kubernetes.client.exceptions import ApiException

    image = "chaosrunner.dev/demo-service:nethost"
    core_api.create_namespaced_pod(
        namespace,
        {
            "metadata": {
                "name": name,
                "labels": dict(labels),
                "annotations": {NETNS_ANNOTATION: netns, HOST_ANNOTATION: f"{ip}:{port}"},
            },
            "spec": {  # no nodeName yet: kwok ignores the pod until it is bound
                "schedulerName": SCHEDULER_NAME,
                "containers": [
                    {
                        "name": "demo-service",
                        "image": image,
                        "ports": [{"name": "http", "containerPort": port}],
                    }
                ],
            },
        },
    )
    stack.callback(_delete_pod, core_api, namespace, name)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    conditions = [
        {"type": t, "status": "True", "lastTransitionTime": now}
        for t in ("Initialized", "Ready", "ContainersReady")
    ]
    core_api.patch_namespaced_pod_status(
        name,
        namespace,
        {
            "status": {
                "phase": "Running",
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "startTime": now,
                "conditions": conditions,
                "containerStatuses": [
                    {
                        "name": "demo-service",
                        "image": image,
                        "imageID": "",
                        "ready": True,
                        "started": True,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": now}},
                    }
                ],
            }
        },
    )
    try:  # the binding answers with a Status, which the client cannot read as a V1Binding
        core_api.create_namespaced_pod_binding(
            name,
            namespace,
            {"metadata": {"name": name}, "target": {"kind": "Node", "name": node}},
            _preload_content=False,
        )
    except ApiException as exc:
        raise NetHostError(f"binding pod {namespace}/{name} to {node}: {exc}") from exc
    got = core_api.read_namespaced_pod(name, namespace)
    if got.spec.node_name != node or got.status.pod_ip != ip or got.status.phase != "Running":
        raise NetHostError(
            f"pod {namespace}/{name}: node {got.spec.node_name}, podIP {got.status.pod_ip}, "
            f"phase {got.status.phase}; want {node}, {ip}, Running"
        )


def _delete_pod(core_api: Any, namespace: str, name: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:  # grace 0: no kubelet confirms a graceful delete (kwok would, but late)
        core_api.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    except ApiException as exc:
        if exc.status != 404:
            raise
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            core_api.read_namespaced_pod(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        time.sleep(0.1)
    raise NetHostError(f"pod {namespace}/{name} still exists 10s after deletion")
