"""End to end: the embedded local lab with its real processes, on non-default loopback ports.

Every lab here lives in a temporary state dir (CHAOSRUNNER_STATE_DIR) on ports picked free at
random, so a user's own lab on the default ports is never touched. One lab is shared by the
module; each test calls ``up`` first (idempotent and fast), so any test also runs alone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from chaosrunner import lab
from chaosrunner.adapters.local import procs
from chaosrunner.core.errors import LabError
from tests.e2e.lab_ports import free_ports


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def recorded_procs(state_dir: Path) -> dict[str, procs.Proc]:
    state = json.loads((state_dir / "lab" / "lab.json").read_text())
    out = {
        "supervisor": procs.Proc(state["supervisor"]["pid"], state["supervisor"]["starttime"], "")
    }
    for name, entry in state["components"].items():
        if entry.get("pid"):
            out[name] = procs.Proc(entry["pid"], entry["starttime"], "")
    return out


def read_pid(name: str) -> int | None:
    try:
        return int(lab.service_pid_file(name).read_text())
    except (OSError, ValueError):
        return None


@pytest.fixture(scope="module")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, lab.LabPorts]]:
    home = tmp_path_factory.mktemp("lab-state")
    ports = free_ports()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAOSRUNNER_STATE_DIR", str(home))
        try:
            yield home, ports
        finally:
            lab.down()


@pytest.fixture
def running(lab_home: tuple[Path, lab.LabPorts]) -> lab.LabStatus:
    return lab.up(ports=lab_home[1], timeout=60)


def test_up_starts_every_component_healthy(
    running: lab.LabStatus, lab_home: tuple[Path, lab.LabPorts]
) -> None:
    home, ports = lab_home
    status = lab.status()
    assert status.running and status.healthy, status
    assert status.state_dir == home / "lab"
    assert status.profile == "default"
    assert [c.name for c in status.components] == list(lab.COMPONENTS)
    assert status.component("redis").detail == "PING ok"
    assert status.component("redis").address == f"127.0.0.1:{ports.redis}"
    assert status.component("demo").address == f"http://127.0.0.1:{ports.demo}"
    assert 'up{job="demo"} = 1' in status.component("prometheus").detail
    assert lab.ports() == ports
    for c in status.components:
        assert c.pid is not None and read_pid(c.name) == c.pid
    assert read_pid("supervisor") == status.supervisor_pid


def test_second_up_is_idempotent_and_fast(running: lab.LabStatus) -> None:
    started = time.monotonic()
    again = lab.up(ports=running.ports)
    assert time.monotonic() - started < 3
    assert again.supervisor_pid == running.supervisor_pid
    assert [c.pid for c in again.components] == [c.pid for c in running.components]


def test_profile_switch_restarts_only_the_demo(running: lab.LabStatus) -> None:
    switched = lab.up("resilient")
    assert switched.profile == "resilient" and switched.healthy
    assert switched.component("demo").pid != running.component("demo").pid
    assert "profile resilient" in switched.component("demo").detail
    for name in ("redis", "toxiproxy", "loadgen", "prometheus"):
        assert switched.component(name).pid == running.component(name).pid, name
    back = lab.up("default")
    assert (
        back.profile == "default" and back.component("redis").pid == running.component("redis").pid
    )


def test_killed_demo_is_restarted_with_a_new_pid_after_the_restart_delay(
    running: lab.LabStatus,
) -> None:
    # Like Kubernetes, the lab does not bring a killed part back at once; the delay of a
    # running lab can be changed, and applies from the next restart.
    assert running.restart_delay == lab.RESTART_DELAY == 5
    assert lab.up(ports=running.ports, restart_delay=3).restart_delay == 3
    old = read_pid("demo")
    assert old == running.component("demo").pid
    os.kill(old, signal.SIGKILL)
    killed = time.monotonic()
    wait_for(lambda: read_pid("demo") not in (None, old), 3 + 5, "a new demo pid in its pid file")
    assert time.monotonic() - killed >= 2.8, "restarted before its restart delay"
    wait_for(lambda: lab.status().component("demo").healthy, 10, "the restarted demo healthy")
    demo = lab.status().component("demo")
    assert demo.pid == read_pid("demo") != old
    assert demo.restarts == running.component("demo").restarts + 1
    lab.up(ports=running.ports, restart_delay=lab.RESTART_DELAY)


def test_taken_port_is_a_clear_error_without_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path))
    ports = free_ports()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", ports.demo))
        squatter.listen()
        started = time.monotonic()
        with pytest.raises(LabError) as err:
            lab.up(ports=ports, timeout=30)
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert f"127.0.0.1:{ports.demo}" in message and "demo" in message
    assert f"pid {os.getpid()}" in message
    assert not (tmp_path / "lab" / "lab.json").exists()
    assert not lab.status().running


def test_down_leaves_no_process_and_a_second_down_is_harmless(
    running: lab.LabStatus, lab_home: tuple[Path, lab.LabPorts]
) -> None:
    recorded = recorded_procs(lab_home[0])
    assert set(recorded) == {"supervisor", *lab.COMPONENTS}
    stopped = lab.down()
    assert set(stopped) == set(recorded)
    alive = [name for name, proc in recorded.items() if procs.alive(proc)]
    assert alive == []
    assert not list((lab_home[0] / "lab" / "pids").glob("*.pid"))
    assert lab.down() == []
    status = lab.status()
    assert not status.running and not status.healthy
    assert {c.detail for c in status.components} == {"not running"}


def test_sigkill_of_the_supervisor_takes_its_children_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path))
    try:
        status = lab.up(ports=free_ports(), timeout=60)
        recorded = recorded_procs(tmp_path)
        assert recorded["supervisor"].pid == status.supervisor_pid
        os.kill(recorded["supervisor"].pid, signal.SIGKILL)
        wait_for(
            lambda: not any(procs.alive(p) for p in recorded.values()),
            5,
            "every lab process to die with its supervisor",
        )
        assert not lab.status().running
    finally:
        lab.down()
    assert lab.down() == []
