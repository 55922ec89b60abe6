"""network-delay: add latency (and jitter) to a target's traffic.

The fault every latency SLO should be tested against: a slow dependency is far more common
than a dead one, and it is where missing timeouts show. Locally a Toxiproxy ``latency`` toxic;
in a cluster a Chaos Mesh NetworkChaos ``delay``.
"""

from chaosrunner.core.faults import _cluster, _local
from chaosrunner.core.faults._params import DIRECTION, duration, percent
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-delay",
    summary="Add latency and jitter to the target's traffic.",
    fault_class="network-latency",
    params=params_schema(
        {
            "latency": duration("The added latency."),
            "jitter": duration("Random variation around the latency."),
            "correlation": percent("How much each delay depends on the previous (cluster only)."),
            "direction": DIRECTION,
            **_cluster.NETWORK_SCOPE,
        },
        ("latency",),
    ),
    requires={DriverKind.LOCAL: "proxy", DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(
        _cluster.check_network_scope,
        _cluster.percent_at_most_100("correlation"),
        _cluster.go_durations("latency", "jitter"),
    ),
    driver_checks={
        DriverKind.LOCAL: _cluster.checks(
            _local.cluster_only("correlation", "target", "externalTargets"),
            _local.whole_milliseconds("latency", "jitter"),
        )
    },
)
