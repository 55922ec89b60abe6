"""summary.md: the verdict and why, and every SLI's objective against what each phase saw.

It carries the same tables as report.html (what was tested, the gap table, the score's breakdown,
the phases, faults, alerts, goroutine profiles, guardrails and evidence; no charts), sized for a
pull-request comment, with every value in its objective's unit (``62.9 %`` against ``>= 99.5 %``).
A dry run's summary says so first, and shows the plan instead of empty phase results.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from chaosrunner.adapters.reports import trend
from chaosrunner.adapters.reports.findings import (
    ALERT_HEADER,
    FAULT_HEADER,
    NEVER_INJECTED,
    SCORE_HEADER,
    Findings,
    SliFinding,
    alert_rows,
    alert_sentence,
    fault_rows,
    findings,
    objective_of,
    plain_why,
    profile_header,
    profile_rows,
    prometheus_graph_url,
    provenance_rows,
    run_range,
    score_note,
    score_rows,
    seconds_text,
)
from chaosrunner.core.display import format_objective
from chaosrunner.core.freshness import stale_ticks
from chaosrunner.core.hypothesis import Outcome, PhaseResult
from chaosrunner.core.journal import MAX_STALE_READINGS, Journal, SliRecord
from chaosrunner.core.model import SAMPLED_PHASES, Phase
from chaosrunner.core.units import format_duration
from chaosrunner.core.verdict import Decision, Verdict


def _ts(t: float | None) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S.%f")[:-3] + "Z" if t else "—"


def _phase_cell(r: PhaseResult, s: SliFinding) -> str:
    if not r.ticks:
        return "no ticks"
    return (
        f"{r.outcome.value}: {r.good}/{r.ticks} within, worst {s.fmt(r.worst)}, "
        f"mean {s.fmt(r.mean)}"
        + (f", {r.no_data} no data" if r.no_data else "")
        + (f", {r.errors} errors" if r.errors else "")
        + (f", {r.stale} stale" if r.stale else "")
        + (f", {r.missed} missed" if r.missed else "")
    )


def _cadence(journal: Journal) -> list[str]:
    """How many due ticks were sampled in time: missed (late or skipped) ticks are unknown."""
    ticks = journal.ticks
    if not len(ticks):
        return []
    missed = ticks.missed()
    return [
        f"- ticks: {len(ticks)} due, {len(ticks) - missed} sampled in time, {missed} missed "
        f"(late or skipped); latest start {ticks.worst_lag() * 1000:.0f} ms after due"
    ]


def render(journal: Journal, decision: Decision, found: Findings | None = None) -> str:
    f = found if found is not None else findings(journal, decision)
    lines = [
        f"# {journal.experiment}: {decision.verdict.value}",
        "",
        f"- run `{journal.run_id}`, environment `{journal.env}` (driver {journal.driver})",
        f"- from `{journal.source}`, started {_ts(journal.started_at)}, "
        f"finished {_ts(journal.finished_at)}",
        f"- score: {decision.score if decision.score is not None else '—'}",
        *_cadence(journal),
        "",
        "## Why",
        "",
        *([] if decision.verdict is Verdict.DRY_RUN else [" ".join(plain_why(f)), ""]),
        *[f"- {reason}" for reason in decision.reasons],
        "",
    ]
    if decision.verdict is Verdict.DRY_RUN:
        return "\n".join(lines + _dry_run(journal)) + "\n"
    lines += _provenance(journal)
    lines += _gap_table(f)
    lines += _score(f)
    lines += trend.markdown_lines(f.trend)
    lines += [
        "## SLIs",
        "",
        "| SLI | objective | judged | baseline | blast window | recovery |",
        "|---|---|---|---|---|---|",
    ]
    for rec, a, s in zip(journal.slis, decision.slis, f.slis, strict=True):
        rec_cell = (
            f"recovered in {a.recovery.seconds:.1f}s"
            if a.recovery.recovered
            else a.recovery.outcome.value
        )
        lines.append(
            f"| {rec.name} | {s.objective_text} | {rec.rule.value} "
            f"| {_phase_cell(a.baseline, s)} | {_phase_cell(a.observe, s)} | {rec_cell} |"
        )
    gaps = [f"- **{s.name}**: {_gap(s)}" for s in f.slis if s.assessment and s.assessment.gap]
    if gaps:
        lines += ["", "## Resilience gaps", "", *gaps]
    lines += _stale_evidence(journal)
    lines += _faults(f)
    blind = {name: n for name, n in journal.guardrail_blind_ticks.items() if n}
    if blind:
        lines += ["", "## Blind guardrails", ""]
        lines += [
            f"- **{name}** could not see on {n} tick(s) (no data, probe error or stale data), "
            "and could not fire then"
            for name, n in blind.items()
        ]
    if journal.guardrail_events:
        lines += ["", "## Guardrail events", ""]
        lines += [f"- {_ts(e.at)} {e.detail}" for e in journal.guardrail_events]
    if journal.preflight:
        lines += ["", "## Preflight", ""]
        lines += [
            f"- {'ok' if c.ok else 'FAILED'}: {c.name} — {c.detail}" for c in journal.preflight
        ]
    lines += ["", "## Phases", ""]
    for p in journal.phases:
        took = format_duration(round(p.ended_at - p.started_at, 3)) if p.ended_at else "unfinished"
        lines.append(f"- {p.phase.value}: {took}{' — ' + p.note if p.note else ''}")
    lines += _alerts_and_profiles(f)
    lines += ["", "## Queries", ""]
    start, end = run_range(journal)
    for rec in journal.slis:
        link = prometheus_graph_url(journal.prometheus_url, rec.query, start, end)
        lines.append(f"- `{rec.name}`: `{rec.query}`" + (f" ([graph]({link}))" if link else ""))
    return "\n".join(lines) + "\n"


def _gap(s: SliFinding) -> str:
    """Where an SLI fell short, in its objective's unit."""
    a = s.assessment
    assert a is not None
    notes = []
    if a.observe.outcome is Outcome.VIOLATED:
        notes.append(
            f"blast window: {a.observe.bad}/{a.observe.ticks} ticks missed {s.objective_text}, "
            f"worst {s.fmt(a.observe.worst)}"
        )
    if a.recovery.outcome is Outcome.VIOLATED:
        notes.append("did not recover within the recovery limit")
    return "; ".join(notes) or a.gap


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _gap_table(f: Findings) -> list[str]:
    """The gap table of report.html: each SLI's objective against what the fault did to it."""
    if not f.slis:
        return []
    head = (
        "| SLI | objective | baseline | worst in blast | degradation | budget burned "
        "| time to impact | time to recover | outcome |"
    )
    rows = [
        "| "
        + " | ".join(
            _cell(c)
            for c in (
                s.name,
                s.objective_text,
                s.fmt(s.baseline),
                s.fmt(s.worst),
                s.degradation_text,
                s.budget_text,
                s.impact_text,
                s.recovery_text,
                f"**{s.outcome_text}**" if s.outcome_text != "held" else s.outcome_text,
            )
        )
        + " |"
        for s in f.slis
    ]
    return ["## Gap table", "", head, "|---|---|---|---|---|---|---|---|---|", *rows, ""]


