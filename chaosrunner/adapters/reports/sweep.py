"""The sweep report: report.html and summary.md in the sweep's directory.

The answer first, as the one sentence a team acts on, then per SLI its worst value in each
level's blast window against the intensity (sweep_chart.py) with the objective and the boundary,
then every run with its verdict and a relative link to its own report, and the earlier sweeps of
the same experiment and parameter from the results store (is the boundary moving?). Like the run
and game-day reports: self-contained, inline CSS, no script.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from chaosrunner.adapters.reports.gameday import CSS as PAGE_CSS
from chaosrunner.adapters.reports.gameday import badge, utc
from chaosrunner.adapters.reports.sweep_chart import CSS as CHART_CSS
from chaosrunner.adapters.reports.sweep_chart import REPORT, dots_of, sweep_chart
from chaosrunner.core.display import MISSING, format_objective, format_value
from chaosrunner.core.sweep import Attempt, Judgement, SliWorst
from chaosrunner.core.sweep_record import SweepRecord
from chaosrunner.core.units import Objective, parse_objective

_CSS = PAGE_CSS + CHART_CSS + ".answer{font-size:16px;font-weight:600;margin:8px 0}"


def _objective(s: SliWorst) -> Objective | None:
    try:
        return parse_objective(s.objective)
    except ValueError:
        return None


def _slis(record: SweepRecord) -> list[SliWorst]:
    """Each SLI once, as the first run that measured it describes it."""
    seen: dict[str, SliWorst] = {}
    for level in record.result.levels:
        for a in level.attempts:
            for s in a.slis:
                seen.setdefault(s.name, s)
    return list(seen.values())


def _worst(s: SliWorst) -> str:
    return format_value(s.worst, s.unit, _objective(s)) if s.worst is not None else MISSING


def _shown(s: SliWorst) -> str:
    objective = _objective(s)
    return format_objective(objective, s.unit) if objective else s.objective


def _mark(record: SweepRecord, a: Attempt) -> str:
    b = record.result.bracket
    if b.holds is not None and a.value == b.holds.value:
        return "highest level that held"
    if b.breaks is not None and a.value == b.breaks.value:
        return "lowest level that broke"
    if a.judgement is Judgement.UNCERTAIN:
        return "uncertain"
    return ""


def render_html(record: SweepRecord) -> str:
    r = record.result
    p = r.spec.param
    charts = []
    for s in _slis(record):
        objective = _objective(s)
        if objective is None:
            continue
        chart = sweep_chart(r, s.name, objective, s.unit, dots_of(r, s.name))
        charts.append(
            f"<h3>{escape(s.name)} <span class=muted>{escape(_shown(s))}</span></h3>{chart}"
        )
    rows = []
    for a in record.runs():
        cells = "".join(
            f"<td class=num>{escape(_worst(s))}{' ✗' if s.violated else ''}</td>" for s in a.slis
        )
        reasons = "".join(f"<li>{escape(x)}</li>" for x in a.reasons if a.verdict.value != "PASSED")
        rows.append(
            f'<tr><td><a href="{escape(quote(a.folder))}/{REPORT}">{escape(p.format(a.value))}</a>'
            f"</td><td>{badge(a.verdict.value)}</td><td>{escape(_mark(record, a))}</td>{cells}"
            f"<td>{f'<ul>{reasons}</ul>' if reasons else ''}</td></tr>"
        )
    heads = "".join(
        f"<th>{escape(s.name)} worst<br>{escape(_shown(s))}</th>" for s in _slis(record)
    )
    skipped = "".join(
        f'<li><a href="{escape(quote(a.folder))}/{REPORT}">{escape(p.format(a.value))}</a>: '
        "baseline not steady; rerun</li>"
        for a in record.not_counted
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sweep {escape(record.experiment)} over {escape(p.name)}</title><style>{_CSS}</style></head>
<body><h1>Breaking point of {escape(record.experiment)} over {escape(p.name)}</h1>
<p class="answer" id="answer">{escape(r.sentence)}</p>
<p class=muted>{escape(record.sweep_id)} · {escape(utc(record.started))} to
{escape(utc(record.ended))} · environment {escape(record.env)} · {escape(p.text)} ·
{escape(r.spec.strategy.value)}, resolution {escape(p.format(r.spec.resolution))}, repeat
{r.spec.repeat} · outcome {escape(r.outcome.value)} · exit {r.exit_code}</p>
<h2>Worst value in the blast window against {escape(p.name)}</h2>
<div id="charts">{"".join(charts) or "<p class=muted>no level was measured</p>"}</div>
<h2>Levels</h2>
<table id="levels"><tr><th>{escape(p.name)} (its report)</th><th>verdict</th><th></th>{heads}
<th>why</th></tr>{"".join(rows)}</table>
{f"<h2>Not counted</h2><ul id=not-counted>{skipped}</ul>" if skipped else ""}
{_earlier_html(record)}</body></html>
"""


def _earlier_html(record: SweepRecord) -> str:
    if not record.earlier:
        return ""
    rows = "".join(
        f"<tr><td>{escape(utc(s.started))}</td><td>{escape(s.param)}</td>"
        f"<td>{escape(s.holds or MISSING)}</td><td>{escape(s.breaks or MISSING)}</td>"
        f"<td>{escape(s.sentence)}</td></tr>"
        for s in record.earlier
    )
    return (
        '<h2>Earlier sweeps</h2><table id="earlier"><tr><th>when</th><th>range</th>'
        f"<th>held up to</th><th>broke at</th><th>answer</th></tr>{rows}</table>\n"
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(record: SweepRecord) -> str:
    r = record.result
    p = r.spec.param
    slis = _slis(record)
    lines = [
        f"# Breaking point of {record.experiment} over {p.name}",
        "",
        f"**{r.sentence}**",
        "",
        f"{record.sweep_id}, {utc(record.started)} to {utc(record.ended)}; environment "
        f"{record.env}; {p.text}, {r.spec.strategy.value}, resolution "
        f"{p.format(r.spec.resolution)}, repeat {r.spec.repeat}; outcome {r.outcome.value} "
        f"(exit {r.exit_code}).",
        "",
        "| "
        + " | ".join([p.name, "verdict", "", *(f"{s.name} worst ({_shown(s)})" for s in slis)])
        + " |",
        "|" + "---|" * (3 + len(slis)),
    ]
    for a in record.runs():
        worst = {s.name: _worst(s) + (" ✗" if s.violated else "") for s in a.slis}
        cells = [worst.get(s.name, MISSING) for s in slis]
        link = f"[{p.format(a.value)}]({quote(a.folder)}/{REPORT})"
        lines.append("| " + " | ".join([link, a.verdict.value, _mark(record, a), *cells]) + " |")
    if record.not_counted:
        lines += ["", "Not counted (baseline not steady, rerun): "]
        lines += [
            f"- [{p.format(a.value)}]({quote(a.folder)}/{REPORT})" for a in record.not_counted
        ]
    if record.earlier:
        lines += ["", "## Earlier sweeps", ""]
        lines += [f"- {utc(s.started)}: {_cell(s.sentence)}" for s in record.earlier]
    return "\n".join(lines) + "\n"
