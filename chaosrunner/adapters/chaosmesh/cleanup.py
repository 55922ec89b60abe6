"""Find and remove what chaosrunner left in a cluster, by label, never by name guessing.

Every object a run creates carries ``app.kubernetes.io/managed-by=chaosrunner`` and
``chaosrunner.io/run-id``, and so does its Lease. ``sweep`` deletes the Chaos Mesh objects (and
Leases) matching those labels in one namespace or in all, and waits until each is gone, with
the same forced-finalizer fallback, and the same escalation past it, as a run's own removal: an
escalated object is reported ESCALATED (its targets may not have recovered) and what else may
be left MAY REMAIN, both left behind for the exit code. Used by ``chaosrunner cleanup`` and
at the end of every run, for anything a failed create may have left. goroutine leaks are not
objects: their hooks end them at their expiry.
"""

from __future__ import annotations

from typing import Any

from chaosrunner.adapters.chaosmesh import objects
from chaosrunner.adapters.chaosmesh.permissions import CHAOS_GROUP, CHAOS_PLURALS, CHAOS_VERSION
from chaosrunner.adapters.kube import labels as run_labels
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError, ChaosRunnerError, NotFound
from chaosrunner.core.leftovers import Leftover, Outcome, Place

DELETE_TIMEOUT = 60.0


def _list(kube: Kube, plural: str, namespace: str | None, labels: str) -> list[dict[str, Any]]:
    where = namespace or "all namespaces"
    try:
        if namespace:
            found = kube.json(
                f"list {plural} in {where}", kube.custom.list_namespaced_custom_object,
                CHAOS_GROUP, CHAOS_VERSION, namespace, plural, label_selector=labels,
            )  # fmt: skip
        else:
            found = kube.json(
                f"list {plural} in {where}", kube.custom.list_cluster_custom_object,
                CHAOS_GROUP, CHAOS_VERSION, plural, label_selector=labels,
            )  # fmt: skip
    except NotFound:  # this kind's CRD is not installed: nothing of it to clean
        return []
    items: list[dict[str, Any]] = found.get("items", [])
    return items


def sweep(
    kube: Kube,
    run_id: str | None,
    namespace: str | None,
    finalizer_timeout: float,
    *,
    leases: bool = True,
) -> list[Leftover]:
    """Delete every matching object; what became of each."""
    labels = run_labels.ours(run_id)
    lines: list[Leftover] = []
    for kind, plural in sorted(CHAOS_PLURALS.items()):
        for item in _list(kube, plural, namespace, labels):
            md = item.get("metadata", {})
            ref = objects.Ref(
                kind, str(md.get("namespace")), str(md.get("name")), str(md.get("uid", ""))
            )
            owner = md.get("labels", {}).get(run_labels.RUN_ID, "?")
            what = f"{ref.text} (run {owner})"
            try:
                done = objects.delete(kube, ref, DELETE_TIMEOUT, finalizer_timeout)
            except ChaosRunnerError as exc:
                lines.append(Leftover(Place.CLUSTER, what, Outcome.FAILED, str(exc)))
                continue
            state = Outcome.DELETED if done.gone else Outcome.UNCONFIRMED
            esc = done.escalation
            if esc is None:
                lines.append(Leftover(Place.CLUSTER, what, state, done.detail))
                continue
            # Gone or not, its targets may still carry the fault: never a clean "deleted".
            lines.append(Leftover(Place.CLUSTER, what, Outcome.ESCALATED, done.detail))
            lines += [
                Leftover(Place.CLUSTER, r, Outcome.DELETED, "after escalation") for r in esc.removed
            ]
            lines += [Leftover(Place.CLUSTER, m, Outcome.MAY_REMAIN) for m in esc.may_remain]
    if leases:
        lines += _sweep_leases(kube, labels, namespace)
    return lines


def _sweep_leases(kube: Kube, labels: str, namespace: str | None) -> list[Leftover]:
    if namespace:
        found = kube.json(
            f"list Leases in {namespace}", kube.coordination.list_namespaced_lease, namespace,
            label_selector=labels,
        )  # fmt: skip
    else:
        found = kube.json(
            "list Leases in all namespaces", kube.coordination.list_lease_for_all_namespaces,
            label_selector=labels,
        )  # fmt: skip
    lines: list[Leftover] = []
    for item in found.get("items", []):
        ns, name = item["metadata"]["namespace"], item["metadata"]["name"]
        try:
            kube.call(
                f"delete Lease {ns}/{name}", kube.coordination.delete_namespaced_lease, name, ns
            )
        except NotFound:
            pass  # gone already
        except ApiError as exc:
            lines.append(Leftover(Place.CLUSTER, f"Lease {ns}/{name}", Outcome.FAILED, str(exc)))
            continue
        holder = item.get("spec", {}).get("holderIdentity")
        lines.append(Leftover(Place.CLUSTER, f"Lease {ns}/{name} (run {holder})", Outcome.DELETED))
    return lines