def _rows(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows),
    ]


def _provenance(journal: Journal) -> list[str]:
    return [
        "## What was tested",
        "",
        *(f"- {k}: `{_cell(v)}`" for k, v in provenance_rows(journal)),
        "",
    ]


def _faults(f: Findings) -> list[str]:
    rows = [
        [
            c.replace(NEVER_INJECTED, f"**{NEVER_INJECTED}**").replace(
                "removal NOT confirmed", "**removal NOT confirmed**"
            )
            for c in r
        ]
        for r in fault_rows(f)
    ]
    lines = ["", "## Faults", ""]
    lines += _rows(FAULT_HEADER, rows) if rows else ["No faults were planned or injected."]
    if f.abort_offset is not None and f.journal.abort is not None:
        lines += [
            "",
            f"**Aborted {seconds_text(f.abort_offset)} into the blast window**: "
            f"{f.journal.abort.detail}",
        ]
    return lines


def _score(f: Findings) -> list[str]:
    rows = score_rows(f)
    lines = ["## Score", "", score_note(f) + ".", ""]
    return lines + ([*_rows(SCORE_HEADER, rows), ""] if rows else [])


def _alerts_and_profiles(f: Findings) -> list[str]:
    lines = ["", "## Alerts", ""]
    rows = alert_rows(f)
    if not rows:
        lines.append("None expected: the experiment names no alert that should fire.")
    else:
        lines += [f"**{alert_sentence(r)}**" for r in f.expected if not r.detection.fired]
        lines += ["", *_rows(ALERT_HEADER, rows)]
    lines += ["", "## Goroutine profiles", ""]
    if not f.profiles:
        lines.append("No profiles captured.")
    for p in f.profiles:
        if p.target:
            lines += [f"### {p.target}", ""]
        for c in p.captures:
            if c.profile is None:
                lines.append(f"- capture {c.label} failed: {c.error}")
        if p.growth:
            lines += _rows(profile_header(p), profile_rows(p))
        else:
            lines.append("No stack's goroutine count grew between captures.")
        lines.append("")
    return lines


