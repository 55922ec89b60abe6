"""The verdict: a pure function of the journal, and the place false passes are prevented.

Order matters and is fixed here: ERROR (chaosrunner itself crashed, at any point; or nothing
was injected because input or preflight was wrong) beats ABORTED (a guardrail or an operator
stopped the run), which beats the evidence rules. A crash is never read as a verdict on the
system. A run is PASSED only when every planned fault was injected and confirmed active on at
least one target, every SLI was judged HELD, by a rule that could have failed, in baseline and
blast window with full evidence, recovered in time, and every fault's removal was confirmed. A
hypothesis violated while faults were confirmed is FAILED even if another SLI lacks data;
anything else short of PASSED is INCONCLUSIVE, with the reason said: missing evidence (no data,
probe errors, stale data, ticks that were due but not sampled in time) never passes. A dry run
whose preflight passed is DRY-RUN (exit 0): nothing was injected, so there is nothing to judge.

Last, over whatever the rules above decided: a fault whose removal was not confirmed, or whose
removal had to be escalated (chaosrunner took Chaos Mesh's finalizer off itself, so nobody
confirmed its targets recovered and the fault may still be active on them), turns PASSED into
INCONCLUSIVE and adds its reason to every other verdict without changing it: a run that FAILED
on its SLIs stays FAILED (the escalation does not make a violation less true), ABORTED and
ERROR keep their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.alerts import alert_results
from chaosrunner.core.display import format_objective, format_value
from chaosrunner.core.freshness import stale_note
from chaosrunner.core.hypothesis import (
    Outcome,
    PhaseResult,
    RecoveryResult,
    judge_of,
    judge_phase,
    judge_recovery,
    ticks_span,
    timeslices_of,
)
from chaosrunner.core.journal import (
    AbortReason,
    FailureStage,
    Journal,
    SampleStatus,
    SliVerdictRecord,
    VerdictRecord,
)
from chaosrunner.core.model import JudgeRule, Phase
from chaosrunner.core.resilience import ResilienceScore, ScoreInput, Severity, resilience_score
from chaosrunner.core.timing import DetectionStatus
from chaosrunner.core.units import Objective, format_duration, parse_objective

#: Ticks sit on the millisecond grid the journal keeps times to.
_GRID_SLACK = 1e-3


class Verdict(StrEnum):
    PASSED = "PASSED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"
    INCONCLUSIVE = "INCONCLUSIVE"
    ERROR = "ERROR"
    #: Not a judgement: a dry run whose preflight passed; nothing was injected.
    DRY_RUN = "DRY-RUN"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]


#: ERROR's exit code, and every command's when it fails without a verdict (bad input, a crash,
#: something ``cleanup`` could not remove): the one place it is defined.
EXIT_ERROR = 4

EXIT_CODES = {
    Verdict.PASSED: 0,
    Verdict.FAILED: 1,
    Verdict.ABORTED: 2,
    Verdict.INCONCLUSIVE: 3,
    Verdict.ERROR: EXIT_ERROR,
    Verdict.DRY_RUN: 0,
}


@dataclass(frozen=True)
class SliAssessment:
    name: str
    objective: str
    baseline: PhaseResult
    observe: PhaseResult
    recovery: RecoveryResult
    #: The SLI's unit, for display (``core/display.py``).
    unit: str = ""

    @property
    def blast_gap(self) -> str:
        if self.observe.outcome is not Outcome.VIOLATED:
            return ""
        try:
            objective: Objective | None = parse_objective(self.objective)
        except ValueError:
            objective = None
        shown = self.objective if objective is None else format_objective(objective, self.unit)
        worst = self.observe.worst
        worst_text = "" if worst is None else f", worst {format_value(worst, self.unit, objective)}"
        return f"{self.observe.bad}/{self.observe.ticks} ticks missed {shown}{worst_text}"

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
    #: The score's breakdown per hypothesis (None when nothing was injected).
    resilience: ResilienceScore | None = None

    def record(self) -> VerdictRecord:
        """The decision as the journal keeps it."""
        return VerdictRecord(
            verdict=self.verdict.value,
            exit_code=self.verdict.exit_code,
            reasons=self.reasons,
            score=self.score,
            faults_left=self.faults_left,
            slis=tuple(
                SliVerdictRecord(
                    a.name,
                    a.objective,
                    a.baseline.outcome.value,
                    a.observe.outcome.value,
                    a.recovery.outcome.value,
                    a.recovery.seconds,
                    a.gap,
                )
                for a in self.slis
            ),
        )

    def to_dict(self) -> dict[str, object]:
        return self.record().to_dict()


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
                rec.unit,
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
    escalated = tuple(
        f"removing fault {r.fault!r} needed its finalizer taken off by chaosrunner: its "
        f"target(s) may not have recovered ({r.escalation.summary})"
        for r in journal.injections
        if r.escalation is not None
    )
    verdict, reasons = _verdict(journal, slis)
    if (left or escalated) and verdict is Verdict.PASSED:
        verdict = Verdict.INCONCLUSIVE
    injected = any(r.created_at is not None for r in journal.injections)
    resilience = score_of(journal, verdict is Verdict.PASSED) if injected else None
    score = resilience.score if resilience else None
    return Decision(verdict, reasons + left_reasons + escalated, slis, score, left, resilience)


def score_of(journal: Journal, passed: bool) -> ResilienceScore:
    """The resilience score (``core/resilience.py``) over the blast window's timeslices: each
    SLI's own slices under ``timeslices``, else one slice per probe interval (each tick)."""
    interval = journal.schedule.get("probeInterval", 0.0)
    inputs = []
    for rec in journal.slis:
        timeslices = rec.rule is JudgeRule.TIMESLICES and rec.slice_window > 0
        window = rec.slice_window if timeslices else interval
        series = journal.series.get(rec.name)
        target = rec.slice_target if timeslices else 1.0
        slices = (
            timeslices_of(rec, series, Phase.OBSERVE, window, target)
            if series is not None and window > 0 and series.span(Phase.OBSERVE)
            else None
        )
        severity = Severity.WARNING if rec.severity == Severity.WARNING else Severity.CRITICAL
        inputs.append(ScoreInput(rec.name, severity, slices))
    return resilience_score(inputs, passed=passed)


