"""The local driver's state directory: fault records and per-target locks.

A fault record is written *before* a fault is applied and removed only once its removal is
confirmed; it says how to undo the fault. The watchdog and ``chaosrunner cleanup`` both work
from these records alone, so a crashed run's faults can always be found and ended. Locks are
``flock``s, which the kernel releases when their holder dies: a crashed run never blocks the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import IO, Any

from chaosrunner.core.errors import DriverError

UndoAction = dict[str, Any]


def state_dir() -> Path:
    explicit = os.environ.get("CHAOSRUNNER_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "chaosrunner"


def faults_dir(root: Path | None = None) -> Path:
    path = (root or state_dir()) / "faults"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def record_path(run_id: str, fault: str, root: Path | None = None) -> Path:
    return faults_dir(root) / f"{run_id}--{fault}.json"


def write_record(path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def read_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def list_records(
    run_id: str | None = None, root: Path | None = None
) -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(faults_dir(root).glob("*.json")):
        record = read_record(path)
        if record and (run_id is None or record.get("runId") == run_id):
            out.append((path, record))
    return out


class TargetLock:
    """An exclusive, non-blocking lock on one target, released on close or holder death."""

    def __init__(self, target: str, run_id: str, root: Path | None = None) -> None:
        locks = (root or state_dir()) / "locks"
        locks.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = locks / f"{target}.lock"
        self.target = target
        self.run_id = run_id
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "another run"
            fh.close()
            raise DriverError(f"target {self.target!r} is held by run {holder}") from exc
        fh.seek(0)
        fh.truncate()
        fh.write(self.run_id)
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None
