"""io-fault: make file-system calls on a volume of the target fail with an errno.

EIO (5) on write, ENOSPC (28) on a full disk: errors that code paths rarely see in tests and
that decide whether a service degrades or corrupts its data. Cluster only (IOChaos ``fault``).
"""

from chaosrunner.core.faults import _io
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="io-fault",
    summary="Fail matching file-system calls on a volume of the target with an errno (IOChaos).",
    fault_class="io",
    params=_io.schema(
        {
            "errno": {
                "type": "integer",
                "minimum": 1,
                "maximum": 133,
                "description": "The error returned, e.g. 5 (EIO) or 28 (ENOSPC).",
            }
        },
        ("errno",),
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_io.CHECK,
)
