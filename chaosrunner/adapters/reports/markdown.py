"""summary.md: the verdict and why, and every SLI's objective against what each phase saw.

A dry run's summary says so first, and shows the plan instead of empty phase results.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chaosrunner.core.freshness import stale_ticks
from chaosrunner.core.hypothesis import PhaseResult
from chaosrunner.core.journal import MAX_STALE_READINGS, Journal
from chaosrunner.core.model import SAMPLED_PHASES, Phase
from chaosrunner.core.units import format_duration
from chaosrunner.core.verdict import Decision, Verdict


def _ts(t: float | None) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S.%f")[:-3] + "Z" if t else "—"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.4g}"


def _phase_cell(r: PhaseResult) -> str:
    if not r.ticks:
        return "no ticks"
    return (
        f"{r.outcome.value}: {r.good}/{r.ticks} within, worst {_num(r.worst)}, mean {_num(r.mean)}"
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


def render(journal: Journal, decision: Decision) -> str:
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
        *[f"- {reason}" for reason in decision.reasons],
        "",
    ]
    if decision.verdict is Verdict.DRY_RUN:
        return "\n".join(lines + _dry_run(journal)) + "\n"
    lines += [
        "## SLIs",
        "",
        "| SLI | objective | judged | baseline | blast window | recovery |",
        "|---|---|---|---|---|---|",
    ]
    for rec, a in zip(journal.slis, decision.slis, strict=True):
        rec_cell = (
            f"recovered in {a.recovery.seconds:.1f}s"
            if a.recovery.recovered
            else a.recovery.outcome.value
        )
        lines.append(
            f"| {rec.name} | {rec.objective} | {rec.rule.value} | {_phase_cell(a.baseline)} "
            f"| {_phase_cell(a.observe)} | {rec_cell} |"
        )
    gaps = [f"- **{a.name}**: {a.gap}" for a in decision.slis if a.gap]
    if gaps:
        lines += ["", "## Resilience gaps", "", *gaps]
    lines += _stale_evidence(journal)
    lines += [
        "",
        "## Faults",
        "",
        "| fault | kind | target | confirmed | targets | removed |",
        "|---|---|---|---|---|---|",
    ]
    recorded = {r.fault for r in journal.injections}
    for planned in journal.plan:
        if planned.fault not in recorded:
            lines.append(
                f"| {planned.fault} | {planned.kind} | {planned.target} | **NEVER INJECTED** "
                f"(planned at +{format_duration(planned.planned_start)}) | — | — |"
            )
    for r in journal.injections:
        removed = (
            "one-shot"
            if r.one_shot
            else (_ts(r.removed_at) if r.removal_confirmed else "**NOT CONFIRMED**")
        )
        lines.append(
            f"| {r.fault} | {r.kind} | {r.target} | {_ts(r.confirmed_at)} "
            f"| {', '.join(t.id for t in r.targets) or '—'} | {removed} |"
        )
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
    lines += ["", "## Queries", ""]
    lines += [f"- `{rec.name}`: `{rec.query}`" for rec in journal.slis]
    return "\n".join(lines) + "\n"


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
    lines += [f"| {r.name} | {r.objective} | {r.rule.value} |" for r in journal.slis]
    lines += ["", "## Preflight", ""]
    lines += [f"- {'ok' if c.ok else 'FAILED'}: {c.name} — {c.detail}" for c in journal.preflight]
    lines += ["", "## Queries", ""]
    lines += [f"- `{rec.name}`: `{rec.query}`" for rec in journal.slis]
    return lines
