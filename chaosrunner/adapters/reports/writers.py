"""The reports a run leaves beside its journal, by format: one table, used by the end of a run
and by ``chaosrunner report`` alike, so the two write the same files.

``journal.json`` is the source of truth and is written by ``journal_file.write_journal``; the
others are rendered from the journal and its verdict through one :class:`Findings`, computed once
(on a day-long journal the figures are the costly part, not the text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from chaosrunner.adapters.reports import html, junit, markdown
from chaosrunner.adapters.reports.findings import Findings

JOURNAL = "journal.json"
SUMMARY = "summary.md"
JUNIT = "junit.xml"
REPORT = "report.html"


@dataclass(frozen=True)
class ReportWriter:
    format: str
    name: str
    render: Callable[[Findings], str]


WRITERS = (
    ReportWriter("md", SUMMARY, lambda f: markdown.render(f.journal, f.decision, f)),
    ReportWriter("junit", JUNIT, lambda f: junit.render(f.journal, f.decision, f)),
    ReportWriter("html", REPORT, html.render),
)
#: Every format ``chaosrunner report --format`` takes; ``json`` is the journal itself.
FORMATS = ("json", *(w.format for w in WRITERS))


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,md"`` → ("html", "md"); ValueError naming an unknown format and the known ones."""
    chosen = tuple(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    unknown = [p for p in chosen if p not in FORMATS]
    if unknown or not chosen:
        raise ValueError(
            f"unknown report format {', '.join(unknown) or repr(text)}; "
            f"expected a comma-separated list of {', '.join(FORMATS)}"
        )
    return chosen


def writers_for(formats: Iterable[str]) -> tuple[ReportWriter, ...]:
    wanted = set(formats)
    return tuple(w for w in WRITERS if w.format in wanted)
