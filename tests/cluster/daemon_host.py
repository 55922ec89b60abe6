"""A node whose chaos-daemon is the test stand-in, served from a netns test host.

Chaos Mesh's controller finds the daemon of a pod's node by listing EndpointSlices named
``chaos-daemon-*`` in its own namespace (``NAMESPACE``) and taking the first address of the
endpoint whose ``nodeName`` is the pod's ``spec.nodeName``; it dials that address on
``CHAOS_DAEMON_SERVICE_PORT`` (controllers/utils/chaosdaemon). The API server refuses loopback
addresses in an EndpointSlice, and this machine's network rule allows dialling only loopback or
a test host the test created, so ``daemon_node`` builds, per use:

1. a netns test host (``nethost.netns_host``: 198.19.X.2 behind a veth) running
   ``tests/cluster/chaos_daemon.py`` (the stand-in) on 198.19.X.2:``port``;
2. a Node ``crtest-daemon-<pid>-<n>``, managed by kwok (so it stays Ready) and tainted
   ``NoSchedule`` (so a scheduler never puts anybody else's pod there). A node of its own
   keeps the stand-in away from kwok-node-0, where the failure-path tests rely on there being
   no daemon;
3. the EndpointSlice ``chaos-daemon-<node>`` in the controller's namespace, carrying the
   netns address for that node.

``DaemonNode.pods`` then creates Running pods bound to that node with container statuses that
carry container ids (kwok v0.7 writes none, and the controller sends the daemon exactly those
ids): created unbound, status written through the status subresource (with a pod IP, so that
kwok's ``pod-ready`` stage, which selects pods without one, leaves them alone), then bound.
The pod IPs are in kwok's 198.18.0.0/16 and only ever written into objects.

Everything is removed on exit (an ``ExitStack``); what a killed run left (node, slice, pods,
netns: all annotated with their netns, named after the dead pid) is reaped by the next setup.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc

from tests.cluster import nethost
from tests.cluster.chaos_daemon import DEFAULT_PORT, Call, read_calls

ROOT = Path(__file__).resolve().parents[2]
NODE_PREFIX = "crtest-daemon-"
SLICE_PREFIX = "chaos-daemon-"  # the prefix the controller looks for
TAINT = {"key": "chaosrunner.dev/stand-in-daemon", "value": "true", "effect": "NoSchedule"}
KWOK_NODE_ANNOTATION = os.environ.get("CHAOSRUNNER_KWOK_NODE_ANNOTATION", "kwok.x-k8s.io/node=fake")
#: Where the controller looks for daemons (its NAMESPACE); cluster-env.sh may say otherwise.
CONTROLLER_NAMESPACE = os.environ.get("CHAOSRUNNER_CHAOS_MESH_NAMESPACE", "chaos-real")
#: Chaos Mesh's DNS server as the controller finds it (scripts/cluster-env.sh): the pods of this
#: Service, on this port.
DNS_SERVICE = os.environ.get("CHAOSRUNNER_CHAOS_MESH_DNS_SERVICE", "chaos-mesh-dns-server")
DNS_PORT = int(os.environ.get("CHAOSRUNNER_CHAOS_MESH_DNS_PORT", "9288"))
DNS_LABELS = {"chaosrunner.dev/stand-in": "dns-server"}
POD_IPS = "198.18.254."  # written into pod status only; nothing dials them
READY_TIMEOUT = 15.0
_serial = itertools.count()
_pod_serial = itertools.count(1)


@dataclass(frozen=True)
class TargetPod:
    namespace: str
    name: str
    uid: str
    container_ids: Mapping[str, str]  # container name -> the id in its status

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class DaemonNode:
    """The node, its stand-in daemon, and what the daemon recorded."""

    node: str
    ip: str  # the daemon's address (the netns side of the veth)
    port: int
    netns: str
    pid: int  # the daemon process, inside ``netns``
    record: Path
    fail_file: Path  # methods named here answer errors (see ``fail``)
    endpoint_slice: str
    controller_namespace: str
    _core: Any = field(repr=False)
    _stack: contextlib.ExitStack = field(repr=False)

    def calls(self, method: str | None = None, source: str | None = None) -> list[Call]:
        """Calls so far, oldest first; only ``method`` / from chaos object ``source`` if given."""
        return [
            c for c in read_calls(self.record)
            if (method is None or c.method == method) and (source is None or c.source == source)
        ]  # fmt: skip

    def wait_for(
        self, what: str, pred: Callable[[list[Call]], bool], timeout: float = 30.0
    ) -> list[Call]:
        """Polls the record until ``pred(calls)``; fails naming ``what`` and the calls seen."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls()
            if pred(calls):
                return calls
            if time.monotonic() > deadline:
                seen = [(c.method, c.container_id, c.source) for c in calls]
                raise AssertionError(f"the stand-in daemon never saw {what} in {timeout}s: {seen}")
            time.sleep(0.1)

    def fail(self, *methods: str) -> None:
        """From the next call on, these methods answer UNAVAILABLE (none: every one succeeds)."""
        tmp = self.fail_file.with_suffix(".tmp")
        tmp.write_text("".join(f"{m}\n" for m in methods))
        tmp.replace(self.fail_file)  # atomic: the daemon never reads half a file

    def pods(
        self,
        namespace: str,
        pods: Mapping[str, Mapping[str, str]],
        containers: Sequence[str] = ("app", "sidecar"),
        stack: contextlib.ExitStack | None = None,
    ) -> list[TargetPod]:
        """Running pods on this node (name -> labels), each container with a container id.

        Removed by ``stack`` if given (e.g. at the end of one test), else with the node."""
        return [
            _target_pod(stack or self._stack, self._core, namespace, name, labels, self.node,
                        self.netns, containers)
            for name, labels in pods.items()
        ]  # fmt: skip


