"""Phase comparison: how far the blast window fell from the service's own baseline.

Meeting or missing an objective says whether the service was good enough; it does not say how
much the fault hurt. A p95 that went from 2 ms to 150 ms still meets ``<= 200 ms`` and is a
75-fold slowdown a team wants to see. So each SLI's baseline is the reference: the mean of its
known baseline values (the baseline is steady by design, and a mean uses every tick). The blast
window is read twice, by its worst value and by its mean, each as an absolute change and as a
change relative to the reference.

Direction follows the objective: for ``<=``/``<`` higher is worse, for ``>=``/``>`` lower is
worse, so a positive degradation always means "worse" and a negative one "better". For ``==``
and ``!=`` there is no better side: any distance from the reference counts as degradation. The
shortfall is the worst value's distance past the objective's threshold (positive: missed by
that much; zero or negative: within, with that much margin).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from chaosrunner.core.units import Comparator, Objective


@dataclass(frozen=True)
class Degradation:
    reference: float
    worst: float
    mean: float
    #: worst/mean minus the reference, signed so that positive is worse.
    absolute_worst: float
    absolute_mean: float
    #: The absolute degradation over |reference|; None when the reference is 0.
    relative_worst: float | None
    relative_mean: float | None
    #: How far ``worst`` is past the threshold, positive when it missed.
    shortfall: float


def worse_of(a: float, b: float, comparator: Comparator) -> float:
    """The worse of two values under ``comparator`` (higher for ``<=``, lower for ``>=``)."""
    return max(a, b) if comparator.wants_low else min(a, b)


def degradation(
    baseline: Sequence[float | None], blast: Sequence[float | None], objective: Objective
) -> Degradation | None:
    """The blast window against the baseline mean; None when either phase has no value."""
    ref_values = _known(baseline)
    blast_values = _known(blast)
    if not ref_values or not blast_values:
        return None
    comparator = objective.comparator
    reference = math.fsum(ref_values) / len(ref_values)
    mean = math.fsum(blast_values) / len(blast_values)
    if comparator in (Comparator.EQ, Comparator.NE):
        worst = max(blast_values, key=lambda v: abs(v - reference))
    else:
        worst = max(blast_values) if comparator.wants_low else min(blast_values)
    abs_worst = _worse_by(worst, reference, comparator)
    abs_mean = _worse_by(mean, reference, comparator)
    return Degradation(
        reference=reference,
        worst=worst,
        mean=mean,
        absolute_worst=abs_worst,
        absolute_mean=abs_mean,
        relative_worst=abs_worst / abs(reference) if reference else None,
        relative_mean=abs_mean / abs(reference) if reference else None,
        shortfall=shortfall(worst, objective),
    )


def shortfall(value: float, objective: Objective) -> float:
    """How far ``value`` is past the threshold: positive when it misses, else minus the margin."""
    t = objective.threshold
    match objective.comparator:
        case Comparator.LE | Comparator.LT:
            return value - t
        case Comparator.GE | Comparator.GT:
            return t - value
        case Comparator.EQ:
            return abs(value - t)
        case Comparator.NE:
            return -abs(value - t)


def _worse_by(value: float, reference: float, comparator: Comparator) -> float:
    if comparator in (Comparator.EQ, Comparator.NE):
        return abs(value - reference)
    return value - reference if comparator.wants_low else reference - value


def _known(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and not math.isnan(v)]