def _verdict(journal: Journal, slis: tuple[SliAssessment, ...]) -> tuple[Verdict, tuple[str, ...]]:
    failure = journal.failure
    injected = any(r.created_at is not None for r in journal.injections)
    if failure and failure.stage is FailureStage.CRASH:
        return Verdict.ERROR, (
            f"chaosrunner crashed: {failure.message}; whatever was injected was rolled back",
        )
    if (
        failure
        and failure.stage in (FailureStage.VALIDATE, FailureStage.PREFLIGHT)
        and not injected
    ):
        return Verdict.ERROR, (f"{failure.stage.value} failed: {failure.message}",)
    if journal.abort is not None:
        what = "guardrail fired" if journal.abort.reason is AbortReason.GUARDRAIL else "interrupted"
        after = "faults were removed early" if injected else "nothing was injected"
        return Verdict.ABORTED, (f"{what}: {journal.abort.detail}; {after}",)
    if journal.dry_run:
        return _dry_run(journal, injected)

    if not slis:
        return Verdict.INCONCLUSIVE, ("no SLI was judged: there is no evidence to pass on",)
    baseline_bad = [a for a in slis if a.baseline.outcome is not Outcome.HELD]
    if baseline_bad:
        return Verdict.INCONCLUSIVE, tuple(
            f"steady state not established before injection: SLI {a.name!r} was "
            f"{a.baseline.outcome.value} in the baseline ({a.objective})"
            + _too_short(journal, a.name, Phase.BASELINE, a.baseline.outcome)
            + _stale_note(journal, a.name, Phase.BASELINE, a.baseline.outcome)
            + _missed_note(journal, Phase.BASELINE, a.baseline.outcome)
            for a in baseline_bad
        )
    if failure is not None:
        return Verdict.INCONCLUSIVE, (f"the run failed: {failure.message}",)
    missing_faults = _faults_not_confirmed(journal)
    if missing_faults:
        return Verdict.INCONCLUSIVE, missing_faults
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
    alerts = alert_results(journal)
    for r in alerts:
        d = r.detection
        if r.expected.required and d.status is DetectionStatus.NOT_FIRED:
            failed.append(f"required alert {d.alertname!r} never fired during the run")
        if r.expected.required and d.status is DetectionStatus.LATE and d.seconds is not None:
            limit = format_duration(r.expected.within or 0.0)
            failed.append(
                f"required alert {d.alertname!r} fired {format_duration(round(d.seconds, 3))} "
                f"after the fault started, later than {limit}"
            )
    if failed:
        return Verdict.FAILED, tuple(failed)

    missing = []
    for a in slis:
        for label, outcome in (
            ("blast window", a.observe.outcome),
            ("recovery", a.recovery.outcome),
        ):
            if outcome is not Outcome.HELD:
                missing.append(
                    f"SLI {a.name!r} has no verdict in the {label}: {outcome.value}"
                    + _too_short(journal, a.name, Phase.OBSERVE, outcome)
                    + _stale_note(
                        journal,
                        a.name,
                        Phase.OBSERVE if label == "blast window" else Phase.RECOVERY,
                        outcome,
                    )
                    + _missed_note(
                        journal,
                        Phase.OBSERVE if label == "blast window" else Phase.RECOVERY,
                        outcome,
                    )
                )
        # Fresh data on every due tick: a rule may hold even when its stale ticks read as bad
        # (a ticks-ratio), but a pass is never built on evidence older than the tick.
        for label, phase, result in (
            ("baseline", Phase.BASELINE, a.baseline),
            ("blast window", Phase.OBSERVE, a.observe),
        ):
            if result.outcome is Outcome.HELD and result.stale:
                missing.append(
                    f"SLI {a.name!r} held in the {label} on partly stale evidence: "
                    + stale_note(journal, a.name, phase)
                )
            # Likewise every due tick sampled in time: a run whose cadence collapsed does not
            # pass on the fraction of its ticks it did sample.
            if result.outcome is Outcome.HELD and result.missed:
                missing.append(
                    f"SLI {a.name!r} held in the {label} on partial evidence: "
                    f"{result.missed} of {result.ticks} due tick(s) were not sampled in time"
                )
    for r in alerts:
        d = r.detection
        if r.expected.required and d.status is DetectionStatus.NO_DATA:
            missing.append(
                f"required alert {d.alertname!r}: no evidence whether it fired "
                f"({r.unknown} unknown reading(s) of ALERTS)"
            )
        if r.expected.required and d.status is DetectionStatus.FIRING_BEFORE_FAULT:
            missing.append(
                f"required alert {d.alertname!r} was already firing before the fault, so it "
                "cannot show that the fault was detected"
            )
    missing.extend(_faults_not_observed(journal))
    if missing:
        return Verdict.INCONCLUSIVE, tuple(missing)
    return Verdict.PASSED, ("every fault was confirmed active and every hypothesis held",)


