"""Cluster figures for `make bench`: chaos-mesh driver latencies against a real API server.

1. preflight for a selector that matches 2,000 kwok pods (target <= 5 s);
2. create -> confirmed: ``inject()`` + ``confirm()`` of a network-delay fault, with the
   stand-in controller; and of a PodChaos pod-failure with Chaos Mesh's REAL
   chaos-controller-manager (which needs no chaos-daemon for it);
3. delete -> gone: ``remove()`` of the same objects, with each controller.

The control plane is scripts/cluster-up.sh's (etcd, kube-apiserver, Chaos Mesh's CRDs and
controller-manager, kwok), but a
PRIVATE one: its own state folder (.cache/bench-cluster), its own ports, brought up here and
down again in ``finally``, so it never disturbs the test cluster or anyone else's.

Its binaries are hard links in .cache/bench-cluster/bin, not the shared .cache/bin: cluster-down.sh
stops, as strays, every process started from its CHAOSRUNNER_CLUSTER_BIN, which would include
other clusters started from the shared folder.

The network-delay figures use tests/cluster/chaos_controller.py, the TEST STAND-IN (there is no
chaos-daemon to inject a NetworkChaos): they measure chaosrunner + API server + watch latency.
The pod-failure figures use the real controller in its namespace (chaos-real), so they add
Chaos Mesh's own reconcile time; the two are printed side by side.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test helpers (tests/...) are not an installed package

import structlog  # noqa: E402
from kubernetes import client, config  # noqa: E402

from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions  # noqa: E402
from chaosrunner.core.journal import CheckRecord  # noqa: E402
from chaosrunner.core.plan import Plan, make_plan  # noqa: E402
from chaosrunner.core.ports import RunInfo  # noqa: E402
from tests.cluster import kit  # noqa: E402
from tests.cluster.chaos_controller import FakeChaosController  # noqa: E402
from tests.unit.chaosmesh.builders import experiment  # noqa: E402

STATE = ROOT / ".cache" / "bench-cluster"
BIN = STATE / "bin"
SHARED_BIN = ROOT / ".cache" / "bin"
BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "kwok",
    "chaos-controller-manager",
)
# Its own ports: not the test cluster's (12379/16443/10247) nor any other engineer's.
CLUSTER_ENV = {
    "CHAOSRUNNER_CLUSTER_DIR": str(STATE),
    "CHAOSRUNNER_CLUSTER_BIN": str(BIN),
    "CLUSTER_ETCD_CLIENT_PORT": "32379",
    "CLUSTER_ETCD_PEER_PORT": "32380",
    "CLUSTER_APISERVER_PORT": "36443",
    "CLUSTER_KWOK_PORT": "30247",
    "CLUSTER_KCM_PORT": "30257",
    "CLUSTER_SCHEDULER_PORT": "30259",
    "CLUSTER_KWOK_NODE_COUNT": "1",
    "CLUSTER_CHAOS_WEBHOOK_PORT": "39443",
    "CLUSTER_CHAOS_METRICS_PORT": "30080",
    "CHAOSRUNNER_CHAOS_MESH_NAMESPACE": "chaos-real",
}
REAL_NS = CLUSTER_ENV["CHAOSRUNNER_CHAOS_MESH_NAMESPACE"]
KUBECONFIG = STATE / "kubeconfig"

BIG_PODS = 2_000
CREATE_WORKERS = 16
KWOK_GRACE = 60.0  # seconds kwok gets to turn the pods Running before we write the status
PREFLIGHT_REPEATS = 5
PREFLIGHT_TARGET = 5.0
LIFECYCLE_REPEATS = 10
SMALL_PODS = {f"web-{i}": {"app": "web"} for i in range(3)}


def say(text: str) -> None:
    print(text, flush=True)


def figure(label: str, values: Sequence[float], tail: str = "") -> str:
    return (
        f"{label}: median {statistics.median(values):.3f} s (min {min(values):.3f}, "
        f"max {max(values):.3f}, n={len(values)}){tail}"
    )


# -- the private cluster ------------------------------------------------------------------


def stage_binaries() -> list[str]:
    """Hard-link the shared binaries (and their build stamps) into BIN; returns those missing.

    cluster-up.sh builds a missing or stale binary itself (into BIN).
    """
    BIN.mkdir(parents=True, exist_ok=True)
    missing = []
    for name in BINARIES:
        for suffix in ("", ".stamp"):
            src, dst = SHARED_BIN / f"{name}{suffix}", BIN / f"{name}{suffix}"
            if not src.exists():
                continue
            tmp = BIN / f".{name}{suffix}.tmp"
            tmp.unlink(missing_ok=True)
            try:
                os.link(src, tmp)
            except OSError:
                tmp.write_bytes(src.read_bytes())
                tmp.chmod(src.stat().st_mode)
            tmp.replace(dst)  # a running copy keeps its old inode
        if not (BIN / name).exists():
            missing.append(name)
    return missing


def cluster_script(name: str, log: Path) -> None:
    env = {**os.environ, **CLUSTER_ENV}
    env.pop("KUBECONFIG", None)
    with log.open("w") as out:
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / name)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            cwd=ROOT,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise RuntimeError(f"scripts/{name} failed (log: {log}):\n" + "\n".join(tail))


def cluster_up() -> None:
    missing = stage_binaries()
    if missing:
        say(
            f"cluster bench: {', '.join(missing)} not built yet: scripts/cluster-up.sh builds "
            f"them now (slow, ~15 min; log in {STATE}/build-*.log)"
        )
    started = time.perf_counter()
    cluster_script("cluster-up.sh", STATE / "bench-up.log")
    say(
        f"cluster bench: private control plane up in {time.perf_counter() - started:.1f} s "
        f"(apiserver :36443, etcd :32379, kwok :30247, state {STATE.relative_to(ROOT)})"
    )


def cluster_down() -> None:
    if not STATE.exists():
        return
    cluster_script("cluster-down.sh", STATE / "bench-down.log")


def core_api(pool: int = 4) -> client.CoreV1Api:
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(KUBECONFIG), client_configuration=cfg)
    cfg.connection_pool_maxsize = pool
    return client.CoreV1Api(client.ApiClient(cfg))


# -- 2,000 pods -----------------------------------------------------------------------------


def pod_phases(core: client.CoreV1Api, ns: str) -> dict[str, str]:
    """name -> phase of every pod in ``ns``, from raw JSON pages (no model objects)."""
    phases: dict[str, str] = {}
    token = None
    while True:
        resp = core.list_namespaced_pod(ns, limit=500, _continue=token, _preload_content=False)
        page = json.loads(resp.data)
        for p in page["items"]:
            phases[p["metadata"]["name"]] = p.get("status", {}).get("phase", "")
        token = page["metadata"].get("continue")
        if not token:
            return phases


def wait_running(core: client.CoreV1Api, ns: str, names: set[str], timeout: float) -> set[str]:
    """Poll until every named pod is Running; returns those that are not after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        phases = pod_phases(core, ns)
        lagging = {n for n in names if phases.get(n) != "Running"}
        if not lagging or time.monotonic() >= deadline:
            return lagging
        time.sleep(1.0)


