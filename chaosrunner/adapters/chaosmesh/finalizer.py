"""Taking Chaos Mesh's finalizer off a chaos object ourselves: the last step of a removal.

Chaos Mesh holds a deleted chaos object with ``chaos-mesh/records`` until every record is
recovered. When neither that nor ``cleanFinalizer: forced`` releases it (objects.py says when),
chaosrunner removes that finalizer, and only that one, with a JSON patch whose ``test``
operations pin the uid (never a namesake created since) and the finalizers as read (never
clobber a change made since, by Chaos Mesh or anyone else). A failed test (HTTP 422) reads the
object again and tries again. A merge patch could not say "only if unchanged", and a
resourceVersion precondition would lose to every status write the controller makes while it
keeps retrying its records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import structlog

from chaosrunner.adapters.chaosmesh.payloads import Record
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError, NotFound, RemovalError

#: The finalizer Chaos Mesh holds a deleted chaos object with until its records are recovered:
#: the only one an escalation removes (a finalizer of anyone else's stays).
RECORDS_FINALIZER = "chaos-mesh/records"
#: Attempts at the patch when its test fails (the object changed between read and patch).
UNFINALIZE_ATTEMPTS = 5
JSON_PATCH = "application/json-patch+json"
log = structlog.get_logger("chaosrunner.chaosmesh")


def not_recovered(recs: Sequence[Record]) -> tuple[str, ...]:
    """The records Chaos Mesh still has as injected, each with its counts and last failure."""
    out = []
    for rec in recs:
        if rec.get("phase") == "Not Injected":
            continue
        failed = [e for e in rec.get("events") or [] if e.get("type") == "Failed"]
        last = f"; last failure: {failed[-1].get('message', '')}" if failed else ""
        out.append(
            f"{rec.get('id', '?')} ({rec.get('phase', 'no phase')}, injected "
            f"{rec.get('injectedCount', 0)}x, recovered {rec.get('recoveredCount', 0)}x{last})"
        )
    return tuple(out)


def unfinalize(
    kube: Kube,
    what: str,
    args: tuple[str, str, str, str],
    name: str,
    uid: str,
    obj: Mapping[str, Any],
    read: Callable[[], Mapping[str, Any] | None],
) -> tuple[str, ...]:
    """Remove ``chaos-mesh/records`` from ``what``'s finalizers; the ones removed.

    ``args`` are the custom-object API's group, version, namespace and plural; ``obj`` the
    object as last seen; ``read`` reads it again (None once it is gone or not ours).
    """
    current: Mapping[str, Any] | None = obj
    for _ in range(UNFINALIZE_ATTEMPTS):
        if current is None:
            return ()
        meta = current.get("metadata") or {}
        held = list(meta.get("finalizers") or [])
        if RECORDS_FINALIZER not in held:
            return ()
        patch = [
            {"op": "test", "path": "/metadata/uid", "value": uid or str(meta.get("uid") or "")},
            {"op": "test", "path": "/metadata/finalizers", "value": held},
            {
                "op": "replace",
                "path": "/metadata/finalizers",
                "value": [f for f in held if f != RECORDS_FINALIZER],
            },
        ]
        try:
            kube.call(
                f"remove the finalizer of {what}",
                kube.custom.patch_namespaced_custom_object,
                *args,
                name,
                patch,
                _content_type=JSON_PATCH,
            )
            return (RECORDS_FINALIZER,)
        except NotFound:
            return ()
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise RemovalError(str(exc)) from exc
            log.info("the object changed before the finalizer patch; reading it again",
                     object=what, error=str(exc))  # fmt: skip
        current = read()
    raise RemovalError(
        f"could not remove the finalizer of {what}: it changed under every one of "
        f"{UNFINALIZE_ATTEMPTS} attempts"
    )
