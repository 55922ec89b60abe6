"""The local driver's network and stress faults against a real Toxiproxy and real stress-ng.

Effects are measured, not only read back: latency through the proxy is timed with a real TCP
echo upstream, a downed proxy refuses connections, stress-ng's workers really run.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosrunner.adapters.local import driver as local
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.core.errors import InjectionError
from chaosrunner.core.leftovers import Leftover, Outcome, Place
from chaosrunner.core.plan import make_plan
from chaosrunner.core.ports import RunInfo
from tests.support import experiment

ROOT = Path(__file__).resolve().parents[2]
TOXIPROXY = ROOT / ".cache" / "bin" / "toxiproxy-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(1024):
            self.request.sendall(data)


@pytest.fixture(scope="module")
def toxiproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    if not TOXIPROXY.exists():
        pytest.fail(f"{TOXIPROXY} is missing: run `make go-build`", pytrace=False)
    echo = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    api_port, proxy_port = free_port(), free_port()
    log = (tmp_path_factory.mktemp("toxiproxy") / "log").open("w")
    server = subprocess.Popen(
        [str(TOXIPROXY), "-host", "127.0.0.1", "-port", str(api_port)], stdout=log, stderr=log
    )
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.time() + 15
    while True:
        try:
            if call("GET", f"{api}/version")[0] == 200:
                break
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    status, _ = call(
        "POST",
        f"{api}/proxies",
        {
            "name": "echo",
            "listen": f"127.0.0.1:{proxy_port}",
            "upstream": f"127.0.0.1:{echo.server_address[1]}",
            "enabled": True,
        },
    )
    assert status == 201
    yield api, proxy_port
    server.terminate()
    server.wait(10)
    echo.shutdown()


def round_trip(port: int) -> float:
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"ping")
        assert s.recv(16) == b"ping"
    return time.perf_counter() - start


def exp_for(api: str, fault: str, params: str = "{}", target: str = "echo-link") -> str:
    return textwrap.dedent(f"""\
        apiVersion: chaosrunner.io/v1alpha1
        kind: Experiment
        metadata: {{name: local-faults}}
        spec:
          environments:
            lab: {{driver: local, prometheus: {{url: "http://127.0.0.1:9"}}}}
          targets:
            echo-link:
              bindings: {{lab: {{proxy: {{name: echo, api: "{api}"}}}}}}
            sleeper:
              bindings: {{lab: {{process: {{match: "sleep 4242"}}}}}}
          steadyState:
            slis: [{{name: x, query: "vector(1)", objective: ">= 1"}}]
          faults:
            - {{name: f, type: {fault}, target: {target}, params: {params}}}
          schedule: {{baseline: 1s, blast: 20s, recovery: 1s, probeInterval: 1s, expiryMargin: 5s}}
        """)


def driver_for(text: str, root: Path, run_id: str = "it-1"):  # type: ignore[no-untyped-def]
    exp = experiment(text)
    plan = make_plan(exp)
    return (
        local.LocalDriver(exp, root),
        plan.faults[0],
        RunInfo(run_id, "local-faults", time.time()),
    )


def toxics(api: str) -> list[str]:
    return [t["name"] for t in call("GET", f"{api}/proxies/echo/toxics")[1]]


def test_network_delay_is_real_then_gone(toxiproxy: tuple[str, int], tmp_path: Path) -> None:
    api, port = toxiproxy
    drv, pf, run = driver_for(
        exp_for(api, "network-delay", "{latency: 300ms, direction: both}"), tmp_path
    )
    assert round_trip(port) < 0.1
    handle = drv.inject(pf, run)
    conf = drv.confirm(pf, handle, 5)
    assert conf.confirmed_at and conf.targets[0].id == "proxy:echo"
    assert sorted(toxics(api)) == ["cr-it-1-f-downstream", "cr-it-1-f-upstream"]
    assert round_trip(port) >= 0.6  # 300 ms each way
    removal = drv.remove(pf, handle, 5)
    assert removal.confirmed and toxics(api) == []
    assert round_trip(port) < 0.1
    assert list((tmp_path / "faults").glob("*.json")) == []


def test_network_down_refuses_then_recovers(toxiproxy: tuple[str, int], tmp_path: Path) -> None:
    api, port = toxiproxy
    drv, pf, run = driver_for(exp_for(api, "network-down"), tmp_path, "it-2")
    handle = drv.inject(pf, run)
    assert drv.confirm(pf, handle, 5).confirmed_at
    with pytest.raises(OSError):
        round_trip(port)
    assert drv.remove(pf, handle, 5).confirmed
    assert round_trip(port) < 0.1


def test_an_existing_toxic_is_never_reused(toxiproxy: tuple[str, int], tmp_path: Path) -> None:
    api, _ = toxiproxy
    drv, pf, run = driver_for(exp_for(api, "network-partition"), tmp_path, "it-3")
    call(
        "POST",
        f"{api}/proxies/echo/toxics",
        {
            "name": "cr-it-3-f-upstream",
            "type": "timeout",
            "stream": "upstream",
            "attributes": {"timeout": 0},
        },
    )
    try:
        with pytest.raises(InjectionError, match="never reused"):
            drv.inject(pf, run)
    finally:
        call("DELETE", f"{api}/proxies/echo/toxics/cr-it-3-f-upstream")
    assert list((tmp_path / "faults").glob("*.json")) == []


def run_holding_a_delay(api: str, root: Path, run_id: str) -> subprocess.Popen[str]:
    """Another process that passes preflight, injects a 300 ms delay on ``echo`` and holds it."""
    script = textwrap.dedent(f"""
        import time, sys
        sys.path.insert(0, {str(ROOT)!r})
        from tests.integration.test_local_faults import driver_for, exp_for
        from chaosrunner.core.plan import make_plan
        from pathlib import Path
        drv, pf, run = driver_for(exp_for({api!r}, "network-delay", "{{latency: 300ms}}"), Path({str(root)!r}), {run_id!r})
        assert all(c.ok for c in drv.preflight(make_plan(drv.experiment), run))
        h = drv.inject(pf, run)
        assert drv.confirm(pf, h, 5).confirmed_at
        print("injected", flush=True)
        time.sleep(60)
    """)
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    while (line := owner.stdout.readline()) and line.strip() != "injected":
        pass
    assert line.strip() == "injected"
    return owner


def test_watchdog_removes_the_toxic_when_its_owner_is_killed(
    toxiproxy: tuple[str, int], tmp_path: Path
) -> None:
    api, _ = toxiproxy
    owner = run_holding_a_delay(api, tmp_path, "it-4")
    assert toxics(api) == ["cr-it-4-f-upstream"]
    owner.send_signal(signal.SIGKILL)
    owner.wait(5)
    deadline = time.time() + 3
    while toxics(api) and time.time() < deadline:
        time.sleep(0.05)
    assert toxics(api) == []
    assert list((tmp_path / "faults").glob("*.json")) == []


def test_cleanup_ends_a_fault_whose_watchdog_died_too(
    toxiproxy: tuple[str, int], tmp_path: Path
) -> None:
    api, _ = toxiproxy
    drv, pf, run = driver_for(exp_for(api, "network-partition"), tmp_path, "it-5")
    handle = drv.inject(pf, run)
    os.kill(int(handle.details["watchdogPid"]), signal.SIGKILL)
    assert toxics(api) == ["cr-it-5-f-upstream"]
    record = json.loads(Path(str(handle.details["record"])).read_text())
    assert record["runId"] == "it-5" and record["undo"]
    assert local.cleanup("it-5", tmp_path) == [Leftover(Place.LOCAL, "it-5/f", Outcome.ENDED)]
    assert toxics(api) == []
    assert local.cleanup("it-5", tmp_path) == []


def test_cpu_stress_runs_then_is_gone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "4242"])
    try:
        drv, pf, run = driver_for(
            exp_for("http://127.0.0.1:9", "cpu-stress", "{workers: 1, load: 50%}", "sleeper"),
            tmp_path,
            "it-6",
        )
        handle = drv.inject(pf, run)
        conf = drv.confirm(pf, handle, 10)
        assert conf.confirmed_at and conf.targets[0].id == f"pid:{sleeper.pid}"
        pgid = int(handle.details["pid"])
        assert any(
            os.getpgid(int(p.name)) == pgid
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and int(p.name) != pgid and _pg(int(p.name)) == pgid
        )
        assert drv.remove(pf, handle, 10).confirmed
        assert not [
            p for p in Path("/proc").iterdir() if p.name.isdigit() and _pg(int(p.name)) == pgid
        ]
    finally:
        sleeper.kill()
        sleeper.wait()


def _pg(pid: int) -> int | None:
    """The process group of a live (non-zombie) process; zombies are reaped late by PID 1 here."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        return None if state in ("Z", "X") else os.getpgid(pid)
    except (OSError, IndexError):
        return None


