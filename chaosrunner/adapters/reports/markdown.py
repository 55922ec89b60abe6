"""summary.md: the verdict and why, and every SLI's objective against what each phase saw."""

from __future__ import annotations

from datetime import UTC, datetime

from chaosrunner.core.hypothesis import PhaseResult
from chaosrunner.core.journal import Journal
from chaosrunner.core.units import format_duration
from chaosrunner.core.verdict import Decision


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
    )


def render(journal: Journal, decision: Decision) -> str:
    lines = [
        f"# {journal.experiment}: {decision.verdict.value}",
        "",
        f"- run `{journal.run_id}`, environment `{journal.env}` (driver {journal.driver})",
        f"- from `{journal.source}`, started {_ts(journal.started_at)}, "
        f"finished {_ts(journal.finished_at)}",
        f"- score: {decision.score if decision.score is not None else '—'}",
        "",
        "## Why",
        "",
        *[f"- {reason}" for reason in decision.reasons],
        "",
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
    lines += [
        "",
        "## Faults",
        "",
        "| fault | kind | target | confirmed | targets | removed |",
        "|---|---|---|---|---|---|",
    ]
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
