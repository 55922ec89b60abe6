"""Local CPU and memory stress with stress-ng, beside the target's processes.

stress-ng runs in its own process group pinned to the target's CPUs, with ``--timeout`` set to
the fault's expiry: it ends by itself even if nothing else does. Its group is known only once it
has started, so its undo action (kill the group) is added to the record right after.
Confirmed by the workers running; removed when the whole group is gone.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from chaosrunner.adapters.local import procs, undo
from chaosrunner.adapters.local.handlers import Prepared
from chaosrunner.adapters.local.process_faults import find_targets
from chaosrunner.adapters.local.records import UndoAction
from chaosrunner.core.errors import DriverError, InjectionError
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault
from chaosrunner.core.units import parse_percent


def _group(pgid: int) -> list[int]:
    """Live (non-zombie) members of a process group."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            pid = int(entry.name)
            try:
                if os.getpgid(pid) == pgid and procs.state_of(pid) not in (None, "Z", "X"):
                    members.append(pid)
            except OSError:
                continue
    return members


class Stress:
    def __init__(self, resource: str) -> None:
        self.resource = resource
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def _args(self, params: Any) -> list[str]:
        workers = str(params.get("workers", 1))
        if self.resource == "cpu":
            load = round(parse_percent(params.get("load", "100%")) * 100)
            return ["--cpu", workers, "--cpu-load", str(load)]
        size = str(params["size"]).replace("iB", "").replace("B", "")
        return ["--vm", workers, "--vm-bytes", size, "--vm-keep"]

    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        binary = shutil.which("stress-ng")
        if binary is None:
            raise DriverError("stress-ng is not installed (apt-get install stress-ng)")
        targets = find_targets(binding)
        cpus = sorted(os.sched_getaffinity(targets[0].pid))
        seconds = math.ceil(expires_at - time.time()) if expires_at else math.ceil(fault.expiry)
        argv = [
            binary,
            *self._args(fault.fault.params),
            "--timeout",
            f"{max(1, seconds)}s",
            "--quiet",
        ]
        return Prepared(
            targets=tuple(t.id for t in targets),
            undo=(),
            details={"argv": argv, "cpus": cpus},
            description=f"{' '.join(argv[1:])} on CPUs {cpus}; killed at rollback",
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        cpus = set(prepared.details["cpus"])
        try:
            child = subprocess.Popen(
                prepared.details["argv"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=lambda: os.sched_setaffinity(0, cpus),  # noqa: PLW1509
            )
        except OSError as exc:
            raise InjectionError(f"could not start stress-ng: {exc}") from exc
        leader = procs.lookup(child.pid)
        if leader is None:
            raise InjectionError(f"stress-ng exited at once (code {child.poll()})")
        self._children[leader.pid] = child
        prepared.details.update(pid=leader.pid, starttime=leader.starttime)
        return [undo.group_kill_action(leader)]

    def active_on(self, prepared: Prepared) -> list[str]:
        pgid = prepared.details.get("pid")
        return list(prepared.targets) if pgid and len(_group(pgid)) > 1 else []

    def removed(self, prepared: Prepared) -> bool:
        pgid = prepared.details.get("pid")
        if not isinstance(pgid, int):
            return True
        child = self._children.get(pgid)
        if child is not None and child.poll() is not None:
            del self._children[pgid]  # reaped: no zombie left behind
        return not _group(pgid)