#: Stale ticks listed one by one per SLI; the rest are counted (all of them are in the journal,
#: up to its own bound).
STALE_LINES_PER_SLI = 20


def _stale_evidence(journal: Journal) -> list[str]:
    """Every SLI tick judged on stale data, with why: which SLI, which tick, which target."""
    starts = {p.phase: p.started_at for p in journal.phases}
    out: list[str] = []
    for rec in journal.slis:
        series = journal.series[rec.name]
        counts = {phase: stale_ticks(series, phase) for phase in SAMPLED_PHASES}
        total = sum(counts.values())
        if not total:
            continue
        where = ", ".join(f"{_PHASE_NAMES[p]} {n}" for p, n in counts.items() if n)
        out.append(f"- **{rec.name}**: {total} stale tick(s) ({where})")
        recorded = journal.stale_for(rec.name)
        for r in recorded[:STALE_LINES_PER_SLI]:
            phase = _phase_at(journal, r.t)
            since = max(0.0, r.t - starts[phase]) if phase else 0.0
            when = f"{_PHASE_NAMES[phase]} +{since:.1f}s" if phase else _ts(r.t)
            out.append(f"  - {when}: {r.reason}")
        if total > min(len(recorded), STALE_LINES_PER_SLI):
            out.append(
                f"  - … {total - min(len(recorded), STALE_LINES_PER_SLI)} more "
                "(journal.json `staleReadings` keeps the first "
                f"{MAX_STALE_READINGS} of the run)"
            )
    if not out:
        return []
    return [
        "",
        "## Stale evidence",
        "",
        "Ticks whose value was read from samples older than the freshness bound, or from a "
        "target with no successful scrape within it: judged unknown, never as held.",
        "",
        *out,
    ]


_PHASE_NAMES = {
    Phase.BASELINE: "baseline",
    Phase.OBSERVE: "blast window",
    Phase.RECOVERY: "recovery",
}


def _objective(rec: SliRecord) -> str:
    return format_objective(objective_of(rec), rec.unit)


def _phase_at(journal: Journal, t: float) -> Phase | None:
    for p in reversed(journal.phases):
        if p.phase in _PHASE_NAMES and p.started_at - 1e-3 <= t:
            return p.phase
    return None


def _dry_run(journal: Journal) -> list[str]:
    lines = [
        "**dry run: preflight passed, nothing injected.** This is what a real run would do.",
        "",
        "## Plan",
        "",
        "| fault | kind | target | from | to | expires on its own after |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {p.fault} | {p.kind} | {p.target} | +{format_duration(p.planned_start)} "
        f"| +{format_duration(p.planned_end)} | {format_duration(p.expiry)} |"
        for p in journal.plan
    ]
    lines += ["", "## SLIs", "", "| SLI | objective | judged |", "|---|---|---|"]
    lines += [f"| {r.name} | {_objective(r)} | {r.rule.value} |" for r in journal.slis]
    lines += ["", "## Preflight", ""]
    lines += [f"- {'ok' if c.ok else 'FAILED'}: {c.name} — {c.detail}" for c in journal.preflight]
    lines += ["", "## Queries", ""]
    lines += [f"- `{rec.name}`: `{rec.query}`" for rec in journal.slis]
    return lines
