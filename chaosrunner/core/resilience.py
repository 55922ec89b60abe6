"""The resilience score, 0 to 100: how much of the blast window each hypothesis held, weighted.

Formula (this text goes to the README)::

    share(h) = good slices of h / all full slices of h in the blast window
               (an UNKNOWN slice counts as not good; no judgeable slice at all: share 0)
    raw      = 100 * sum(weight(h) * share(h)) / sum(weight(h))
    score    = raw rounded down to 0.1, and at most 99 when the verdict is not PASSED

``weight(h)`` is 3 for a ``critical`` hypothesis and 1 for a ``warning`` one, unless the
hypothesis sets its own. This is the weighted share of good timeslices, in the spirit of Krkn's
and LitmusChaos' weighted scores, on timeslices so that it does not depend on the tick interval.

Why these rules: missing evidence lowers the score and can never raise it (an unknown slice
counts exactly as a bad one, an SLI without a judgeable slice counts as all bad), so a run with a
blind spot scores no better than one that failed there. A run that is not PASSED never shows 100:
a 100 that hides a failed recovery or a missing fault confirmation would be read as "all fine".
The score is a trend line across game days; the verdict remains the gate. The breakdown gives
each hypothesis' share and the points it cost, so the number can be explained line by line.

``core/score.py`` (share of good ticks) stays for the journal's existing ``score``; switching the
verdict to this one is ``resilience_score(...)`` in place of ``score_of(...)`` in
``core/verdict.py``, with the timeslice results of the blast window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.timeslices import TimesliceResult

#: The highest score a run that is not PASSED can show.
NOT_PASSED_CAP = 99.0


class Severity(StrEnum):
    CRITICAL = "critical"
    WARNING = "warning"


DEFAULT_WEIGHTS = {Severity.CRITICAL: 3.0, Severity.WARNING: 1.0}


@dataclass(frozen=True)
class ScoreInput:
    """One hypothesis' blast-window timeslices; ``slices`` None when it could not be judged."""

    sli: str
    severity: Severity
    slices: TimesliceResult | None
    weight: float | None = None

    @property
    def effective_weight(self) -> float:
        return DEFAULT_WEIGHTS[self.severity] if self.weight is None else self.weight


@dataclass(frozen=True)
class ScorePart:
    sli: str
    severity: Severity
    weight: float
    good: int
    bad: int
    unknown: int
    #: good / all slices, 0 when nothing was judgeable.
    share: float
    #: Score points this hypothesis cost: 100 * weight * (1 - share) / sum of weights.
    points_lost: float


@dataclass(frozen=True)
class ResilienceScore:
    score: float | None
    #: True when the verdict was not PASSED and the raw score was above the cap.
    capped: bool
    parts: tuple[ScorePart, ...]


def resilience_score(inputs: Sequence[ScoreInput], *, passed: bool) -> ResilienceScore:
    """The weighted share of good blast-window timeslices; None without any hypothesis."""
    for i in inputs:
        if i.effective_weight <= 0:
            raise ValueError(f"{i.sli}: a hypothesis weight must be > 0, got {i.effective_weight}")
    total_weight = sum(i.effective_weight for i in inputs)
    if not inputs:
        return ResilienceScore(None, False, ())
    parts = []
    weighted = 0.0
    for i in inputs:
        s = i.slices
        n = len(s.slices) if s is not None else 0
        good = s.good if s is not None else 0
        share = good / n if n else 0.0
        weighted += i.effective_weight * share
        lost = 100.0 * i.effective_weight * (1.0 - share) / total_weight
        parts.append(
            ScorePart(
                i.sli,
                i.severity,
                i.effective_weight,
                good,
                s.bad if s is not None else 0,
                s.unknown if s is not None else 0,
                share,
                lost,
            )
        )
    raw = math.floor(1000.0 * weighted / total_weight + 1e-9) / 10.0  # never rounds up to 100
    capped = not passed and raw > NOT_PASSED_CAP
    return ResilienceScore(min(raw, NOT_PASSED_CAP) if not passed else raw, capped, tuple(parts))
