"""memory-stress: take memory beside the target, to test behaviour near its limit.

Locally ``stress-ng --vm`` holding the given size, with its own ``--timeout`` as expiry; in a
cluster a Chaos Mesh StressChaos memory stressor.
"""

from chaosrunner.core.faults._params import size
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="memory-stress",
    summary="Hold memory beside the target (stress-ng / StressChaos).",
    params=params_schema(
        {
            "size": size("How much memory each worker holds."),
            "workers": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1},
        },
        ("size",),
    ),
    requires={DriverKind.LOCAL: "process", DriverKind.CHAOS_MESH: "pods"},
)
