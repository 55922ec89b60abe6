"""Local handlers for process-pause and process-kill.

Both find the target's processes from its ``process`` binding (pid file, lab service or
command-line regex) and identify each by pid and start time. A lab service's pid file is the
lab's to know: whoever starts the driver passes the lab's lookup in (``with_lab_pid_file``), so
this package never imports the lab. Pause reads the state back (``T`` = stopped) to confirm;
kill confirms by the process being gone or replaced, and has nothing to undo.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from chaosrunner.adapters.local import procs, undo
from chaosrunner.adapters.local.handlers import Prepared
from chaosrunner.adapters.local.records import UndoAction
from chaosrunner.core.errors import DriverError, InjectionError
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault

#: A lab component's name → the pid file the lab keeps current for it across restarts.
LabPidFile = Callable[[str], Path]


def with_lab_pid_file(binding: Binding, lab_pid_file: LabPidFile | None) -> Binding:
    """``binding`` with its lab service's pid file filled in; unchanged without a lab service."""
    part = binding.process
    if part is None or part.lab_service is None or part.pid_file is not None:
        return binding
    if lab_pid_file is None:
        raise DriverError(
            f"target {binding.target!r}: process.labService {part.lab_service!r} names a "
            "component of the embedded lab, and this driver was started without the lab"
        )
    pid_file = str(lab_pid_file(part.lab_service))
    return replace(binding, process=replace(part, pid_file=pid_file))


def pid_file_of(binding: Binding) -> str | None:
    """The pid file a ``process`` binding names (a lab service's once filled in)."""
    part = binding.need("process", binding.process)
    if part.lab_service is not None and part.pid_file is None:
        raise DriverError(
            f"target {binding.target!r}: the pid file of lab service {part.lab_service!r} "
            "was not looked up (with_lab_pid_file)"
        )
    return part.pid_file


def find_targets(binding: Binding) -> list[procs.Proc]:
    """The live processes of a ``process`` binding (pid file, lab service or regex)."""
    part = binding.need("process", binding.process)
    pid_file = pid_file_of(binding)
    found = procs.find(pid_file=pid_file, match=part.match)
    if not found:
        where = f"pid file {pid_file}" if pid_file else f"match {part.match!r}"
        raise DriverError(f"target {binding.target!r}: no live process for {where}")
    return found


def _procs(prepared: Prepared) -> list[procs.Proc]:
    return [
        procs.Proc(p["pid"], p["starttime"], p.get("cmdline", ""))
        for p in prepared.details["procs"]
    ]


def _details(found: list[procs.Proc]) -> dict[str, Any]:
    return {
        "procs": [
            {"pid": p.pid, "starttime": p.starttime, "cmdline": p.cmdline[:200]} for p in found
        ]
    }


class ProcessPause:
    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        found = find_targets(binding)
        return Prepared(
            targets=tuple(p.id for p in found),
            undo=tuple(undo.signal_action(p, signal.SIGCONT) for p in found),
            details=_details(found),
            description=f"SIGSTOP {', '.join(str(p.pid) for p in found)}; SIGCONT at rollback",
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        stopped = [p for p in _procs(prepared) if procs.send(p, signal.SIGSTOP)]
        if not stopped:
            raise InjectionError(
                f"{fault.fault.name}: every target process was gone before SIGSTOP"
            )
        return []

    def active_on(self, prepared: Prepared) -> list[str]:
        return [p.id for p in _procs(prepared) if procs.alive(p) and procs.state_of(p.pid) == "T"]

    def removed(self, prepared: Prepared) -> bool:
        return all(procs.state_of(p.pid) != "T" for p in _procs(prepared) if procs.alive(p))


class ProcessKill:
    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        found = find_targets(binding)
        sig = fault.fault.params.get("signal", "SIGKILL")
        return Prepared(
            targets=tuple(p.id for p in found),
            undo=(),
            details={**_details(found), "signal": sig},
            description=f"{sig} {', '.join(str(p.pid) for p in found)} once (nothing to undo)",
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        sig = signal.Signals[prepared.details["signal"]]
        if not [p for p in _procs(prepared) if procs.send(p, sig)]:
            raise InjectionError(
                f"{fault.fault.name}: every target process was gone before {sig.name}"
            )
        return []

    def active_on(self, prepared: Prepared) -> list[str]:
        time.sleep(0.05)
        return [p.id for p in _procs(prepared) if not procs.alive(p)]

    def removed(self, prepared: Prepared) -> bool:
        return True
