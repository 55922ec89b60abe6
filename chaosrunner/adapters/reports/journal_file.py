"""journal.json on disk, written once, atomically, at the end; and the run's output directory.

The write goes to a temporary file that is fsynced and renamed over the old one, so a reader
finds a complete, parseable journal or none. While the run goes, its journal is appended to
``journal.jsonl`` instead (``journal_log.py``): a day-long run must not rewrite a growing
document on its probe loop.

The output directory is checked before anything else happens (:func:`prepare_output_dir`): a
run whose journal cannot be written must stop before preflight, not after a fault was injected.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from chaosrunner.adapters.redact import Redactor
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.journal import Journal


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


def write_journal(path: Path, journal: Journal, redactor: Redactor | None = None) -> None:
    """The consolidated journal, masked, written atomically.

    The series (a day is 864,000 samples) are encoded one SLI at a time, compactly, and spliced
    in: encoding the whole document at once, indented, peaks at hundreds of megabytes."""
    mask = (redactor or Redactor()).text
    head = json.dumps(journal.header_dict(), indent=1, allow_nan=False)
    parts = [mask(head[: -len("\n}")]), ',\n "series": {']
    for i, (name, series) in enumerate(journal.series.items()):
        body = json.dumps(series.to_dict(), allow_nan=False, separators=(",", ":"))
        parts.append(("," if i else "") + f"\n  {mask(json.dumps(name))}: {mask(body)}")
    parts.append("\n }\n}")
    write_atomic(path, "".join(parts))


def read_journal(path: Path) -> Journal:
    return Journal.from_dict(json.loads(path.read_text(encoding="utf-8")))