def in_parallel(fn: Callable[[str], Any], items: Sequence[str]) -> None:
    with ThreadPoolExecutor(CREATE_WORKERS) as pool:
        for _ in pool.map(fn, items):
            pass


def big_namespace(core: client.CoreV1Api) -> str:
    ns = f"bench-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": ns}})
    names = [f"bench-{i:04d}" for i in range(BIG_PODS)]

    def create(name: str) -> None:
        body = kit.pod(name, {"app": "bench"}, kit.NODE)
        core.create_namespaced_pod(ns, body, _preload_content=False)

    started = time.perf_counter()
    in_parallel(create, names)
    created = time.perf_counter() - started
    lagging = wait_running(core, ns, set(names), KWOK_GRACE)
    waited = time.perf_counter() - started - created
    marked = len(lagging)
    if lagging:
        in_parallel(lambda n: kit.mark_running(core, ns, n), sorted(lagging))
        lagging = wait_running(core, ns, lagging, 30)
        if lagging:
            raise RuntimeError(f"{len(lagging)} pod(s) in {ns} never became Running")
    by = f"kwok {BIG_PODS - marked:,}, status written by the bench {marked:,}"
    say(
        f"cluster bench: {BIG_PODS:,} pods app=bench on {kit.NODE} in {ns}: created in "
        f"{created:.1f} s ({CREATE_WORKERS} threads), Running {waited:.1f} s later ({by})"
    )
    return ns


# -- the driver -----------------------------------------------------------------------------


def plan_for(ns: str, fault: dict[str, Any], app: str) -> Plan:
    pods = {"namespace": ns, "labelSelector": {"app": app}, "mode": "all"}
    return make_plan(experiment([{"name": "f", **fault}], pods=pods))


def driver_for(plan: Plan, ns: str) -> tuple[ChaosMeshDriver, RunInfo]:
    options = ClusterOptions(kubeconfig=str(KUBECONFIG), allow_namespaces=(ns,))
    run = RunInfo(f"bench-{uuid.uuid4().hex[:10]}", plan.experiment.metadata.name, time.time())
    return ChaosMeshDriver(plan.experiment, options), run


