"""What ``chaosrunner cleanup`` found a crashed run had left, and what became of each thing.

Every sweep (the local fault records, the lab's toxics and leak hook, the cluster's objects and
Leases) reports in these values, so the command's exit code is decided on an outcome, never on
the wording of a line.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Place(StrEnum):
    LOCAL = "local"
    LAB = "lab"
    CLUSTER = "cluster"


class Outcome(StrEnum):
    ENDED = "ended"  # a local fault's undo actions ran
    REMOVED = "removed"  # a toxic is gone
    RELEASED = "released"  # a leak hook let its goroutines go
    DELETED = "deleted"  # a cluster object or Lease is gone
    FAILED = "FAILED"  # it could not be removed: it is still there
    UNCONFIRMED = "UNCONFIRMED"  # deleted, but not seen gone in time: it may still be there
    #: gone only because chaosrunner took Chaos Mesh's finalizer off: its targets may not have
    #: recovered, so the fault may still be active on them
    ESCALATED = "ESCALATED"
    #: not ours to delete (a PodNetworkChaos owned by the pod) but it may still hold the fault
    MAY_REMAIN = "MAY REMAIN"

    @property
    def left_behind(self) -> bool:
        return self in (Outcome.FAILED, Outcome.UNCONFIRMED, Outcome.ESCALATED, Outcome.MAY_REMAIN)


@dataclass(frozen=True)
class Leftover:
    """One thing a run left: ``what`` names it (``run/fault``, ``toxic proxy/name``, ``PodChaos
    ns/name (run r)``), ``detail`` says why it failed or how it was forced."""

    where: Place
    what: str
    outcome: Outcome
    detail: str = ""
