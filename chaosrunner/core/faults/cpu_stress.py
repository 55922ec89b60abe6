"""cpu-stress: burn CPU beside the target, as a noisy neighbour or a hot loop would.

Go services feel this as scheduler latency and GC pauses. Locally ``stress-ng --cpu`` pinned to
the target's CPUs, with its own ``--timeout`` as expiry; in a cluster a Chaos Mesh StressChaos.
"""

from chaosrunner.core.faults._cluster import whole_percent
from chaosrunner.core.faults._params import percent
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="cpu-stress",
    summary="Burn CPU on the target's CPUs (stress-ng / StressChaos).",
    fault_class="cpu-stress",
    params=params_schema(
        {
            "workers": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1},
            "load": percent("How busy each worker keeps its CPU.", default="100%"),
        }
    ),
    requires={DriverKind.LOCAL: "process", DriverKind.CHAOS_MESH: "pods"},
    check=whole_percent("load", low=0),  # stress-ng's --cpu-load and StressChaos: 0 to 100
)
