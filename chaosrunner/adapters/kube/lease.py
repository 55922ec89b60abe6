"""One run per namespace at a time: a ``coordination.k8s.io`` Lease named ``chaosrunner``.

Two game days injecting into the same namespace would each see the other's faults in their
SLIs and both verdicts would be wrong. The Lease says who holds the namespace (the run id) and
until when (``renewTime + leaseDurationSeconds``, covering the whole planned run plus margin).
A live Lease held by another run refuses this one; an expired one (its run crashed) is taken
over with an optimistic-concurrency update, so two runs racing for it cannot both win. The
Lease is deleted at the end of the run; ``chaosrunner cleanup`` finds those of crashed runs
by their labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from chaosrunner.adapters.kube import labels
from chaosrunner.adapters.kube.api import Kube, parse_time
from chaosrunner.core.errors import Conflict, NotFound, PreflightError

LEASE_NAME = "chaosrunner"
log = structlog.get_logger("chaosrunner.kube.lease")


@dataclass(frozen=True)
class Held:
    namespace: str
    resource_version: str


def _path(namespace: str) -> str:
    """Leases go as raw JSON: the typed client re-serialises MicroTime in a form the API
    server refuses whenever the microseconds happen to be zero."""
    return f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _body(run_id: str, experiment: str, now: float, seconds: int) -> dict[str, Any]:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": LEASE_NAME,
            "labels": {labels.MANAGED_BY: labels.MANAGER, labels.RUN_ID: run_id},
            "annotations": {labels.EXPERIMENT: experiment},
        },
        "spec": {
            "holderIdentity": run_id,
            "leaseDurationSeconds": seconds,
            "acquireTime": _stamp(now),
            "renewTime": _stamp(now),
        },
    }


def acquire(
    kube: Kube, namespace: str, *, run_id: str, experiment: str, now: float, seconds: int
) -> Held:
    """Hold the namespace's Lease or raise PreflightError naming the run that holds it."""
    body = _body(run_id, experiment, now, seconds)
    try:
        created = kube.raw(
            f"create Lease {namespace}/{LEASE_NAME}",
            "POST",
            _path(namespace),
            body=body,
            safe=False,
        )
        return Held(namespace, str(created["metadata"]["resourceVersion"]))
    except Conflict:
        pass  # the namespace has a Lease: whose, and is it still live?
    current = kube.json(
        f"read Lease {namespace}/{LEASE_NAME}",
        kube.coordination.read_namespaced_lease,
        LEASE_NAME,
        namespace,
    )
    spec = current.get("spec", {})
    holder = str(spec.get("holderIdentity") or "")
    renewed = parse_time(spec.get("renewTime")) or parse_time(spec.get("acquireTime")) or 0.0
    until = renewed + float(spec.get("leaseDurationSeconds") or 0)
    if holder and holder != run_id and until > now:
        left = int(until - now)
        raise PreflightError(
            f"namespace {namespace} is held by run {holder} for another {left}s (Lease "
            f"{namespace}/{LEASE_NAME}); wait for it, or if that run is dead: chaosrunner "
            f"cleanup --run-id {holder} --namespace {namespace}"
        )
    body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    try:
        replaced = kube.raw(
            f"take over Lease {namespace}/{LEASE_NAME}",
            "PUT",
            f"{_path(namespace)}/{LEASE_NAME}",
            body=body,
            safe=False,
        )
    except Conflict as exc:
        raise PreflightError(
            f"namespace {namespace}: another run took Lease {LEASE_NAME} at the same time"
        ) from exc
    log.warning("took over an expired lease", namespace=namespace, previous=holder)
    return Held(namespace, str(replaced["metadata"]["resourceVersion"]))


def release(kube: Kube, held: Held) -> None:
    """Delete our Lease, only if it is still the version we wrote (never someone else's)."""
    try:
        kube.call(
            f"release Lease {held.namespace}/{LEASE_NAME}",
            kube.coordination.delete_namespaced_lease,
            LEASE_NAME,
            held.namespace,
            body={"preconditions": {"resourceVersion": held.resource_version}},
        )
    except (NotFound, Conflict) as exc:
        log.warning("lease was not ours to release", namespace=held.namespace, status=exc.status)