@contextlib.contextmanager
def daemon_node(
    core_api: Any,
    *,
    controller_namespace: str = CONTROLLER_NAMESPACE,
    port: int = DEFAULT_PORT,
    fail: Iterable[str] = (),
    dns: bool = False,
) -> Iterator[DaemonNode]:
    """A kwok node whose chaos-daemon is the stand-in (``fail``: methods that answer errors).

    ``core_api`` is a ``kubernetes.client.CoreV1Api``. ``port`` must be the controller's
    ``CHAOS_DAEMON_SERVICE_PORT`` (the netns has its own ports: no clash with anything).
    With ``dns``, the stand-in is also Chaos Mesh's DNS server: it serves that API on
    ``DNS_PORT`` and a pod carrying its address backs the Service ``DNS_SERVICE`` (one per
    cluster: one such node at a time).
    """
    from kubernetes import client

    nethost._require_netns(demo_service=False)
    discovery = client.DiscoveryV1Api(core_api.api_client)
    with contextlib.ExitStack() as stack:
        host = nethost.netns_host(stack, core_api)  # reaps stale netns and pods first
        _reap_stale(core_api, discovery, controller_namespace)
        record = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stand-in-daemon-")))
        record /= "calls.jsonl"
        record.touch()
        fail_file = record.with_name("fail")
        dns_listen = f"{host.ip}:{DNS_PORT}" if dns else None
        proc, log = _start_daemon(
            stack, host.netns, host.ip, port, record, fail, fail_file, dns_listen
        )
        _wait_serving(proc, log, host.ip, port)

        node = f"{NODE_PREFIX}{os.getpid()}-{next(_serial)}"
        _create_node(stack, core_api, node, host.netns)
        slice_name = f"{SLICE_PREFIX}{node}"
        _ensure_namespace(core_api, controller_namespace)
        _create_endpoint_slice(
            stack, discovery, controller_namespace, slice_name, node, host.ip, port, host.netns
        )
        if dns:
            _dns_server(stack, core_api, controller_namespace, node, host.netns, host.ip)
        yield DaemonNode(
            node, host.ip, port, host.netns, proc.pid, record, fail_file, slice_name,
            controller_namespace, core_api, stack,
        )  # fmt: skip


# ----------------------------------------------------------------------------- the daemon


def _start_daemon(
    stack: contextlib.ExitStack, netns: str, ip: str, port: int, record: Path,
    fail: Iterable[str], fail_file: Path, dns_listen: str | None,
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:  # fmt: skip
    log = stack.enter_context(tempfile.TemporaryFile(prefix="stand-in-daemon-"))  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = ["ip", "netns", "exec", netns, sys.executable, "-m", "tests.cluster.chaos_daemon",
           f"--listen={ip}:{port}", f"--record={record}", f"--fail-file={fail_file}"]  # fmt: skip
    cmd += [f"--fail={m}" for m in fail]
    cmd += [f"--dns-listen={dns_listen}"] if dns_listen else []
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
        start_new_session=True,
    )  # fmt: skip
    stack.callback(nethost._stop, proc)
    return proc, log


