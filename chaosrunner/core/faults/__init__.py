"""The fault kinds chaosrunner knows, registered explicitly: one module per kind.

Adding a kind means adding its module and one line to ``_KINDS``; nothing is discovered by
import side effects, so what a build supports is readable here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from chaosrunner.core.faults import (
    container_kill,
    cpu_stress,
    dns_error,
    dns_random,
    goroutine_leak,
    http_abort,
    http_delay,
    http_patch,
    http_replace,
    io_attr,
    io_fault,
    io_latency,
    memory_stress,
    network_bandwidth,
    network_corrupt,
    network_delay,
    network_down,
    network_duplicate,
    network_loss,
    network_partition,
    network_reset_peer,
    pod_failure,
    pod_kill,
    process_kill,
    process_pause,
    raw_manifest,
    time_skew,
)
from chaosrunner.core.faults.base import FaultKind

_KINDS = (
    container_kill.KIND,
    cpu_stress.KIND,
    dns_error.KIND,
    dns_random.KIND,
    goroutine_leak.KIND,
    http_abort.KIND,
    http_delay.KIND,
    http_patch.KIND,
    http_replace.KIND,
    io_attr.KIND,
    io_fault.KIND,
    io_latency.KIND,
    memory_stress.KIND,
    network_bandwidth.KIND,
    network_corrupt.KIND,
    network_delay.KIND,
    network_down.KIND,
    network_duplicate.KIND,
    network_loss.KIND,
    network_partition.KIND,
    network_reset_peer.KIND,
    pod_failure.KIND,
    pod_kill.KIND,
    process_kill.KIND,
    process_pause.KIND,
    raw_manifest.KIND,
    time_skew.KIND,
)

REGISTRY: Mapping[str, FaultKind] = MappingProxyType({kind.name: kind for kind in _KINDS})

__all__ = ["REGISTRY", "FaultKind"]
