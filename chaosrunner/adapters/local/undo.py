"""Undo actions: how a local fault is ended, written down before it starts.

The actions are typed values (``records.UndoAction``) stored in the fault record, so that three
parties can end a fault with no shared memory: the driver at rollback, the watchdog at expiry or
when the orchestrator dies, and ``chaosrunner cleanup`` after a crash. Every action is
idempotent: running it twice is harmless. HTTP goes through ``httpjson``, the one local HTTP
client; nothing here is heavy, so the watchdog starts fast.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable
from typing import Any

from chaosrunner.adapters.local import procs
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.adapters.local.records import (
    GroupKillAction,
    HttpAction,
    SignalAction,
    UndoAction,
    UnknownAction,
)
from chaosrunner.core.errors import DriverError


def signal_action(proc: procs.Proc, sig: signal.Signals) -> SignalAction:
    return SignalAction(proc.pid, proc.starttime, sig.name)


def http_action(
    method: str, url: str, *, body: Any = None, ok_statuses: Iterable[int] = (200, 204, 404)
) -> HttpAction:
    return HttpAction(method, url, body, tuple(ok_statuses))


def group_kill_action(proc: procs.Proc) -> GroupKillAction:
    """Kill a process group led by ``proc`` (stress-ng and its workers)."""
    return GroupKillAction(proc.pid, proc.starttime)


def run_action(action: UndoAction, timeout: float = 5.0) -> str:
    """Perform one action; return '' on success or a description of what went wrong."""
    match action:
        case SignalAction():
            proc = procs.Proc(action.pid, action.starttime, "")
            if procs.alive(proc):
                procs.send(proc, signal.Signals[action.signal])
            return ""
        case HttpAction():
            if not action.url.startswith(("http://", "https://")):
                return f"refusing undo URL {action.url!r}: expected http(s)"
            try:
                status, _ = call(action.method, action.url, action.body, timeout=timeout)
            except DriverError as exc:
                return str(exc)
            return "" if status in action.ok else f"{action.url}: HTTP {status}"
        case GroupKillAction():
            leader = procs.Proc(action.pid, action.starttime, "")
            if procs.alive(leader):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(leader.pid, signal.SIGKILL)
            return ""
        case UnknownAction():
            return f"unknown undo action {action.kind!r}"


def run_all(actions: Iterable[UndoAction]) -> list[str]:
    return [err for err in (run_action(a) for a in actions) if err]
