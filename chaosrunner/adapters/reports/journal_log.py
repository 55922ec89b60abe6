"""journal.jsonl: the run's journal as it happens, one event per line, appended.

The one writer (:class:`JournalLog`) and the one reader (:func:`read_log`) of the appended form.
Each line is one journal event (``core.journal.event_to_dict``), masked by the run's Redactor
as it is written. Appending costs the same on the first tick and on the 86,400th: nothing is
rewritten. Every append is flushed to the operating system (a reader, or a run killed with
SIGKILL, sees every tick up to the last), and fsynced to the disk at once for the events the
verdict or a cleanup cannot do without (phase changes, injections, removals, how the run ended:
``DURABLE_EVENTS``), and otherwise at least every ``SYNC_INTERVAL`` seconds (what a machine
that loses power can lose).

A run that is killed leaves the lines written so far; the last one may be cut short, and the
reader drops it and says so. Any other line that does not parse is an error with its line
number: that file was not written by this writer.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from chaosrunner.adapters.redact import Redactor
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.journal import (
    DURABLE_EVENTS,
    Event,
    Journal,
    Judged,
    event_from_dict,
    event_to_dict,
)

JOURNAL_LOG = "journal.jsonl"
#: Tick lines are fsynced at least this often (seconds); durable events at once.
SYNC_INTERVAL = 5.0


class JournalLogError(ChaosRunnerError):
    """The appended journal cannot be read."""


class JournalLog:
    """Appends a run's journal events to ``path`` (truncated first: one run per file)."""

    def __init__(
        self,
        path: Path,
        redactor: Redactor | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self.redactor = redactor or Redactor()
        self._monotonic = monotonic
        self._fh: IO[str] | None = path.open("w", encoding="utf-8", buffering=1 << 16)
        self._synced = monotonic()

    def append(self, events: Iterable[Event]) -> None:
        fh = self._fh
        if fh is None:
            raise JournalLogError(f"{self.path} is closed")
        durable = False
        for event in events:
            line = json.dumps(event_to_dict(event), separators=(",", ":"), allow_nan=False)
            fh.write(self.redactor.text(line) + "\n")
            durable = durable or isinstance(event, DURABLE_EVENTS)
        fh.flush()
        now = self._monotonic()
        if durable or now - self._synced >= SYNC_INTERVAL:
            os.fsync(fh.fileno())
            self._synced = now

    def close(self) -> None:
        """Flush, fsync and close (safe to call twice)."""
        if self._fh is None:
            return
        fh, self._fh = self._fh, None
        try:
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fh.close()


@dataclass(frozen=True)
class LogContents:
    journal: Journal
    #: The run recorded its verdict: it finished (a run killed before that did not).
    finished: bool
    #: The last line was cut short (the run was killed while writing it) and was dropped.
    truncated: bool
    #: The latest time any record mentions (for a run that did not finish: about when it died).
    last_seen: float


def read_log(path: Path) -> LogContents:
    """Replay ``path`` into the journal it records; raise JournalLogError if it cannot."""
    state = {"finished": False, "truncated": False, "last": 0.0}
    try:
        fh = path.open("r", encoding="utf-8")
    except OSError as exc:
        raise JournalLogError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        try:
            journal = Journal.replay(_events(fh, path, state))
        except ValueError as exc:
            raise JournalLogError(f"{path}: {exc}") from exc
    return LogContents(
        journal, bool(state["finished"]), bool(state["truncated"]), float(state["last"])
    )


def _events(lines: Iterable[str], path: Path, state: dict[str, float | bool]) -> Iterator[Event]:
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if pending is not None:
            # a line that does not parse, followed by another: not a cut-short last line
            raise JournalLogError(f"{path}:{pending[0]}: not a journal record: {pending[1]}")
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError as exc:
            pending = (number, str(exc))
            continue
        if not isinstance(raw, dict):
            raise JournalLogError(f"{path}:{number}: not a journal record: expected an object")
        try:
            event = event_from_dict(raw)
        except ValueError as exc:
            raise JournalLogError(f"{path}:{number}: {exc}") from exc
        for key in ("at", "due", "startedAt"):
            t = raw.get(key)
            if isinstance(t, int | float) and t > state["last"]:
                state["last"] = float(t)
        if isinstance(event, Judged):
            state["finished"] = True
        yield event
    if pending is not None:
        state["truncated"] = True
