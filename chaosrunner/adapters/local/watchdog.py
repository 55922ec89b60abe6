"""The watchdog: one small process per local fault that ends it if nobody else does.

It outlives the orchestrator (its own session, so a terminal's SIGINT does not reach it) and
polls its fault record. It ends the fault at the record's expiry, or as soon as the orchestrator
that owns the record is gone (a SIGKILLed run), or when it is itself told to stop while the
record still exists. If the record disappears, the driver removed the fault normally and the
watchdog simply exits. Run as ``python -m chaosrunner.adapters.local.watchdog RECORD``.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from chaosrunner.adapters.local import procs, records, undo
from chaosrunner.adapters.local.records import FaultRecord

POLL_SECONDS = 0.2


def _owner_alive(record: FaultRecord) -> bool:
    return procs.alive(procs.Proc(record.owner_pid, record.owner_start, ""))


def _finish(path: Path, record: FaultRecord) -> None:
    undo.run_all(record.undo)
    with contextlib.suppress(OSError):
        path.unlink()


def watch(path: Path) -> int:
    stopping = False

    def on_term(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        record = records.read(path)
        if record is None:
            return 0
        if stopping or time.time() >= record.expires_at or not _owner_alive(record):
            _finish(path, record)
            return 0
        time.sleep(POLL_SECONDS)


def spawn(path: Path, log_file: Path) -> procs.Proc:
    """Start a watchdog for the record at ``path``; it is detached from our session."""
    with log_file.open("ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "chaosrunner.adapters.local.watchdog", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    for _ in range(50):
        found = procs.lookup(child.pid)
        if found:
            return found
        time.sleep(0.01)
    raise OSError(f"watchdog {child.pid} did not start")


def stop(proc: procs.Proc) -> None:
    """Ask a watchdog to exit (its record must already be gone or ended)."""
    procs.send(proc, signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(watch(Path(sys.argv[1])))