def _dry_run(journal: Journal, injected: bool) -> tuple[Verdict, tuple[str, ...]]:
    preflight = journal.phase(Phase.PREFLIGHT)
    if injected:
        return Verdict.INCONCLUSIVE, ("dry run, yet a fault was created: nothing to judge",)
    if preflight is None or not preflight.completed:
        return Verdict.INCONCLUSIVE, ("dry run: preflight did not run to its end",)
    planned = len(journal.plan)
    return Verdict.DRY_RUN, (
        f"dry run: preflight passed, nothing injected ({planned} fault(s) planned)",
    )


def _faults_not_confirmed(journal: Journal) -> tuple[str, ...]:
    """Every planned fault must have been injected and confirmed active; say which were not."""
    recorded = {r.fault for r in journal.injections}
    never = [p for p in journal.plan if p.fault not in recorded]
    unconfirmed = [r.fault for r in journal.injections if not r.confirmed]
    reasons = [
        f"planned fault {p.fault!r} ({p.kind} on {p.target} at "
        f"+{format_duration(p.planned_start)}) was never injected"
        for p in never
    ]
    if unconfirmed or not (journal.injections or never):
        names = ", ".join(unconfirmed) or "none were created"
        reasons.insert(0, f"fault never confirmed active on any target: {names}")
    return tuple(reasons)


