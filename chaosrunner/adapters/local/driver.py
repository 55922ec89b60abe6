"""The local fault driver: faults on this machine, each backed by a record and a watchdog.

Order of an injection: resolve targets, write the fault record (with its undo actions and
expiry), start the watchdog, and only then apply the fault. Removal runs the undo actions,
reads back that the fault is gone, then deletes the record (which tells the watchdog to exit).
Each handler knows one fault kind; they are registered explicitly in ``HANDLERS``. Preflight
locks the physical resources the faults touch (``resources``), not the targets' names, so two
runs that name one proxy, process or hook differently still cannot stack their faults.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog

from chaosrunner.adapters.local import procs, records, resources, state, undo, watchdog
from chaosrunner.adapters.local.goroutine_leak import (
    GoroutineLeak,
    HookAnswered,
    HookRefused,
    hook_at,
)
from chaosrunner.adapters.local.handlers import LocalHandler, Prepared
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.adapters.local.process_faults import (
    LabPidFile,
    ProcessKill,
    ProcessPause,
    with_lab_pid_file,
)
from chaosrunner.adapters.local.records import FaultRecord, UndoAction
from chaosrunner.adapters.local.stress import Stress
from chaosrunner.adapters.local.toxiproxy import (
    TOXIC_PREFIX,
    NetworkDown,
    NetworkToxic,
    bandwidth,
    delay,
    orphan_toxics,
    partition,
    reset_peer,
)
from chaosrunner.core.errors import ChaosRunnerError, DriverError, InjectionError, RemovalError
from chaosrunner.core.journal import CheckRecord, TargetRecord
from chaosrunner.core.leftovers import Leftover, Outcome, Place
from chaosrunner.core.model import Binding, DriverKind, Experiment
from chaosrunner.core.plan import Plan, PlannedFault
from chaosrunner.core.ports import Confirmation, Handle, JsonValue, Removal, RunInfo

log = structlog.get_logger("chaosrunner.local")
POLL = 0.1

HANDLERS: Mapping[str, LocalHandler] = {
    "cpu-stress": Stress("cpu"),
    "goroutine-leak": GoroutineLeak(),
    "memory-stress": Stress("memory"),
    "network-bandwidth": NetworkToxic(bandwidth),
    "network-delay": NetworkToxic(delay),
    "network-down": NetworkDown(),
    "network-partition": NetworkToxic(partition),
    "network-reset-peer": NetworkToxic(reset_peer),
    "process-kill": ProcessKill(),
    "process-pause": ProcessPause(),
}


class LocalDriver:
    kind = DriverKind.LOCAL

    def __init__(
        self,
        experiment: Experiment,
        root: Path | None = None,
        *,
        lab_pid_file: LabPidFile | None = None,
    ) -> None:
        """``lab_pid_file`` finds a lab service's pid file (``process.labService`` bindings)."""
        self.experiment = experiment
        self.root = root or state.state_dir()
        self.lab_pid_file = lab_pid_file
        self._prepared: dict[str, Prepared] = {}
        self._locks: list[state.ResourceLock] = []
        self._watchdogs: dict[str, procs.Proc] = {}
        self._records: dict[str, Path] = {}
        self._undo_actions: dict[str, list[UndoAction]] = {}

    def _binding(self, target: str) -> Binding:
        return with_lab_pid_file(self.experiment.binding(target), self.lab_pid_file)

    def _handler(self, fault: PlannedFault) -> LocalHandler:
        try:
            return HANDLERS[fault.kind.name]
        except KeyError:
            raise DriverError(f"the local driver cannot inject {fault.kind.name!r}") from None

    # -- preflight ----------------------------------------------------------------------------

    def preflight(self, plan: Plan, run: RunInfo) -> Sequence[CheckRecord]:
        checks = self._lock_resources(plan, run)
        radius = self.experiment.blast_radius
        for pf in plan.faults:
            name = f"target {pf.fault.target} resolves for {pf.fault.name}"
            try:
                handler = self._handler(pf)
                prepared = handler.prepare(pf, self._binding(pf.fault.target), run.run_id, 0.0)
            except ChaosRunnerError as exc:
                checks.append(CheckRecord(name, False, str(exc)))
                continue
            checks.append(
                CheckRecord(
                    name, True, f"{len(prepared.targets)} live: {', '.join(prepared.targets)}"
                )
            )
            if radius.max_targets is not None:
                ok = len(prepared.targets) <= radius.max_targets
                checks.append(
                    CheckRecord(
                        f"blast radius of {pf.fault.name} within {radius.max_targets} target(s)",
                        ok,
                        f"{len(prepared.targets)} selected",
                    )
                )
        return checks

    def _lock_resources(self, plan: Plan, run: RunInfo) -> list[CheckRecord]:
        """Lock every physical resource of every target; one check per target.

        Two targets of this run on one resource are refused too: their faults would stack
        while the experiment reads them as separate (one target with several faults is the
        way to combine faults on purpose).
        """
        by_target: dict[str, list[resources.Resource]] = {}
        checks = []
        for pf in plan.faults:
            found = by_target.setdefault(pf.fault.target, [])
            try:
                touched = resources.resources(pf.kind.name, self._binding(pf.fault.target))
            except ChaosRunnerError as exc:
                name = f"resources of target {pf.fault.target} known for {pf.fault.name}"
                checks.append(CheckRecord(name, False, str(exc)))
                continue
            found.extend(r for r in touched if r not in found)
        owners: dict[str, str] = {}
        for target in sorted(by_target):
            name = f"no other run holds the resources of target {target}"
            keys = [r.key for r in by_target[target]]
            shared = [(k, owners[k]) for k in keys if owners.get(k, target) != target]
            for key in keys:
                owners.setdefault(key, target)
            if shared:
                key, other = shared[0]
                checks.append(
                    CheckRecord(
                        name,
                        False,
                        f"targets {other!r} and {target!r} are both bound to {key}; their "
                        "faults would stack. Use one target for both faults, or two resources",
                    )
                )
                continue
            holder = {"runId": run.run_id, "experiment": run.experiment, "target": target}
            locks = [state.ResourceLock(key, holder, self.root) for key in keys]
            try:
                for lock in locks:
                    lock.acquire()
                    self._locks.append(lock)
            except DriverError as exc:
                checks.append(CheckRecord(name, False, str(exc)))
                continue
            checks.append(CheckRecord(name, True, ", ".join(keys)))
        return checks

    def describe(self, fault: PlannedFault, run: RunInfo) -> str:
        try:
            prepared = self._handler(fault).prepare(
                fault, self._binding(fault.fault.target), run.run_id, 0.0
            )
        except ChaosRunnerError as exc:
            return f"{fault.describe()} — cannot resolve now: {exc}"
        return f"{fault.describe()} — {prepared.description}"

    # -- inject / confirm / remove ------------------------------------------------------------

    def inject(self, fault: PlannedFault, run: RunInfo) -> Handle:
        handler = self._handler(fault)
        now = time.time()
        expires_at = now + fault.expiry
        binding = self._binding(fault.fault.target)
        prepared = handler.prepare(fault, binding, run.run_id, expires_at)
        name = fault.fault.name
        self._prepared[name] = prepared
        self._undo_actions[name] = list(prepared.undo)
        details: dict[str, JsonValue] = {"targets": list(prepared.targets), **prepared.details}
        record: FaultRecord | None = None
        if not fault.kind.one_shot:
            me = procs.lookup(os.getpid())
            assert me is not None
            record = FaultRecord(
                run_id=run.run_id,
                experiment=run.experiment,
                fault=name,
                kind=fault.kind.name,
                created_at=now,
                expires_at=expires_at,
                owner_pid=me.pid,
                owner_start=me.starttime,
                undo=tuple(self._undo_actions[name]),
            )
            path = state.record_path(run.run_id, name, self.root)
            records.write(path, record)
            self._records[name] = path
            try:
                dog = watchdog.spawn(path, self.root / "watchdog.log")
            except OSError as exc:
                self._undo(name)
                raise InjectionError(f"{name}: could not start its watchdog: {exc}") from exc
            self._watchdogs[name] = dog
            details.update(record=str(path), watchdogPid=dog.pid)
        try:
            learnt = handler.apply(fault, prepared)
        except ChaosRunnerError:
            self._undo(name)
            raise
        if learnt:
            self._undo_actions[name].extend(learnt)
            if record is not None:
                records.write(
                    self._records[name], record.with_undo(tuple(self._undo_actions[name]))
                )
            details.update(prepared.details)
        log.info("fault applied", fault=name, kind=fault.kind.name, targets=prepared.targets)
        return Handle(name, now, expires_at, details)

    def confirm(self, fault: PlannedFault, handle: Handle, timeout: float) -> Confirmation:
        prepared = self._prepared[fault.fault.name]
        handler = self._handler(fault)
        deadline = time.time() + timeout
        while True:
            active = handler.active_on(prepared)
            if active:
                now = time.time()
                seen = f"read back active on {', '.join(active)} by the local driver"
                return Confirmation(now, tuple(TargetRecord(t, now) for t in active), seen)
            if time.time() >= deadline:
                return Confirmation(None, (), f"not active on any of {', '.join(prepared.targets)}")
            time.sleep(POLL)

    def remove(self, fault: PlannedFault, handle: Handle, timeout: float) -> Removal:
        prepared = self._prepared.pop(fault.fault.name)
        handler = self._handler(fault)
        errors = self._undo(fault.fault.name)
        deadline = time.time() + timeout
        while not handler.removed(prepared):
            if time.time() >= deadline:
                raise RemovalError(
                    f"{fault.fault.name}: still active after {timeout:g}s"
                    + (f" ({'; '.join(errors)})" if errors else "")
                )
            time.sleep(POLL)
        return Removal(time.time(), True, "; ".join(errors))

    def _undo(self, name: str) -> list[str]:
        errors = undo.run_all(self._undo_actions.pop(name, []))
        record = self._records.get(name)
        if record is not None and not errors:
            record.unlink(missing_ok=True)
            del self._records[name]
        dog = self._watchdogs.pop(name, None)
        if dog is not None and not errors:
            watchdog.stop(dog)
        return errors

    def close(self) -> None:
        for lock in self._locks:
            lock.release()
        self._locks.clear()


