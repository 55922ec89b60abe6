"""The chaos-mesh driver: faults in a cluster, managed through the Kubernetes API.

It implements the core's FaultDriver port. Each fault kind has a handler, registered in
``HANDLERS`` (handlers.py says what a handler does): goroutine-leak calls the service's leak hook
on each pod through the pod proxy (leak.py); every other kind is a Chaos Mesh object
(objects.py), rendered with its own expiry, confirmed with a watch until Chaos Mesh reports
every target injected, and deleted and waited for, forcing a stuck finalizer. What a handler
injected is kept here per fault, typed; the port's ``Handle`` only carries its journal details.
Preflight (preflight.py) checks the cluster and takes the namespaces' Leases; ``close`` sweeps,
by the run's label, anything a failed create may have left, then releases the Leases.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import structlog

from chaosrunner.adapters.chaosmesh import cleanup
from chaosrunner.adapters.chaosmesh import preflight as checks
from chaosrunner.adapters.chaosmesh.handlers import (
    ClusterHandler,
    FaultContext,
    Injection,
    Needs,
)
from chaosrunner.adapters.chaosmesh.leak import PodProxyLeak
from chaosrunner.adapters.chaosmesh.objects import ChaosObject
from chaosrunner.adapters.kube import lease
from chaosrunner.adapters.kube.api import Connection, Kube, connect
from chaosrunner.core.errors import ChaosRunnerError, DriverError
from chaosrunner.core.journal import CheckRecord
from chaosrunner.core.model import DriverKind, Experiment
from chaosrunner.core.plan import Plan, PlannedFault
from chaosrunner.core.ports import Confirmation, Handle, Removal, RunInfo

log = structlog.get_logger("chaosrunner.chaosmesh")

#: Every kind is a Chaos Mesh object unless named here; ``render`` says which kinds have no
#: Chaos Mesh form at all (preflight reports that as its own failed check).
CHAOS_OBJECT: ClusterHandler = ChaosObject()
HANDLERS: Mapping[str, ClusterHandler] = MappingProxyType({"goroutine-leak": PodProxyLeak()})

FINALIZER_TIMEOUT = 30.0
LEASE_SLACK = 120.0
CONFIRM_ALLOWANCE = 30.0


@dataclass(frozen=True)
class ClusterOptions:
    """What the command line adds to the experiment's ``kubernetes`` settings."""

    kubeconfig: str | None = None
    context: str | None = None
    allow_namespaces: tuple[str, ...] = ()
    finalizer_timeout: float = FINALIZER_TIMEOUT


