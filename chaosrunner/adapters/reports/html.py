"""report.html: the one file a team takes away from a game day.

One self-contained document: inline CSS and SVG, no script, no font, image or stylesheet from
anywhere, and a Content-Security-Policy of ``default-src 'none'`` so that a browser would refuse
one if it crept in. It opens from disk, from a CI artifact or a mail attachment alike. It is drawn
from the journal alone (:mod:`findings` computes the figures the Markdown and JUnit outputs show
too), so ``chaosrunner report`` rebuilds it identically after the run.

Order follows a reader's questions: what happened and is it bad (summary, in plain words), what
was tested (provenance), when (timeline and the faults table), how bad per SLO (gap table, the
score's breakdown, then a chart per SLI), and why we believe it (alerts, guardrails, the evidence
that made a verdict INCONCLUSIVE, goroutine profiles, the exact PromQL with a link to
Prometheus' graph page over the run's time range).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from chaosrunner import __version__
from chaosrunner.adapters.reports import charts, trend
from chaosrunner.adapters.reports.findings import (
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
    fault_rows,
    plain_why,
    profile_header,
    profile_rows,
    prometheus_graph_url,
    provenance_rows,
    run_range,
    score_note,
    score_rows,
    seconds_text,
    slo_of,
    utc,
)
from chaosrunner.core.display import MISSING
from chaosrunner.core.journal import Journal
from chaosrunner.core.model import SAMPLED_PHASES
from chaosrunner.core.verdict import Verdict

#: Probe errors and stale readings listed one by one (the journal keeps more, up to its bound).
LISTED = 50

_CSS = """
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1000px;padding:16px 24px 48px;color:#1f2328}
h1{font-size:22px;margin:4px 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid
var(--line);padding-bottom:4px}h3{font-size:15px;margin:18px 0 4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:6px;color:#fff;font-weight:600}
.v-PASSED{background:var(--ok)}.v-FAILED,.v-ABORTED{background:var(--bad)}
.v-INCONCLUSIVE{background:var(--warn)}.v-ERROR{background:#6e7781}.v-DRY-RUN{background:#0969da}
.summary{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:12px 16px}
.why{font-size:15px;margin:8px 0}.why p{margin:4px 0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border:1px solid var(--line);
padding:4px 6px;text-align:left;vertical-align:top}th{background:var(--bg)}
td.num{text-align:right;white-space:nowrap}td:first-child{white-space:nowrap}.missed{color:var(--bad);font-weight:600}
.held{color:var(--ok)}.unknown{color:var(--warn);font-weight:600}
pre{background:var(--bg);border:1px solid var(--line);padding:6px 8px;white-space:pre-wrap;
word-break:break-all;margin:4px 0}.muted{color:var(--muted)}
svg{display:block;margin:4px 0}svg text{font:11px system-ui,sans-serif;fill:#3d444d}
svg .plot{fill:#fff;stroke:var(--line)}svg .strip{fill:#eef1f4}
svg .series{fill:none;stroke:#0969da;stroke-width:1.4}
svg .objective{stroke:var(--bad);stroke-dasharray:6 4;stroke-width:1.2}
svg .objective-label{fill:var(--bad)}svg .fault{fill:var(--bad);fill-opacity:.10}
svg .phase-edge{stroke:#8c959f;stroke-dasharray:2 3}svg .phase-label{fill:var(--muted)}
svg .marker{stroke-width:1.5}svg .marker.impact{stroke:var(--bad)}
svg .marker.recovered{stroke:var(--ok)}svg .marker-label.impact{fill:var(--bad)}
svg .marker-label.recovered{fill:var(--ok)}
svg .tick-bad{fill:var(--bad)}svg .tick-error{fill:#8250df}svg .tick-missed{fill:#bc4c00}
svg .tick-stale{fill:#d4a72c}svg .tick-no-data{fill:#8c959f}
svg .burn{fill:none;stroke:#bc4c00;stroke-width:1.4}
svg .phase-baseline{fill:#ddf4ff}svg .phase-observe{fill:#ffebe9}svg .phase-recovery{fill:#dafbe1}
svg .phase-cleanup,svg .phase-preflight,svg .phase-inject,svg .phase-rollback{fill:#eaeef2}
svg .injection{fill:var(--bad);fill-opacity:.55}svg .lane-label{fill:#1f2328}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:10px;
height:10px;margin-right:4px;vertical-align:-1px}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render(f: Findings) -> str:
    j = f.journal
    start, end = run_range(j)
    body = [
        _summary(f),
        _section("What was tested", _provenance(j)),
        _section("Timeline", charts.timeline(j, start, end) + _faults(f)),
        _section("Gap table", _gap_table(f)),
        _section("Score", _score(f)),
        *([_section("Trend", trend.html_section(f.trend))] if f.trend is not None else []),
        _section("SLIs", _legend() + "".join(_sli(f, s, start, end) for s in f.slis)),
        _section("Alerts", _alerts(f)),
        _section("Guardrails", _guardrails(j)),
        _section("Evidence behind the verdict", _evidence(f)),
        _section("Goroutine profiles", _profiles(f)),
        _section("Queries", _queries(f, start, end)),
    ]
    title = f"{j.experiment}: {f.verdict.value}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}{trend.CSS}</style></head><body>"
        + "".join(body)
        + f'<p class="muted">chaosrunner {escape(__version__)} · report built from the journal '
        f"of run {escape(j.run_id)}; journal.json is the source of truth.</p>"
        "</body></html>\n"
    )


def _section(title: str, content: str) -> str:
    anchor = title.lower().replace(" ", "-")
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{content}</section>'


def _summary(f: Findings) -> str:
    j = f.journal
    v = f.verdict.value
    score = MISSING if f.decision.score is None else f"{f.decision.score:g} / 100"
    why = "".join(f"<p>{escape(line)}</p>" for line in plain_why(f))
    facts = [
        ("score", score),
        ("experiment", j.experiment),
        ("environment", f"{j.env} (driver {j.driver})"),
        ("run id", j.run_id),
        ("started", utc(j.started_at)),
        ("finished", utc(j.finished_at)),
        ("experiment file", j.source),
    ]
    if j.dry_run:
        facts.append(("dry run", "yes: nothing was injected"))
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(val))}</dd>" for k, val in facts)
    return (
        f'<header class="summary"><h1>{escape(j.experiment)} '
        f'<span class="verdict v-{escape(v)}">{escape(v)}</span></h1>'
        f'<div class="why">{why}</div><dl class="facts">{dl}</dl></header>'
    )


def _table(head: Iterable[str], rows: Iterable[Iterable[str]], numeric: Iterable[int] = ()) -> str:
    nums = set(numeric)
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        out.append("<tr>")
        for i, cell in enumerate(row):
            out.append(f'<td class="num">{cell}</td>' if i in nums else f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _outcome_cell(s: SliFinding) -> str:
    text = s.outcome_text
    cls = "missed" if text == "missed" else "held" if text == "held" else "unknown"
    return f'<span class="{cls}">{escape(text)}</span>'


def _gap_table(f: Findings) -> str:
    if not f.slis:
        return "<p>No SLIs.</p>"
    rows = [
        [
            escape(s.name),
            escape(s.objective_text),
            escape(s.fmt(s.baseline)),
            escape(s.fmt(s.worst)),
            escape(s.degradation_text),
            escape(s.budget_text),
            escape(s.impact_text),
            escape(s.recovery_text),
            _outcome_cell(s),
        ]
        for s in f.slis
    ]
    head = [
        "SLI",
        "objective",
        "baseline",
        "worst in blast",
        "degradation",
        "budget burned",
        "time to impact",
        "time to recover",
        "outcome",
    ]
    return _table(head, rows, numeric=(2, 3))


def _legend() -> str:
    items = [("fault active", "#cf222e33"), ("objective", "#cf222e"), ("series", "#0969da")]
    colours = {
        "bad": "#cf222e",
        "error": "#8250df",
        "missed": "#bc4c00",
        "stale": "#d4a72c",
        "no-data": "#8c959f",
    }
    items += [(charts.MARK_LABELS[m], c) for m, c in colours.items()]
    spans = "".join(f'<span><i style="background:{c}"></i>{escape(t)}</span>' for t, c in items)
    return (
        f'<p class="legend muted">{spans}</p><p class="muted">Long series are drawn at one '
        "column per pixel (its minimum and maximum); a tick that missed the objective or had no "
        "usable evidence always keeps its mark in the strip under the plot.</p>"
    )


def _sli(f: Findings, s: SliFinding, start: float, end: float) -> str:
    j = f.journal
    series = j.series.get(s.name)
    if series is None:
        return f"<h3>{escape(s.name)}</h3><p>No series in the journal.</p>"
    phases = [
        (p.phase, p.started_at, p.ended_at or end) for p in j.phases if p.phase in SAMPLED_PHASES
    ]
    markers = []
    if s.impact and s.impact.at is not None and s.impact.seconds is not None:
        markers.append(
            charts.Marker(s.impact.at, f"impact +{seconds_text(s.impact.seconds)}", "impact")
        )
    if s.recovery and s.recovery.recovered and s.recovery.at is not None:
        markers.append(
            charts.Marker(
                s.recovery.at, f"recovered {seconds_text(s.recovery.seconds or 0)}", "recovered"
            )
        )
    burn = None
    slo = slo_of(s.record)
    if slo is not None:
        times, errors = blast_errors(s.record, series, s.classes)
        burn = charts.cumulative_burn(times, errors, slo.budget_seconds)
    chart = charts.sli_chart(
        s.name,
        series,
        s.classes,
        s.objective,
        s.record.unit,
        start,
        end,
        windows=f.fault_windows,
        phases=phases,
        markers=markers,
        burn=burn,
        interval=float(j.schedule.get("probeInterval", 1.0)),
    )
    desc = f'<p class="muted">{escape(s.record.description)}</p>' if s.record.description else ""
    counts = _status_counts(f, s)
    return (
        f'<article class="sli" id="sli-{escape(s.name)}"><h3>{escape(s.name)} '
        f'<span class="muted">{escape(s.objective_text)}</span> {_outcome_cell(s)}</h3>'
        f'{desc}{chart}<p class="muted">{escape(counts)}</p></article>'
    )


def _status_counts(f: Findings, s: SliFinding) -> str:
    a = s.assessment
    if a is None:
        return ""
    parts = []
    for label, r in (("baseline", a.baseline), ("blast window", a.observe)):
        extra = [
            f"{n} {what}"
            for n, what in (
                (r.no_data, "no data"),
                (r.errors, "probe errors"),
                (r.stale, "stale"),
                (r.missed, "missed ticks"),
            )
            if n
        ]
        parts.append(
            f"{label}: {r.good}/{r.ticks} ticks within ({r.outcome.value})"
            + (f", {', '.join(extra)}" if extra else "")
        )
    parts.append(f"recovery: {a.recovery.outcome.value}")
    return "; ".join(parts)


def _provenance(j: Journal) -> str:
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in provenance_rows(j))
    return f'<dl class="facts">{dl}</dl>'


def _faults(f: Findings) -> str:
    rows = fault_rows(f)
    if not rows:
        return "<p>No faults were planned or injected.</p>"
    bold = (NEVER_INJECTED, "removal NOT confirmed")
    cells = (
        [f"<b>{escape(c)}</b>" if c.startswith(bold) or bold[1] in c else escape(c) for c in row]
        for row in rows
    )
    out = _table(FAULT_HEADER, cells)
    if f.abort_offset is not None and f.journal.abort is not None:
        out += (
            f"<p><b>Aborted {escape(seconds_text(f.abort_offset))} into the blast window</b>: "
            f"{escape(f.journal.abort.detail)}</p>"
        )
    return out


def _score(f: Findings) -> str:
    rows = score_rows(f)
    note = f"<p>{escape(score_note(f))}.</p>"
    if not rows:
        return note
    return note + _table(SCORE_HEADER, ([escape(c) for c in r] for r in rows), range(2, 8))


def _alerts(f: Findings) -> str:
    rows = alert_rows(f)
    if not rows:
        return "<p>None expected: the experiment names no alert that should fire.</p>"
    findings = "".join(
        f"<p><b>{escape(alert_sentence(r))}</b></p>" for r in f.expected if not r.detection.fired
    )
    return findings + _table(ALERT_HEADER, ([escape(c) for c in r] for r in rows))


def _guardrails(j: Journal) -> str:
    out = []
    if not j.guardrails:
        out.append("<p>No guardrails were set.</p>")
    else:
        rows = [
            [
                escape(str(g.get("name", ""))),
                escape(str(g.get("abortIf", ""))),
                escape(str(j.guardrail_blind_ticks.get(str(g.get("name", "")), 0))),
            ]
            for g in j.guardrails
        ]
        out.append(_table(["guardrail", "aborts if", "blind ticks"], rows, numeric=(2,)))
    blind = {n: c for n, c in j.guardrail_blind_ticks.items() if c}
    for name, count in blind.items():
        out.append(
            f"<p><b>{escape(name)}</b> could not see on {count} tick(s) (no data, probe error or "
            "stale data) and could not have fired then.</p>"
        )
    if j.guardrail_events:
        rows = [
            [
                escape(utc(e.at)),
                escape(e.guardrail),
                "breached" if e.breached else "blind" if e.blind else "seeing again",
                escape(e.detail),
            ]
            for e in j.guardrail_events
        ]
        out.append(_table(["at", "guardrail", "event", "detail"], rows))
    elif j.guardrails:
        out.append("<p>No guardrail events: none fired.</p>")
    return "".join(out)


def _evidence(f: Findings) -> str:
    j = f.journal
    out = []
    if f.verdict in (Verdict.INCONCLUSIVE, Verdict.ERROR, Verdict.ABORTED):
        out.append(
            f"<h3>Why the verdict is {escape(f.verdict.value)}</h3><ul>"
            + "".join(f"<li>{escape(r)}</li>" for r in f.decision.reasons)
            + "</ul>"
        )
    else:
        out.append(
            "<h3>Reasons</h3><ul>"
            + "".join(f"<li>{escape(r)}</li>" for r in f.decision.reasons)
            + "</ul>"
        )
    ticks = j.ticks
    if len(ticks):
        missed = ticks.missed()
        per_phase = ", ".join(
            f"{PHASE_LABELS[p]} {ticks.missed(p)}" for p in SAMPLED_PHASES if ticks.missed(p)
        )
        out.append(
            f"<p>Ticks: {len(ticks)} due, {len(ticks) - missed} sampled in time, "
            f"<b>{missed} missed</b> (late or skipped){': ' + per_phase if per_phase else ''}; "
            f"latest start {ticks.worst_lag() * 1000:.0f} ms after due.</p>"
        )
    if j.stale_readings:
        rows = [
            [escape(r.sli), escape(_when(j, r.t)), escape(r.reason)]
            for r in j.stale_readings[:LISTED]
        ]
        more = j.stale_count - len(rows)
        out.append(f"<h3>Stale readings ({j.stale_count})</h3>")
        out.append(_table(["SLI", "tick", "why"], rows))
        if more > 0:
            out.append(f'<p class="muted">… and {more} more (see journal.json).</p>')
    if j.probe_errors:
        rows = [
            [
                escape(str(e.get("sli", ""))),
                escape(_when(j, float(e.get("t", 0.0)))),
                escape(str(e.get("message", ""))),
            ]
            for e in j.probe_errors[:LISTED]
        ]
        out.append(f"<h3>Probe errors ({j.probe_error_count})</h3>")
        out.append(_table(["SLI", "tick", "error"], rows))
        more = j.probe_error_count - len(rows)
        if more > 0:
            out.append(f'<p class="muted">… and {more} more (see journal.json).</p>')
    if j.failure is not None:
        out.append(
            f"<p><b>Failure ({escape(j.failure.stage.value)})</b>: {escape(j.failure.message)}</p>"
        )
    if j.abort is not None:
        out.append(
            f"<p><b>Aborted ({escape(j.abort.reason.value)})</b> at {escape(_when(j, j.abort.at))}"
            f": {escape(j.abort.detail)}</p>"
        )
    if j.preflight:
        rows = [
            ["ok" if c.ok else "<b>FAILED</b>", escape(c.name), escape(c.detail)]
            for c in j.preflight
        ]
        out.append("<h3>Preflight</h3>" + _table(["", "check", "detail"], rows))
    return "".join(out)


def _when(j: Journal, t: float) -> str:
    for p in reversed(j.phases):
        if p.phase in PHASE_LABELS and p.started_at - 1e-3 <= t:
            return f"{PHASE_LABELS[p.phase]} +{t - p.started_at:.1f} s"
    return utc(t)


def _profiles(f: Findings) -> str:
    if not f.profiles:
        return "<p>No profiles captured (no target of this run exposes /debug/pprof).</p>"
    out = []
    for p in f.profiles:
        if p.target:
            out.append(f"<h3>{escape(p.target)}</h3>")
        for c in p.captures:
            if c.profile is None:
                out.append(f"<p><b>capture {escape(c.label)} failed</b>: {escape(c.error)}</p>")
        if not p.growth:
            out.append("<p>No stack's goroutine count grew between captures.</p>")
            continue
        rows = ([escape(c) for c in r] for r in profile_rows(p))
        out.append(_table(profile_header(p), rows, numeric=range(1, 9)))
        top = p.growth[0]
        out.append(
            "<details><summary>the stack that grew the most</summary><pre>"
            + escape("\n".join(f"{fr.function}\n\t{fr.file}:{fr.line}" for fr in top.frames))
            + "</pre></details>"
        )
    return "".join(out)


def _queries(f: Findings, start: float, end: float) -> str:
    j = f.journal
    out = []
    for s in f.slis:
        link = prometheus_graph_url(j.prometheus_url, s.record.query, start, end)
        anchor = (
            f' <a class="prom" href="{escape(link)}">open in Prometheus over the run</a>'
            if link
            else ' <span class="muted">(no Prometheus URL in this journal)</span>'
        )
        out.append(f"<h3>{escape(s.name)}{anchor}</h3><pre>{escape(s.record.query)}</pre>")
    for g in j.guardrails:
        out.append(
            f"<h3>guardrail {escape(str(g.get('name', '')))}</h3>"
            f"<pre>{escape(str(g.get('query', '')))}</pre>"
        )
    return "".join(out) or "<p>No queries.</p>"
