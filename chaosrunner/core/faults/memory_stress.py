"""memory-stress: take memory beside the target, to test behaviour near its limit.

Locally ``stress-ng --vm`` holding the given size, with its own ``--timeout`` as expiry; in a
cluster a Chaos Mesh StressChaos memory stressor.
"""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chaosrunner.core.faults import _local
from chaosrunner.core.faults._params import SIZE_RE, size, slipped
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

#: Bytes per unit: KB, MB, GB are decimal (SI), KiB, MiB, GiB binary (IEC).
UNIT_BYTES = {
    "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30,
}  # fmt: skip
#: stress-ng's vm-bytes range, which Chaos Mesh's memory stressor also runs under.
SMALLEST = 4 * 2**10
LARGEST = 256 * 2**40


def size_bytes(text: str) -> Decimal | None:
    """The bytes in ``256MB``; None for a share of memory (``50%``) or a malformed size."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]+)", text)
    if not match or match.group(2) not in UNIT_BYTES:
        return None
    return Decimal(match.group(1)) * UNIT_BYTES[match.group(2)]


def _check(params: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    text = params.get("size")
    if slipped(SIZE_RE, text):
        return [(("size",), f"{text!r} is not a size; expected e.g. 256MB, 1GiB or 50%")]
    if not isinstance(text, str) or not re.fullmatch(SIZE_RE, text):
        return []
    if text.endswith("%"):
        share = Decimal(text[:-1])
        if share == share.to_integral_value() and 1 <= share <= 100:
            return []
        expected = "a whole share of memory from 1% to 100% (Chaos Mesh reads it as an integer)"
    else:
        count = size_bytes(text)
        if (
            count is not None
            and count == count.to_integral_value()
            and SMALLEST <= count <= LARGEST
        ):
            return []
        expected = "a whole number of bytes from 4KiB to 256TiB, e.g. 256MB, 1GiB"
    return [(("size",), f"{text!r} is not valid; expected {expected}")]


KIND = FaultKind(
    name="memory-stress",
    summary="Hold memory beside the target (stress-ng / StressChaos).",
    fault_class="memory-stress",
    params=params_schema(
        {
            "size": size("How much memory each worker holds."),
            "workers": {"type": "integer", "minimum": 1, "maximum": 16, "default": 1},
        },
        ("size",),
    ),
    requires={DriverKind.LOCAL: "process", DriverKind.CHAOS_MESH: "pods"},
    check=_check,
    driver_checks={DriverKind.LOCAL: _local.stress_ng_size},
)
