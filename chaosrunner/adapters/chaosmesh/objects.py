"""The life of one Chaos Mesh object: create, confirm injected, delete, confirm gone.

Confirmation reads what Chaos Mesh's controllers write (v2.x): ``status.conditions`` with
``AllInjected`` True once every selected target has been injected, and
``status.experiment.containerRecords``, one record per selected pod or container, whose
events carry the time each target was injected. Both are followed with a watch, never a sleep
loop. Removal deletes the object and waits until it is gone; Chaos Mesh holds it with the
finalizer ``chaos-mesh/records`` until every target is recovered. If that does not happen
within the finalizer timeout (the daemon on that node is gone, a pod vanished mid-recovery),
the object gets ``chaos-mesh.chaos-mesh.org/cleanFinalizer: forced``, which tells Chaos Mesh
to drop the finalizer; that is logged and reported in the removal's detail for the journal.
The real controller does not always honour it: its finalizer step runs after the records step,
which keeps requeueing while a record fails. So when the object is still there a short grace
later, the removal escalates: chaosrunner removes the finalizer itself (finalizer.py), waits
until the object is gone, and says what it did, which targets Chaos Mesh still had as injected
and what else may be left (residue.py) in an :class:`EscalationRecord`, so that the run is never
PASSED on a target that may not have recovered.
:class:`ChaosObject` is the driver's handler for every fault that is a Chaos Mesh object; what
it created is an :class:`ObjectInjection` (the object's reference), which confirms and removes
itself.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from chaosrunner.adapters.chaosmesh.finalizer import RECORDS_FINALIZER, not_recovered, unfinalize
from chaosrunner.adapters.chaosmesh.handlers import FaultContext, Needs
from chaosrunner.adapters.chaosmesh.payloads import ChaosStatus, Record
from chaosrunner.adapters.chaosmesh.permissions import CHAOS_GROUP, CHAOS_PLURALS, CHAOS_VERSION
from chaosrunner.adapters.chaosmesh.pods import selections_of
from chaosrunner.adapters.chaosmesh.render import render
from chaosrunner.adapters.chaosmesh.residue import find as find_residue
from chaosrunner.adapters.kube.api import Kube, parse_time
from chaosrunner.core.errors import ApiError, Conflict, InjectionError, NotFound, RemovalError
from chaosrunner.core.journal import EscalationRecord, TargetRecord
from chaosrunner.core.ports import Confirmation, JsonValue, Removal

CLEAN_FINALIZER = "chaos-mesh.chaos-mesh.org/cleanFinalizer"
FORCED = "forced"
#: How long the forced annotation gets to release the object before the removal escalates.
FORCED_GRACE = 10.0
log = structlog.get_logger("chaosrunner.chaosmesh")


@dataclass(frozen=True)
class Ref:
    kind: str
    namespace: str
    name: str
    uid: str = ""

    @property
    def plural(self) -> str:
        return CHAOS_PLURALS[self.kind]

    @property
    def text(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name, "uid": self.uid}


@dataclass(frozen=True)
class Removed:
    gone: bool
    forced: bool
    detail: str
    escalation: EscalationRecord | None = None


def status_of(obj: Mapping[str, Any] | None) -> ChaosStatus:
    status = (obj or {}).get("status")
    return status if isinstance(status, dict) else {}  # type: ignore[return-value]


def records(obj: Mapping[str, Any] | None) -> list[Record]:
    return list(status_of(obj).get("experiment", {}).get("containerRecords") or [])


def condition(obj: Mapping[str, Any] | None, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in status_of(obj).get("conditions") or []
    )


def injected(obj: Mapping[str, Any] | None) -> bool:
    """Chaos Mesh says every selected target is injected, and there is at least one."""
    recs = records(obj)
    return (
        bool(recs)
        and condition(obj, "AllInjected")
        and all(r.get("phase") == "Injected" for r in recs)
    )


def targets(
    obj: Mapping[str, Any] | None, fallback: float, not_before: float = 0.0
) -> tuple[TargetRecord, ...]:
    """One TargetRecord per record: injected at its last successful Apply.

    Chaos Mesh stamps events to the second, so an Apply can read as earlier than the create
    that caused it; ``not_before`` (the create time) keeps the journal's order true.
    """
    out = []
    for rec in records(obj):
        applied = [
            parse_time(e.get("timestamp"))
            for e in rec.get("events") or []
            if e.get("operation") == "Apply" and e.get("type") == "Succeeded"
        ]
        when = max((t for t in applied if t is not None), default=None)
        if when is None and rec.get("phase") == "Injected":
            when = fallback
        at = max(when, not_before) if when is not None else None
        out.append(TargetRecord(str(rec.get("id", "?")), at))
    return tuple(out)


def explain(obj: Mapping[str, Any] | None) -> str:
    """Why an object is not (yet) confirmed: its conditions, records and last failure."""
    if obj is None:
        return "the object disappeared before it was confirmed"
    conds = ", ".join(
        f"{c.get('type')}={c.get('status')}" for c in status_of(obj).get("conditions") or []
    )
    recs = records(obj)
    done = sum(1 for r in recs if r.get("phase") == "Injected")
    failures = [
        f"{r.get('id')}: {e.get('message', '')}".strip()
        for r in recs
        for e in r.get("events") or []
        if e.get("type") == "Failed"
    ]
    parts = [
        f"conditions {conds}" if conds else "no status written (is the Chaos Mesh controller up?)",
        f"{done}/{len(recs)} target(s) injected" if recs else "no target selected yet",
    ]
    if failures:
        parts.append(f"last failure {failures[-1]}")
    return "; ".join(parts)


def create(kube: Kube, obj: Mapping[str, Any]) -> Ref:
    meta = obj["metadata"]
    ref = Ref(str(obj["kind"]), str(meta["namespace"]), str(meta["name"]))
    try:
        made = kube.json(
            f"create {ref.text}",
            kube.custom.create_namespaced_custom_object,
            CHAOS_GROUP,
            CHAOS_VERSION,
            ref.namespace,
            ref.plural,
            dict(obj),
            field_validation="Strict",
            safe=False,
        )
    except Conflict as exc:
        raise InjectionError(
            f"{ref.text} already exists; chaosrunner never adopts an object it did not "
            "just create (is a run with the same run id still going? see chaosrunner cleanup)"
        ) from exc
    except ApiError as exc:
        raise InjectionError(str(exc)) from exc
    return Ref(ref.kind, ref.namespace, ref.name, str(made.get("metadata", {}).get("uid", "")))


def _args(ref: Ref) -> tuple[str, str, str, str]:
    return (CHAOS_GROUP, CHAOS_VERSION, ref.namespace, ref.plural)


def confirm(kube: Kube, ref: Ref, timeout: float) -> tuple[dict[str, Any] | None, bool]:
    return kube.watch_one(
        f"watch {ref.text}",
        kube.custom.list_namespaced_custom_object,
        _args(ref),
        ref.name,
        lambda obj: obj is None or (_ours(obj, ref) and injected(obj)),
        timeout,
    )


def _ours(obj: Mapping[str, Any], ref: Ref) -> bool:
    return not ref.uid or obj.get("metadata", {}).get("uid") == ref.uid


def _wait_gone(kube: Kube, ref: Ref, seconds: float) -> tuple[dict[str, Any] | None, bool]:
    """Until the object (this one, by uid) is gone: a namesake created since does not count."""
    return kube.watch_one(
        f"watch {ref.text} go",
        kube.custom.list_namespaced_custom_object,
        _args(ref),
        ref.name,
        lambda obj: obj is None or not _ours(obj, ref),
        seconds,
    )


def delete(kube: Kube, ref: Ref, timeout: float, finalizer_timeout: float) -> Removed:
    """Delete and wait until gone; force the finalizer after ``finalizer_timeout``, and take it
    off ourselves (an escalation, in ``Removed.escalation``) when forcing has not released it
    ``FORCED_GRACE`` later."""
    started = time.monotonic()
    try:
        kube.call(
            f"delete {ref.text}",
            kube.custom.delete_namespaced_custom_object,
            *_args(ref),
            ref.name,
            body={"preconditions": {"uid": ref.uid}} if ref.uid else None,
        )
    except (NotFound, Conflict):  # gone already, or a namesake that is not ours
        return Removed(True, False, "")
    except ApiError as exc:
        raise RemovalError(str(exc)) from exc
    first = min(timeout, finalizer_timeout)
    obj, gone = _wait_gone(kube, ref, first)
    if gone:
        return Removed(True, False, "")
    held = ", ".join((obj or {}).get("metadata", {}).get("finalizers") or []) or "none"
    log.warning(
        "finalizer still held; forcing it",
        object=ref.text,
        finalizers=held,
        waited=round(time.monotonic() - started, 1),
        recovery=explain(obj),
    )
    try:
        kube.call(
            f"force the finalizer of {ref.text}",
            kube.custom.patch_namespaced_custom_object,
            *_args(ref),
            ref.name,
            {"metadata": {"annotations": {CLEAN_FINALIZER: FORCED}}},
        )
    except NotFound:
        pass  # gone while we decided to force it: the wait below sees that
    except ApiError as exc:
        raise RemovalError(str(exc)) from exc
    detail = (
        f"finalizer(s) {held} still held after {first:.0f}s; forced with "
        f"{CLEAN_FINALIZER}={FORCED}: Chaos Mesh may not have recovered every target"
    )
    grace = min(FORCED_GRACE, finalizer_timeout)
    later, gone = _wait_gone(kube, ref, max(1.0, min(grace, timeout - _since(started))))
    if gone:
        return Removed(True, True, detail)
    step = f"{CLEAN_FINALIZER}={FORCED} did not release it within {grace:.0f}s"
    return _escalate(kube, ref, later or obj or {}, detail, step, started, timeout)


def _since(started: float) -> float:
    return time.monotonic() - started


def _escalate(
    kube: Kube,
    ref: Ref,
    obj: Mapping[str, Any],
    detail: str,
    step: str,
    started: float,
    timeout: float,
) -> Removed:
    """Take Chaos Mesh's finalizer off, wait until gone, and say what may not have recovered."""
    at = time.time()
    stuck = not_recovered(records(obj))
    log.warning(
        "the forced annotation did not release it; removing the finalizer",
        object=ref.text,
        not_recovered=list(stuck),
    )
    taken = unfinalize(kube, ref.text, _args(ref), ref.name, ref.uid, obj, lambda: _read(kube, ref))
    steps = [step]
    if taken:
        steps.append(
            f"finalizer {', '.join(taken)} removed by chaosrunner (JSON patch testing the "
            "object's uid and finalizers)"
        )
    else:
        steps.append(f"no {RECORDS_FINALIZER} finalizer left to remove")
    # At least a few seconds, even when the forced wait used up the removal timeout: a removed
    # finalizer lets the object go at once, and this is the last chance to see it go.
    wait = max(5.0, timeout - _since(started))
    last, gone = _wait_gone(kube, ref, wait)
    residue = find_residue(kube, ref.kind, ref.namespace, ref.name, obj)
    escalation = EscalationRecord(at, tuple(steps), stuck, residue.removed, residue.may_remain)
    log.warning(
        "removal escalated: the target may not have recovered",
        object=ref.text,
        gone=gone,
        steps=steps,
        not_recovered=list(stuck),
        removed=list(residue.removed),
        may_remain=list(residue.may_remain),
    )
    text = f"{detail}; escalated: {'; '.join(steps)}; {escalation.summary}"
    if not gone:
        held = ", ".join((last or {}).get("metadata", {}).get("finalizers") or []) or "none"
        text += f"; still present after {wait:.0f}s (finalizers now: {held})"
    return Removed(gone, True, text, escalation)


