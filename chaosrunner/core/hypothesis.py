"""Judge one SLI over one phase, and measure recovery.

Each tick is GOOD (data meets the objective), BAD (data misses it, or no data under
``noData: fail``) or UNKNOWN (no data under ``noData: inconclusive``, a probe error, stale
data: a value read from samples older than the freshness bound, under either policy, or a
missed tick: one that was due but not sampled in time, late or skipped). A rule
is decided twice, once reading every UNKNOWN tick as GOOD and once as BAD: if even the pessimistic
reading holds, the phase HELD; if even the optimistic reading is violated, it is VIOLATED; if the
two disagree the evidence is missing, and the outcome says which kind (stale data first, then
missed ticks, then no data, then probe errors).
So a missing tick can never turn into a pass, and a real breach is never hidden by one. A rule
that could not have failed in the time its ticks span (a breach must be sustained for 20s, the
ticks span 10s) is TOO_SHORT: not held, since nothing was tested.

``timeslices`` (OpenSLO timeSliceWindow/timeSliceTarget) cuts the phase's ticks, from the first
to the last, into fixed slices and asks that a share of them were good (``core/timeslices.py``),
read pessimistically and optimistically the same way; no full slice is TOO_SHORT.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.journal import SampleStatus, Series, SliRecord
from chaosrunner.core.model import Judge, JudgeRule, NoDataPolicy, Phase
from chaosrunner.core.timeslices import (
    SliceOutcome,
    TickClass,
    TimesliceResult,
    judge_timeslices,
)
from chaosrunner.core.units import Comparator

GOOD, BAD, UNKNOWN = 0, 1, 2


class Outcome(StrEnum):
    HELD = "held"
    VIOLATED = "violated"
    NO_DATA = "no-data"
    ERRORED = "probe-errors"
    #: Some ticks were read from samples older than the freshness bound (target not scraped).
    STALE = "stale-data"
    #: Some ticks were due but not sampled in time (the loop fell behind, or skipped them).
    MISSED = "missed-ticks"
    EMPTY = "no-ticks"
    #: The ticks did not span enough time for the rule to be able to fail (e.g. a breach must
    #: be sustained for 20s, but the phase's ticks span 10s): not held, since nothing was tested.
    TOO_SHORT = "too-short"

    @property
    def decided(self) -> bool:
        return self in (Outcome.HELD, Outcome.VIOLATED)


@dataclass(frozen=True)
class PhaseResult:
    sli: str
    phase: Phase
    outcome: Outcome
    ticks: int
    good: int
    bad: int
    no_data: int
    errors: int
    observed: float | None
    worst: float | None
    mean: float | None
    final: float | None
    stale: int = 0
    #: Ticks due but not sampled in time (late beyond the bound, or skipped): unknown.
    missed: int = 0

    @property
    def within_ratio(self) -> float:
        return self.good / self.ticks if self.ticks else 0.0


@dataclass(frozen=True)
class RecoveryResult:
    sli: str
    outcome: Outcome
    recovered: bool
    seconds: float | None
    ticks: int


def _classify(
    rec: SliRecord, series: Series, span: range
) -> tuple[list[int], list[float], int, int]:
    holds = rec.comparator.holds
    threshold = rec.threshold
    missing_is_bad = rec.no_data is NoDataPolicy.FAIL
    values = series.values
    status = series.status
    classes: list[int] = []
    known: list[float] = []
    no_data = errors = 0
    append_class = classes.append
    append_known = known.append
    for i in span:
        s = status[i]
        if s == SampleStatus.OK:
            v = values[i]
            append_known(v)
            append_class(GOOD if holds(v, threshold) else BAD)
        elif s == SampleStatus.NO_DATA:
            no_data += 1
            append_class(BAD if missing_is_bad else UNKNOWN)
        else:
            errors += 1
            append_class(UNKNOWN)
    return classes, known, no_data, errors


def _rule_holds(rec: SliRecord, classes: list[int], times: list[float], unknown_as: int) -> bool:
    """Whether the rule holds when every UNKNOWN tick reads as ``unknown_as``."""
    if rec.rule is JudgeRule.EVERY_TICK:
        return (BAD not in classes) and (unknown_as == GOOD or UNKNOWN not in classes)
    if rec.rule is JudgeRule.TICKS_RATIO:
        good = classes.count(GOOD) + (classes.count(UNKNOWN) if unknown_as == GOOD else 0)
        return good >= rec.min_ratio * len(classes) - 1e-9
    if rec.rule is JudgeRule.SUSTAINED:
        run_start: float | None = None
        for cls, t in zip(classes, times, strict=True):
            bad = cls == BAD or (cls == UNKNOWN and unknown_as == BAD)
            if not bad:
                run_start = None
                continue
            run_start = t if run_start is None else run_start
            if t - run_start >= rec.sustain_seconds - 1e-9:
                return False
        return True
    raise AssertionError(rec.rule)


def _aggregate(rule: JudgeRule, known: list[float]) -> float:
    match rule:
        case JudgeRule.MEAN:
            return math.fsum(known) / len(known)
        case JudgeRule.MAX:
            return max(known)
        case JudgeRule.MIN:
            return min(known)
        case _:
            return known[-1]


def judge_phase(rec: SliRecord, series: Series, phase: Phase) -> PhaseResult:
    span = series.span(phase)
    classes, known, no_data, errors = _classify(rec, series, span)
    statuses = series.status[span.start : span.stop]
    stale = statuses.count(SampleStatus.STALE)
    missed = statuses.count(SampleStatus.MISSED)
    errors -= stale + missed  # _classify counts every other unknown status as an error
    ticks = len(classes)
    good = classes.count(GOOD)
    bad = classes.count(BAD)
    unknown = ticks - good - bad
    worst = (max(known) if rec.comparator.wants_low else min(known)) if known else None
    mean = math.fsum(known) / len(known) if known else None
    final = (
        series.values[span[-1]] if ticks and series.status[span[-1]] == SampleStatus.OK else None
    )
    observed: float | None = None

    if ticks == 0:
        outcome = Outcome.EMPTY
    elif rec.rule is JudgeRule.TIMESLICES and rec.slice_window <= 0:
        outcome = Outcome.TOO_SHORT  # validation forbids it; a hand-made journal may not
    elif rec.rule is JudgeRule.TIMESLICES:
        result = timeslices_of(rec, series, phase, rec.slice_window)
        outcome = _SLICE_OUTCOMES.get(result.outcome) or _undecided(rec, no_data, stale, missed)
        observed = result.good_share
    elif rec.rule in (JudgeRule.EVERY_TICK, JudgeRule.TICKS_RATIO, JudgeRule.SUSTAINED):
        times = list(series.times[span.start : span.stop])
        if not judge_of(rec).can_fail_within(times[-1] - times[0]):
            outcome = Outcome.TOO_SHORT
        elif _rule_holds(rec, classes, times, BAD):
            outcome = Outcome.HELD
        elif not _rule_holds(rec, classes, times, GOOD):
            outcome = Outcome.VIOLATED
        else:
            outcome = _undecided(rec, no_data, stale, missed)
        observed = good / ticks if rec.rule is JudgeRule.TICKS_RATIO else worst
    else:
        last = series.status[span[-1]]
        outcome, observed = _judge_aggregate(
            rec, classes, known, unknown, no_data, final, last, stale, missed
        )
    return PhaseResult(
        rec.name,
        phase,
        outcome,
        ticks,
        good,
        bad,
        no_data,
        errors,
        observed,
        worst,
        mean,
        final,
        stale,
        missed,
    )


def judge_of(rec: SliRecord) -> Judge:
    return Judge(rec.rule, rec.min_ratio, rec.sustain_seconds, rec.slice_window, rec.slice_target)


_SLICE_OUTCOMES = {
    SliceOutcome.HELD: Outcome.HELD,
    SliceOutcome.VIOLATED: Outcome.VIOLATED,
    SliceOutcome.TOO_SHORT: Outcome.TOO_SHORT,
}
_TICK_CLASSES = {GOOD: TickClass.GOOD, BAD: TickClass.BAD, UNKNOWN: TickClass.UNKNOWN}


def timeslices_of(
    rec: SliRecord, series: Series, phase: Phase, window: float, target: float | None = None
) -> TimesliceResult:
    """The ``window``-second slices of ``phase``'s ticks (first tick to last), each judged as in
    ``core/timeslices.py``; ticks keep their class here (``noData: fail`` makes no-data BAD).
    ``target`` defaults to the SLI's own timeSliceTarget."""
    span = series.span(phase)
    classes, _, _, _ = _classify(rec, series, span)
    times = list(series.times[span.start : span.stop])
    start, end = (times[0], times[-1]) if times else (0.0, 0.0)
    return judge_timeslices(
        times,
        [_TICK_CLASSES[c] for c in classes],
        start,
        end,
        window,
        rec.slice_target if target is None else target,
    )


