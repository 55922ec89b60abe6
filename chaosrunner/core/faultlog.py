"""The faults table: what each fault was, how it was confirmed, how long it was really active
on each target, and how far into the blast window an abort came. Pure, from the journal.

A target's active time runs from its own injection to its own recovery (the driver's stamps),
else to the fault's removal, else to the end of the run (a fault never confirmed removed is
reported as still active at the end, never as shorter than it was).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaosrunner.core.journal import Journal
from chaosrunner.core.model import Phase


@dataclass(frozen=True)
class TargetActivity:
    target: str
    injected_at: float | None
    ended_at: float | None
    #: Seconds the fault was active on this target; None when it never was.
    active_seconds: float | None
    #: True when no removal or recovery was recorded: active until at least the run's end.
    open_ended: bool


@dataclass(frozen=True)
class FaultActivity:
    fault: str
    kind: str
    params: Mapping[str, Any]
    confirmation: str
    confirmed_at: float | None
    removed_at: float | None
    removal_confirmed: bool
    targets: tuple[TargetActivity, ...]
    error: str


def fault_activity(journal: Journal) -> tuple[FaultActivity, ...]:
    run_end = journal.finished_at or max(
        (p.ended_at or p.started_at for p in journal.phases), default=journal.started_at
    )
    out = []
    for rec in journal.injections:
        targets = []
        for t in rec.targets:
            end = t.recovered_at if t.recovered_at is not None else rec.removed_at
            open_ended = end is None
            if t.injected_at is None:
                seconds = None
            else:
                seconds = max(0.0, (run_end if end is None else end) - t.injected_at)
            targets.append(TargetActivity(t.id, t.injected_at, end, seconds, open_ended))
        out.append(
            FaultActivity(
                rec.fault,
                rec.kind,
                dict(rec.params),
                rec.confirmation,
                rec.confirmed_at,
                rec.removed_at,
                rec.removal_confirmed,
                tuple(targets),
                rec.error,
            )
        )
    return tuple(out)


def abort_offset(journal: Journal) -> float | None:
    """Seconds into the blast window at which the run was aborted; None when it was not
    aborted during (or after the start of) the blast window."""
    observe = journal.phase(Phase.OBSERVE)
    if journal.abort is None or observe is None:
        return None
    return max(0.0, journal.abort.at - observe.started_at)
