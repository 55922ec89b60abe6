"""Parameter schema pieces shared by fault kinds (durations, percentages, rates, sizes)."""

from __future__ import annotations

from typing import Any

from chaosrunner.core.units import DURATION_RE, PERCENT_RE

RATE_RE = r"^\d+(\.\d+)?(bps|kbps|mbps|gbps)$"
SIZE_RE = r"^(\d+(\.\d+)?(B|KB|MB|GB|KiB|MiB|GiB)|\d+(\.\d+)?%)$"


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
