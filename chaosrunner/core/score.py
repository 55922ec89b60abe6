"""A resilience score: the share of SLI ticks in the blast window that met their objectives.

It is a trend line for a service across game days, not a gate: the verdict gates. Ticks without
data count as missed, so a score can never be raised by missing evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class _Phase(Protocol):
    @property
    def ticks(self) -> int: ...
    @property
    def good(self) -> int: ...


class _Assessment(Protocol):
    @property
    def observe(self) -> _Phase: ...


def score_of(assessments: Sequence[_Assessment]) -> float | None:
    """0 to 100, or None when no SLI had a tick in the blast window."""
    ticks = sum(a.observe.ticks for a in assessments)
    if not ticks:
        return None
    good = sum(a.observe.good for a in assessments)
    return round(100.0 * good / ticks, 1)
