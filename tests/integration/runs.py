"""Run chaosrunner as a user does (a subprocess of the real CLI) and read what it left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXPERIMENTS = Path(__file__).resolve().parent / "experiments"


@dataclass
class Run:
    proc: subprocess.Popen[str]
    out: Path
    state: Path

    @property
    def journal_path(self) -> Path:
        return self.out / "journal.json"

    def journal(self) -> dict[str, Any]:
        """journal.json once the run wrote it; until then (or after a kill), the journal its
        appended form (journal.jsonl) replays to."""
        if self.journal_path.exists():
            return json.loads(self.journal_path.read_text())
        from chaosrunner.adapters.reports.journal_log import (
            JOURNAL_LOG,
            JournalLogError,
            read_log,
        )

        try:
            return read_log(self.out / JOURNAL_LOG).journal.to_dict()
        except JournalLogError as exc:  # not written yet: as for a journal.json not there yet
            raise ValueError(str(exc)) from exc

    def wait(self, timeout: float = 120.0) -> int:
        return self.proc.wait(timeout=timeout)

    def output(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.read()

    def wait_for_journal(self, predicate: Any, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                data = self.journal()
            except (OSError, ValueError):
                data = None
            if data is not None and predicate(data):
                return data
            if self.proc.poll() is not None:
                raise AssertionError(f"run exited {self.proc.returncode} first:\n{self.output()}")
            time.sleep(0.1)
        raise AssertionError("journal never reached the expected state")


def start(
    experiment: str,
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    state_dir: Path | None = None,
) -> Run:
    out = tmp / "out"
    state = state_dir or tmp / "state"
    full_env = {**os.environ, "CHAOSRUNNER_STATE_DIR": str(state), **(env or {})}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chaosrunner",
            "run",
            str(EXPERIMENTS / experiment),
            "--output-dir",
            str(out),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=full_env,
    )
    return Run(proc, out, state)


def run(
    experiment: str, tmp: Path, *args: str, timeout: float = 120.0
) -> tuple[int, dict[str, Any], str]:
    r = start(experiment, tmp, *args)
    code = r.wait(timeout)
    text = r.output()
    journal = r.journal() if r.journal_path.exists() else {}
    return code, journal, text


def process_state(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rpartition(")")[2].split()[0]


def watchdogs(state: Path) -> list[int]:
    """Live watchdogs of faults recorded under the state dir ``state``, and no one else's.

    A watchdog's command line ends with its fault record, ``<state>/faults/<run>--<fault>.json``,
    so a user's own runs (or a lab left up by `make demo`) on this machine are never counted.
    """
    module = b"chaosrunner.adapters.local.watchdog"
    faults = Path(state).resolve() / "faults"
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        if len(argv) >= 2 and argv[-2] == module:
            record = Path(os.fsdecode(argv[-1])).resolve()
            if record.parent == faults and process_state(int(entry.name)) not in ("Z", "X"):
                pids.append(int(entry.name))
    return pids