def test_network_bandwidth_caps_throughput(toxiproxy: tuple[str, int], tmp_path: Path) -> None:
    api, port = toxiproxy
    payload = b"x" * 64_000

    def transfer_seconds() -> float:
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(payload)
            got = 0
            while got < len(payload):
                got += len(s.recv(65536))
        return time.perf_counter() - start

    assert transfer_seconds() < 0.5
    drv, pf, run = driver_for(
        exp_for(api, "network-bandwidth", "{rate: 256kbps}"), tmp_path, "it-7"
    )
    handle = drv.inject(pf, run)
    assert drv.confirm(pf, handle, 5).confirmed_at
    assert transfer_seconds() >= 1.5  # 64 kB upstream at 32 kB/s is about 2 s
    assert drv.remove(pf, handle, 5).confirmed
    assert transfer_seconds() < 0.5


def test_network_reset_peer_resets_connections(toxiproxy: tuple[str, int], tmp_path: Path) -> None:
    api, port = toxiproxy
    drv, pf, run = driver_for(exp_for(api, "network-reset-peer"), tmp_path, "it-8")
    handle = drv.inject(pf, run)
    assert drv.confirm(pf, handle, 5).confirmed_at
    # reset, or closed before the echo came back
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"ping")
        if not s.recv(16):
            raise ConnectionResetError("closed by the proxy")
    assert drv.remove(pf, handle, 5).confirmed
    assert round_trip(port) < 0.1


