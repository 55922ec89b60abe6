"""pod-kill: delete a target's pods once, as a node drain, an eviction or an OOM kill would.

The question it answers is whether the workload survives losing a replica: its controller must
bring a new pod up, clients must retry elsewhere, and the SLIs must recover in time. One-shot:
Chaos Mesh ignores ``spec.duration`` for it, and there is nothing to undo. Cluster only.
"""

from chaosrunner.core.faults._cluster import go_durations
from chaosrunner.core.faults._params import duration
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="pod-kill",
    summary="Delete the target's pods once (PodChaos pod-kill); their controller recreates them.",
    fault_class="pod-kill",
    params=params_schema(
        {
            "gracePeriod": duration(
                "How long each pod may take to stop after SIGTERM; 0s deletes it at once.",
                default="0s",
            )
        }
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    one_shot=True,
    check=go_durations("gracePeriod"),
)
