"""The contract between the local driver and its per-fault-kind handlers.

A handler knows one fault kind: which targets it would hit, how to apply it, what undoes it, and
how to read back whether it is active. The driver owns everything common: records, watchdogs,
locks, timeouts, and the order (record and watchdog before the fault, undo before the record goes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chaosrunner.adapters.local.records import UndoAction
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault


@dataclass(frozen=True)
class Prepared:
    """What a handler will act on, decided before anything changes."""

    targets: tuple[str, ...]
    undo: tuple[UndoAction, ...]
    details: dict[str, Any] = field(default_factory=dict)
    description: str = ""


class LocalHandler(Protocol):
    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        """Resolve targets and the undo actions; raise DriverError if there is nothing to hit."""
        ...

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        """Start the fault; return undo actions learnt only now; raise InjectionError."""
        ...

    def active_on(self, prepared: Prepared) -> list[str]:
        """The targets on which the fault is observably active right now."""
        ...

    def removed(self, prepared: Prepared) -> bool:
        """Whether the fault is observably gone from every target."""
        ...
