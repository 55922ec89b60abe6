"""The report's trend section: this run against the earlier runs of its experiment.

:func:`summarize` reduces a run's :class:`Findings` to the small record the results store keeps
(``core.trends.RunSummary``); ``core.trends.compare`` does the comparison; here it is drawn, in
words first ("availability's worst in the blast window improved from 62.9 % to 97.1 % since
2026-10-29") and with a sparkline per figure over the stored runs. Inline SVG only, like every
chart in report.html.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from chaosrunner.adapters.reports.findings import Findings, findings
from chaosrunner.core.journal import Journal
from chaosrunner.core.trends import Change, Direction, RunSummary, SliPoint, Trend, day
from chaosrunner.core.verdict import decide

#: The trend section's styles, for every page that shows one (its ``--ok``/``--bad`` colours are
#: the page's own).
CSS = """
svg.spark{display:inline-block;margin:0}svg .spark-line{fill:none;stroke:#0969da;stroke-width:1.4}
svg .spark-objective{stroke:var(--bad);stroke-dasharray:3 3}svg .spark-now{fill:#0969da}
.trend-better{color:var(--ok)}.trend-worse{color:var(--bad);font-weight:600}
"""
SPARK_WIDTH = 160
SPARK_HEIGHT = 28
_PAD = 3


def summarize(f: Findings) -> RunSummary:
    """The record the results store keeps of a run, from the report's own figures."""
    j = f.journal
    return RunSummary(
        experiment=j.experiment,
        env=j.env,
        run_id=j.run_id,
        started=j.started_at,
        verdict=f.verdict.value,
        score=f.decision.score,
        slis=tuple(
            SliPoint(
                name=s.name,
                objective=s.objective.text,
                comparator=s.objective.comparator,
                threshold=s.objective.threshold,
                unit=s.record.unit,
                worst=s.worst,
                recover_seconds=s.recovery.seconds if s.recovery else None,
                recovered=s.recovery.recovered if s.recovery else None,
            )
            for s in f.slis
        ),
    )


def sparkline(
    values: Sequence[float | None],
    *,
    objective: float | None = None,
    label: str = "",
) -> str:
    """A small line over ``values`` (oldest first, the last one this run's, marked); a gap
    where a run has no value; a dashed line at ``objective`` when given."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    lo = min([*known, *([objective] if objective is not None else [])])
    hi = max([*known, *([objective] if objective is not None else [])])
    if hi - lo < 1e-12:
        lo, hi = lo - (abs(lo) * 0.05 or 1.0), hi + (abs(hi) * 0.05 or 1.0)
    n = len(values)
    step = (SPARK_WIDTH - 2 * _PAD) / max(n - 1, 1)

    def x(i: int) -> float:
        return _PAD + i * step if n > 1 else SPARK_WIDTH / 2

    def y(v: float) -> float:
        return SPARK_HEIGHT - _PAD - (v - lo) / (hi - lo) * (SPARK_HEIGHT - 2 * _PAD)

    parts, pen = [], "M"
    for i, v in enumerate(values):
        if v is None:
            pen = "M"
            continue
        parts.append(f"{pen}{x(i):.1f},{y(v):.1f}")
        pen = "L"
    out = [
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{SPARK_WIDTH}" '
        f'height="{SPARK_HEIGHT}" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" '
        f'aria-label="{escape(label)}">'
    ]
    if objective is not None:
        oy = y(objective)
        out.append(
            f'<line class="spark-objective" x1="0" x2="{SPARK_WIDTH}" y1="{oy:.1f}" y2="{oy:.1f}"/>'
        )
    out.append(f'<path class="spark-line" d="{" ".join(parts)}"/>')
    last = values[-1]
    if last is not None:
        out.append(f'<circle class="spark-now" cx="{x(n - 1):.1f}" cy="{y(last):.1f}" r="2.5"/>')
    out.append("</svg>")
    return "".join(out)


_WORDS = {
    Direction.BETTER: "better",
    Direction.WORSE: "worse",
    Direction.SAME: "same",
    Direction.UNKNOWN: "not compared",
}


def _figure(c: Change) -> str:
    return f"{c.sli} {c.measure.value}" if c.sli else c.measure.value.capitalize()


def _intro(t: Trend) -> str:
    assert t.previous is not None
    p = t.previous
    score = "—" if p.score is None else f"{p.score:g}"
    return (
        f"Compared with run {p.run_id} of {day(p.started)} ({p.verdict}, score {score}): "
        f"the latest of {len(t.runs)} earlier stored run(s) of {t.experiment} in {t.env}."
    )


def html_section(t: Trend | None) -> str:
    """The trend section's content; "" when no store was used (nothing to say)."""
    if t is None:
        return ""
    if t.previous is None:
        return f'<p class="muted">{escape(t.sentences[0])}</p>'
    said = [c for c in t.changes if c.direction is not Direction.SAME]
    same = [c for c in t.changes if c.direction is Direction.SAME]
    words = "".join(f"<li>{escape(c.sentence)}</li>" for c in said)
    if same:
        words += f"<li>Unchanged: {escape(', '.join(_figure(c) for c in same))}.</li>"
    rows = "".join(
        f'<tr><td>{escape(_figure(c))}</td><td class="num">{escape(c.previous)}</td>'
        f'<td class="num">{escape(c.current)}</td>'
        f'<td class="trend-{c.direction.value}">{escape(_WORDS[c.direction])}</td>'
        f"<td>{sparkline(c.history, objective=c.objective, label=_figure(c))}</td></tr>"
        for c in t.changes
    )
    since = day(t.previous.started)
    return (
        f"<p>{escape(_intro(t))}</p><ul>{words}</ul>"
        f"<table><tr><th>figure</th><th>{escape(since)}</th><th>this run</th><th>change</th>"
        f"<th>over the last {len(t.runs) + 1} runs</th></tr>{rows}</table>"
    )


def markdown_lines(t: Trend | None) -> list[str]:
    """summary.md's trend section (no chart: the words and a table)."""
    if t is None:
        return []
    lines = ["## Trend", ""]
    if t.previous is None:
        return [*lines, t.sentences[0], ""]
    lines += [_intro(t), ""]
    lines += [f"- {c.sentence}" for c in t.changes if c.direction is not Direction.SAME]
    same = [_figure(c) for c in t.changes if c.direction is Direction.SAME]
    if same:
        lines.append(f"- Unchanged: {', '.join(same)}.")
    lines += [
        "",
        f"| figure | {day(t.previous.started)} | this run | change |",
        "|---|---|---|---|",
        *(
            f"| {_figure(c)} | {c.previous} | {c.current} | {_WORDS[c.direction]} |"
            for c in t.changes
        ),
        "",
    ]
    return lines


def summary_of_journal(journal: Journal) -> RunSummary:
    """The summary of a journal stored without one (judged again: the same verdict)."""
    return summarize(findings(journal, decide(journal)))
