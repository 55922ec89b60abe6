r"""Parsing of the small value languages the experiment format uses.

Durations follow Go's syntax (``500ms``, ``30s``, ``1m30s``) because our users write them in
Go services and Chaos Mesh objects all day. Percentages are written with ``%``. Objectives are
a comparator and a threshold that may carry a unit: ``">= 99.5%"``, ``"<= 200ms"``.

One rule for whitespace, the same in the JSON Schema and in these parsers: a duration or a
percentage is written exactly (``"30s\n"`` and ``" 99.5% "`` are rejected, with their position,
never silently trimmed), and an objective allows spaces (not tabs or line breaks) around its
comparator, number and unit. Digits are ASCII (``[0-9]``, not ``\d``, which in Python takes any
Unicode digit). Every pattern ends in ``$(?!\n)``: a schema pattern is read by Python's
``re.search``, where a bare ``$`` also matches before a final newline, and by editors'
JavaScript, where it does not.
The schema keeps durations and percentages to :data:`MAX_LENGTH` characters, and an
objective's number to 15 integer digits and a two-digit exponent: every accepted value is finite.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

MAX_LENGTH = 32
END = r"$(?!\n)"
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
DURATION_RE = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+" + END
PERCENT_RE = r"^[0-9]+(\.[0-9]+)?%" + END
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
OBJECTIVE_RE = (
    r"^ *(<=|>=|==|!=|<|>) *(-?[0-9]{1,15}(\.[0-9]+)?([eE][-+]?[0-9]{1,2})?)"
    r" *(?:(%|ms|s|m|h) *)?" + END
)
_OBJECTIVE = re.compile(OBJECTIVE_RE)


def parse_duration(text: str) -> float:
    """Seconds in a Go-style duration; raises ValueError with what was expected."""
    if not re.match(DURATION_RE, text):
        raise ValueError(f"{text!r} is not a duration; expected e.g. 500ms, 30s, 1m30s, 2h, 30d")
    return sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION_PART.findall(text))


def format_duration(seconds: float) -> str:
    """The shortest Go-style duration for ``seconds`` (used when rendering)."""
    if seconds < 1 or not float(seconds).is_integer():
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    out = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return out + (f"{secs}s" if secs or not out else "")


def parse_percent(text: str) -> float:
    """The fraction in ``"99.5%"`` (0.995); raises ValueError with what was expected."""
    if not re.match(PERCENT_RE, text):
        raise ValueError(f"{text!r} is not a percentage; expected e.g. 95%, 99.5%")
    return float(text[:-1]) / 100.0


class Comparator(StrEnum):
    LE = "<="
    LT = "<"
    GE = ">="
    GT = ">"
    EQ = "=="
    NE = "!="

    def holds(self, value: float, threshold: float) -> bool:
        if math.isnan(value):
            return False
        match self:
            case Comparator.LE:
                return value <= threshold
            case Comparator.LT:
                return value < threshold
            case Comparator.GE:
                return value >= threshold
            case Comparator.GT:
                return value > threshold
            case Comparator.EQ:
                return value == threshold
            case Comparator.NE:
                return value != threshold

    @property
    def wants_low(self) -> bool:
        """True when smaller values are better (so ``max`` is the worst value)."""
        return self in (Comparator.LE, Comparator.LT)


@dataclass(frozen=True)
class Objective:
    """A comparator and a threshold in base units (fractions, seconds)."""

    comparator: Comparator
    threshold: float
    text: str

    def holds(self, value: float) -> bool:
        return self.comparator.holds(value, self.threshold)

    def __str__(self) -> str:
        return self.text


def parse_objective(text: str) -> Objective:
    """``">= 99.5%"`` → Objective(GE, 0.995); raises ValueError with what was expected."""
    match = _OBJECTIVE.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not an objective; expected a comparator and a number, "
            "e.g. '>= 99.5%', '<= 200ms', '< 0.7%'"
        )
    op, number, unit = match.group(1, 2, 5)
    value = float(number)
    if unit == "%":
        value /= 100.0
    elif unit:
        value *= _UNIT_SECONDS[unit]
    return Objective(Comparator(op), value, " ".join(text.split()))
