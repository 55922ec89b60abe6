"""network-loss: drop a share of the target's packets.

Each lost packet costs a retransmission timeout, so a little loss shows up as tail latency long
before it shows up as errors. Cluster only (Chaos Mesh NetworkChaos ``loss``, netem underneath);
``target`` limits it to traffic with other pods, ``externalTargets`` to addresses outside.
"""

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults._params import DIRECTION, percent
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-loss",
    summary="Drop a share of the target's packets.",
    fault_class="network-loss",
    params=params_schema(
        {
            "loss": percent("The share of packets dropped."),
            "correlation": percent("How much each packet's fate depends on the previous one."),
            "direction": DIRECTION,
            **_cluster.NETWORK_SCOPE,
        },
        ("loss",),
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(
        _cluster.check_network_scope, _cluster.percent_at_most_100("loss", "correlation")
    ),
)
