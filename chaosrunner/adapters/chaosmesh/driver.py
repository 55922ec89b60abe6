"""The chaos-mesh driver: faults as Chaos Mesh objects, managed through the Kubernetes API.

It implements the core's FaultDriver port. Preflight (preflight.py) checks the cluster and
takes the namespaces' Leases; ``inject`` renders the fault with its own expiry and creates it
(or, for goroutine-leak, starts the hook on each pod through the pod proxy); ``confirm`` follows
the object with a watch until Chaos Mesh reports every target injected; ``remove`` deletes it
and waits until it is gone, forcing a stuck finalizer (objects.py). ``close`` sweeps, by the
run's label, anything a failed create may have left, then releases the Leases.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from chaosrunner.adapters.chaosmesh import cleanup, leak, objects
from chaosrunner.adapters.chaosmesh import preflight as checks
from chaosrunner.adapters.chaosmesh.common import selection
from chaosrunner.adapters.chaosmesh.convert import go_duration
from chaosrunner.adapters.chaosmesh.render import NOT_OBJECTS, render
from chaosrunner.adapters.kube import lease
from chaosrunner.adapters.kube.api import Connection, Kube, connect
from chaosrunner.core.errors import ChaosRunnerError, DriverError, InjectionError
from chaosrunner.core.journal import CheckRecord
from chaosrunner.core.model import DriverKind, Experiment
from chaosrunner.core.plan import Plan, PlannedFault
from chaosrunner.core.ports import Confirmation, Handle, Removal, RunInfo

log = structlog.get_logger("chaosrunner.chaosmesh")
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
        settings = experiment.env.settings.get("kubernetes", {})
        self.settings: dict[str, Any] = dict(settings)
        self.connection = Connection(
            self.options.kubeconfig, self.options.context or settings.get("context")
        )
        self.connector = connector
        self.kube: Kube | None = None
        self.leases: list[lease.Held] = []
        self.touched: set[str] = set()
        self.run_id = ""

    # -- preflight ----------------------------------------------------------------------------

    def _api(self) -> Kube:
        if self.kube is None:
            self.kube = self.connector(self.connection)
        return self.kube

    def _object(self, pf: PlannedFault, run: RunInfo, expires_at: float | None) -> dict[str, Any]:
        return render(
            pf,
            self.experiment.binding(pf.fault.target),
            run_id=run.run_id,
            experiment=run.experiment,
            source=self.experiment.source,
            expires_at=expires_at,
        )

    def _leak_selection(self, pf: PlannedFault) -> checks.Selection:
        pods = self.experiment.binding(pf.fault.target).part("pods")
        spec = selection(pods, "default", f"fault {pf.fault.name!r}")
        return checks.Selection.of(pf.fault.name, "leak hook", spec, "default")

    def _hook(self, pf: PlannedFault) -> leak.Hook:
        return leak.Hook.of(self.experiment.binding(pf.fault.target).part("hook"))

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
            rendered = {
                pf.fault.name: self._object(pf, run, None)
                for pf in plan.faults
                if pf.kind.name not in NOT_OBJECTS
            }
            leaks = [self._leak_selection(pf) for pf in plan.faults if pf.kind.name in NOT_OBJECTS]
        except ChaosRunnerError as exc:
            return [*out, CheckRecord("faults render as Chaos Mesh objects", False, str(exc))]
        need = checks.needs(rendered, leaks)
        allowed = [str(n) for n in self.settings.get("allowNamespaces", ())]
        out.append(checks.check_namespaces(need.namespaces, allowed, self.options.allow_namespaces))
        out.append(checks.check_chaos_mesh(kube, need.kinds))
        if not all(c.ok for c in out):
            return out
        out.append(checks.check_permissions(kube, need))
        if not out[-1].ok:
            return out
        out += checks.check_selections(kube, need.selections, self.experiment.blast_radius)
        if all(c.ok for c in out):
            out.append(self._lock(kube, need.namespaces, run))
        return out

    def _lock(self, kube: Kube, namespaces: Sequence[str], run: RunInfo) -> CheckRecord:
        s = self.experiment.schedule
        # The whole planned run, plus what confirming and removing each fault may take: the
        # Lease is not renewed, so it must outlast the run it guards.
        per_fault = CONFIRM_ALLOWANCE + self.options.finalizer_timeout * 2
        seconds = s.baseline + s.blast + s.recovery + s.expiry_margin + LEASE_SLACK
        seconds += per_fault * len(self.experiment.faults)
        where = self.settings.get("leaseNamespace")
        wanted = [str(where)] if where else list(namespaces)
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
        if fault.kind.name in NOT_OBJECTS:
            sel = self._leak_selection(fault)
            hook = self._hook(fault)
            return (
                f"{fault.fault.name}: start a goroutine leak ({fault.fault.params['rate']}/s) "
                f"through the pod proxy {hook.port}{hook.path} on {sel.text} (mode {sel.mode}); "
                f"the hook ends it after {go_duration(fault.expiry)}"
            )
        obj = self._object(fault, run, None)
        spec = obj["spec"]
        sides = checks.selections_of(fault.fault.name, obj)
        on = sides[0].text if sides else "its selector"
        return (
            f"{fault.fault.name}: create {obj['kind']} {obj['metadata']['namespace']}/"
            f"{obj['metadata']['name']} ({spec.get('action', '-')}) on {on} "
            f"(mode {spec.get('mode', '-')}); Chaos Mesh ends it after "
            f"{spec.get('duration', 'one shot')}"
        )

    def inject(self, fault: PlannedFault, run: RunInfo) -> Handle:
        kube = self._api()
        self.run_id = run.run_id
        now = time.time()
        expires = now + fault.expiry
        if fault.kind.name in NOT_OBJECTS:
            sel = self._leak_selection(fault)
            hook = self._hook(fault)
            pods = leak.select_pods(kube, sel)
            if not pods:
                raise InjectionError(f"fault {fault.fault.name!r}: no Running pod for {sel.text}")
            leak.start(
                kube, hook, pods, run_id=run.run_id, params=fault.fault.params, expiry=fault.expiry
            )
            return Handle(
                fault.fault.name, now, expires,
                {"pods": [f"{ns}/{pod}" for ns, pod in pods], "port": hook.port, "path": hook.path},
            )  # fmt: skip
        obj = self._object(fault, run, expires)
        self.touched.add(str(obj["metadata"]["namespace"]))
        ref = objects.create(kube, obj)
        log.info("created", object=ref.text, fault=fault.fault.name)
        return Handle(fault.fault.name, now, expires, {"object": ref.to_dict()})

    def confirm(self, fault: PlannedFault, handle: Handle, timeout: float) -> Confirmation:
        kube = self._api()
        if "pods" in handle.details:
            pods = _pods(handle)
            hook = leak.Hook.of(handle.details)
            found, why = leak.confirm(kube, hook, pods, self.run_id, timeout)
            if len(found) == len(pods):
                return Confirmation(time.time(), found)
            return Confirmation(None, found, f"{len(found)}/{len(pods)} pod(s) leaking; {why}")
        ref = objects.Ref.from_dict(handle.details["object"])
        obj, done = objects.confirm(kube, ref, timeout)
        now = time.time()
        if done and obj is not None:
            return Confirmation(now, objects.targets(obj, now, handle.created_at))
        return Confirmation(
            None,
            objects.targets(obj, now, handle.created_at),
            f"{ref.text}: {objects.explain(obj)}",
        )

    def remove(self, fault: PlannedFault, handle: Handle, timeout: float) -> Removal:
        kube = self._api()
        if "pods" in handle.details:
            failed = leak.release(kube, leak.Hook.of(handle.details), _pods(handle))
            return Removal(time.time(), not failed, "; ".join(failed))
        ref = objects.Ref.from_dict(handle.details["object"])
        removed = objects.delete(kube, ref, timeout, self.options.finalizer_timeout)
        return Removal(time.time(), removed.gone, removed.detail)

    def close(self) -> None:
        if self.kube is not None and self.touched and self.run_id:
            for ns in sorted(self.touched):
                for line in cleanup.sweep(
                    self.kube, self.run_id, ns, self.options.finalizer_timeout, leases=False
                ):
                    log.warning("swept after the run", result=line)
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


def _pods(handle: Handle) -> list[tuple[str, str]]:
    return [(ns, pod) for ns, _, pod in (p.partition("/") for p in handle.details["pods"])]