def cleanup(run_id: str | None, root: Path | None = None) -> list[Leftover]:
    """End every recorded local fault (of one run, or all); return what was cleaned."""
    cleaned = []
    for path, record in records.list_records(run_id, root):
        what = f"{record.run_id}/{record.fault}"
        errors = undo.run_all(record.undo)
        if errors:
            cleaned.append(Leftover(Place.LOCAL, what, Outcome.FAILED, "; ".join(errors)))
            continue
        path.unlink(missing_ok=True)
        cleaned.append(Leftover(Place.LOCAL, what, Outcome.ENDED))
    return cleaned


def cleanup_lab(run_id: str | None, toxiproxy_api: str, hook_url: str) -> list[Leftover]:
    """End chaosrunner's toxics and leaks in the lab even when their records are lost.

    Toxics are named ``cr-<run id>-…`` and the leak hook reports its run id, so both can be
    traced to a run without any file on this machine.
    """
    cleaned = []
    prefix = f"{TOXIC_PREFIX}{run_id}-" if run_id else TOXIC_PREFIX
    for proxy, toxic in orphan_toxics(toxiproxy_api):
        if toxic.startswith(prefix):
            status, _ = call("DELETE", f"{toxiproxy_api}/proxies/{proxy}/toxics/{toxic}")
            what = f"toxic {proxy}/{toxic}"
            cleaned.append(
                Leftover(Place.LAB, what, Outcome.REMOVED)
                if status in (204, 404)
                else Leftover(Place.LAB, what, Outcome.FAILED, f"HTTP {status}")
            )
    hook = hook_at(hook_url)
    try:
        now = hook.status()
    except HookAnswered:
        return cleaned  # not a hook that answers its status: nothing of ours to release
    if now.active and (run_id is None or now.run_id == run_id):
        what = f"leak of run {now.run_id}"
        try:
            hook.release()
            cleaned.append(Leftover(Place.LAB, what, Outcome.RELEASED))
        except HookRefused as exc:
            cleaned.append(Leftover(Place.LAB, what, Outcome.FAILED, f"HTTP {exc.status}"))
    return cleaned
