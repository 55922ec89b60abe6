"""The Kubernetes permissions the chaos-mesh driver needs in a target namespace, and why.

Preflight asks the API server about each of these with a SelfSubjectAccessReview before
anything is created, and ``manifests/rbac.yaml`` grants exactly these (a test keeps the two in
step). Everything is namespaced, so a Role is enough. Discovery (is the Chaos Mesh API
installed?) and SelfSubjectAccessReview itself need nothing: every authenticated user may.
"""

from __future__ import annotations

from dataclasses import dataclass

CHAOS_GROUP = "chaos-mesh.org"
CHAOS_VERSION = "v1alpha1"

#: kind -> plural, for every namespaced Chaos Mesh kind the renderers produce.
CHAOS_PLURALS: dict[str, str] = {
    "NetworkChaos": "networkchaos",
    "PodChaos": "podchaos",
    "StressChaos": "stresschaos",
    "HTTPChaos": "httpchaos",
    "IOChaos": "iochaos",
    "TimeChaos": "timechaos",
    "DNSChaos": "dnschaos",
}


@dataclass(frozen=True, order=True)
class Permission:
    group: str
    resource: str
    verb: str
    subresource: str = ""
    why: str = ""

    @property
    def text(self) -> str:
        res = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {res}.{self.group}" if self.group else f"{self.verb} {res}"


_CHAOS_VERBS = {
    "create": "create the fault",
    "get": "read its status",
    "list": "find it again (watch, cleanup)",
    "watch": "confirm injection and removal without polling",
    "delete": "remove it",
    "patch": "force a stuck finalizer after the removal timeout, then remove it",
}

#: chaos kind -> plural of the per-pod object Chaos Mesh's controller writes for it, named after
#: the pod and owned by the Pod; an escalated removal looks for what our chaos left in them.
POD_LEVEL_PLURALS: dict[str, str] = {
    "NetworkChaos": "podnetworkchaos",
    "IOChaos": "podiochaos",
    "HTTPChaos": "podhttpchaos",
}

_POD_LEVEL_VERBS = {
    "list": "find what a removal forced past its finalizer may have left",
    "delete": "remove such an object when it is ours (our labels, or owned by our object)",
}

#: For a run whose faults are Chaos Mesh objects, per namespace holding a target.
FOR_CHAOS: tuple[Permission, ...] = tuple(
    Permission(CHAOS_GROUP, plural, verb, why=why)
    for plural in sorted(set(CHAOS_PLURALS.values()))
    for verb, why in _CHAOS_VERBS.items()
)

#: For a run with a daemon-based chaos kind (POD_LEVEL_PLURALS), per namespace holding a target.
FOR_ESCALATION: tuple[Permission, ...] = tuple(
    Permission(CHAOS_GROUP, plural, verb, why=why)
    for plural in sorted(set(POD_LEVEL_PLURALS.values()))
    for verb, why in _POD_LEVEL_VERBS.items()
)

#: For every run: see the targets, hold the namespace's Lease.
FOR_EVERY_RUN: tuple[Permission, ...] = (
    Permission("", "pods", "list", why="check each selector matches Running pods"),
    Permission("coordination.k8s.io", "leases", "create", why="lock the namespace for the run"),
    Permission("coordination.k8s.io", "leases", "get", why="see who holds the lock"),
    Permission("coordination.k8s.io", "leases", "list", why="find locks of crashed runs"),
    Permission("coordination.k8s.io", "leases", "update", why="take over an expired lock"),
    Permission("coordination.k8s.io", "leases", "delete", why="release the lock"),
)

#: For goroutine-leak: the leak hook is called through the API server's pod proxy.
FOR_POD_PROXY: tuple[Permission, ...] = (
    Permission("", "pods", "create", "proxy", why="start and release the leak hook"),
    Permission("", "pods", "get", "proxy", why="read the leak hook's status"),
)

#: Everything, for the least-privilege Role in manifests/.
ALL: tuple[Permission, ...] = FOR_EVERY_RUN + FOR_CHAOS + FOR_ESCALATION + FOR_POD_PROXY
