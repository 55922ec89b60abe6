"""The results store: every finished run's journal, kept for history and trends.

Layout, one directory per run, so that runs never share a file::

    <results>/<experiment>/<env>/<started>--<run-id>/journal.json
                                                     summary.json

Sweeps (``chaosrunner sweep``) are kept beside the runs, in a hidden folder no experiment can be
named after: ``<results>/.sweeps/<experiment>/<env>/<started>--<sweep-id>/summary.json`` (the
boundary) and ``sweep.json`` (every level).

``<started>`` is the run's start in UTC (``2026-11-29T12-15-45Z``), so a listing sorts by date.
``summary.json`` is the small record history and trends read (``core.trends.RunSummary``);
a day-long journal is tens of megabytes and is not parsed to list it. The directory listing is
the index: there is no shared index file for concurrent runs to race on. A run is written in a
hidden ``.incoming-*`` directory and renamed into place, so a reader sees a whole run or none;
storing the same run again (``chaosrunner report``) replaces its files one by one, atomically.

A run directory without a summary (copied in by hand, or left by an older chaosrunner) is read
from its journal.json, any schemaVersion ``Journal.from_dict`` reads.

Where: ``--results DIR``, else ``$CHAOSRUNNER_RESULTS``, else ``$CHAOSRUNNER_STATE_DIR/results``,
else ``$XDG_DATA_HOME/chaosrunner/results`` (``~/.local/share/chaosrunner/results``). Keeping a
run is never worth losing it: a store that cannot be written is a warning, and the run's own
outputs and exit code stand.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports.journal_file import read_journal, write_atomic, write_journal
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.journal import Journal
from chaosrunner.core.sweep_record import SweepSummary
from chaosrunner.core.trends import RunSummary

log = structlog.get_logger("chaosrunner.results")

ENV_VAR = "CHAOSRUNNER_RESULTS"
JOURNAL = "journal.json"
SUMMARY = "summary.json"
_INCOMING = ".incoming-"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def default_dir() -> Path:
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit)
    state = os.environ.get("CHAOSRUNNER_STATE_DIR")
    if state:
        return Path(state) / "results"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "chaosrunner" / "results"


def _part(name: str) -> str:
    """A name as one safe path component (experiment and environment names are user input)."""
    cleaned = _UNSAFE.sub("_", name).strip(".") or "_"
    return cleaned[:100]


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H-%M-%SZ")


@dataclass(frozen=True)
class StoredRun:
    path: Path
    summary: RunSummary


#: Makes a summary from a journal, for run directories stored without one.
Summarizer = Callable[[Journal], RunSummary]


class ResultsStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def run_dir(self, summary: RunSummary) -> Path:
        return (
            self.root
            / _part(summary.experiment)
            / _part(summary.env)
            / f"{_stamp(summary.started)}--{_part(summary.run_id)}"
        )

    def save(self, journal: Journal, summary: RunSummary, redactor: Redactor | None = None) -> Path:
        """Keep ``journal`` and its summary; OSError when the store cannot be written."""
        final = self.run_dir(summary)
        final.parent.mkdir(parents=True, exist_ok=True)
        if not final.is_dir():
            incoming = final.parent / f"{_INCOMING}{final.name}-{secrets.token_hex(4)}"
            incoming.mkdir()
            try:
                self._write(incoming, journal, summary, redactor)
                incoming.rename(final)
                return final
            except OSError:
                if not final.is_dir():  # not a concurrent store of the same run: a real failure
                    raise
            finally:
                shutil.rmtree(incoming, ignore_errors=True)
        self._write(final, journal, summary, redactor)
        return final

    @staticmethod
    def _write(
        where: Path, journal: Journal, summary: RunSummary, redactor: Redactor | None
    ) -> None:
        write_journal(where / JOURNAL, journal, redactor)
        text = json.dumps(summary.to_dict(), indent=1, allow_nan=False)
        write_atomic(where / SUMMARY, (redactor or Redactor()).text(text) + "\n")

    def _run_dirs(self, experiment: str | None, env: str | None) -> Iterator[Path]:
        experiments = (
            [self.root / _part(experiment)]
            if experiment
            else [e for e in _subdirs(self.root) if not e.name.startswith(".")]
        )
        for e in experiments:
            envs = [e / _part(env)] if env else _subdirs(e)
            for d in envs:
                yield from (r for r in _subdirs(d) if not r.name.startswith("."))

    def runs(
        self,
        experiment: str | None = None,
        env: str | None = None,
        summarize: Summarizer | None = None,
    ) -> list[StoredRun]:
        """The stored runs, newest first; one that cannot be read is logged and left out."""
        out = []
        for d in self._run_dirs(experiment, env):
            summary = _read_summary(d, summarize)
            if summary is None:
                continue
            if (experiment and summary.experiment != experiment) or (env and summary.env != env):
                continue
            out.append(StoredRun(d, summary))
        out.sort(key=lambda r: (r.summary.started, r.summary.run_id), reverse=True)
        return out


def _subdirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir())
    except OSError:
        return []


def _read_summary(run: Path, summarize: Summarizer | None) -> RunSummary | None:
    try:
        return RunSummary.from_dict(json.loads((run / SUMMARY).read_text(encoding="utf-8")))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("stored summary unreadable; reading the journal", run=str(run), error=str(exc))
    if summarize is None or not (run / JOURNAL).is_file():
        return None
    try:
        return summarize(read_journal(run / JOURNAL))
    except Exception as exc:  # noqa: BLE001 - one bad run must not hide the others
        log.warning("stored run unreadable", run=str(run), error=f"{type(exc).__name__}: {exc}")
        return None


def keep(
    root: Path, journal: Journal, summary: RunSummary, redactor: Redactor | None = None
) -> tuple[Path | None, str]:
    """Store a run; never raises for an unwritable store: ``(None, warning)`` instead."""
    try:
        return ResultsStore(root).save(journal, summary, redactor), ""
    except (OSError, ValueError, ChaosRunnerError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        warning = (
            f"the run was not kept in the results store {root}: {why}; "
            "history and trends will not include it"
        )
        log.warning("run not stored", results=str(root), error=why)
        return None, warning


SWEEPS = ".sweeps"
SWEEP = "sweep.json"


def keep_sweep(
    root: Path, summary: SweepSummary, record: str, redactor: Redactor | None = None
) -> tuple[Path | None, str]:
    """Store a sweep (its summary and ``record``, the sweep.json text); never raises for an
    unwritable store: ``(None, warning)`` instead."""
    where = (
        root
        / SWEEPS
        / _part(summary.experiment)
        / _part(summary.env)
        / f"{_stamp(summary.started)}--{_part(summary.sweep_id)}"
    )
    redact = (redactor or Redactor()).text
    try:
        where.mkdir(parents=True, exist_ok=True)
        write_atomic(where / SWEEP, redact(record))
        text = json.dumps(summary.to_dict(), indent=1, allow_nan=False)
        write_atomic(where / SUMMARY, redact(text) + "\n")
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        log.warning("sweep not stored", results=str(root), error=why)
        return None, f"the sweep was not kept in the results store {root}: {why}"
    return where, ""


def sweeps(root: Path, experiment: str | None = None) -> list[SweepSummary]:
    """The stored sweeps (of ``experiment``), newest first; unreadable ones are left out."""
    base = root / SWEEPS
    experiments = [base / _part(experiment)] if experiment else _subdirs(base)
    out = []
    for run in (r for e in experiments for env in _subdirs(e) for r in _subdirs(env)):
        try:
            raw = json.loads((run / SUMMARY).read_text(encoding="utf-8"))
            out.append(SweepSummary.from_dict(raw))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("stored sweep unreadable", sweep=str(run), error=str(exc))
    out.sort(key=lambda s: (s.started, s.sweep_id), reverse=True)
    return out
