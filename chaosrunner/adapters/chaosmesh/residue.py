"""What a removal forced past Chaos Mesh's finalizer may have left, and which of it is ours.

When chaosrunner takes the ``chaos-mesh/records`` finalizer off a chaos object itself, Chaos
Mesh never ran its recovery, so the per-pod objects its controller writes for the daemon-based
kinds may still hold the fault. Those are named after the pod, owned by the Pod (not by the
chaos), and shared by every chaos on that pod: one entry per chaos, whose ``source`` is
``<namespace>/<chaos name>`` (PodNetworkChaos: ``ipsets``, ``iptables``, ``tcs``; PodIOChaos:
``actions``; PodHttpChaos: ``rules``). Something is deleted only when it is ours: it carries our
run's label, or one of its ownerReferences is our object's uid. Anything else that names our
object is reported by name and left alone: it is not ours, and other chaos may share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaosrunner.adapters.chaosmesh.permissions import (
    CHAOS_GROUP,
    CHAOS_VERSION,
    POD_LEVEL_PLURALS,
)
from chaosrunner.adapters.kube import labels as run_labels
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError, NotFound

#: plural -> (kind, the spec lists whose entries carry ``source``).
POD_LEVEL: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "podnetworkchaos": ("PodNetworkChaos", ("ipsets", "iptables", "tcs")),
    "podiochaos": ("PodIOChaos", ("actions",)),
    "podhttpchaos": ("PodHttpChaos", ("rules",)),
}


@dataclass(frozen=True)
class Residue:
    removed: tuple[str, ...] = ()
    may_remain: tuple[str, ...] = ()


def _namespaces(namespace: str, obj: Mapping[str, Any] | None) -> list[str]:
    """The chaos object's namespace and those of its targets (record ids are ``ns/pod[/c]``)."""
    records = ((obj or {}).get("status") or {}).get("experiment", {}).get("containerRecords")
    found = {namespace} | {
        str(r["id"]).split("/", 1)[0]
        for r in records or []
        if isinstance(r, dict) and "/" in str(r.get("id", ""))
    }
    return sorted(found)


def _sources(item: Mapping[str, Any], lists: tuple[str, ...]) -> set[str]:
    spec = item.get("spec") or {}
    return {
        str(entry["source"])
        for name in lists
        for entry in spec.get(name) or []
        if isinstance(entry, dict) and entry.get("source")
    }


def find(
    kube: Kube, kind: str, namespace: str, name: str, obj: Mapping[str, Any] | None
) -> Residue:
    """Delete what is ours, report what names our chaos ``kind namespace/name`` and is not.

    ``obj`` is the chaos object as last seen (its uid, labels and records say what is ours and
    where its targets are). Only kinds whose controller writes per-pod objects are looked at.
    """
    plural = POD_LEVEL_PLURALS.get(kind)
    if plural is None or obj is None:
        return Residue()
    pod_kind, lists = POD_LEVEL[plural]
    meta = obj.get("metadata") or {}
    uid = str(meta.get("uid") or "")
    run_id = str((meta.get("labels") or {}).get(run_labels.RUN_ID) or "")
    source = f"{namespace}/{name}"
    removed: list[str] = []
    may_remain: list[str] = []
    for ns in _namespaces(namespace, obj):
        try:
            items = kube.json(
                f"list {plural} in {ns}", kube.custom.list_namespaced_custom_object,
                CHAOS_GROUP, CHAOS_VERSION, ns, plural,
            )["items"]  # fmt: skip
        except NotFound:  # its CRD is not installed: Chaos Mesh cannot have written one
            continue
        except ApiError as exc:
            may_remain.append(f"{pod_kind} objects in {ns}: could not look ({exc})")
            continue
        for item in items:
            md = item.get("metadata") or {}
            what = f"{pod_kind} {ns}/{md.get('name')}"
            owners = [o for o in md.get("ownerReferences") or [] if isinstance(o, dict)]
            owned = bool(uid) and any(o.get("uid") == uid for o in owners)
            labelled = bool(run_id) and (md.get("labels") or {}).get(run_labels.RUN_ID) == run_id
            sources = _sources(item, lists)
            if owned or labelled:
                why = "owned by our object" if owned else f"labelled with run {run_id}"
                try:
                    kube.call(
                        f"delete {what}", kube.custom.delete_namespaced_custom_object,
                        CHAOS_GROUP, CHAOS_VERSION, ns, plural, str(md.get("name")),
                        body={"preconditions": {"uid": md["uid"]}} if md.get("uid") else None,
                    )  # fmt: skip
                except NotFound:
                    pass  # gone already
                except ApiError as exc:
                    may_remain.append(f"{what} ({why}): could not delete it: {exc}")
                    continue
                removed.append(f"{what} ({why})")
            elif source in sources:
                by = ", ".join(f"{o.get('kind')} {o.get('name')}" for o in owners) or "nobody"
                others = sorted(sources - {source})
                shared = f"shared with {', '.join(others)}" if others else "no other chaos in it"
                may_remain.append(
                    f"{what}: owned by {by}, holds entries of {kind} {source} ({shared}); "
                    "not chaosrunner's to delete"
                )
    return Residue(tuple(removed), tuple(may_remain))
