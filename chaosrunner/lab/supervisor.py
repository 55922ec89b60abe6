"""The lab's supervisor daemon: owns every component and restarts any that dies.

It plays Kubernetes' part for the local lab: a ``process-kill`` fault recovers because the
supervisor starts the process again, and counts the restart. Like Kubernetes, it does not do so
at once: a part that died is restarted after ``restartDelay`` seconds from ``lab.json`` (default
5 s, see ``model.RESTART_DELAY`` for why), doubling while it keeps dying, so a client of a single
instance sees the outage it would see in a cluster. It keeps ``lab.json`` and
``pids/<component>.pid`` current, so the fault drivers and ``status`` always see the live pids.
SIGTERM stops everything and exits 0; SIGHUP re-reads the desired profile and restarts only the
demo; a vanished ``lab.json`` means the lab was taken down behind its back, so it stops
everything too.

Usage: ``python -m chaosrunner.lab.supervisor <lab dir holding lab.json>``
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from chaosrunner.adapters.local import procs
from chaosrunner.core.errors import LabError
from chaosrunner.lab import children, components, health
from chaosrunner.lab.layout import Layout, State
from chaosrunner.lab.model import (
    COMPONENTS,
    RESTART_DELAY,
    RESTART_DELAY_MAX,
    LabPorts,
)

log = logging.getLogger("chaosrunner.lab.supervisor")

TICK = 0.2
STABLE_AFTER = 10.0
START_WAIT = 15.0
STOP_GRACE = 6.0


@dataclass
class Child:
    name: str
    popen: subprocess.Popen[bytes] | None = None
    profile: str = ""
    restarts: int = 0
    started_at: float = 0.0
    failures: int = 0
    """Deaths in a row, each within STABLE_AFTER of its start: the delay doubles per failure."""
    next_start: float | None = None


class Supervisor:
    def __init__(self, layout: Layout) -> None:
        state = layout.read()
        if state is None:
            raise LabError(f"{layout.state_file} does not exist")
        self.layout = layout
        self.ports = LabPorts.from_json(state.get("ports"))
        self.profile = str(state.get("profile", "default"))
        self.children = {name: Child(name) for name in COMPONENTS}
        self.stopping = False
        self.reload = False

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reload = True
        else:
            self.stopping = True

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        me = procs.lookup(os.getpid())
        self._update(supervisor={"pid": os.getpid(), "starttime": me.starttime if me else None})
        components.write_configs(self.layout, self.ports)
        for name in COMPONENTS:
            if self._gone():
                break
            self._start(self.children[name])
            self._wait_started(self.children[name])
        while not self._gone():
            if self.reload:
                self.reload = False
                self._reload()
            for child in self.children.values():
                self._tend(child)
            time.sleep(TICK)
        self._stop_everything()
        return 0

    def _gone(self) -> bool:
        if not self.stopping and not self.layout.state_file.exists():
            log.info("lab.json is gone: stopping the lab")
            self.stopping = True
        return self.stopping

    def _start(self, child: Child) -> None:
        child.next_start = None
        if child.name == "demo":
            child.profile = self.profile
        try:
            argv = components.argv(child.name, self.layout, self.ports, self.profile)
            child.popen = children.spawn(argv, self.layout.log_file(child.name), self.layout.dir)
        except (LabError, OSError) as exc:
            log.error("cannot start %s: %s", child.name, exc)
            self._schedule_restart(child, time.monotonic())
            return
        child.started_at = time.time()
        proc = children.identity(child.popen)
        log.info("started %s pid %d", child.name, child.popen.pid)
        self.layout.write_pid(child.name, child.popen.pid)
        self._record(child, proc.starttime if proc else None)

    def _wait_started(self, child: Child) -> None:
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline and not self._gone():
            if child.popen is None or child.popen.poll() is not None:
                return
            if health.probe(child.name, self.ports, 1.0, scraped=False)[0]:
                return
            time.sleep(TICK)
        log.warning("%s not healthy after %.0fs; going on", child.name, START_WAIT)

    def _tend(self, child: Child) -> None:
        now = time.monotonic()
        if child.popen is not None and child.popen.poll() is not None:
            code = child.popen.returncode
            log.warning("%s (pid %d) exited with %s", child.name, child.popen.pid, code)
            child.popen = None
            self.layout.pid_file(child.name).unlink(missing_ok=True)
            if time.time() - child.started_at > STABLE_AFTER:
                child.failures = 0
            self._schedule_restart(child, now)
            self._record(child, None, exit_code=code)
        if child.popen is None and child.next_start is not None and now >= child.next_start:
            child.restarts += 1
            log.info("restarting %s (restart %d)", child.name, child.restarts)
            self._start(child)

    def _schedule_restart(self, child: Child, now: float) -> None:
        delay = restart_delay(self.layout.read(), child.failures)
        log.info("restarting %s in %.1fs", child.name, delay)
        child.next_start = now + delay
        child.failures += 1

    def _reload(self) -> None:
        state = self.layout.read() or {}
        wanted = str(state.get("profile", self.profile))
        demo = self.children["demo"]
        if wanted == demo.profile and demo.popen is not None:
            return
        try:
            components.check_profile(wanted)
        except LabError as exc:
            log.error("%s; keeping profile %s", exc, self.profile)
            return
        log.info("profile %s -> %s: restarting the demo", demo.profile, wanted)
        self.profile = wanted
        if demo.popen is not None:
            children.stop_all([demo.popen], 3.0)
            demo.popen = None
        demo.failures = 0
        self._start(demo)

    def _stop_everything(self) -> None:
        running = [c.popen for c in reversed(self.children.values()) if c.popen is not None]
        log.info("stopping %d components", len(running))
        children.stop_all(running, STOP_GRACE)
        for child in self.children.values():
            if child.popen is not None:
                self._record(child, None, exit_code=child.popen.returncode)
                child.popen = None
            self.layout.pid_file(child.name).unlink(missing_ok=True)
        self._update(supervisor=None)
        log.info("stopped")

    def _record(self, child: Child, starttime: int | None, exit_code: int | None = None) -> None:
        entry: dict[str, Any] = {
            "pid": child.popen.pid if child.popen is not None else None,
            "starttime": starttime,
            "restarts": child.restarts,
            "startedAt": child.started_at,
        }
        if exit_code is not None:
            entry["lastExit"] = exit_code
        if child.name == "demo":
            entry["profile"] = child.profile

        def change(state: State) -> None:
            state.setdefault("components", {})[child.name] = entry

        self.layout.update(change)

    def _update(self, **values: Any) -> None:
        self.layout.update(lambda state: state.update(values))


def restart_delay(state: State | None, failures: int) -> float:
    """The wait before a restart: ``restartDelay`` from lab.json, doubled per earlier failure."""
    try:
        base = float((state or {}).get("restartDelay", RESTART_DELAY))
    except (TypeError, ValueError):
        base = RESTART_DELAY
    base = max(0.0, base)
    return float(min(max(base, RESTART_DELAY_MAX), base * 2 ** min(failures, 16)))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m chaosrunner.lab.supervisor <lab dir>\n")
        return 2
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s supervisor: %(message)s"
    )
    try:
        return Supervisor(Layout(lab_dir=Path(argv[0]))).run()
    except LabError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
