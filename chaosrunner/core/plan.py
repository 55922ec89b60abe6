"""When each fault starts and ends inside the blast window, and when it must expire by itself.

Serial faults follow one another (each ``after`` counts from the previous fault's end); parallel
faults all count from the window's start. A fault's own expiry is its duration plus the margin:
Chaos Mesh's ``spec.duration`` and the local watchdog both use it, so a dead orchestrator still
leaves nothing behind for longer than that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from chaosrunner.core.faults import REGISTRY, FaultKind
from chaosrunner.core.model import Experiment, Fault, FaultOrder, tick_span
from chaosrunner.core.units import format_duration


class ScheduleError(ValueError):
    def __init__(self, index: int, field: str, message: str) -> None:
        self.index = index
        self.field = field
        super().__init__(message)


def schedule_faults(
    items: Sequence[tuple[float, float | None]], blast: float, order: FaultOrder
) -> list[tuple[float, float]]:
    """(start, end) offsets for each (after, duration); raises ScheduleError naming the fault."""
    spans: list[tuple[float, float]] = []
    cursor = 0.0
    for i, (after, given) in enumerate(items):
        start = (cursor if order is FaultOrder.SERIAL else 0.0) + after
        duration = given
        if duration is None:
            if order is FaultOrder.SERIAL and i < len(items) - 1:
                raise ScheduleError(
                    i, "duration", "in serial order every fault but the last needs a duration"
                )
            duration = blast - start
        end = start + duration
        if duration <= 0 or end > blast + 1e-9:
            raise ScheduleError(
                i,
                "after" if start >= blast else "duration",
                f"the fault would run from {start:g}s to {end:g}s; expected it to fit the "
                f"blast window of {format_duration(blast)}",
            )
        spans.append((start, end))
        cursor = end
    return spans


def observing_tick(start: float, end: float, blast: float, interval: float) -> float | None:
    """The first probe tick of the blast window that sees the system under a fault planned
    from ``start`` to ``end`` (offsets), or None when no tick would: then the hypothesis never
    judged the system under that fault, and a pass would say nothing about it.

    Ticks fall at 0, i, 2i, ... up to the window's length. A tick sees a fault that is in place
    when it samples: a fault at +0 is confirmed before the window's first tick, but one that
    starts later is injected and confirmed after the tick due at that instant was taken, so the
    tick must come after its start; a fault that ends inside the window is removed before the
    tick due at its end, so the tick must come before its end, while one that lasts to the
    window's end is removed only in rollback, after the last tick.
    """
    if interval <= 0:
        return None
    eps = 1e-9 * max(1.0, blast)
    k = 0 if start <= eps else math.floor(start / interval + 1e-9) + 1
    tick = k * interval
    if tick > tick_span(blast, interval) + eps:
        return None
    if end < blast - eps and tick >= end - eps:
        return None
    return tick


@dataclass(frozen=True)
class PlannedFault:
    fault: Fault
    kind: FaultKind
    start: float
    end: float
    expiry: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    def describe(self) -> str:
        when = f"+{format_duration(self.start)}..+{format_duration(self.end)}"
        params = ", ".join(f"{k}={v}" for k, v in self.fault.params.items()) or "no parameters"
        return (
            f"{self.fault.name}: {self.kind.name} on target {self.fault.target} at {when} "
            f"({params}); expires on its own after {format_duration(self.expiry)}"
        )


@dataclass(frozen=True)
class Plan:
    experiment: Experiment
    faults: tuple[PlannedFault, ...]

    @property
    def total_seconds(self) -> float:
        s = self.experiment.schedule
        return s.baseline + s.blast + s.recovery


def make_plan(experiment: Experiment) -> Plan:
    sched = experiment.schedule
    spans = schedule_faults(
        [(f.start_after, f.duration) for f in experiment.faults],
        sched.blast,
        experiment.fault_order,
    )
    planned = tuple(
        PlannedFault(
            fault=fault,
            kind=REGISTRY[fault.type],
            start=start,
            end=end,
            expiry=(end - start) + sched.expiry_margin,
        )
        for fault, (start, end) in zip(experiment.faults, spans, strict=True)
    )
    return Plan(experiment, planned)
