"""http-abort: cut matching HTTP exchanges off, as a crashed upstream or a reset proxy would.

The caller sees the connection close with no response: it tests retries, idempotency and
error mapping at the HTTP layer, where network faults are too coarse (they hit every port).
Cluster only (Chaos Mesh HTTPChaos ``abort: true``).
"""

from chaosrunner.core.faults import _http
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="http-abort",
    summary="Abort matching HTTP requests or responses of the target (HTTPChaos abort).",
    fault_class="http-error",
    params=_http.schema(),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_http.check(),
)
