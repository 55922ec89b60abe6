"""What every cluster test needs: the test cluster's kubeconfig, and namespaces with Running pods.

The control plane is scripts/cluster-up.sh's: a real kube-apiserver, etcd, kube-controller-manager
and kube-scheduler, with kwok as the kubelet. ``require_cluster`` skips a module when there is no
cluster, but fails it in CI. Each test module makes fresh, uniquely named namespaces and never
waits for their deletion (deleted namespaces do finish terminating, but that takes seconds).
``pod`` binds its pods with ``spec.nodeName``, which skips the scheduler.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
KUBECONFIG = Path(
    os.environ.get("CHAOSRUNNER_KUBECONFIG") or ROOT / ".cache" / "cluster" / "kubeconfig"
)
NODE = "kwok-node-0"
KWOK_GRACE = 3
TIMEOUT = 15


def require_cluster() -> Path:
    """The kubeconfig; skips the calling module without a cluster (fails it when CI=true)."""
    if not KUBECONFIG.exists() and os.environ.get("CI") == "true":
        pytest.fail(f"CI needs the test cluster: {KUBECONFIG} is absent", pytrace=False)
    if not KUBECONFIG.exists():
        pytest.skip(
            f"no test cluster: {KUBECONFIG} is absent (run scripts/cluster-up.sh)",
            allow_module_level=True,
        )
    return KUBECONFIG


CONTAINERS = ("app", "redis", "exporter")


def pod(name: str, labels: Mapping[str, str], node: str = NODE) -> dict[str, Any]:
    containers = [{"name": c, "image": "fake"} for c in CONTAINERS]
    return {
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {"nodeName": node, "containers": containers},
    }


def wait_pods_running(core: Any, ns: str, names: set[str], timeout: int) -> set[str]:
    """Watch until every named pod is Running; returns the ones that are not after ``timeout``."""
    from kubernetes import watch

    running: set[str] = set()
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, ns, timeout_seconds=timeout):
        p = event["object"]
        if p.status and p.status.phase == "Running":
            running.add(p.metadata.name)
        if names <= running:
            w.stop()
            break
    return names - running


def mark_running(core: Any, ns: str, name: str) -> None:
    """Write the status kwok would write (phase Running, Ready)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ready = [{"type": t, "status": "True", "lastTransitionTime": now}
             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")]  # fmt: skip
    core.patch_namespaced_pod_status(
        name, ns, {"status": {"phase": "Running", "conditions": ready}}
    )


def fresh_namespace(core: Any, prefix: str, pods: Mapping[str, Mapping[str, str]]) -> str:
    """A new namespace holding ``pods`` (name -> labels), every one of them Running."""
    ns = f"{prefix}-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": ns}})
    ensure_pods(core, ns, pods)
    return ns


def ensure_pods(core: Any, ns: str, pods: Mapping[str, Mapping[str, str]]) -> None:
    """Create whichever of ``pods`` is missing (a test killed it) and wait until all Run."""
    present = {p.metadata.name for p in core.list_namespaced_pod(ns).items}
    for name, labels in pods.items():
        if name not in present:
            core.create_namespaced_pod(ns, pod(name, labels))
    # kwok's pod watch on etcd 3.4 keeps ending ("RequestWatchProgress is disabled"), so it
    # often sees new pods only at its next relist, 15-40 s later; past KWOK_GRACE we write the
    # status kwok would write ourselves, to stay fast.
    if pods:
        for name in wait_pods_running(core, ns, set(pods), KWOK_GRACE):
            mark_running(core, ns, name)
        assert not wait_pods_running(core, ns, set(pods), TIMEOUT)
