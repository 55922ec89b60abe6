"""Starting and stopping one supervised process, tied to the supervisor's life.

Each child gets ``PR_SET_PDEATHSIG = SIGKILL`` in ``preexec_fn``: if the supervisor is killed
outright (SIGKILL, OOM), the kernel kills its children too, so a dead lab never leaves a Redis
or a load generator behind. Linux only, like the rest of the lab.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from chaosrunner.adapters.local import procs

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


def _die_with(parent: int) -> Callable[[], None]:
    def preexec() -> None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def spawn(argv: list[str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``argv`` with output appended to ``log``; it dies when this process dies."""
    with log.open("ab") as out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"--- {stamp} starting: {' '.join(argv)}\n".encode())
        out.flush()
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            close_fds=True,
            preexec_fn=_die_with(os.getpid()),  # noqa: PLW1509 - single-threaded parent
        )


def identity(popen: subprocess.Popen[bytes]) -> procs.Proc | None:
    return procs.lookup(popen.pid)


def stop_all(popens: list[subprocess.Popen[bytes]], grace: float) -> None:
    """SIGTERM (and SIGCONT) each process, wait ``grace`` seconds, SIGKILL what is left."""
    for popen in popens:
        if popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                popen.send_signal(signal.SIGTERM)
                popen.send_signal(signal.SIGCONT)  # a paused process must see its SIGTERM
    deadline = time.monotonic() + grace
    for popen in popens:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=max(0.0, deadline - time.monotonic()))
    for popen in popens:
        if popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                popen.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
