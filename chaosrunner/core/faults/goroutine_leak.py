"""goroutine-leak: make a Go service leak goroutines, through the hook it links.

Leaks are the slow failure load tests miss: nothing breaks for hours. The hook (demo/leakhook)
starts leaking N goroutines a second, reports how many it holds, releases them all, and ends the
leak by itself at its expiry. Locally the hook's URL; in a cluster the API server's pod proxy.
"""

from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="goroutine-leak",
    summary="Leak goroutines in a Go service that links the chaosrunner leak hook.",
    fault_class="goroutine-leak",
    params=params_schema(
        {
            "rate": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100000,
                "description": "Goroutines leaked per second.",
            },
            "max": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100000,
                "description": "Cap on goroutines held (the leak hook holds at most 100000).",
            },
        },
        ("rate",),
    ),
    requires={DriverKind.LOCAL: "hook", DriverKind.CHAOS_MESH: ("pods", "hook")},
)
