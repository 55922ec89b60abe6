"""dns-error: DNS lookups of matching names fail (SERVFAIL) for the target's pods.

Service discovery is a dependency too: a resolver outage shows whether clients cache
addresses, keep connections, or fail every new call. Cluster only (Chaos Mesh DNSChaos
``error``).
"""

from chaosrunner.core.faults import _dns
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="dns-error",
    summary="Make DNS lookups of matching names fail for the target (DNSChaos error).",
    fault_class="dns",
    params=_dns.SCHEMA,
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_dns.check,
)
