"""The reports' findings, with what needs I/O: the goroutine profiles read back from the run
directory, and links to Prometheus' graph page (URL quoting).

The figures themselves are computed in ``core/findings.py`` (pure, from the journal and the
verdict); this module re-exports them so the writers import one place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from chaosrunner.adapters.reports.profiles import profile_evidence
from chaosrunner.core import findings as _core
from chaosrunner.core.findings import (
    ALERT_HEADER,
    FAULT_HEADER,
    NEVER_INJECTED,
    PHASE_LABELS,
    SCORE_HEADER,
    Findings,
    SliFinding,
    alert_rows,
    alert_sentence,
    blast_errors,
    classify_series,
    fault_rows,
    fault_windows,
    objective_of,
    plain_why,
    profile_header,
    profile_rows,
    provenance_rows,
    run_range,
    score_note,
    score_rows,
    seconds_text,
    sli_finding,
    slo_of,
    utc,
)
from chaosrunner.core.goroutines import Capture, StackGrowth
from chaosrunner.core.journal import Journal
from chaosrunner.core.timing import AlertDetection
from chaosrunner.core.verdict import Decision

__all__ = [
    "ALERT_HEADER",
    "FAULT_HEADER",
    "NEVER_INJECTED",
    "PHASE_LABELS",
    "SCORE_HEADER",
    "Findings",
    "SliFinding",
    "alert_rows",
    "alert_sentence",
    "blast_errors",
    "classify_series",
    "fault_rows",
    "fault_windows",
    "findings",
    "objective_of",
    "plain_why",
    "profile_header",
    "profile_rows",
    "prometheus_graph_url",
    "provenance_rows",
    "run_range",
    "score_note",
    "score_rows",
    "seconds_text",
    "sli_finding",
    "slo_of",
    "utc",
]


def findings(
    journal: Journal,
    decision: Decision,
    *,
    run_dir: Path | None = None,
    alerts: Sequence[AlertDetection] | None = None,
    captures: Sequence[Capture] = (),
    growth: Sequence[StackGrowth] = (),
) -> Findings:
    """The report's figures (``core/findings.py``), with the goroutine profiles read from
    ``run_dir`` (the journal's directory) unless ``captures`` or ``growth`` is given."""
    profiles = (
        profile_evidence(journal, run_dir) if journal.profiles and not (captures or growth) else ()
    )
    return _core.findings(
        journal, decision, profiles=profiles, alerts=alerts, captures=captures, growth=growth
    )


def prometheus_graph_url(base: str, query: str, start: float, end: float) -> str:
    """Prometheus' graph page for ``query`` over ``[start, end]`` ('' without a base URL)."""
    if not base:
        return ""
    seconds = max(1, math.ceil(end - start))
    end_text = datetime.fromtimestamp(math.ceil(end), UTC).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"{base.rstrip('/')}/graph?g0.expr={quote(query, safe='')}"
        f"&g0.range_input={seconds}s&g0.end_input={quote(end_text, safe='')}&g0.tab=0"
    )
