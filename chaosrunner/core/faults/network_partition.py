"""network-partition: traffic to the target is silently dropped (a black hole).

Unlike a refused connection, a partition makes calls hang: only timeouts save the caller, which
is what this fault tests. Locally a Toxiproxy ``timeout`` toxic with no timeout (data is held
forever); in a cluster a Chaos Mesh NetworkChaos ``partition``.
"""

from chaosrunner.core.faults import _cluster, _local
from chaosrunner.core.faults._params import DIRECTION
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-partition",
    summary="Drop the target's traffic silently: calls hang until the caller times out.",
    fault_class="network-partition",
    params=params_schema({"direction": DIRECTION, **_cluster.NETWORK_SCOPE}),
    requires={DriverKind.LOCAL: "proxy", DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.check_network_scope,
    driver_checks={DriverKind.LOCAL: _local.cluster_only("target", "externalTargets")},
)
