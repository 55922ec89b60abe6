"""network-duplicate: send a share of the target's packets twice.

TCP hides duplicates; UDP protocols and at-least-once consumers do not, so this tests
deduplication above the transport. Cluster only (Chaos Mesh NetworkChaos ``duplicate``);
``target`` limits it to traffic with other pods, ``externalTargets`` to addresses outside.
"""

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults._params import DIRECTION, percent
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-duplicate",
    summary="Duplicate a share of the target's packets.",
    fault_class="network-loss",
    params=params_schema(
        {
            "duplicate": percent("The share of packets sent twice."),
            "correlation": percent("How much each packet's fate depends on the previous one."),
            "direction": DIRECTION,
            **_cluster.NETWORK_SCOPE,
        },
        ("duplicate",),
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(
        _cluster.check_network_scope, _cluster.percent_at_most_100("duplicate", "correlation")
    ),
)
