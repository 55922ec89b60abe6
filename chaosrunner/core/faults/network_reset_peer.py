"""network-reset-peer: connections to the target are reset (TCP RST) after a delay.

Resets exercise connection-pool and retry logic: a client that does not retry, or retries
without backoff, shows it here. Local only (Toxiproxy ``reset_peer``).
"""

from chaosrunner.core.faults import _cluster, _local
from chaosrunner.core.faults._params import duration
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-reset-peer",
    summary="Reset connections to the target (TCP RST), optionally after a delay.",
    fault_class="network-partition",
    params=params_schema({"after": duration("How long a connection lives before the reset.")}),
    requires={DriverKind.LOCAL: "proxy"},
    check=_cluster.checks(_cluster.go_durations("after"), _local.whole_milliseconds("after")),
)
