"""process-kill: kill a target's processes once, as a crash or an OOM kill would.

One-shot: there is nothing to undo, so rollback only records that the kill happened; whatever
supervises the process (the lab, like Kubernetes for a pod) is what restarts it, and recovery
is then measured by the SLIs. In a cluster it renders as a Chaos Mesh pod-kill (SIGKILL only:
Chaos Mesh cannot send another signal).
"""

from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind


def _sigkill_only(params: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    signal = params.get("signal", "SIGKILL")
    if signal == "SIGKILL":
        return []
    return [
        (
            ("signal",),
            f"{signal!r} cannot be sent in a cluster: there process-kill is a Chaos Mesh "
            "pod-kill, which kills with SIGKILL only; expected SIGKILL (or drop 'signal'), "
            "or use pod-kill with a gracePeriod for a graceful stop",
        )
    ]


KIND = FaultKind(
    name="process-kill",
    summary="Kill the target's processes once (SIGKILL by default); nothing to undo.",
    fault_class="pod-kill",
    params=params_schema(
        {
            "signal": {
                "enum": ["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"],
                "default": "SIGKILL",
                "description": "The signal sent to each process.",
            }
        }
    ),
    requires={DriverKind.LOCAL: "process", DriverKind.CHAOS_MESH: "pods"},
    one_shot=True,
    driver_checks={DriverKind.CHAOS_MESH: _sigkill_only},
)