def _wait_serving(proc: subprocess.Popen[bytes], log: IO[bytes], ip: str, port: int) -> None:
    """Until an HTTP/2 connection to the daemon is up (no call is made, so none is recorded)."""
    deadline = time.monotonic() + READY_TIMEOUT
    with grpc.insecure_channel(f"{ip}:{port}") as channel:  # the netns address: ours
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise nethost.NetHostError(
                    f"stand-in daemon exited with {proc.returncode}:\n{nethost._tail(log)}"
                )
            try:
                grpc.channel_ready_future(channel).result(timeout=0.5)
            except grpc.FutureTimeoutError:
                continue
            return
    raise nethost.NetHostError(
        f"stand-in daemon on {ip}:{port} not serving after {READY_TIMEOUT}s:\n{nethost._tail(log)}"
    )


# ----------------------------------------------------------------------------- cluster objects


def _ensure_namespace(core_api: Any, name: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        core_api.create_namespace({"metadata": {"name": name}})
    except ApiException as exc:
        if exc.status != 409:
            raise


def _create_node(stack: contextlib.ExitStack, core_api: Any, node: str, netns: str) -> None:
    key, _, value = KWOK_NODE_ANNOTATION.partition("=")
    core_api.create_node(
        {
            "metadata": {
                "name": node,
                "annotations": {key: value, nethost.NETNS_ANNOTATION: netns},
                "labels": {"kubernetes.io/hostname": node, "type": "kwok"},
            },
            "spec": {"taints": [TAINT]},
            "status": {
                "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            },
        }
    )
    stack.callback(_delete_quietly, core_api.delete_node, node)


def _create_endpoint_slice(
    stack: contextlib.ExitStack, discovery: Any, namespace: str, name: str, node: str,
    ip: str, port: int, netns: str,
) -> None:  # fmt: skip
    discovery.create_namespaced_endpoint_slice(
        namespace,
        {
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/service-name": "chaos-daemon"},
                "annotations": {nethost.NETNS_ANNOTATION: netns},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "nodeName": node, "conditions": {"ready": True}}],
            "ports": [{"name": "grpc", "port": port, "protocol": "TCP"}],
        },
    )
    stack.callback(_delete_quietly, discovery.delete_namespaced_endpoint_slice, name, namespace)


def _target_pod(
    stack: contextlib.ExitStack, core_api: Any, namespace: str, name: str,
    labels: Mapping[str, str], node: str, netns: str, containers: Sequence[str],
    ip: str | None = None,
) -> TargetPod:  # fmt: skip
    from kubernetes.client.exceptions import ApiException

    created = core_api.create_namespaced_pod(
        namespace,
        {
            "metadata": {
                "name": name,
                "labels": dict(labels),
                "annotations": {nethost.NETNS_ANNOTATION: netns},
            },
            "spec": {  # no nodeName yet: kwok ignores the pod until it is bound
                # ... and kube-scheduler must not bind it first (it would get a second IP)
                "schedulerName": nethost.SCHEDULER_NAME,
                "containers": [{"name": c, "image": "fake"} for c in containers],
                "tolerations": [{**TAINT, "operator": "Equal"}],
            },
        },
    )
    # LIFO: the pod goes first, then what the controller made for it, which no garbage
    # collector removes here (a Pod*Chaos owned by the pod, emptied by the recovery)
    stack.callback(_delete_pod_chaos, core_api, namespace, name)
    stack.callback(nethost._delete_pod, core_api, namespace, name)
    uid = created.metadata.uid
    ids = {
        c: "containerd://" + hashlib.sha256(f"{uid}/{c}".encode()).hexdigest() for c in containers
    }
    ip = ip or f"{POD_IPS}{next(_pod_serial) % 250 + 1}"
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    core_api.patch_namespaced_pod_status(
        name,
        namespace,
        {
            "status": {
                "phase": "Running",
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "startTime": now,
                "conditions": [
                    {"type": t, "status": "True", "lastTransitionTime": now}
                    for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
                ],
                "containerStatuses": [
                    {
                        "name": c,
                        "image": "fake",
                        "imageID": "",
                        "containerID": ids[c],
                        "ready": True,
                        "started": True,
                        "restartCount": 0,
                        "state": {"running": {"startedAt": now}},
                    }
                    for c in containers
                ],
            }
        },
    )
    try:  # the binding answers with a Status, which the client cannot read as a V1Binding
        core_api.create_namespaced_pod_binding(
            name, namespace,
            {"metadata": {"name": name}, "target": {"kind": "Node", "name": node}},
            _preload_content=False,
        )  # fmt: skip
    except ApiException as exc:
        raise nethost.NetHostError(f"binding pod {namespace}/{name} to {node}: {exc}") from exc
    got = core_api.read_namespaced_pod(name, namespace)
    got_ids = {s.name: s.container_id for s in got.status.container_statuses or ()}
    if got.spec.node_name != node or got_ids != ids or got.status.phase != "Running":
        raise nethost.NetHostError(
            f"pod {namespace}/{name}: node {got.spec.node_name}, containers {got_ids}, "
            f"phase {got.status.phase}; want {node}, {ids}, Running"
        )
    return TargetPod(namespace, name, uid, ids)


