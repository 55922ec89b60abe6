"""network-bandwidth: cap the target's throughput.

Large responses over a thin pipe turn into latency and queueing; this shows whether a service
sheds load or stalls. Locally a Toxiproxy ``bandwidth`` toxic; in a cluster a NetworkChaos
``bandwidth``.
"""

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults._params import DIRECTION, rate
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-bandwidth",
    summary="Limit the target's throughput to a rate.",
    params=params_schema(
        {
            "rate": rate("The bandwidth cap."),
            "limit": {"type": "integer", "minimum": 1, "description": "Cluster: queue bytes."},
            "buffer": {"type": "integer", "minimum": 1, "description": "Cluster: bucket bytes."},
            "direction": DIRECTION,
            **_cluster.NETWORK_SCOPE,
        },
        ("rate",),
    ),
    requires={DriverKind.LOCAL: "proxy", DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.check_network_scope,
)
