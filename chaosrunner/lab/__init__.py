"""The embedded local lab: Redis, Toxiproxy, the demo service, a load generator and Prometheus.

One supervisor daemon owns every component process and restarts any that dies, as Kubernetes
restarts a pod; its state lives under ``state_dir()/lab``. The lab is a subsystem of its own,
not an adapter of a core port: it sits between the runner and the adapters (it uses the local
adapter's /proc reader and state directory), and no adapter imports it. This package is the
lab's whole public surface: the CLI calls ``up``/``down``/``status``, the runner hands
``service_pid_file`` to the local driver (``process.labService`` bindings) and finds a running
lab's addresses through ``variables``. Every failure is a ``LabError``.
"""

from __future__ import annotations

from chaosrunner.lab.binaries import find_binary
from chaosrunner.lab.control import down, up
from chaosrunner.lab.model import (
    COMPONENTS,
    PROFILES,
    RESTART_DELAY,
    ComponentStatus,
    LabPorts,
    LabStatus,
)
from chaosrunner.lab.query import (
    ports,
    service_pid_file,
    status,
    variables,
    with_addresses,
)

__all__ = [
    "COMPONENTS",
    "PROFILES",
    "RESTART_DELAY",
    "ComponentStatus",
    "LabPorts",
    "LabStatus",
    "down",
    "find_binary",
    "ports",
    "service_pid_file",
    "status",
    "up",
    "variables",
    "with_addresses",
]