def ticks_span(series: Series, phase: Phase) -> float:
    """Seconds from the first to the last tick of ``phase`` (0 with fewer than two ticks)."""
    span = series.span(phase)
    return series.times[span[-1]] - series.times[span[0]] if len(span) > 1 else 0.0


def _undecided(rec: SliRecord, no_data: int, stale: int = 0, missed: int = 0) -> Outcome:
    """Name the missing evidence: stale ticks first (they explain the no-data ticks that follow
    a target going down), then missed ticks, then no-data ticks where they are unknown, then
    probe errors."""
    if stale:
        return Outcome.STALE
    if missed:
        return Outcome.MISSED
    counted = no_data if rec.no_data is NoDataPolicy.INCONCLUSIVE else 0
    return Outcome.NO_DATA if counted else Outcome.ERRORED


def _by_status(status: int) -> Outcome:
    if status == SampleStatus.STALE:
        return Outcome.STALE
    if status == SampleStatus.MISSED:
        return Outcome.MISSED
    return Outcome.NO_DATA if status == SampleStatus.NO_DATA else Outcome.ERRORED


_LOW = (Comparator.LE, Comparator.LT)
_HIGH = (Comparator.GE, Comparator.GT)


def _judge_aggregate(
    rec: SliRecord,
    classes: list[int],
    known: list[float],
    unknown: int,
    no_data: int,
    final: float | None,
    last_status: int,
    stale: int = 0,
    missed: int = 0,
) -> tuple[Outcome, float | None]:
    missing_bad = rec.no_data is NoDataPolicy.FAIL and no_data > 0
    if rec.rule is JudgeRule.FINAL:
        last = classes[-1]
        if last == UNKNOWN:
            return _by_status(last_status), None
        return (Outcome.VIOLATED if last == BAD else Outcome.HELD), final
    if missing_bad:
        return Outcome.VIOLATED, _aggregate(rec.rule, known) if known else None
    if not known:
        return _undecided(rec, no_data, stale, missed), None
    value = _aggregate(rec.rule, known)
    meets = rec.holds(value)
    if unknown == 0:
        return (Outcome.HELD if meets else Outcome.VIOLATED), value
    # Unknown ticks could move a mean anywhere; they can only raise a max and lower a min.
    op = rec.comparator
    if rec.rule is JudgeRule.MAX and ((op in _LOW and not meets) or (op in _HIGH and meets)):
        return (Outcome.HELD if meets else Outcome.VIOLATED), value
    if rec.rule is JudgeRule.MIN and ((op in _HIGH and not meets) or (op in _LOW and meets)):
        return (Outcome.HELD if meets else Outcome.VIOLATED), value
    return _undecided(rec, no_data, stale, missed), value


