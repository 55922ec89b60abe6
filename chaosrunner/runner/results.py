"""A run's place in history: its trend against the stored runs, then the run itself stored.

Both steps are best effort by design. The verdict is in the run's own journal already; a store
that cannot be read leaves the report without a trend, and one that cannot be written is a
warning (the run's outputs and exit code stand). Dry runs are neither compared nor stored:
nothing was injected, so there is nothing to compare.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import structlog

from chaosrunner.adapters import results
from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports.findings import Findings
from chaosrunner.adapters.reports.trend import summarize, summary_of_journal
from chaosrunner.core.trends import Trend, compare

log = structlog.get_logger("chaosrunner.results")


def with_trend(found: Findings, root: Path | None) -> Findings:
    """``found`` with its trend against the runs stored in ``root`` (unchanged without one)."""
    if root is None or found.journal.dry_run:
        return found
    j = found.journal
    try:
        stored = results.ResultsStore(root).runs(j.experiment, j.env, summary_of_journal)
    except Exception as exc:  # noqa: BLE001 - a report without a trend, never a failed run
        log.warning("results store unreadable; no trend", results=str(root), error=str(exc))
        return found
    trend = compare(summarize(found), [r.summary for r in stored])
    return replace(found, trend=trend)


def keep_run(root: Path | None, found: Findings, redactor: Redactor) -> str:
    """Store the run; the warning to show when it could not be, else ""."""
    if root is None or found.journal.dry_run:
        return ""
    _, warning = results.keep(root, found.journal, summarize(found), redactor)
    return warning


def stored_trend(root: Path | None, experiment: str, run_id: str) -> Trend | None:
    """The trend of run ``run_id``, stored already, against the earlier stored runs of its
    experiment and environment (a game day's report, after each run); None when the run is not
    in the store or the store cannot be read."""
    if root is None:
        return None
    try:
        stored = results.ResultsStore(root).runs(experiment, None, summary_of_journal)
    except Exception as exc:  # noqa: BLE001 - a report without a trend, never a failed run
        log.warning("results store unreadable; no trend", results=str(root), error=str(exc))
        return None
    current = next((r.summary for r in stored if r.summary.run_id == run_id), None)
    if current is None:
        return None
    return compare(current, [r.summary for r in stored])
