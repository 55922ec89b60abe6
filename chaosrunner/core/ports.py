"""The small Protocols between the run engine and the outside world.

Adapters (Prometheus, the local process driver, Chaos Mesh, report writers) implement these;
the runner depends only on them, so unit tests can drive a whole run with in-repo fakes while
integration tests plug in the real things.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

from chaosrunner.core.journal import (
    CheckRecord,
    EscalationRecord,
    Event,
    SampleStatus,
    TargetRecord,
)
from chaosrunner.core.model import Binding, DriverKind
from chaosrunner.core.plan import Plan, PlannedFault


@dataclass(frozen=True)
class Reading:
    """One instant value: a number, no data, stale data, or a probe error (never raised)."""

    value: float | None
    status: SampleStatus
    error: str = ""

    @classmethod
    def ok(cls, value: float) -> Reading:
        return cls(value, SampleStatus.OK)

    @classmethod
    def no_data(cls, why: str = "") -> Reading:
        return cls(None, SampleStatus.NO_DATA, why)

    @classmethod
    def failed(cls, error: str) -> Reading:
        return cls(None, SampleStatus.ERROR, error)

    @classmethod
    def stale(cls, why: str) -> Reading:
        """The query answered from samples older than the freshness bound: no usable value."""
        return cls(None, SampleStatus.STALE, why)


@dataclass(frozen=True)
class SliTick:
    """One SLI on one tick, as the engine read it: what the progress view shows.

    ``holds`` is True only for fresh data that meets the objective; ``why`` says what went
    wrong when there is no usable value (the probe's error, why there is no data, why stale).
    """

    value: float | None
    status: SampleStatus
    holds: bool
    objective: str
    why: str = ""
    #: The SLI's unit (``core/display.py``), so the view shows 62.9 % and 1.0 ms, not ratios.
    unit: str = ""


class MetricsSource(Protocol):
    def ping(self) -> str:
        """Describe the source (e.g. its version); raise MetricsError if unreachable."""
        ...

    def instant(self, query: str, at: float) -> Reading:
        """The query's single value at ``at`` (epoch seconds)."""
        ...


@dataclass(frozen=True)
class ProfileText:
    """One instance's goroutine profile in pprof's ``debug=1`` text, and where it was read."""

    #: Where it came from, without credentials (a URL, or namespace/pod:port).
    source: str
    text: str


class ProfileFetcher(Protocol):
    """Reads goroutine profiles from a target's ``pprof`` binding (a URL, or the pod proxy)."""

    def goroutines(self, binding: Binding) -> Sequence[ProfileText]:
        """Each instance's profile; raise a ChaosRunnerError saying why it could not be read."""
        ...


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment: str
    started_at: float


JsonValue: TypeAlias = (
    str | int | float | bool | Sequence["JsonValue"] | Mapping[str, "JsonValue"] | None
)


@dataclass(frozen=True)
class Handle:
    """What a driver created for one fault: enough to confirm, remove and clean it up."""

    fault: str
    created_at: float
    expires_at: float
    #: What the journal records of the injection (names, selectors, the objects created): plain
    #: JSON values, never a driver's own state (each driver keeps that, typed, per fault).
    details: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Confirmation:
    confirmed_at: float | None
    targets: tuple[TargetRecord, ...]
    detail: str = ""


@dataclass(frozen=True)
class Removal:
    removed_at: float
    confirmed: bool
    detail: str = ""
    #: Set when the driver had to force the removal past the fault's owner: gone, but its
    #: targets may not have recovered (the verdict is then never PASSED).
    escalation: EscalationRecord | None = None


class FaultDriver(Protocol):
    """Injects faults of the kinds it supports, each with its own expiry."""

    kind: DriverKind

    def preflight(self, plan: Plan, run: RunInfo) -> Sequence[CheckRecord]:
        """Check targets, capabilities and locks; may acquire the run's locks."""
        ...

    def describe(self, fault: PlannedFault, run: RunInfo) -> str:
        """Exactly what ``inject`` would create, for --dry-run."""
        ...

    def inject(self, fault: PlannedFault, run: RunInfo) -> Handle:
        """Create the fault with its own expiry; raise InjectionError on failure."""
        ...

    def confirm(self, fault: PlannedFault, handle: Handle, timeout: float) -> Confirmation:
        """Wait until the fault is active on at least one target, or the timeout passes."""
        ...

    def remove(self, fault: PlannedFault, handle: Handle, timeout: float) -> Removal:
        """Remove the fault and confirm it is gone; raise RemovalError if it cannot."""
        ...

    def close(self) -> None:
        """Release what preflight acquired (locks, leases). Safe to call twice."""
        ...


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock epoch seconds."""
        ...

    def sleep_until(self, t: float) -> bool:
        """Sleep until ``t``; return False early if the run was asked to stop."""
        ...


class JournalSink(Protocol):
    def append(self, events: Sequence[Event]) -> None:
        """Append the journal's new events to the run's record, as they happen: the work is
        per event, never per journal. Events in ``DURABLE_EVENTS`` (phase changes, injections,
        removals, how the run ended) are on disk when this returns; the rest within seconds."""
        ...


class Progress(Protocol):
    """The terminal view. One implementation per output style; never print elsewhere."""

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None: ...

    def checks(self, checks: Sequence[CheckRecord]) -> None: ...

    def plan(self, lines: Sequence[str]) -> None: ...

    def tick(self, t: float, values: Mapping[str, SliTick]) -> None: ...

    def event(self, message: str) -> None: ...

    def close(self) -> None: ...
