"""Checks for what the local driver's backends take: Toxiproxy and stress-ng.

Toxiproxy's toxics take whole milliseconds and a bandwidth in whole KB/s, and know nothing of
Chaos Mesh's peers, external targets, netem correlation or tc queue sizes; stress-ng takes a
whole number before the unit. A value outside that is refused at inject time, or worse
rounded or dropped without a word, so ``validate`` refuses it for local environments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults._params import bandwidth_bytes_per_second
from chaosrunner.core.faults.base import Check
from chaosrunner.core.units import parse_duration

Problems = list[tuple[tuple[str | int, ...], str]]


def cluster_only(*keys: str) -> Check:
    """Params only Chaos Mesh can express: the local driver would ignore or refuse them."""

    def check(params: Mapping[str, Any]) -> Problems:
        return [
            ((key,), f"{key!r} applies in a cluster only (Chaos Mesh): the local driver "
             f"(Toxiproxy) cannot express it; expected no {key} for a local environment")
            for key in keys
            if key in params
        ]  # fmt: skip

    return check


def whole_milliseconds(*keys: str) -> Check:
    """Toxiproxy's latency, jitter and timeouts are whole milliseconds."""

    def check(params: Mapping[str, Any]) -> Problems:
        problems: Problems = []
        for key in keys:
            value = params.get(key)
            try:
                seconds = parse_duration(value) if isinstance(value, str) else None
            except ValueError:
                continue
            if seconds is not None and abs(seconds * 1000 - round(seconds * 1000)) > 1e-6:
                problems.append(
                    ((key,), f"{value!r} is not valid locally (Toxiproxy takes whole "
                     "milliseconds); expected e.g. 1ms, 250ms")
                )  # fmt: skip
        return problems

    return check


def toxiproxy_rate(params: Mapping[str, Any]) -> Problems:
    """Toxiproxy's bandwidth toxic counts whole KB/s: below 8kbps it would be raised to 8kbps."""
    rate = params.get("rate")
    try:
        per_second = bandwidth_bytes_per_second(rate) if isinstance(rate, str) else None
    except (ValueError, KeyError):
        return []
    if per_second is not None and per_second < 1000:
        return [
            (("rate",), f"{rate!r} is too low locally; expected at least 8kbps, Toxiproxy's "
             "smallest rate (1 KB/s)")
        ]  # fmt: skip
    return []


def stress_ng_size(params: Mapping[str, Any]) -> Problems:
    """stress-ng reads the number before the unit as a whole number: 0.5GB would be 0."""
    size = params.get("size")
    if isinstance(size, str) and re.fullmatch(r"[0-9]+\.[0-9]+[A-Za-z%]+", size):
        return [
            (("size",), f"{size!r} is not valid locally (stress-ng reads a whole number before "
             "the unit); expected e.g. 512MB instead of 0.5GB")
        ]  # fmt: skip
    return []