def failed(checks: Sequence[CheckRecord]) -> list[str]:
    return [f"{c.name}: {c.detail}" for c in checks if not c.ok]


def preflight_figure(ns: str) -> float:
    plan = plan_for(ns, {"type": "network-loss", "params": {"loss": "10%"}}, "bench")
    times = []
    for _ in range(PREFLIGHT_REPEATS):
        driver, run = driver_for(plan, ns)
        try:
            started = time.perf_counter()
            checks = driver.preflight(plan, run)
            times.append(time.perf_counter() - started)
        finally:
            driver.close()  # releases the Lease; not part of the figure
        bad = failed(checks)
        if bad:
            raise RuntimeError("preflight check(s) failed:\n  " + "\n  ".join(bad))
    say(
        figure(
            f"chaos-mesh preflight, network-loss mode all on a selector matching "
            f"{BIG_PODS:,} kwok pods ({len(checks)} checks, all passed)",
            times,
            f"; target <= {PREFLIGHT_TARGET:.0f} s",
        )
    )
    return statistics.median(times)


def lifecycle(plan: Plan, ns: str) -> tuple[list[float], list[float], list[str]]:
    """LIFECYCLE_REPEATS times: (create -> confirmed, delete -> gone) and the object names."""
    pf = plan.faults[0]
    confirmed, gone, names = [], [], []
    for _ in range(LIFECYCLE_REPEATS):
        driver, run = driver_for(plan, ns)
        try:
            bad = failed(driver.preflight(plan, run))
            if bad:
                raise RuntimeError("preflight check(s) failed:\n  " + "\n  ".join(bad))
            started = time.perf_counter()
            handle = driver.inject(pf, run)
            conf = driver.confirm(pf, handle, 15)
            injected = time.perf_counter()
            if conf.confirmed_at is None:
                raise RuntimeError(f"not confirmed: {conf.detail}")
            removal = driver.remove(pf, handle, 30)
            removed = time.perf_counter()
            if not removal.confirmed or removal.escalation is not None:
                raise RuntimeError(f"not removed cleanly: {removal.detail}")
        finally:
            driver.close()
        confirmed.append(injected - started)
        gone.append(removed - injected)
        names.append(str(handle.details["object"]["name"]))
    return confirmed, gone, names


def lifecycle_figures(core: client.CoreV1Api) -> None:
    ns = kit.fresh_namespace(core, "bench-small", SMALL_PODS)
    plan = plan_for(ns, {"type": "network-delay", "params": {"latency": "100ms"}}, "web")
    with FakeChaosController(KUBECONFIG, namespace=ns) as ctl:
        confirmed, gone, names = lifecycle(plan, ns)
        reaction = [ctl.latency(name, "injected") for name in names]
        if ctl.errors:
            raise RuntimeError(f"the test controller failed: {ctl.errors}")
    kit.ensure_pods(core, REAL_NS, SMALL_PODS)
    real_plan = plan_for(REAL_NS, {"type": "pod-failure"}, "web")
    real_confirmed, real_gone, _ = lifecycle(real_plan, REAL_NS)
    pods = f"{len(SMALL_PODS)} pods"
    say(
        figure(
            f"create -> confirmed, stand-in controller (inject + confirm, network-delay on {pods})",
            confirmed,
            f"; of which the stand-in controller's own observed -> injected: median "
            f"{statistics.median(reaction):.3f} s",
        )
    )
    say(
        figure(
            f"create -> confirmed, REAL chaos-controller-manager (pod-failure on {pods})",
            real_confirmed,
        )
    )
    say(figure(f"delete -> gone, stand-in controller (remove, same objects, {pods})", gone))
    say(figure(f"delete -> gone, REAL chaos-controller-manager (pod-failure, {pods})", real_gone))


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` runs
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    say(
        "cluster bench (chaos-mesh driver; the network-delay figures use the TEST STAND-IN "
        "controller tests/cluster/chaos_controller.py, the pod-failure ones Chaos Mesh's real "
        "chaos-controller-manager)"
    )
    try:
        cluster_up()
        core = core_api(pool=CREATE_WORKERS)
        try:
            median = preflight_figure(big_namespace(core))
            lifecycle_figures(core)
        finally:
            core.api_client.close()
    except RuntimeError as exc:
        say(f"cluster bench FAILED: {exc}")
        median = None
    finally:
        cluster_down()
    if median is None:
        raise SystemExit(1)
    met = "MET" if median <= PREFLIGHT_TARGET else "MISSED"
    say(
        f"verdict: preflight on {BIG_PODS:,} pods <= {PREFLIGHT_TARGET:.0f} s: {met} "
        f"(median {median:.3f} s)"
    )


if __name__ == "__main__":
    main()
