"""``chaosrunner history``'s lines: past runs, newest first, with what fell short.

Pure text from :class:`RunSummary` records (the store reads them): one line per run with its
date, experiment, environment, verdict and score, then its main gaps in the objective's unit
(``availability worst 62.9 % (>= 99.5 %)``), the SLIs that missed first, and how long the
slowest one took to recover.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from chaosrunner.core.display import MISSING, format_value
from chaosrunner.core.trends import RunSummary, SliPoint

#: SLIs listed per run: the gaps a reader looks for, not every figure (the report has those).
MAIN_GAPS = 3


def when(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def newest_first(runs: Sequence[RunSummary]) -> list[RunSummary]:
    return sorted(runs, key=lambda r: (r.started, r.run_id), reverse=True)


def main_gaps(run: RunSummary, limit: int = MAIN_GAPS) -> str:
    """The SLIs that missed (worst first in the list), else a word that all held."""
    missed = [s for s in run.slis if s.missed]
    if not run.slis:
        return "no SLIs recorded"
    if not missed:
        known = [s for s in run.slis if s.worst is not None]
        if not known:
            return "no value in the blast window"
        return "every objective held in the blast window" + _recovery(run.slis)
    shown = ", ".join(_gap(s) for s in missed[:limit])
    more = f", and {len(missed) - limit} more" if len(missed) > limit else ""
    return f"missed: {shown}{more}" + _recovery(run.slis)


def _gap(s: SliPoint) -> str:
    return f"{s.name} worst {s.fmt(s.worst)} ({s.objective})"


def _recovery(slis: Sequence[SliPoint]) -> str:
    if any(s.recovered is False for s in slis):
        stuck = [s.name for s in slis if s.recovered is False]
        return f"; not recovered: {', '.join(stuck)}"
    times = [s.recover_seconds for s in slis if s.recover_seconds is not None]
    if not times:
        return ""
    return f"; recovered within {format_value(max(times), 'seconds')}"


def history_lines(runs: Sequence[RunSummary]) -> list[str]:
    """Two lines per run, newest first: the run, then its gaps (indented)."""
    lines = []
    for r in newest_first(runs):
        score = MISSING if r.score is None else f"{r.score:g}"
        lines.append(
            f"{when(r.started)}  {r.experiment}  env {r.env}  {r.verdict:<12} score {score:<4}"
            f"  run {r.run_id}"
        )
        lines.append(f"    {main_gaps(r)}")
    return lines
