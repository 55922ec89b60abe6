"""The real clock: wall time for timestamps, sleeps that wake when a stop is asked for."""

from __future__ import annotations

import time

from chaosrunner.runner.stop import StopFlag


class SystemClock:
    def __init__(self, stop: StopFlag) -> None:
        self._stop = stop

    def now(self) -> float:
        return time.time()

    def sleep_until(self, t: float) -> bool:
        return not self._stop.wait(t - time.time())