def test_memory_stress_holds_memory_then_is_gone(tmp_path: Path) -> None:
    sleeper = subprocess.Popen(["sleep", "4242"])
    try:
        drv, pf, run = driver_for(
            exp_for("http://127.0.0.1:9", "memory-stress", "{size: 64MB, workers: 1}", "sleeper"),
            tmp_path,
            "it-9",
        )
        handle = drv.inject(pf, run)
        assert drv.confirm(pf, handle, 10).confirmed_at
        pgid = int(handle.details["pid"])
        deadline = time.time() + 10
        held = 0
        while time.time() < deadline and held < 50_000:
            held = sum(
                _rss_kb(int(p.name))
                for p in Path("/proc").iterdir()
                if p.name.isdigit() and _pg(int(p.name)) == pgid
            )
            time.sleep(0.2)
        assert held >= 50_000, f"stress-ng holds only {held} kB"
        assert drv.remove(pf, handle, 10).confirmed
    finally:
        sleeper.kill()
        sleeper.wait()


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def preflight_failures(text: str, root: Path, run_id: str) -> tuple[local.LocalDriver, list[str]]:
    exp = experiment(text)
    drv = local.LocalDriver(exp, root)
    checks = drv.preflight(make_plan(exp), RunInfo(run_id, "local-faults", time.time()))
    return drv, [c.detail for c in checks if not c.ok]


def test_two_runs_on_one_proxy_cannot_run_at_once_whatever_their_targets_are_called(
    toxiproxy: tuple[str, int], tmp_path: Path
) -> None:
    api, port = toxiproxy
    owner = run_holding_a_delay(api, tmp_path, "it-10")
    # The same proxy, another target name and another spelling of the API's address.
    other = exp_for(api.replace("127.0.0.1", "localhost") + "/", "network-partition")
    other = other.replace("echo-link", "cache-link")
    second, failed = preflight_failures(other, tmp_path, "it-11")
    second.close()
    assert failed == [
        f"toxiproxy:{api}/echo is held by run it-10 (experiment 'local-faults', target 'echo-link')"
    ]
    assert toxics(api) == ["cr-it-10-f-upstream"]
    owner.send_signal(signal.SIGKILL)
    owner.wait(5)
    deadline = time.time() + 3
    while toxics(api) and time.time() < deadline:
        time.sleep(0.05)
    third, failed = preflight_failures(other, tmp_path, "it-12")
    third.close()
    assert failed == [], "the kernel releases a dead run's locks"
    assert round_trip(port) < 0.1


def test_a_process_and_the_proxy_it_serves_are_one_resource(
    toxiproxy: tuple[str, int], tmp_path: Path
) -> None:
    api, port = toxiproxy
    api_port = api.rsplit(":", 1)[1]
    first, failed = preflight_failures(
        exp_for(api, "network-delay", "{latency: 1ms}"), tmp_path, "it-13"
    )
    try:
        assert failed == []
        # Pausing the Toxiproxy server that holds the proxy's listener touches the same link.
        pause = exp_for(api, "process-pause", target="sleeper").replace(
            "sleep 4242", f"toxiproxy-server -host 127.0.0.1 -port {api_port}$"
        )
        second, failed = preflight_failures(pause, tmp_path, "it-14")
        second.close()
    finally:
        first.close()
    assert failed == [
        f"listen:{port} is held by run it-13 (experiment 'local-faults', target 'echo-link')"
    ]
