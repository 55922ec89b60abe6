"""What a sweep varies and over which levels: ``--param NAME=FROM..TO`` and its steps.

A sweep sets one experiment variable to a series of levels. The range is written in the
variable's own unit, so the levels can be handed back to the experiment as ``--var`` values:
durations (``latency=20ms..2s``, seconds inside, Go syntax outside), integers
(``workers=1..8``) or plain numbers (``rate=0.5..10``). Both ends must be of the same kind;
the kind decides how a level is rounded (integers stay integers, durations keep whole
milliseconds) and how it is written back.

``linear`` runs evenly spaced levels (``--steps N`` of them, ends included, or every
``--resolution R`` from FROM, TO always included); ``bisect`` narrows the bracket around the
boundary until it is narrower than ``--resolution`` (core/sweep.py).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.units import DURATION_RE, format_duration, parse_duration

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INTEGER = re.compile(r"^[0-9]+$")
_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?$")
PARAM_EXAMPLE = "NAME=FROM..TO, e.g. latency=20ms..2s, workers=1..8, rate=10..500"
#: More levels than this is a typo, not a sweep (each level is a full run).
MAX_LEVELS = 100


class ParamKind(StrEnum):
    DURATION = "duration"
    INTEGER = "integer"
    NUMBER = "number"


class Strategy(StrEnum):
    LINEAR = "linear"
    BISECT = "bisect"


def _kind_of(text: str) -> ParamKind | None:
    if re.match(DURATION_RE, text):
        return ParamKind.DURATION
    if _INTEGER.match(text):
        return ParamKind.INTEGER
    if _NUMBER.match(text):
        return ParamKind.NUMBER
    return None


def _value(text: str, kind: ParamKind) -> float:
    return parse_duration(text) if kind is ParamKind.DURATION else float(text)


@dataclass(frozen=True)
class ParamRange:
    """``NAME=FROM..TO``: ``low`` and ``high`` in base units (seconds for durations)."""

    name: str
    low: float
    high: float
    kind: ParamKind

    def rounded(self, value: float) -> float:
        """A level as the variable can hold it: whole numbers, or whole milliseconds."""
        match self.kind:
            case ParamKind.INTEGER:
                return float(math.floor(value + 1e-9))
            case ParamKind.DURATION:
                return round(value, 3)
            case _:
                return float(f"{value:.6g}")

    def format(self, value: float) -> str:
        """The level as a ``--var`` value (and as a person reads it): ``120ms``, ``4``."""
        match self.kind:
            case ParamKind.DURATION:
                return format_duration(value)
            case ParamKind.INTEGER:
                return str(round(value))
            case _:
                return f"{value:g}"

    @property
    def text(self) -> str:
        return f"{self.name}={self.format(self.low)}..{self.format(self.high)}"


def parse_param(text: str) -> ParamRange:
    """``latency=20ms..2s`` → ParamRange; ValueError naming ``--param`` and what was expected."""
    name, sep, span = text.partition("=")
    if not sep or not _NAME.match(name):
        raise ValueError(f"--param: {text!r} does not name a variable; expected {PARAM_EXAMPLE}")
    low_text, dots, high_text = span.partition("..")
    if not dots:
        raise ValueError(f"--param: {text!r} has no range FROM..TO; expected {PARAM_EXAMPLE}")
    kinds = (_kind_of(low_text), _kind_of(high_text))
    for part, kind in zip((low_text, high_text), kinds, strict=True):
        if kind is None:
            raise ValueError(
                f"--param: {part!r} in {text!r} is not a duration, an integer or a number; "
                f"expected {PARAM_EXAMPLE}"
            )
    low_kind, high_kind = kinds
    assert low_kind is not None and high_kind is not None
    if ParamKind.DURATION in kinds and low_kind is not high_kind:
        raise ValueError(
            f"--param: {text!r} mixes a duration and a number; expected both ends in "
            f"the variable's unit, e.g. latency=20ms..2s"
        )
    kind = low_kind if low_kind is high_kind else ParamKind.NUMBER
    param = ParamRange(name, _value(low_text, kind), _value(high_text, kind), kind)
    if not param.low < param.high:
        raise ValueError(f"--param: {text!r} goes nowhere; expected FROM below TO")
    return param


def parse_resolution(text: str, param: ParamRange) -> float:
    """``--resolution R`` in the parameter's unit (a duration for a duration range)."""
    if param.kind is ParamKind.DURATION:
        try:
            value = parse_duration(text)
        except ValueError as exc:
            raise ValueError(f"--resolution: {exc}, in the unit of {param.text}") from exc
    else:
        if not _NUMBER.match(text):
            raise ValueError(
                f"--resolution: {text!r} is not a number; expected a step in the unit of "
                f"{param.text}, e.g. 1"
            )
        value = float(text)
    if value <= 0:
        raise ValueError(f"--resolution: {text!r} must be above zero")
    if param.kind is ParamKind.INTEGER and not value.is_integer():
        raise ValueError(f"--resolution: {text!r} must be a whole number for {param.text}")
    return value


@dataclass(frozen=True)
class SweepSpec:
    """The search: which levels are tried, and how often the boundary levels are repeated."""

    param: ParamRange
    strategy: Strategy
    resolution: float
    steps: int | None = None
    repeat: int = 1

    def linear_levels(self) -> tuple[float, ...]:
        """Every level of a linear sweep, ascending, both ends included."""
        p = self.param
        if self.steps is not None:
            width = (p.high - p.low) / (self.steps - 1)
            raw = [p.low + i * width for i in range(self.steps - 1)]
        else:
            count = math.ceil((p.high - p.low) / self.resolution - 1e-9)
            raw = [p.low + i * self.resolution for i in range(count)]
        return tuple(sorted({p.rounded(v) for v in [*raw, p.high]}))

    def midpoint(self, a: float, b: float) -> float | None:
        """A level strictly between ``a`` and ``b``, or None when none exists (integers)."""
        mid = self.param.rounded((a + b) / 2)
        return mid if a < mid < b else None


def make_spec(
    param: ParamRange,
    strategy: Strategy,
    *,
    steps: int | None = None,
    resolution: str | None = None,
    repeat: int = 1,
) -> SweepSpec:
    """The checked search; ValueError naming the flag and what was expected."""
    if steps is not None and resolution is not None:
        raise ValueError("--steps and --resolution: give one of them, not both")
    if repeat < 1:
        raise ValueError(f"--repeat: {repeat} runs; expected 1 or more")
    if steps is not None:
        if strategy is Strategy.BISECT:
            raise ValueError(
                "--steps: a bisect sweep stops on --resolution R; use --strategy linear "
                "for a fixed number of levels"
            )
        if not 2 <= steps <= MAX_LEVELS:
            raise ValueError(f"--steps: {steps} levels; expected 2 to {MAX_LEVELS}")
    if resolution is not None:
        res = parse_resolution(resolution, param)
    elif steps is not None:
        res = (param.high - param.low) / (steps - 1)
    else:  # a bisect sweep's default: about a tenth of the range
        res = (param.high - param.low) / 10
        res = max(1.0, round(res)) if param.kind is ParamKind.INTEGER else res
    spec = SweepSpec(param, strategy, res, steps, repeat)
    if strategy is Strategy.LINEAR and len(spec.linear_levels()) > MAX_LEVELS:
        raise ValueError(
            f"--resolution: {resolution} makes more than {MAX_LEVELS} levels over {param.text}"
        )
    return spec
