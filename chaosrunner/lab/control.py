"""Bringing the lab up and down: the supervisor's lifecycle, seen from the outside.

``up`` checks everything it can before starting anything (profile, binaries, every port), then
starts the supervisor detached and waits, bounded, until every component answers; on any
failure it tears down what it started. ``down`` asks the supervisor to stop its children, then
verifies from the recorded pids (with start times) that nothing is left, killing leftovers.
Both hold a non-blocking lock, so two commands never race on one lab.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chaosrunner.adapters.local import procs
from chaosrunner.core.errors import LabError
from chaosrunner.lab import components, health, netstat
from chaosrunner.lab.binaries import REPO
from chaosrunner.lab.layout import Layout, State, log_tail
from chaosrunner.lab.model import COMPONENTS, RESTART_DELAY, LabPorts, LabStatus
from chaosrunner.lab.query import live_supervisor, recorded, state_ports, status

CONTROL_LOCK = ".control.lock"
POLL = 0.25
_started: dict[int, subprocess.Popen[bytes]] = {}  # kept so our own supervisors get reaped


def up(
    profile: str = "default",
    root: Path | None = None,
    timeout: float = 60,
    ports: LabPorts | None = None,
    restart_delay: float | None = None,
) -> LabStatus:
    """Start the lab (idempotent); switch the demo's profile if the lab already runs.

    ``ports`` default to ``LabPorts()``; a running lab keeps its ports (asking for others is
    an error). ``restart_delay`` (seconds before a dead part is restarted, default
    ``RESTART_DELAY``) is kept in lab.json, so changing it on a running lab takes effect at
    the next restart.
    """
    components.check_profile(profile)
    if restart_delay is not None and not 0 <= restart_delay <= 3600:
        raise LabError(f"restart delay {restart_delay:g}s out of range; expected 0s..3600s")
    layout = Layout(root)
    with layout.locked(CONTROL_LOCK, wait=False):
        state = layout.read()
        if live_supervisor(state) is not None:
            assert state is not None
            running = state_ports(state)
            if ports is not None and ports != running:
                raise LabError(f"the lab in {layout.dir} already runs on {running}; down it first")
            if restart_delay is not None:
                layout.update(lambda s: s.update(restartDelay=restart_delay))
            if _demo_profile(state) != profile or state.get("profile") != profile:
                _switch_profile(layout, state, profile, timeout)
            return status(root)
        if state is not None:
            _stop(layout, state, timeout=10)
            layout.remove_state()
        delay = RESTART_DELAY if restart_delay is None else restart_delay
        return _start(layout, profile, ports or LabPorts(), delay, timeout, root)


def down(root: Path | None = None, timeout: float = 30) -> list[str]:
    """Stop the lab; returns what was stopped (empty when nothing was running)."""
    layout = Layout(root)
    if not layout.state_file.exists():
        return []
    with layout.locked(CONTROL_LOCK, wait=False):
        state = layout.read()
        if state is None:
            return []
        stopped = _stop(layout, state, timeout)
        layout.remove_state()
        return stopped


def _demo_profile(state: State) -> str | None:
    demo = (state.get("components") or {}).get("demo") or {}
    return demo.get("profile") if isinstance(demo, dict) else None


def _check_ports(ports: LabPorts) -> None:
    for port, owner in ports.owners():
        if not netstat.port_free(port):
            who = netstat.holder(port)
            held = f"held by {who}" if who else "held by a process we cannot identify"
            raise LabError(f"port 127.0.0.1:{port} for the lab's {owner} is in use, {held}")


def _start(
    layout: Layout,
    profile: str,
    ports: LabPorts,
    restart_delay: float,
    timeout: float,
    root: Path | None,
) -> LabStatus:
    _check_ports(ports)
    components.check_binaries()
    layout.ensure()
    layout.write(
        {
            "version": 1,
            "profile": profile,
            "ports": ports.to_json(),
            "restartDelay": restart_delay,
            "components": {},
        }
    )
    components.write_configs(layout, ports)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    argv = [sys.executable, "-m", "chaosrunner.lab.supervisor", str(layout.dir)]
    with layout.log_file("supervisor").open("ab") as out:
        popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=layout.dir,
            env=env,
            start_new_session=True,
        )
    _started[popen.pid] = popen
    me = procs.lookup(popen.pid)
    starttime = me.starttime if me is not None else None
    layout.update(lambda s: s.update(supervisor={"pid": popen.pid, "starttime": starttime}))
    layout.write_pid("supervisor", popen.pid)
    try:
        _wait_healthy(layout, ports, popen, timeout)
    except BaseException:
        _stop(layout, layout.read() or {}, timeout=15)
        layout.remove_state()
        raise
    return status(root)


def _wait_healthy(
    layout: Layout, ports: LabPorts, popen: subprocess.Popen[bytes], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if popen.poll() is not None:
            tail = log_tail(layout.log_file("supervisor"))
            raise LabError(f"the lab supervisor exited with {popen.returncode}:\n{tail}")
        probes = {name: health.probe(name, ports, 1.0) for name in COMPONENTS}
        bad = {name: detail for name, (ok, detail) in probes.items() if not ok}
        if not bad:
            return
        entries = (layout.read() or {}).get("components") or {}
        looping = [n for n in bad if int((entries.get(n) or {}).get("restarts") or 0) >= 3]
        if looping or time.monotonic() > deadline:
            why = f"keep crashing: {', '.join(looping)}" if looping else f"after {timeout:g}s"
            raise LabError(f"the lab did not become healthy ({why}){_report(layout, bad)}")
        time.sleep(POLL)


def _report(layout: Layout, bad: dict[str, str]) -> str:
    parts = [
        f"\n{name}: {detail}\n{log_tail(layout.log_file(name))}" for name, detail in bad.items()
    ]
    return "".join(parts)


def _switch_profile(layout: Layout, state: State, profile: str, timeout: float) -> None:
    supervisor = live_supervisor(state)
    old = dict(recorded(state)).get("demo")
    layout.update(lambda s: s.update(profile=profile))
    if supervisor is None or not procs.send(supervisor, signal.SIGHUP):
        raise LabError("the lab supervisor went away while switching profiles")
    ports = state_ports(state)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = layout.read() or {}
        demo = dict(recorded(now)).get("demo")
        fresh = demo is not None and demo != old and procs.alive(demo)
        if fresh and _demo_profile(now) == profile and health.probe("demo", ports, 1.0)[0]:
            return
        time.sleep(POLL)
    tail = log_tail(layout.log_file("demo"))
    raise LabError(f"the demo did not come back with profile {profile!r} in {timeout:g}s:\n{tail}")


def _wait_gone(proc: procs.Proc, until: float) -> bool:
    while procs.alive(proc):
        _reap(proc.pid)
        if time.monotonic() > until:
            return False
        time.sleep(0.05)
    _reap(proc.pid)
    return True


def _reap(pid: int) -> None:
    popen = _started.get(pid)
    if popen is not None and popen.poll() is not None:
        del _started[pid]


def _stop(layout: Layout, state: State, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    before = [(name, proc) for name, proc in recorded(state) if procs.alive(proc)]
    supervisor = live_supervisor(state)
    sent = supervisor is not None and procs.send(supervisor, signal.SIGTERM)
    if supervisor is not None and sent and not _wait_gone(supervisor, deadline - 3):
        procs.send(supervisor, signal.SIGKILL)
        _wait_gone(supervisor, deadline)
    left = {proc for _, proc in [*before, *recorded(layout.read())] if procs.alive(proc)}
    for proc in left:
        procs.send(proc, signal.SIGKILL)
    stuck = [p.pid for p in left if not _wait_gone(p, max(deadline, time.monotonic() + 2))]
    if stuck:
        raise LabError(f"lab processes survived SIGKILL: pids {stuck}")
    stopped = [name for name, _ in reversed(before)]
    return [*stopped, "supervisor"] if supervisor is not None else stopped
