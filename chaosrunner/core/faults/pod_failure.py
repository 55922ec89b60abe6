"""pod-failure: make a target's pods unavailable for the fault's duration, without deleting them.

Chaos Mesh swaps every container's image for a pause image, so the pod stays scheduled with
the same name and IP but serves nothing and fails its probes. This is the slow outage a kill
does not show: no new pod comes to the rescue until the fault ends. Its duration is the fault's
duration (plus the expiry margin as ``spec.duration``); there are no other parameters.
"""

from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="pod-failure",
    summary="Make the target's pods unavailable for the fault's duration (PodChaos pod-failure).",
    fault_class="pod-failure",
    params=params_schema({}),
    requires={DriverKind.CHAOS_MESH: "pods"},
)
