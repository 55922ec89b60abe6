"""The local fault record and its undo actions: the one writer and the one reader of the file.

A record is written before a fault is applied and removed once its removal is confirmed; three
parties end faults from it with no shared memory: the driver at rollback, the watchdog at
expiry or when the orchestrator dies, and ``chaosrunner cleanup`` after a crash. The file is
JSON with camelCase keys (``runId``, ``expiresAt``, ``ownerPid``, ``undo``: a list of
``{"action": "signal" | "http" | "killpg", ...}``), the format of earlier versions, so records
left by a crashed older chaosrunner are still read and ended. Writes are atomic (a temporary file
renamed into place). Standard library only: the watchdog imports this and must start fast.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from chaosrunner.adapters.local.state import faults_dir


@dataclass(frozen=True)
class SignalAction:
    """Send ``signal`` (a name such as ``SIGCONT``) to a process, if it is still the same one."""

    pid: int
    starttime: int
    signal: str


@dataclass(frozen=True)
class HttpAction:
    """An HTTP call whose answer is one of ``ok`` (e.g. delete a toxic, release a leak)."""

    method: str
    url: str
    body: Any = None
    ok: tuple[int, ...] = (200, 204, 404)


@dataclass(frozen=True)
class GroupKillAction:
    """SIGKILL a process group led by a process, if it is still the same one (stress-ng)."""

    pid: int
    starttime: int


@dataclass(frozen=True)
class UnknownAction:
    """An action this version cannot perform (kept so that the record is not ended silently)."""

    kind: str


UndoAction = SignalAction | HttpAction | GroupKillAction | UnknownAction


@dataclass(frozen=True)
class FaultRecord:
    run_id: str
    experiment: str
    fault: str
    kind: str
    created_at: float
    expires_at: float
    owner_pid: int
    owner_start: int
    undo: tuple[UndoAction, ...] = ()

    def with_undo(self, undo: tuple[UndoAction, ...]) -> FaultRecord:
        return replace(self, undo=undo)


def _action_json(action: UndoAction) -> dict[str, Any]:
    match action:
        case SignalAction():
            return {
                "action": "signal",
                "pid": action.pid,
                "starttime": action.starttime,
                "signal": action.signal,
            }
        case HttpAction():
            return {
                "action": "http",
                "method": action.method,
                "url": action.url,
                "body": action.body,
                "ok": list(action.ok),
            }
        case GroupKillAction():
            return {"action": "killpg", "pid": action.pid, "starttime": action.starttime}
        case UnknownAction():
            return {"action": action.kind}


def _action(data: object) -> UndoAction:
    if not isinstance(data, Mapping):
        return UnknownAction(repr(data))
    kind = data.get("action")
    try:
        match kind:
            case "signal":
                return SignalAction(int(data["pid"]), int(data["starttime"]), str(data["signal"]))
            case "http":
                ok = data.get("ok", [200, 204])
                return HttpAction(
                    str(data["method"]),
                    str(data["url"]),
                    data.get("body"),
                    tuple(int(s) for s in ok),
                )
            case "killpg":
                return GroupKillAction(int(data["pid"]), int(data["starttime"]))
    except (KeyError, TypeError, ValueError):
        pass
    return UnknownAction(str(kind))


def encode(record: FaultRecord) -> dict[str, Any]:
    """The record as its file holds it."""
    return {
        "runId": record.run_id,
        "experiment": record.experiment,
        "fault": record.fault,
        "kind": record.kind,
        "createdAt": record.created_at,
        "expiresAt": record.expires_at,
        "ownerPid": record.owner_pid,
        "ownerStart": record.owner_start,
        "undo": [_action_json(a) for a in record.undo],
    }


def decode(data: object) -> FaultRecord | None:
    """The record a file holds, or None if it holds no JSON object. A missing field reads as
    the value that ends the fault soonest (expired, owner gone): a damaged record must not keep
    a fault alive."""
    if not isinstance(data, Mapping):
        return None
    undo = data.get("undo") or []
    return FaultRecord(
        run_id=str(data.get("runId", "")),
        experiment=str(data.get("experiment", "")),
        fault=str(data.get("fault", "")),
        kind=str(data.get("kind", "")),
        created_at=_float(data.get("createdAt")),
        expires_at=_float(data.get("expiresAt")),
        owner_pid=_int(data.get("ownerPid")),
        owner_start=_int(data.get("ownerStart")),
        undo=tuple(_action(a) for a in (undo if isinstance(undo, list) else [])),
    )


def _float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


def write(path: Path, record: FaultRecord) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(encode(record), fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def read(path: Path) -> FaultRecord | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return decode(data)


def list_records(
    run_id: str | None = None, root: Path | None = None
) -> list[tuple[Path, FaultRecord]]:
    """Every readable record (of one run, or all), by file name."""
    out = []
    for path in sorted(faults_dir(root).glob("*.json")):
        record = read(path)
        if record is not None and (run_id is None or record.run_id == run_id):
            out.append((path, record))
    return out
