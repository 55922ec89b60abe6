"""scripts/cluster-up.sh and cluster-down.sh on a second, private control plane.

The suite's own cluster must stay up, so this starts another one from the same built binaries
(``.cache/bin``, already built for the suite's cluster: nothing is compiled) with its state in a
temporary folder and every listener 1000 above the suite cluster's port (fixed, so that it never
takes a port another cluster on this machine was given), then stops it. It shows that
cluster-up waits until kube-controller-manager and kube-scheduler serve ``/healthz`` and the
ServiceAccount controller has made ``default/default``, and that cluster-down leaves none of the
five processes running and none of the ports taken.
"""

from __future__ import annotations

import os
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from ssl import CERT_NONE, create_default_context

import pytest

from tests.cluster.kit import ROOT, require_cluster

require_cluster()

BIN = ROOT / ".cache" / "bin"
DAEMONS = ("etcd", "kube-apiserver", "kwok", "kube-controller-manager", "kube-scheduler")
#: The suite cluster's ports: scripts/cluster-env.sh's defaults unless exported.
PORTS = {
    "CLUSTER_ETCD_CLIENT_PORT": 12379, "CLUSTER_ETCD_PEER_PORT": 12380,
    "CLUSTER_APISERVER_PORT": 16443, "CLUSTER_KWOK_PORT": 10247,
    "CLUSTER_KCM_PORT": 10257, "CLUSTER_SCHEDULER_PORT": 10259,
}  # fmt: skip
OFFSET = 1000


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthz(port: int) -> str:
    ctx = create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = CERT_NONE  # the component's own self-signed serving cert
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=5) as r:
        return str(r.read().decode())


def _script(name: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / name), *args], env=env, cwd=ROOT,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture
def private_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    missing = [d for d in DAEMONS[1:] if not (BIN / d).exists()]
    if missing:
        pytest.fail(f"not built: {missing} (scripts/cluster-up.sh builds them)", pytrace=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLUSTER_", "CHAOSRUNNER_"))}
    for key, default in PORTS.items():
        env[key] = str(int(os.environ.get(key, default)) + OFFSET)
    taken = [f"{k}={env[k]}" for k in PORTS if _listening(int(env[k]))]
    if taken:
        pytest.fail(f"ports for the private cluster are in use: {taken}", pytrace=False)
    env |= {
        "CHAOSRUNNER_CLUSTER_DIR": str(tmp_path / "cluster"),
        "CHAOSRUNNER_CLUSTER_BIN": str(BIN),
    }
    env.pop("KUBECONFIG", None)
    yield env
    _script("cluster-down.sh", env, "--purge")  # also when the test failed half-way


def test_up_runs_the_controllers_and_down_stops_all_five(private_env: dict[str, str]) -> None:
    up = _script("cluster-up.sh", private_env)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    state = Path(private_env["CHAOSRUNNER_CLUSTER_DIR"])
    pids = {d: int((state / f"{d}.pid").read_text()) for d in DAEMONS}
    for daemon, pid in pids.items():
        assert Path(f"/proc/{pid}").exists(), f"{daemon} (pid {pid}) is not running"
    assert _healthz(int(private_env["CLUSTER_KCM_PORT"])) == "ok"
    assert _healthz(int(private_env["CLUSTER_SCHEDULER_PORT"])) == "ok"
    got = subprocess.run(
        [str(BIN / "kubectl"), f"--kubeconfig={state / 'kubeconfig'}", "get", "serviceaccount",
         "default", "--namespace=default", "-o", "name"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert got.stdout.strip() == "serviceaccount/default", got.stderr

    down = _script("cluster-down.sh", private_env)
    assert down.returncode == 0, down.stdout + down.stderr
    for daemon in ("kube-scheduler", "kube-controller-manager"):
        assert f"stopped {daemon} (pid {pids[daemon]}" in down.stdout
    alive = {d: p for d, p in pids.items() if _running(p)}
    assert alive == {}
    taken = [k for k in PORTS if _listening(int(private_env[k]))]
    assert taken == []


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
