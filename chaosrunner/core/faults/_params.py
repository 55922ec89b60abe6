"""Parameter schema pieces shared by fault kinds (durations, percentages, rates, sizes)."""

from __future__ import annotations

import re
from typing import Any

from chaosrunner.core.units import DURATION_RE, PERCENT_RE

# ``$(?!\n)``: Python's re.search (the schema validator) would let a bare ``$`` match before a
# final newline; ASCII ``[0-9]``, since Python's ``\d`` takes any Unicode digit.
RATE_RE = r"^[0-9]+(\.[0-9]+)?(bps|kbps|mbps|gbps)$(?!\n)"
SIZE_RE = r"^([0-9]+(\.[0-9]+)?(B|KB|MB|GB|KiB|MiB|GiB)|[0-9]+(\.[0-9]+)?%)$(?!\n)"


def slipped(pattern: str, value: object) -> bool:
    """True for a string the schema's ``^...$`` pattern lets through only because ``$`` also
    matches before a final newline (``"25%\n"``): the parsers and renderers refuse it."""
    return (
        isinstance(value, str)
        and re.search(pattern, value) is not None
        and re.fullmatch(pattern.removeprefix("^").removesuffix("$(?!\n)").removesuffix("$"), value)
        is None
    )


def duration(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": DURATION_RE,
        "description": description,
        "x-expected": "a duration such as 500ms, 30s",
        **extra,
    }


def percent(description: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": PERCENT_RE,
        "description": description,
        "x-expected": "a percentage such as 25%",
        **extra,
    }


def rate(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": RATE_RE,
        "description": description,
        "x-expected": "a rate such as 100kbps, 1mbps",
    }


def size(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": SIZE_RE,
        "description": description,
        "x-expected": "a size such as 256MB, 1GiB, or a share of memory such as 50%",
    }


DIRECTION = {
    "enum": ["to", "from", "both"],
    "default": "to",
    "description": "Which traffic is hit: to the target's dependency, from it, or both.",
}


def bandwidth_bytes_per_second(text: str) -> float:
    number = float(text.rstrip("bkmgps"))
    unit = text[len(text.rstrip("bkmgps")) :]
    bits = {"bps": 1, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9}[unit]
    return number * bits / 8
