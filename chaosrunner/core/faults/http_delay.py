"""http-delay: hold matching HTTP requests or responses for a while.

Unlike network-delay it hits one route (port, path, method) and leaves health checks and
other traffic alone, so it tests per-route timeouts and deadline propagation precisely.
Cluster only (Chaos Mesh HTTPChaos ``delay``).
"""

from chaosrunner.core.faults import _cluster, _http
from chaosrunner.core.faults._params import duration
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="http-delay",
    summary="Delay matching HTTP requests or responses of the target (HTTPChaos delay).",
    fault_class="network-latency",
    params=_http.schema({"delay": duration("How long each matching message is held.")}, ("delay",)),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(_http.check(), _cluster.go_durations("delay")),
)
