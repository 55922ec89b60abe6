"""Timeslices, in the OpenSLO sense: "p95 <= 200 ms in at least 95 % of 10 s slices".

A per-tick rule (``every-tick``, ``ticks-ratio``) counts samples, so its meaning changes with the
tick interval. A timeslice rule counts wall-clock slices (``timeSliceWindow``) and asks that a
share of them (``timeSliceTarget``) were good, which is what SLO tooling (OpenSLO, Nobl9) means
by Timeslices budgeting and what a score across runs with different cadences can compare.

How a slice is judged. Slices are cut from the phase start: ``[start + k·w, start + (k+1)·w)``.
A slice is GOOD when every tick in it met the objective, BAD when any tick in it missed, and
UNKNOWN otherwise (a tick without evidence and none that missed, or no tick at all). Every tick,
not the slice's aggregate: our ticks are already aggregates over a PromQL window (a p95 over
``rate(...[30s])``, a good/total ratio), and averaging ratios without their request counts
would be wrong; OpenSLO's ratio Timeslices use the slice's ratio because they own the counts.
A tick exactly at the phase end belongs to the last slice (ticks fall at 0, i, ..., the end).

Partial trailing slice: a tail shorter than the window is not judged (it would weigh as much as
a full slice on less evidence); :attr:`TimesliceResult.partial_seconds` says how much was left
out. A phase shorter than one window cannot be judged at all: see :func:`judgeable`.

The rule is read twice, as the per-tick rules are (``core/hypothesis.py``): pessimistically,
every UNKNOWN slice as BAD, and optimistically, as GOOD. HELD if even the pessimistic share meets
the target, VIOLATED if even the optimistic share misses it, UNDECIDED otherwise: evidence is
missing, and a missing slice never turns into a pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from chaosrunner.core.units import Objective

_EPS = 1e-9


class TickClass(StrEnum):
    """One tick (or slice) against its objective."""

    GOOD = "good"
    BAD = "bad"
    #: No evidence: no data under ``noData: inconclusive``, a probe error, stale or missed.
    UNKNOWN = "unknown"


class SliceOutcome(StrEnum):
    HELD = "held"
    VIOLATED = "violated"
    #: Unknown slices decide it: evidence is missing (INCONCLUSIVE material, never a pass).
    UNDECIDED = "undecided"
    #: Not one full slice fits the phase: nothing was tested.
    TOO_SHORT = "too-short"


def classify(values: Sequence[float | None], objective: Objective) -> tuple[TickClass, ...]:
    """Each tick's class against ``objective``; None (no usable evidence) is UNKNOWN.

    A caller judging ``noData: fail`` turns its no-data ticks into BAD itself: only it knows
    which None was "no data" and which was a probe error, stale data or a missed tick.
    """
    return tuple(
        TickClass.UNKNOWN if v is None else TickClass.GOOD if objective.holds(v) else TickClass.BAD
        for v in values
    )


class Timeslice(NamedTuple):
    """One slice and its ticks. A NamedTuple, not a frozen dataclass: the verdict builds one
    per tick for the score (~800k for a day of 1 s ticks over 10 SLIs), and a frozen
    dataclass's __init__ made that about half of the verdict's time."""

    start: float
    end: float
    good: int
    bad: int
    unknown: int
    outcome: TickClass

    @property
    def ticks(self) -> int:
        return self.good + self.bad + self.unknown


@dataclass(frozen=True)
class TimesliceResult:
    window: float
    target: float
    slices: tuple[Timeslice, ...]
    outcome: SliceOutcome
    #: Seconds at the end of the phase shorter than a window, left out of the judgement.
    partial_seconds: float

    @property
    def good(self) -> int:
        return sum(1 for s in self.slices if s.outcome is TickClass.GOOD)

    @property
    def bad(self) -> int:
        return sum(1 for s in self.slices if s.outcome is TickClass.BAD)

    @property
    def unknown(self) -> int:
        return sum(1 for s in self.slices if s.outcome is TickClass.UNKNOWN)

    @property
    def good_share(self) -> float | None:
        """Good slices over all slices (unknown ones count as not good), or None if none."""
        return self.good / len(self.slices) if self.slices else None

    def describe(self) -> str:
        return f"at least {self.target:.4g} of {self.window:g}s slices"


def judgeable(phase_seconds: float, window: float, interval: float) -> str | None:
    """Why a timeslice rule cannot be judged over a phase, or None when it can.

    It needs at least one full slice in the phase, and a tick at least once per slice (a slice
    without a tick is UNKNOWN by construction, so the rule could never hold).
    """
    if window <= 0:
        return f"timeSliceWindow must be > 0 (got {window:g}s)"
    if phase_seconds + _EPS < window:
        return (
            f"no full {window:g}s slice fits the {phase_seconds:g}s phase; "
            "expected a phase at least one timeSliceWindow long"
        )
    if interval > window + _EPS:
        return (
            f"the tick interval {interval:g}s is longer than the {window:g}s slice, so some "
            "slices hold no tick; expected timeSliceWindow >= the interval"
        )
    return None


def cut_slices(
    times: Sequence[float], classes: Sequence[TickClass], start: float, end: float, window: float
) -> tuple[tuple[Timeslice, ...], float]:
    """The full slices of ``[start, end]`` with their ticks classified, and the partial tail."""
    if len(times) != len(classes):
        raise ValueError(f"{len(times)} times but {len(classes)} classes")
    if window <= 0:
        raise ValueError(f"window must be > 0, got {window!r}")
    length = max(0.0, end - start)
    full = math.floor(length / window + _EPS)
    partial = max(0.0, length - full * window)
    partial = 0.0 if partial < _EPS else partial
    counts = [[0, 0, 0] for _ in range(full)]
    index = {TickClass.GOOD: 0, TickClass.BAD: 1, TickClass.UNKNOWN: 2}
    for t, cls in zip(times, classes, strict=True):
        if t < start - _EPS or t > end + _EPS:
            continue
        k = math.floor((t - start) / window + _EPS)
        if k == full and partial == 0.0 and full > 0:
            k = full - 1  # the tick at the phase end closes the last slice
        if 0 <= k < full:
            counts[k][index[cls]] += 1
    slices = []
    for k, (good, bad, unknown) in enumerate(counts):
        if bad:
            outcome = TickClass.BAD
        elif unknown or not good:
            outcome = TickClass.UNKNOWN
        else:
            outcome = TickClass.GOOD
        lo = start + k * window
        slices.append(Timeslice(lo, lo + window, good, bad, unknown, outcome))
    return tuple(slices), partial


def judge_timeslices(
    times: Sequence[float],
    classes: Sequence[TickClass],
    start: float,
    end: float,
    window: float,
    target: float,
) -> TimesliceResult:
    """Judge "at least ``target`` of the ``window``-second slices of [start, end] were good"."""
    if not 0 < target <= 1:
        raise ValueError(f"target must be in (0, 1], got {target!r}")
    slices, partial = cut_slices(times, classes, start, end, window)
    if not slices:
        return TimesliceResult(window, target, slices, SliceOutcome.TOO_SHORT, partial)
    n = len(slices)
    good = sum(1 for s in slices if s.outcome is TickClass.GOOD)
    unknown = sum(1 for s in slices if s.outcome is TickClass.UNKNOWN)
    if good >= target * n - _EPS:
        outcome = SliceOutcome.HELD
    elif good + unknown < target * n - _EPS:
        outcome = SliceOutcome.VIOLATED
    else:
        outcome = SliceOutcome.UNDECIDED
    return TimesliceResult(window, target, slices, outcome, partial)
