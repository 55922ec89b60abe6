"""process-pause: freeze a target's processes (SIGSTOP) for the fault's duration.

The cheapest honest model of a hung dependency: the process keeps its sockets open but
answers nothing. Confirmed active by reading the process state back (``T``), removed with
SIGCONT, and a watchdog sends SIGCONT at expiry if chaosrunner itself dies.
"""

from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

KIND = FaultKind(
    name="process-pause",
    summary="Freeze the target's processes with SIGSTOP; SIGCONT at rollback or expiry.",
    fault_class="pod-failure",
    params=params_schema({}),
    requires={DriverKind.LOCAL: "process"},
)
