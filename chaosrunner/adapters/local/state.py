"""The local driver's state directory: fault records and per-resource locks.

Fault records (``records`` owns their format) live under ``faults/``; the watchdog and
``chaosrunner cleanup`` both work from these records alone, so a crashed run's faults can
always be found and ended. Locks are ``flock``s on the physical resources a run touches (not
its target names), which the kernel
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
from typing import IO

from chaosrunner.core.errors import DriverError


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