def _read(kube: Kube, ref: Ref) -> dict[str, Any] | None:
    """The object now, or None if it is gone or is a namesake (not ours)."""
    try:
        obj: dict[str, Any] = kube.json(
            f"read {ref.text}", kube.custom.get_namespaced_custom_object, *_args(ref), ref.name
        )
    except NotFound:
        return None
    except ApiError as exc:
        raise RemovalError(str(exc)) from exc
    return obj if _ours(obj, ref) else None


@dataclass(frozen=True)
class ObjectInjection:
    """A Chaos Mesh object this run created, and when."""

    ref: Ref
    created_at: float
    finalizer_timeout: float

    def details(self) -> dict[str, JsonValue]:
        return {"object": self.ref.to_dict()}

    def confirm(self, kube: Kube, timeout: float) -> Confirmation:
        obj, done = confirm(kube, self.ref, timeout)
        now = time.time()
        found = targets(obj, now, self.created_at)
        if done and obj is not None:
            return Confirmation(now, found)
        return Confirmation(None, found, f"{self.ref.text}: {explain(obj)}")

    def remove(self, kube: Kube, timeout: float) -> Removal:
        removed = delete(kube, self.ref, timeout, self.finalizer_timeout)
        return Removal(time.time(), removed.gone, removed.detail, removed.escalation)


