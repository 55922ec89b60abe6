"""network-bandwidth: cap the target's throughput.

Large responses over a thin pipe turn into latency and queueing; this shows whether a service
sheds load or stalls. Locally a Toxiproxy ``bandwidth`` toxic; in a cluster a NetworkChaos
``bandwidth``.
"""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chaosrunner.core.faults import _cluster, _local
from chaosrunner.core.faults._params import DIRECTION, RATE_RE, rate, slipped
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

Problems = list[tuple[tuple[str | int, ...], str]]


def _whole_bits(params: Mapping[str, Any]) -> Problems:
    """tc (under Chaos Mesh) takes a whole number of bits per second, at least one."""
    rate = params.get("rate")
    if slipped(RATE_RE, rate):
        return [(("rate",), f"{rate!r} is not a rate; expected e.g. 100kbps, 1mbps")]
    if not isinstance(rate, str) or not re.fullmatch(RATE_RE, rate):
        return []
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", rate).groups()  # type: ignore[union-attr]
    bits = Decimal(number) * {"bps": 1, "kbps": 10**3, "mbps": 10**6, "gbps": 10**9}[unit]
    if bits < 1 or bits != bits.to_integral_value() or bits > 2**63 - 1:
        return [(("rate",), f"{rate!r} is not valid; expected a whole number of bits per "
                 "second from 1bps, e.g. 100kbps, 1.5mbps")]  # fmt: skip
    return []


KIND = FaultKind(
    name="network-bandwidth",
    summary="Limit the target's throughput to a rate.",
    fault_class="network-bandwidth",
    params=params_schema(
        {
            "rate": rate("The bandwidth cap."),
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 2**31 - 1,  # NetworkChaos: int32
                "description": "Cluster: queue bytes.",
            },
            "buffer": {
                "type": "integer",
                "minimum": 1,
                "maximum": 2**31 - 1,
                "description": "Cluster: bucket bytes.",
            },
            "direction": DIRECTION,
            **_cluster.NETWORK_SCOPE,
        },
        ("rate",),
    ),
    requires={DriverKind.LOCAL: "proxy", DriverKind.CHAOS_MESH: "pods"},
    check=_cluster.checks(_cluster.check_network_scope, _whole_bits),
    driver_checks={
        DriverKind.LOCAL: _cluster.checks(
            _local.cluster_only("limit", "buffer", "target", "externalTargets"),
            _local.toxiproxy_rate,
        )
    },
)
