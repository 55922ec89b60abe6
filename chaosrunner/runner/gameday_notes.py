"""Notes from other terminals, and how ``gameday note`` finds the game day that is running.

A note is one JSON line appended to ``notes.jsonl`` in the game day's output directory, in one
``write`` on a file opened for appending, so notes from several terminals never interleave and
a reader never sees half of one (a line cut short by a crash is skipped when read). The running
game day writes its output directory to a small state file, ``gameday.json`` in
``$CHAOSRUNNER_STATE_DIR``, while it runs; ``gameday note`` without ``--dir`` reads it there.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from chaosrunner.adapters.local import procs
from chaosrunner.adapters.local.state import state_dir
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.gameday import TimelineEntry, note_line, parse_notes

NOTES = "notes.jsonl"
STATE = "gameday.json"


def append_note(out_dir: Path, text: str, *, at: float | None = None, author: str = "") -> float:
    """Append one note to ``out_dir``'s notes; returns its time. ChaosRunnerError if not."""
    if not out_dir.is_dir():
        raise ChaosRunnerError(
            f"{out_dir} is not a directory; expected a game day's output directory"
        )
    when = time.time() if at is None else at
    try:
        line = note_line(when, text, author)
    except ValueError as exc:
        raise ChaosRunnerError(str(exc)) from exc
    path = out_dir / NOTES
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        raise ChaosRunnerError(f"cannot append the note to {path}: {exc.strerror}") from exc
    return when


def read_notes(out_dir: Path) -> tuple[TimelineEntry, ...]:
    try:
        return parse_notes((out_dir / NOTES).read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return ()


def state_file(root: Path | None = None) -> Path:
    return (root or state_dir()) / STATE


def register(out_dir: Path, name: str, root: Path | None = None) -> Path:
    """Say where the running game day writes (for ``gameday note``); returns the state file."""
    path = state_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "pid": os.getpid(),
        "start": procs.starttime_of(os.getpid()),  # a reused pid is not the game day
        "outputDir": str(out_dir.resolve()),
        "name": name,
    }
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    tmp.replace(path)
    return path


def unregister(path: Path) -> None:
    """Remove the state file if it is still this process's (a later game day may own it)."""
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def running_dir(root: Path | None = None) -> Path:
    """The output directory of the game day running now; ChaosRunnerError if there is none."""
    path = state_file(root)
    hint = "start one with `chaosrunner gameday run`, or pass --dir GAMEDAY_OUTPUT_DIR"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        pid, start, out = int(record["pid"]), record.get("start"), Path(record["outputDir"])
    except FileNotFoundError as exc:
        raise ChaosRunnerError(f"no game day is running (no {path}); {hint}") from exc
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ChaosRunnerError(f"cannot read {path}: {exc}; {hint}") from exc
    if not isinstance(start, int) or not procs.alive(procs.Proc(pid, start, "")):
        raise ChaosRunnerError(f"the game day that wrote {path} (pid {pid}) has ended; {hint}")
    return out
