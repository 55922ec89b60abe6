"""dns-random: DNS lookups of matching names return random addresses for the target's pods.

Worse than a failed lookup: the client connects somewhere wrong and must time out or notice.
It tests connect timeouts and TLS name checks. Cluster only (Chaos Mesh DNSChaos ``random``).
"""

from chaosrunner.core.faults import _dns
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="dns-random",
    summary="Answer DNS lookups of matching names with random addresses (DNSChaos random).",
    fault_class="dns",
    params=_dns.SCHEMA,
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_dns.check,
)
