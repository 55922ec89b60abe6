"""io-latency: slow down file-system calls on a volume of the target.

A slow disk (a noisy neighbour on shared storage, a degraded network volume) shows up as
fsync and read latency; this tests whether the service's own timeouts and queues cope.
Cluster only (Chaos Mesh IOChaos ``latency``).
"""

from chaosrunner.core.faults import _cluster, _io
from chaosrunner.core.faults._params import duration
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="io-latency",
    summary="Delay matching file-system calls on a volume of the target (IOChaos latency).",
    fault_class="io",
    params=_io.schema({"delay": duration("The delay added to each hit call.")}, ("delay",)),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(_io.CHECK, _cluster.go_durations("delay")),
)
