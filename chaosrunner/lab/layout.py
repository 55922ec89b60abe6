"""Where the lab keeps its state on disk, and the one way to change ``lab.json``.

``lab.json`` is written by two processes (the controlling command sets the desired profile, the
supervisor records pids and restarts), so every change is a read-modify-write under an
``flock`` and lands atomically (tmp + rename): readers never see a torn file and no writer's
update is lost. Pid files are plain ``<pid>\\n`` so any tool, including the local fault driver's
``pidFile`` binding, can read them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from chaosrunner.adapters.local.state import state_dir
from chaosrunner.core.errors import LabError

State = dict[str, Any]


class Layout:
    """The paths of one lab under ``<root>/lab``."""

    def __init__(self, root: Path | None = None, *, lab_dir: Path | None = None) -> None:
        self.dir = lab_dir if lab_dir is not None else (root or state_dir()) / "lab"

    @property
    def state_file(self) -> Path:
        return self.dir / "lab.json"

    @property
    def pids(self) -> Path:
        return self.dir / "pids"

    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    def pid_file(self, name: str) -> Path:
        return self.pids / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def data(self, name: str) -> Path:
        path = self.dir / name
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def ensure(self) -> None:
        for path in (self.dir, self.pids, self.logs):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)

    @contextlib.contextmanager
    def locked(self, name: str = ".state.lock", *, wait: bool = True) -> Iterator[None]:
        """An exclusive flock on ``name``; without ``wait``, LabError if another holds it."""
        self.ensure()
        with (self.dir / name).open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError as exc:
                raise LabError(
                    f"another `chaosrunner lab` command is working on {self.dir}; try again"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def read(self) -> State | None:
        try:
            data = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise LabError(f"cannot read {self.state_file}: {exc}") from exc
        return data if isinstance(data, dict) else None

    def write(self, state: State) -> None:
        write_atomic(self.state_file, json.dumps(state, indent=2, sort_keys=True) + "\n")

    def update(self, change: Callable[[State], None], *, create: bool = False) -> State | None:
        """Apply ``change`` to lab.json under the lock; None (no write) if it does not exist."""
        with self.locked():
            state = self.read()
            if state is None:
                if not create:
                    return None
                state = {}
            change(state)
            self.write(state)
            return state

    def remove_state(self) -> None:
        with self.locked():
            self.state_file.unlink(missing_ok=True)
        for path in self.pids.glob("*.pid"):
            path.unlink(missing_ok=True)

    def write_pid(self, name: str, pid: int) -> None:
        write_atomic(self.pid_file(name), f"{pid}\n")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 8192))
            text = fh.read().decode(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"
