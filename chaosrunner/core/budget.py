"""Error-budget burn: what the experiment cost against a declared SLO.

An SLO such as "99.9 % over 30 days" allows an error ratio of 0.1 %: its budget is
30 d * 0.1 % = 43.2 minutes of full outage. A tick whose error ratio is ``e`` burns at
``e / (1 - SLO)`` (burn rate 1 spends the budget exactly over the SLO window; the SRE
workbook's fast-burn alert fires at 14.4). Over a phase, each tick stands for the time until the
next tick (the last one until the phase end), and the budget consumed is
``sum(e_i * dt_i)``: a 10-minute blast at 50 % errors consumes 5 minutes, 11.6 % of 43.2.

Ticks without evidence (``None``: no data, probe error, stale or missed) are never counted as
zero burn. They are left out of the measured figures and reported on their own: the seconds and
share of the phase they cover, and a worst case that reads each as a full outage (error ratio 1).
A phase with unknown time therefore shows a measured burn and an upper bound, never one number
that silently assumes the missing time was healthy.

The error ratio of a tick is the caller's: ``1 - availability`` for a ratio SLI
(:func:`error_ratios_from_good`), or 1 for a tick that missed a threshold objective and 0 for
one that met it (:func:`error_ratios_from_classes`, timeslice budgeting).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from chaosrunner.core.timeslices import TickClass
from chaosrunner.core.units import parse_duration, parse_percent


@dataclass(frozen=True)
class Slo:
    """A declared service-level objective: ``target`` (0.999) over ``window_seconds``."""

    target: float
    window_seconds: float

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            raise ValueError(f"an SLO target must be above 0 % and below 100 %, got {self.target}")
        if not self.window_seconds > 0:
            raise ValueError(f"an SLO window must be > 0s, got {self.window_seconds}")

    @property
    def allowed_error(self) -> float:
        return 1.0 - self.target

    @property
    def budget_seconds(self) -> float:
        """The whole error budget, in seconds of full outage over the SLO window."""
        return self.window_seconds * self.allowed_error


def parse_slo(target: str, window: str) -> Slo:
    """``parse_slo("99.9%", "30d")``-style input; days are written in hours (``720h``)."""
    return Slo(parse_percent(target), parse_duration(window))


def burn_rate(error_ratio: float | None, slo: Slo) -> float | None:
    """How fast a tick spends the budget: 1 spends exactly the budget over the SLO window."""
    if error_ratio is None or math.isnan(error_ratio):
        return None
    return error_ratio / slo.allowed_error


def burn_rates(error_ratios: Sequence[float | None], slo: Slo) -> tuple[float | None, ...]:
    return tuple(burn_rate(e, slo) for e in error_ratios)


def error_ratios_from_good(good_ratios: Sequence[float | None]) -> tuple[float | None, ...]:
    """``1 - availability`` per tick, clipped to [0, 1]; None stays None."""
    return tuple(
        None if g is None or math.isnan(g) else min(1.0, max(0.0, 1.0 - g)) for g in good_ratios
    )


def error_ratios_from_classes(classes: Sequence[TickClass]) -> tuple[float | None, ...]:
    """Timeslice budgeting: a BAD tick is a full error, a GOOD one none, UNKNOWN is None."""
    return tuple(
        None if c is TickClass.UNKNOWN else 1.0 if c is TickClass.BAD else 0.0 for c in classes
    )


@dataclass(frozen=True)
class PhaseBurn:
    """The budget one phase consumed; ``None`` figures mean no tick had evidence."""

    seconds: float
    #: Seconds covered by ticks with evidence / without (their sum is ``seconds``).
    known_seconds: float
    unknown_seconds: float
    #: Time-weighted mean burn rate over the known time.
    burn_rate: float | None
    #: Budget consumed by the known time, in seconds of full outage.
    consumed_seconds: float
    #: Budget consumed if every unknown tick had been a full outage: the upper bound.
    consumed_worst_seconds: float
    budget_seconds: float

    @property
    def unknown_share(self) -> float:
        return self.unknown_seconds / self.seconds if self.seconds else 0.0

    @property
    def consumed_minutes(self) -> float:
        return self.consumed_seconds / 60.0

    @property
    def consumed_share(self) -> float:
        """The share of the whole SLO budget the known time consumed (0.116 = 11.6 %)."""
        return self.consumed_seconds / self.budget_seconds

    @property
    def consumed_worst_share(self) -> float:
        return self.consumed_worst_seconds / self.budget_seconds


def phase_burn(
    times: Sequence[float], error_ratios: Sequence[float | None], end: float, slo: Slo
) -> PhaseBurn:
    """The budget a phase consumed: tick ``i`` stands for ``[t_i, t_i+1)``, the last for
    ``[t_last, end)``. Ticks must be in time order; ``end`` is the phase end."""
    if len(times) != len(error_ratios):
        raise ValueError(f"{len(times)} times but {len(error_ratios)} error ratios")
    known = unknown = consumed = 0.0
    for i, (t, e) in enumerate(zip(times, error_ratios, strict=True)):
        nxt = times[i + 1] if i + 1 < len(times) else end
        dt = nxt - t
        if dt < 0:
            raise ValueError(f"tick {i} at {t} is after the next tick or the phase end ({nxt})")
        if e is None or math.isnan(e):
            unknown += dt
        else:
            known += dt
            consumed += min(1.0, max(0.0, e)) * dt
    rate = consumed / known / slo.allowed_error if known > 0 else None
    return PhaseBurn(
        seconds=known + unknown,
        known_seconds=known,
        unknown_seconds=unknown,
        burn_rate=rate,
        consumed_seconds=consumed,
        consumed_worst_seconds=consumed + unknown,
        budget_seconds=slo.budget_seconds,
    )
