"""network-down: the target refuses connections outright.

The complement of a partition: failures are immediate, so this tests fallbacks rather than
timeouts. Local only: the Toxiproxy proxy is disabled, and enabled again at rollback.
"""

from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="network-down",
    summary="Take the target's proxy down: connections are refused.",
    fault_class="network-partition",
    params=params_schema({}),
    requires={DriverKind.LOCAL: "proxy"},
)
