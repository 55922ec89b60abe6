"""SIGINT / SIGTERM handling: a signal asks the run to stop; nothing can skip rollback.

The handlers only set a flag (the engine checks it between steps and wakes from sleeps), so no
signal ever raises inside a driver call. While rollback runs the flag is "shielded": further
signals are logged and counted, never acted on. The previous handlers are restored afterwards.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import structlog

log = structlog.get_logger("chaosrunner.signals")


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""
        self.count = 0
        self._shielded = False

    def set(self, reason: str) -> None:
        self.count += 1
        if self._event.is_set() or self._shielded:
            log.warning("signal received during rollback; rollback continues", signal=reason)
            self.reason = self.reason or reason
            self._event.set()
            return
        self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if a stop was asked for."""
        return self._event.wait(max(0.0, seconds)) if not self._shielded else _sleep(seconds)

    @contextmanager
    def shielded(self) -> Iterator[None]:
        self._shielded = True
        try:
            yield
        finally:
            self._shielded = False


def _sleep(seconds: float) -> bool:
    threading.Event().wait(max(0.0, seconds))
    return False


@contextmanager
def handle_signals(flag: StopFlag) -> Iterator[StopFlag]:
    """Route SIGINT and SIGTERM to ``flag`` for the duration of a run (main thread only)."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        flag.set(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            # Once a stop was asked for and handled, a repeated Ctrl-C in the last moments
            # before exit must not replace the verdict's exit code with a signal death.
            signal.signal(sig, signal.SIG_IGN if flag.is_set() else old)
