"""The local driver's state directory: fault records and per-resource locks.

A fault record is written *before* a fault is applied and removed only once its removal is
confirmed; it says how to undo the fault. The watchdog and ``chaosrunner cleanup`` both work
from these records alone, so a crashed run's faults can always be found and ended. Locks are
``flock``s on the physical resources a run touches (not its target names), which the kernel
releases when their holder dies: a crashed run never blocks the next. Runs exclude each other
when they share a state dir (``$CHAOSRUNNER_STATE_DIR``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
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


class ResourceLock:
    """An exclusive, non-blocking lock on one physical resource (see ``resources``).

    The lock file is named by a hash of the key (keys hold URLs and paths); it holds who took
    it, so the run that is refused can say which run, experiment and target it waits for.
    Released on close, or by the kernel when the holder dies.
    """

    def __init__(self, key: str, holder: dict[str, str], root: Path | None = None) -> None:
        locks = (root or state_dir()) / "locks"
        locks.mkdir(parents=True, exist_ok=True, mode=0o700)
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        self.path = locks / f"{digest}.lock"
        self.key = key
        self.holder = holder
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            text = fh.read().strip()
            fh.close()
            raise DriverError(f"{self.key} is held by {_describe_holder(text)}") from exc
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({**self.holder, "resource": self.key}))
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def _describe_holder(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return f"run {text}" if text else "another run"
    return (
        f"run {data.get('runId', '?')} (experiment {data.get('experiment', '?')!r}, "
        f"target {data.get('target', '?')!r})"
    )
