"""time-skew: shift the clock the target's processes see, forwards or backwards.

Certificates, token expiry, leases, caches and cron-like schedules all read the clock; a skew
of minutes finds the code that assumes clocks agree. Cluster only (Chaos Mesh TimeChaos, which
changes what clock_gettime returns inside the selected containers, not the node's clock).
"""

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

CLOCKS = (
    "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
    "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME",
    "CLOCK_REALTIME_ALARM", "CLOCK_BOOTTIME_ALARM",
)  # fmt: skip

SIGNED_DURATION_RE = r"^-?([0-9]+(\.[0-9]+)?(ms|s|m|h))+$(?!\n)"

KIND = FaultKind(
    name="time-skew",
    summary="Shift the clock the target's processes read (TimeChaos).",
    fault_class="time-skew",
    params=params_schema(
        {
            "timeOffset": {
                "type": "string",
                "pattern": SIGNED_DURATION_RE,
                "description": "How far to shift the clock; negative goes back in time.",
                "x-expected": "a duration, optionally negative, such as -10m or 1h30m",
            },
            "clockIds": {
                "type": "array",
                "items": {"enum": list(CLOCKS)},
                "minItems": 1,
                "description": "Which clocks are shifted; default CLOCK_REALTIME.",
            },
            "containerNames": _cluster.CONTAINER_NAMES,
        },
        ("timeOffset",),
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(_cluster.go_durations("timeOffset"), _cluster.container_names),
)
