"""journal.json on disk, rewritten atomically as the run goes.

Each write goes to a temporary file that is fsynced and renamed over the old one, so a reader
(or a crashed run's operator) always finds a complete, parseable journal. Tick writes are
throttled; phase changes, injections and removals are written at once (``force``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from chaosrunner.adapters.redact import Redactor
from chaosrunner.core.journal import Journal

TICK_WRITE_INTERVAL = 2.0


class JournalFile:
    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        self._last = 0.0
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, journal: Journal, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < TICK_WRITE_INTERVAL:
            return
        self._last = now
        text = self.redactor.text(json.dumps(journal.to_dict(), indent=1, allow_nan=False))
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)


def read_journal(path: Path) -> Journal:
    return Journal.from_dict(json.loads(path.read_text()))
