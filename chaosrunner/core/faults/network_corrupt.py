"""network-corrupt: flip bits in a share of the target's packets.

Checksums drop most corrupted packets (so this looks like loss), and whatever checks nothing
above them receives garbage: it finds the protocols that trust the wire. Cluster only (Chaos
Mesh NetworkChaos ``corrupt``); ``target`` and ``externalTargets`` narrow it as for loss.
"""

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults._params import DIRECTION, percent
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-corrupt",
    summary="Corrupt a share of the target's packets.",
    fault_class="network-loss",
    params=params_schema(
        {
            "corrupt": percent("The share of packets with a flipped bit."),
            "correlation": percent("How much each packet's fate depends on the previous one."),
            "direction": DIRECTION,
            **_cluster.NETWORK_SCOPE,
        },
        ("corrupt",),
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(
        _cluster.check_network_scope, _cluster.percent_at_most_100("corrupt", "correlation")
    ),
)
