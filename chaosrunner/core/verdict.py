"""The verdict: a pure function of the journal, and the place false passes are prevented.

Order matters and is fixed here: ERROR (nothing was injected because input or preflight was
wrong) beats ABORTED (a guardrail or an operator stopped the run), which beats the evidence
rules. A run is PASSED only when every fault was confirmed active on at least one target, every
SLI was judged HELD in baseline and blast window with full evidence, recovered in time, and every
fault's removal was confirmed. A hypothesis violated while faults were confirmed is FAILED even
if another SLI lacks data; anything else short of PASSED is INCONCLUSIVE, with the reason said.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.hypothesis import (
    Outcome,
    PhaseResult,
    RecoveryResult,
    judge_phase,
    judge_recovery,
)
from chaosrunner.core.journal import AbortReason, FailureStage, Journal
from chaosrunner.core.model import Phase
from chaosrunner.core.score import score_of
from chaosrunner.core.units import format_duration


class Verdict(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]


EXIT_CODES = {
    Verdict.PASSED: 0,
    Verdict.FAILED: 1,
    Verdict.ABORTED: 2,
    Verdict.INCONCLUSIVE: 3,
    Verdict.ERROR: 4,
}


@dataclass(frozen=True)
class SliAssessment:
    name: str
    objective: str
    baseline: PhaseResult
    observe: PhaseResult
    recovery: RecoveryResult

    @property
    def blast_gap(self) -> str:
        if self.observe.outcome is not Outcome.VIOLATED:
            return ""
        worst = f", worst {self.observe.worst:.4g}" if self.observe.worst is not None else ""
        return f"{self.observe.bad}/{self.observe.ticks} ticks missed {self.objective}{worst}"

    @property
    def gap(self) -> str:
        """One line on where this SLI fell short, or '' when it did not."""
        notes = [f"blast window: {self.blast_gap}"] if self.blast_gap else []
        if self.recovery.outcome is Outcome.VIOLATED:
            notes.append("did not recover within the recovery limit")
        return "; ".join(notes)


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[str, ...]
    slis: tuple[SliAssessment, ...]
    score: float | None
    faults_left: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "exitCode": self.verdict.exit_code,
            "reasons": list(self.reasons),
            "score": self.score,
            "faultsLeft": list(self.faults_left),
            "slis": [
                {
                    "name": a.name,
                    "objective": a.objective,
                    "baseline": a.baseline.outcome.value,
                    "observe": a.observe.outcome.value,
                    "recovery": a.recovery.outcome.value,
                    "recoverySeconds": a.recovery.seconds,
                    "gap": a.gap,
                }
                for a in self.slis
            ],
        }


def assess(journal: Journal) -> tuple[SliAssessment, ...]:
    recovery = journal.phase(Phase.RECOVERY)
    started = recovery.started_at if recovery else None
    # A tick may land a little late when sampling overruns; half a tick of slack, no more.
    limit = journal.schedule["recovery"] + journal.schedule.get("probeInterval", 0.0) / 2
    out = []
    for rec in journal.slis:
        series = journal.series[rec.name]
        out.append(
            SliAssessment(
                rec.name,
                rec.objective,
                judge_phase(rec, series, Phase.BASELINE),
                judge_phase(rec, series, Phase.OBSERVE),
                judge_recovery(rec, series, started, limit),
            )
        )
    return tuple(out)


def decide(journal: Journal) -> Decision:
    slis = assess(journal)
    left = tuple(r.fault for r in journal.injections if r.needs_removal)
    left_reasons = tuple(
        f"fault {name!r} was not confirmed removed; run `chaosrunner cleanup --run-id "
        f"{journal.run_id}`"
        for name in left
    )
    verdict, reasons = _verdict(journal, slis)
    if left and verdict is Verdict.PASSED:
        verdict = Verdict.INCONCLUSIVE
    injected = any(r.created_at is not None for r in journal.injections)
    score = score_of(slis) if injected else None
    return Decision(verdict, reasons + left_reasons, slis, score, left)


def _verdict(journal: Journal, slis: tuple[SliAssessment, ...]) -> tuple[Verdict, tuple[str, ...]]:
    failure = journal.failure
    injected = any(r.created_at is not None for r in journal.injections)
    if (
        failure
        and failure.stage in (FailureStage.VALIDATE, FailureStage.PREFLIGHT)
        and not injected
    ):
        return Verdict.ERROR, (f"{failure.stage.value} failed: {failure.message}",)
    if journal.abort is not None:
        what = "guardrail fired" if journal.abort.reason is AbortReason.GUARDRAIL else "interrupted"
        return Verdict.ABORTED, (f"{what}: {journal.abort.detail}; faults were removed early",)
    if journal.dry_run:
        return Verdict.INCONCLUSIVE, ("dry run: nothing was injected",)

    if not slis:
        return Verdict.INCONCLUSIVE, ("no SLI was judged: there is no evidence to pass on",)
    baseline_bad = [a for a in slis if a.baseline.outcome is not Outcome.HELD]
    if baseline_bad:
        return Verdict.INCONCLUSIVE, tuple(
            f"steady state not established before injection: SLI {a.name!r} was "
            f"{a.baseline.outcome.value} in the baseline ({a.objective})"
            for a in baseline_bad
        )
    if failure is not None:
        return Verdict.INCONCLUSIVE, (f"the run failed: {failure.message}",)
    unconfirmed = [r for r in journal.injections if not r.confirmed]
    if not journal.injections or unconfirmed:
        names = ", ".join(r.fault for r in unconfirmed) or "none were created"
        return Verdict.INCONCLUSIVE, (f"fault never confirmed active on any target: {names}",)
    observe = journal.phase(Phase.OBSERVE)
    if observe is None or not observe.completed:
        return Verdict.INCONCLUSIVE, ("the blast window did not run to its end",)

    failed = []
    for a in slis:
        if a.observe.outcome is Outcome.VIOLATED:
            failed.append(f"SLI {a.name!r} violated in the blast window: {a.blast_gap}")
        if a.recovery.outcome is Outcome.VIOLATED:
            limit = format_duration(journal.schedule["recovery"])
            failed.append(f"SLI {a.name!r} did not recover within {limit} ({a.objective})")
    if failed:
        return Verdict.FAILED, tuple(failed)

    missing = []
    for a in slis:
        for label, outcome in (
            ("blast window", a.observe.outcome),
            ("recovery", a.recovery.outcome),
        ):
            if outcome is not Outcome.HELD:
                missing.append(f"SLI {a.name!r} has no verdict in the {label}: {outcome.value}")
    if missing:
        return Verdict.INCONCLUSIVE, tuple(missing)
    return Verdict.PASSED, ("every fault was confirmed active and every hypothesis held",)