def judge_recovery(
    rec: SliRecord, series: Series, recovery_started: float | None, limit: float = math.inf
) -> RecoveryResult:
    """Recovered at the first recovery tick from which every later tick meets the objective,
    provided that tick came within ``limit`` seconds of the recovery's start."""
    span = series.span(Phase.RECOVERY)
    if not span or recovery_started is None:
        return RecoveryResult(rec.name, Outcome.EMPTY, False, None, 0)
    classes, _, _, _ = _classify(rec, series, span)
    if classes[-1] != GOOD:
        if classes[-1] == UNKNOWN:
            outcome = _by_status(series.status[span[-1]])
            return RecoveryResult(rec.name, outcome, False, None, len(classes))
        return RecoveryResult(rec.name, Outcome.VIOLATED, False, None, len(classes))
    first = len(classes) - 1
    while first > 0 and classes[first - 1] == GOOD:
        first -= 1
    seconds = max(0.0, series.times[span[first]] - recovery_started)
    if seconds > limit:
        return RecoveryResult(rec.name, Outcome.VIOLATED, False, seconds, len(classes))
    return RecoveryResult(rec.name, Outcome.HELD, True, seconds, len(classes))


def tick_holds(rec: SliRecord, value: float | None) -> bool:
    """Used live by the runner to know when every SLI is back within its objective."""
    return value is not None and rec.holds(value)
