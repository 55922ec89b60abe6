"""The consolidated game-day report: report.html and summary.md in the game day's directory.

One page a facilitator shows at the retrospective: the aggregate verdict, each experiment with
its verdict, score and main gaps and a relative link to its own report (so the directory can be
moved or attached as a whole), each experiment's trend against its earlier stored runs in the
same environment (the run report's own trend section: words, a table and sparklines), the
participants, and the timeline with the notes people added.
Like the run report, the HTML is self-contained: inline CSS, no script, a Content-Security-Policy
of ``default-src 'none'``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from chaosrunner.adapters.reports.trend import CSS as TREND_CSS
from chaosrunner.adapters.reports.trend import html_section, markdown_lines
from chaosrunner.core.gameday import ExperimentOutcome, GameDayRecord, TimelineEntry
from chaosrunner.core.units import format_duration

CSS = (
    """
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1000px;padding:16px 24px 48px;color:#1f2328}
h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid
var(--line);padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:6px;color:#fff;font-weight:600}
.v-PASSED{background:var(--ok)}.v-FAILED,.v-ABORTED{background:var(--bad)}
.v-INCONCLUSIVE{background:var(--warn)}.v-ERROR{background:#6e7781}.v-NOT-RUN{background:#8c959f}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);
padding:4px 6px;text-align:left;vertical-align:top}th{background:var(--bg)}
td.num{text-align:right;white-space:nowrap}.muted{color:var(--muted)}
ul{margin:2px 0;padding-left:18px}
"""
    + TREND_CSS
)
NOT_RUN = "NOT RUN"


def utc(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _clock(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S")


def _score(o: ExperimentOutcome) -> str:
    return "—" if o.score is None else f"{o.score:.0f}"


def _verdict_text(o: ExperimentOutcome) -> str:
    return o.verdict.value if o.verdict is not None else NOT_RUN


def badge(text: str) -> str:
    return f'<span class="verdict v-{escape(text.replace(" ", "-"))}">{escape(text)}</span>'


def _who(e: TimelineEntry) -> str:
    return f" ({e.author})" if e.author else ""


def render_html(record: GameDayRecord) -> str:
    g = record.gameday
    verdict = record.verdict
    rows = []
    for o in record.outcomes:
        name = escape(o.name)
        link = f'<a href="{escape(quote(o.report))}">{name}</a>' if o.report else name
        gaps = "".join(f"<li>{escape(x)}</li>" for x in o.gaps)
        rest = (f"<ul>{gaps}</ul>" if gaps else "") + (
            f'<div class="muted">{escape(o.note)}</div>' if o.note else ""
        )
        rows.append(
            f"<tr><td class=num>{o.index + 1}</td><td>{link}<div class=muted>"
            f"{escape(o.file)}</div></td><td>{badge(_verdict_text(o))}</td>"
            f"<td class=num>{escape(_score(o))}</td><td>{rest or '—'}</td></tr>"
        )
    people = "".join(
        f"<tr><td>{escape(p.name)}</td><td>{escape(p.role.value)}</td></tr>" for p in g.participants
    )
    timeline = "".join(
        f'<tr class="t-{escape(e.kind.value)}"><td class=num>{escape(_clock(e.at))}</td>'
        f"<td>{escape(e.kind.value)}</td><td>{escape(e.text)}{escape(_who(e))}</td></tr>"
        for e in record.timeline()
    )
    interrupted = (
        "<p><strong>The game day was interrupted</strong>: the running experiment was rolled "
        "back and the rest were not run.</p>"
        if record.interrupted
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Game day {escape(g.name)}: {escape(verdict.value)}</title><style>{CSS}</style></head>
<body><h1>Game day {escape(g.name)} {badge(verdict.value)}</h1>
<p>{escape(g.description)}</p>{interrupted}
<p class=muted>{escape(record.gameday_id)} · {escape(utc(record.started_at))} to
{escape(utc(record.ended_at))} · environment {escape(g.environment or "each file's default")} ·
stop on {escape(g.stop_on.value)} · cool-down {escape(format_duration(g.cool_down))} ·
exit {verdict.exit_code}</p>
<h2>Experiments</h2>
<table id="experiments"><tr><th>#</th><th>experiment (its report)</th><th>verdict</th>
<th>score</th><th>main gaps</th></tr>{"".join(rows)}</table>
{_trends_html(record)}<h2>Participants</h2>
{_people(people)}
<h2>Timeline</h2>
<table id="timeline"><tr><th>time (UTC)</th><th>what</th><th></th></tr>{timeline}</table>
</body></html>
"""


def _trended(record: GameDayRecord) -> list[ExperimentOutcome]:
    return [o for o in record.outcomes if o.trend is not None]


def _trends_html(record: GameDayRecord) -> str:
    """Month over month: each stored experiment against its earlier runs ("" without a store)."""
    parts = [
        f'<h3 id="trend-{o.index + 1}">{o.index + 1}. {escape(o.name)}</h3>' + html_section(o.trend)
        for o in _trended(record)
    ]
    return f'<h2>Trends</h2><div id="trends">{"".join(parts)}</div>\n' if parts else ""


def _people(rows: str) -> str:
    if not rows:
        return "<p class=muted>none listed</p>"
    return f"<table id=participants><tr><th>name</th><th>role</th></tr>{rows}</table>"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(record: GameDayRecord) -> str:
    g = record.gameday
    verdict = record.verdict
    lines = [
        f"# Game day {g.name}: {verdict.value} (exit {verdict.exit_code})",
        "",
        f"{record.gameday_id}, {utc(record.started_at)} to {utc(record.ended_at)}; "
        f"stop on {g.stop_on.value}, cool-down {format_duration(g.cool_down)}.",
        "",
    ]
    if record.interrupted:
        lines += [
            "**Interrupted**: the running experiment was rolled back; the rest were not run.",
            "",
        ]
    lines += ["| # | experiment | verdict | score | main gaps |", "|---|---|---|---|---|"]
    for o in record.outcomes:
        name = f"[{_cell(o.name)}]({quote(o.report)})" if o.report else _cell(o.name)
        gaps = "; ".join((*o.gaps, *([o.note] if o.note else []))) or "—"
        lines.append(
            f"| {o.index + 1} | {name} | {_verdict_text(o)} | {_score(o)} | {_cell(gaps)} |"
        )
    trended = _trended(record)
    if trended:
        lines += ["", "## Trends"]
        for o in trended:
            section = markdown_lines(o.trend)  # "## Trend", "", then the words and the table
            lines += ["", f"### {o.index + 1}. {o.name}", *section[1:]]
        while lines[-1] == "":
            lines.pop()
    if g.participants:
        lines += ["", "## Participants", ""]
        lines += [f"- {p.name} ({p.role.value})" for p in g.participants]
    lines += ["", "## Timeline", ""]
    lines += [
        f"- {_clock(e.at)} {e.kind.value}: {_cell(e.text)}{_who(e)}" for e in record.timeline()
    ]
    return "\n".join(lines) + "\n"
