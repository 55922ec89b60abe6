"""The embedded local lab: Redis, Toxiproxy, the demo service, a load generator and Prometheus.

One supervisor daemon owns every component process and restarts any that dies, as Kubernetes
restarts a pod; its state lives under ``state_dir()/lab``. This package is the lab's whole
public surface: the CLI calls ``up``/``down``/``status``, the local fault drivers find the
lab through ``ports``, ``service_pid_file`` and ``find_binary``, and a run finds a running
lab's addresses through ``variables``. Every failure is a ``LabError``.
"""

from __future__ import annotations

from chaosrunner.adapters.lab.binaries import find_binary
from chaosrunner.adapters.lab.control import down, up
from chaosrunner.adapters.lab.model import (
    COMPONENTS,
    PROFILES,
    RESTART_DELAY,
    ComponentStatus,
    LabPorts,
    LabStatus,
)
from chaosrunner.adapters.lab.query import (
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