def _dns_server(
    stack: contextlib.ExitStack, core_api: Any, namespace: str, node: str, netns: str, ip: str
) -> None:
    """The Service the controller looks up, and one pod behind it at the netns address.

    The controller dials each selected pod's IP on ``DNS_PORT``; the Service's ClusterIP
    (from the API server's 10.96.0.0/16) is only passed on to the daemon, never dialled.
    """
    core_api.create_namespaced_service(
        namespace,
        {
            "metadata": {"name": DNS_SERVICE, "annotations": {nethost.NETNS_ANNOTATION: netns}},
            "spec": {
                "selector": dict(DNS_LABELS),
                "ports": [{"name": "grpc", "port": DNS_PORT, "protocol": "TCP"}],
            },
        },
    )
    stack.callback(_delete_quietly, core_api.delete_namespaced_service, DNS_SERVICE, namespace)
    name = f"stand-in-dns-{os.getpid()}-{next(_serial)}"
    _target_pod(stack, core_api, namespace, name, DNS_LABELS, node, netns, ("dns",), ip=ip)


#: What the controller creates per target pod, named after it (owner: the Pod).
POD_CHAOS = ("podnetworkchaos", "podiochaos", "podhttpchaos")


def pod_chaos(core_api: Any, namespace: str, name: str) -> dict[str, dict[str, Any]]:
    """plural -> spec of the Pod*Chaos objects the controller made for pod ``name``."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    custom = client.CustomObjectsApi(core_api.api_client)
    found = {}
    for plural in POD_CHAOS:
        try:
            obj = custom.get_namespaced_custom_object(
                "chaos-mesh.org", "v1alpha1", namespace, plural, name
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            continue
        found[plural] = obj.get("spec") or {}
    return found


def _delete_pod_chaos(core_api: Any, namespace: str, name: str) -> None:
    from kubernetes import client

    custom = client.CustomObjectsApi(core_api.api_client)
    for plural in POD_CHAOS:
        _delete_quietly(
            custom.delete_namespaced_custom_object,
            "chaos-mesh.org", "v1alpha1", namespace, plural, name,
        )  # fmt: skip


def _delete_quietly(delete: Callable[..., Any], *args: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        delete(*args)
    except ApiException as exc:
        if exc.status != 404:
            raise


def _reap_stale(core_api: Any, discovery: Any, namespace: str) -> None:
    """Nodes and EndpointSlices of killed runs: their netns names a pid that is gone."""

    def stale(meta: Any) -> bool:
        m = nethost._NETNS_RE.match((meta.annotations or {}).get(nethost.NETNS_ANNOTATION, ""))
        return bool(m) and not nethost._pid_alive(int(m.group(1)))

    for node in core_api.list_node().items:
        if node.metadata.name.startswith(NODE_PREFIX) and stale(node.metadata):
            _delete_quietly(core_api.delete_node, node.metadata.name)
    for svc in core_api.list_namespaced_service(namespace).items:
        if svc.metadata.name == DNS_SERVICE and stale(svc.metadata):
            _delete_quietly(core_api.delete_namespaced_service, DNS_SERVICE, namespace)
    for es in discovery.list_namespaced_endpoint_slice(namespace).items:
        if es.metadata.name.startswith(SLICE_PREFIX) and stale(es.metadata):
            _delete_quietly(discovery.delete_namespaced_endpoint_slice, es.metadata.name, namespace)
