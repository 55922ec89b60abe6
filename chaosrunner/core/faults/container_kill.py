"""container-kill: kill named containers of a target's pods once; the kubelet restarts them.

Narrower than pod-kill: the pod keeps its IP and its other containers (a sidecar, a proxy), so
this tests in-place restarts, crash-loop back-off and what a sidecar does while its main
container is gone. One-shot, like pod-kill. Chaos Mesh's webhook rejects the action without
container names, so ``containerNames`` is required here.
"""

from chaosrunner.core.faults._cluster import CONTAINER_NAMES, container_names
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="container-kill",
    summary="Kill the named containers of the target's pods once (PodChaos container-kill).",
    fault_class="pod-kill",
    params=params_schema({"containerNames": CONTAINER_NAMES}, ("containerNames",)),
    requires={DriverKind.CHAOS_MESH: "pods"},
    one_shot=True,
    check=container_names,
)
