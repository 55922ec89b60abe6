"""The fault kinds chaosrunner knows, registered explicitly: one module per kind.

Adding a kind means adding its module and one line to ``_KINDS``; nothing is discovered by
import side effects, so what a build supports is readable here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from chaosrunner.core.faults import (
    cpu_stress,
    goroutine_leak,
    memory_stress,
    network_bandwidth,
    network_delay,
    network_down,
    network_partition,
    network_reset_peer,
    process_kill,
    process_pause,
)
from chaosrunner.core.faults.base import FaultKind

_KINDS = (
    cpu_stress.KIND,
    goroutine_leak.KIND,
    memory_stress.KIND,
    network_bandwidth.KIND,
    network_delay.KIND,
    network_down.KIND,
    network_partition.KIND,
    network_reset_peer.KIND,
    process_kill.KIND,
    process_pause.KIND,
)

REGISTRY: Mapping[str, FaultKind] = MappingProxyType({kind.name: kind for kind in _KINDS})

__all__ = ["REGISTRY", "FaultKind"]
