"""journal.json on disk, rewritten atomically as the run goes; and the run's output directory.

Each write goes to a temporary file that is fsynced and renamed over the old one, so a reader
(or a crashed run's operator) always finds a complete, parseable journal. Tick writes are
throttled; phase changes, injections and removals are written at once (``force``).

The output directory is checked before anything else happens (:func:`prepare_output_dir`): a
run whose journal cannot be written must stop before preflight, not after a fault was injected.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from chaosrunner.adapters.redact import Redactor
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.journal import Journal

TICK_WRITE_INTERVAL = 2.0


class OutputDirError(ChaosRunnerError):
    """The output directory cannot hold the run's outputs; nothing was started."""


def prepare_output_dir(out: Path, names: Iterable[str]) -> None:
    """Create ``out`` and prove a file can be written in it; raise OutputDirError if not.

    ``os.access`` is not enough (root ignores modes, a read-only mount or an immutable directory
    still refuses), so a probe file is created and removed. Each of ``names`` that already exists
    must be a regular file we can replace.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputDirError(_why(out, "it exists and is not a directory")) from exc
    except OSError as exc:
        raise OutputDirError(_why(out, exc.strerror or str(exc))) from exc
    if not out.is_dir():
        raise OutputDirError(_why(out, "it is not a directory"))
    try:
        with tempfile.NamedTemporaryFile(dir=out, prefix=".chaosrunner-probe-"):
            pass
    except OSError as exc:
        raise OutputDirError(_why(out, f"cannot create a file in it: {exc.strerror}")) from exc
    for name in names:
        path = out / name
        if (path.exists() or path.is_symlink()) and not path.is_file():
            raise OutputDirError(_why(out, f"{name} exists there and is not a regular file"))


def _why(out: Path, reason: str) -> str:
    return (
        f"cannot use {out} as the output directory: {reason}; "
        "expected a writable directory; nothing was started"
    )


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
        write_atomic(
            self.path, self.redactor.text(json.dumps(journal.to_dict(), indent=1, allow_nan=False))
        )


def read_journal(path: Path) -> Journal:
    return Journal.from_dict(json.loads(path.read_text(encoding="utf-8")))