def _faults_not_observed(journal: Journal) -> tuple[str, ...]:
    """Every confirmed fault must have had a blast-window tick sampled while it was active
    (from its confirmation to its removal, or to the window's end when rollback removed it): a
    fault no tick saw was never judged, so a pass would say nothing about it. Ticks sit on the
    millisecond grid the journal keeps, which may put the window's first tick up to a
    millisecond before the confirmation that preceded it: that much slack, no more."""
    observe = journal.phase(Phase.OBSERVE)
    if observe is None:
        return ()
    start = observe.started_at
    window_end = start + journal.schedule["blast"]
    ended = observe.ended_at if observe.ended_at is not None else window_end
    ticks = sorted(
        {
            s.times[i]
            for s in journal.series.values()
            for i in s.span(Phase.OBSERVE)
            if s.status[i] != SampleStatus.MISSED  # a missed tick observed nothing
        }
    )
    reasons = []
    for rec in journal.injections:
        if not rec.confirmed or rec.confirmed_at is None:
            continue
        since = rec.confirmed_at - _GRID_SLACK
        removed = rec.removed_at if rec.removed_at is not None and rec.removed_at < ended else None
        if any(since <= t and (removed is None or t < removed) for t in ticks):
            continue
        until = window_end if removed is None else removed
        reasons.append(
            f"fault {rec.fault!r} was active from {_offset(rec.confirmed_at, start)} to "
            f"{_offset(until, start)} but no tick observed it"
        )
    return tuple(reasons)


def _offset(t: float, start: float) -> str:
    """``t`` as an offset into the blast window, as the plan writes it (+4.5s)."""
    text = f"{max(0.0, t - start):.3f}".rstrip("0")
    return f"+{text}0s" if text.endswith(".") else f"+{text}s"


def _too_short(journal: Journal, sli: str, phase: Phase, outcome: Outcome) -> str:
    """Why a rule could not have failed, for the reason line of a too-short outcome."""
    if outcome is not Outcome.TOO_SHORT:
        return ""
    rec = next(r for r in journal.slis if r.name == sli)
    span = ticks_span(journal.series[sli], phase)
    return (
        f": the rule ({judge_of(rec).describe()}) could not have failed, because the "
        f"{'baseline' if phase is Phase.BASELINE else 'blast window'}'s ticks spanned only "
        f"{format_duration(round(span, 3))}"
    )


def _stale_note(journal: Journal, sli: str, phase: Phase, outcome: Outcome) -> str:
    """How many ticks were stale and the first recorded why, for a stale-data outcome."""
    if outcome is not Outcome.STALE:
        return ""
    return ": " + stale_note(journal, sli, phase)


def _missed_note(journal: Journal, phase: Phase, outcome: Outcome) -> str:
    """How many due ticks were not sampled in time, for a missed-ticks outcome."""
    if outcome is not Outcome.MISSED:
        return ""
    missed = journal.ticks.missed(phase)
    return (
        f": {missed} due tick(s) were not sampled in time (the probe loop fell more than half "
        "a probe interval behind, or skipped them)"
    )
