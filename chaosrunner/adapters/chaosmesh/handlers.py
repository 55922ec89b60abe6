"""The contract between the chaos-mesh driver and its ways of injecting a fault.

A fault reaches a cluster one of two ways: as a Chaos Mesh object, which Chaos Mesh injects and
reports on (``objects.ChaosObject``), or, for goroutine-leak, which Chaos Mesh has no chaos for,
through the leak hook the service links, called via the API server's pod proxy
(``leak.PodProxyLeak``). A handler knows one way: what it needs of the cluster (for
preflight), what it would do (for ``--dry-run``) and how to inject. What it injected is an
:class:`Injection`, a typed value that confirms and removes itself and says what the journal
records; the driver keeps it per fault and never looks inside. The driver owns the rest: the
connection, the order of the preflight checks, the Leases and the sweep at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from chaosrunner.adapters.chaosmesh.pods import Selection
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault
from chaosrunner.core.ports import Confirmation, JsonValue, Removal, RunInfo


@dataclass(frozen=True)
class Needs:
    """What faults need of the cluster, worked out before anything is created.

    ``creates_in`` are the namespaces where objects are created: the driver sweeps them by the
    run's label at the end, for whatever a failed create may have left.
    """

    namespaces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    selections: tuple[Selection, ...] = ()
    pod_proxy: bool = False
    creates_in: tuple[str, ...] = ()

    @classmethod
    def of(cls, parts: Iterable[Needs]) -> Needs:
        """All the needs of a plan, from those of its faults."""
        parts = list(parts)
        return cls(
            tuple(sorted({ns for p in parts for ns in p.namespaces})),
            tuple(sorted({k for p in parts for k in p.kinds})),
            tuple(s for p in parts for s in p.selections),
            any(p.pod_proxy for p in parts),
            tuple(sorted({ns for p in parts for ns in p.creates_in})),
        )


@dataclass(frozen=True)
class FaultContext:
    """One planned fault with everything a handler needs to act on it."""

    fault: PlannedFault
    binding: Binding
    run: RunInfo
    source: str
    finalizer_timeout: float

    @property
    def name(self) -> str:
        return self.fault.fault.name


class Injection(Protocol):
    """One injected fault, as its handler left it."""

    def details(self) -> Mapping[str, JsonValue]:
        """What the journal records of it (``injections[].details``)."""
        ...

    def confirm(self, kube: Kube, timeout: float) -> Confirmation:
        """Wait until it is active on its targets, or the timeout passes."""
        ...

    def remove(self, kube: Kube, timeout: float) -> Removal:
        """Remove it and confirm it is gone; raise RemovalError if it cannot."""
        ...


class ClusterHandler(Protocol):
    def needs(self, ctx: FaultContext) -> Needs:
        """What the fault needs of the cluster; raise DriverError if it cannot run there."""
        ...

    def describe(self, ctx: FaultContext) -> str:
        """Exactly what ``inject`` would do."""
        ...

    def inject(self, kube: Kube, ctx: FaultContext, created_at: float) -> Injection:
        """Start the fault with its own expiry; raise InjectionError on failure."""
        ...
