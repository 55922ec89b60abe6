"""scripts/cluster-up.sh and cluster-down.sh on a second, private control plane.

The suite's own cluster must stay up, so this starts another one from the same built binaries
(``.cache/bin``, already built for the suite's cluster: nothing is compiled) with its state in a
temporary folder and every listener on a free port of its own, then stops it. It shows that
cluster-up waits until kube-controller-manager and kube-scheduler serve ``/healthz``, the
ServiceAccount controller has made ``default/default`` and Chaos Mesh's controller is up, and
that cluster-down leaves none of the six processes running and none of the ports taken.
"""

from __future__ import annotations

import contextlib
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
DAEMONS = (
    "etcd", "kube-apiserver", "kwok", "kube-controller-manager", "kube-scheduler",
    "chaos-controller-manager",
)  # fmt: skip
#: What a private cluster listens on: each gets a free port of its own.
PORTS = (
    "CLUSTER_ETCD_CLIENT_PORT", "CLUSTER_ETCD_PEER_PORT", "CLUSTER_APISERVER_PORT",
    "CLUSTER_KWOK_PORT", "CLUSTER_KCM_PORT", "CLUSTER_SCHEDULER_PORT",
    "CLUSTER_CHAOS_WEBHOOK_PORT", "CLUSTER_CHAOS_METRICS_PORT",
)  # fmt: skip


def _free_ports(count: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


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
    env |= {key: str(port) for key, port in zip(PORTS, _free_ports(len(PORTS)), strict=True)}
    env |= {
        "CHAOSRUNNER_CLUSTER_DIR": str(tmp_path / "cluster"),
        "CHAOSRUNNER_CLUSTER_BIN": str(BIN),
    }
    env.pop("KUBECONFIG", None)
    yield env
    _script("cluster-down.sh", env, "--purge")  # also when the test failed half-way


def test_up_runs_the_controllers_and_down_stops_them_all(private_env: dict[str, str]) -> None:
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
    for daemon in ("kube-scheduler", "kube-controller-manager", "chaos-controller-manager"):
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