class ChaosMeshDriver:
    kind = DriverKind.CHAOS_MESH

    def __init__(
        self,
        experiment: Experiment,
        options: ClusterOptions | None = None,
        *,
        connector: Callable[[Connection], Kube] = connect,
    ) -> None:
        self.experiment = experiment
        self.options = options or ClusterOptions()
        self.settings = experiment.env.kubernetes
        self.connection = Connection(
            self.options.kubeconfig, self.options.context or self.settings.context
        )
        self.connector = connector
        self.kube: Kube | None = None
        self.leases: list[lease.Held] = []
        self.touched: set[str] = set()
        self.injected: dict[str, Injection] = {}
        self.run_id = ""

    def _api(self) -> Kube:
        if self.kube is None:
            self.kube = self.connector(self.connection)
        return self.kube

    @staticmethod
    def handler(fault: PlannedFault) -> ClusterHandler:
        return HANDLERS.get(fault.kind.name, CHAOS_OBJECT)

    def _context(self, fault: PlannedFault, run: RunInfo) -> FaultContext:
        return FaultContext(
            fault,
            self.experiment.binding(fault.fault.target),
            run,
            self.experiment.source,
            self.options.finalizer_timeout,
        )

    # -- preflight ----------------------------------------------------------------------------

    def preflight(self, plan: Plan, run: RunInfo) -> Sequence[CheckRecord]:
        self.run_id = run.run_id
        try:
            kube = self._api()
        except DriverError as exc:
            return [CheckRecord("Kubernetes credentials", False, str(exc))]
        api = checks.check_api(kube)
        if not api.ok:
            return [api]
        out = [api]
        try:
            need = Needs.of(self.handler(pf).needs(self._context(pf, run)) for pf in plan.faults)
        except ChaosRunnerError as exc:
            return [*out, CheckRecord("faults render as Chaos Mesh objects", False, str(exc))]
        allowed = self.settings.allow_namespaces
        out.append(checks.check_namespaces(need.namespaces, allowed, self.options.allow_namespaces))
        out.append(checks.check_chaos_mesh(kube, need.kinds))
        if not all(c.ok for c in out):
            return out
        out.append(checks.check_permissions(kube, need))
        if not out[-1].ok:
            return out
        out += checks.check_selections(kube, need.selections, self.experiment.blast_radius)
        if all(c.ok for c in out):
            out.append(checks.check_admission(kube, self._objects(plan, run)))
        if all(c.ok for c in out):
            out.append(self._lock(kube, need.namespaces, run))
        return out

    def _objects(self, plan: Plan, run: RunInfo) -> list[dict[str, Any]]:
        """The Chaos Mesh objects the run will create, as inject renders them."""
        now = time.time()
        out = []
        for pf in plan.faults:
            handler = self.handler(pf)
            if isinstance(handler, ChaosObject):
                out.append(handler.render(self._context(pf, run), now + pf.expiry))
        return out

    def _lock(self, kube: Kube, namespaces: Sequence[str], run: RunInfo) -> CheckRecord:
        s = self.experiment.schedule
        # The whole planned run, plus what confirming and removing each fault may take: the
        # Lease is not renewed, so it must outlast the run it guards.
        per_fault = CONFIRM_ALLOWANCE + self.options.finalizer_timeout * 2
        seconds = s.baseline + s.blast + s.recovery + s.expiry_margin + LEASE_SLACK
        seconds += per_fault * len(self.experiment.faults)
        where = self.settings.lease_namespace
        wanted = [where] if where else list(namespaces)
        try:
            for ns in wanted:
                self.leases.append(
                    lease.acquire(
                        kube,
                        ns,
                        run_id=run.run_id,
                        experiment=run.experiment,
                        now=time.time(),
                        seconds=int(seconds),
                    )
                )
        except ChaosRunnerError as exc:
            self._release_leases()
            return CheckRecord("no other run holds the namespaces", False, str(exc))
        return CheckRecord("no other run holds the namespaces", True, ", ".join(wanted))

    # -- faults -------------------------------------------------------------------------------

    def describe(self, fault: PlannedFault, run: RunInfo) -> str:
        return self.handler(fault).describe(self._context(fault, run))

    def inject(self, fault: PlannedFault, run: RunInfo) -> Handle:
        kube = self._api()
        self.run_id = run.run_id
        handler, ctx = self.handler(fault), self._context(fault, run)
        # Before the create: a create that fails half-way may still leave an object to sweep.
        self.touched.update(handler.needs(ctx).creates_in)
        now = time.time()
        injection = handler.inject(kube, ctx, now)
        self.injected[fault.fault.name] = injection
        return Handle(fault.fault.name, now, now + fault.expiry, injection.details())

    def _injection(self, fault: PlannedFault) -> Injection:
        try:
            return self.injected[fault.fault.name]
        except KeyError:
            raise DriverError(
                f"fault {fault.fault.name!r} was not injected by this driver"
            ) from None

    def confirm(self, fault: PlannedFault, handle: Handle, timeout: float) -> Confirmation:
        return self._injection(fault).confirm(self._api(), timeout)

    def remove(self, fault: PlannedFault, handle: Handle, timeout: float) -> Removal:
        removal = self._injection(fault).remove(self._api(), timeout)
        if removal.confirmed:
            del self.injected[fault.fault.name]
        return removal

    def close(self) -> None:
        if self.kube is not None and self.touched and self.run_id:
            for ns in sorted(self.touched):
                for item in cleanup.sweep(
                    self.kube, self.run_id, ns, self.options.finalizer_timeout, leases=False
                ):
                    log.warning(
                        "swept after the run",
                        object=item.what,
                        outcome=item.outcome.value,
                        detail=item.detail,
                    )
            self.touched.clear()
        self._release_leases()
        if self.kube is not None:
            self.kube.close()
            self.kube = None

    def _release_leases(self) -> None:
        while self.leases and self.kube is not None:
            held = self.leases.pop()
            try:
                lease.release(self.kube, held)
            except ChaosRunnerError as exc:
                log.error("could not release the lease", namespace=held.namespace, error=str(exc))