class ChaosObject:
    """Every fault with a Chaos Mesh form: render it, create it, let Chaos Mesh inject it."""

    def render(self, ctx: FaultContext, expires_at: float | None) -> dict[str, Any]:
        return render(
            ctx.fault,
            ctx.binding,
            run_id=ctx.run.run_id,
            experiment=ctx.run.experiment,
            source=ctx.source,
            expires_at=expires_at,
        )

    def needs(self, ctx: FaultContext) -> Needs:
        obj = self.render(ctx, None)
        sides = selections_of(ctx.name, obj)
        home = str(obj["metadata"]["namespace"])
        namespaces = {home} | {ns for s in sides for ns in s.namespaces}
        return Needs(
            tuple(sorted(namespaces)), (str(obj["kind"]),), tuple(sides), creates_in=(home,)
        )

    def describe(self, ctx: FaultContext) -> str:
        obj = self.render(ctx, None)
        spec = obj["spec"]
        sides = selections_of(ctx.name, obj)
        on = sides[0].text if sides else "its selector"
        return (
            f"{ctx.name}: create {obj['kind']} {obj['metadata']['namespace']}/"
            f"{obj['metadata']['name']} ({spec.get('action', '-')}) on {on} "
            f"(mode {spec.get('mode', '-')}); Chaos Mesh ends it after "
            f"{spec.get('duration', 'one shot')}"
        )

    def inject(self, kube: Kube, ctx: FaultContext, created_at: float) -> ObjectInjection:
        ref = create(kube, self.render(ctx, created_at + ctx.fault.expiry))
        log.info("created", object=ref.text, fault=ctx.name)
        return ObjectInjection(ref, created_at, ctx.finalizer_timeout)
