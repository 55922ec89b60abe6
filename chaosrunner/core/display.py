"""Numbers in the units people read: every value shown to a person goes through here.

An SLI is stored in base units (fractions, seconds, per-hour fractions) and a report that prints
``availability=0.6288 (>= 99.5%)`` makes the reader do the conversion in their head. Here a value
is formatted in its objective's unit, so the two can be compared at a glance: ``62.9 %`` against
``>= 99.5 %``, ``1.0 ms`` against ``<= 200 ms``, ``0.9 %/h`` against ``<= 0.7 %/h``. Raw values
stay raw in JSON; this module is for text only.

Which unit: the SLI's declared ``unit`` (``ratio``, ``seconds``, ``per-hour``, ``count``,
``bytes``, ``factor``; see :func:`resolve_unit`), else the unit written in the objective
(``%`` is a ratio, ``ms``/``s``/``m``/``h`` are seconds), else a plain number. A unit we do
not know (a free-form ``unit: req/s``) is appended to a plain number, never guessed at.

Precision: a percentage shows as many decimals as its objective (1 to 3), and more (up to 3)
when fewer would print a missed value equal to the threshold (``99.49 %`` is not ``99.5 %``).
A duration uses the objective's scale, or a larger one for a larger value (``1.0 ms`` against
``<= 200 ms``, ``2.5 s`` for a 2.5 s spike), so a value and its threshold share a unit.
"""

from __future__ import annotations

import math
from enum import StrEnum

from chaosrunner.core.units import Objective

#: Shown for a value that does not exist (no data, or no tick in the phase).
MISSING = "—"


class Unit(StrEnum):
    NONE = ""
    RATIO = "ratio"
    SECONDS = "seconds"
    PER_HOUR = "per-hour"
    COUNT = "count"
    BYTES = "bytes"
    #: A multiple, e.g. an error-budget burn rate: 14.4 shows as 14.4 and a multiplication sign.
    FACTOR = "factor"


_SUFFIX_UNIT = {"%": Unit.RATIO, "ms": Unit.SECONDS, "s": Unit.SECONDS, "m": Unit.SECONDS}
_SUFFIX_UNIT |= {"h": Unit.SECONDS}
_DURATION_SCALES = (  # (seconds per unit, symbol), smallest first
    (1e-9, "ns"),
    (1e-6, "µs"),
    (1e-3, "ms"),
    (1.0, "s"),
    (60.0, "min"),
    (3600.0, "h"),
)
_BYTE_SCALES: tuple[tuple[float, str], ...] = (
    (1.0, "B"),
    (1024.0, "KiB"),
    (1024.0**2, "MiB"),
    (1024.0**3, "GiB"),
    (1024.0**4, "TiB"),
)
_COUNT_SCALES = ((1e6, "M"), (1e9, "G"), (1e12, "T"))


def resolve_unit(declared: str, objective: Objective | None = None) -> Unit | str:
    """The unit to format in: the declared one, else the objective's, else a plain number.

    Returns the declared text itself when it names no known unit (a free-form ``req/s``).
    """
    if declared:
        try:
            return Unit(declared)
        except ValueError:
            return declared
    if objective is not None:
        tail = objective.text.rstrip()
        for suffix in ("ms", "%", "s", "m", "h"):
            if tail.endswith(suffix):
                return _SUFFIX_UNIT[suffix]
    return Unit.NONE


def format_value(value: float | None, unit: str, objective: Objective | None = None) -> str:
    """``value`` (base units) as a person reads it, scaled to match ``objective`` when given."""
    if value is None:
        return MISSING
    if math.isnan(value):
        return "NaN"
    resolved = resolve_unit(unit, objective)
    threshold = objective.threshold if objective is not None else None
    if math.isinf(value):
        return ("∞" if value > 0 else "-∞") + _space_suffix(resolved)
    match resolved:
        case Unit.RATIO:
            return _percent(value, threshold) + " %"
        case Unit.PER_HOUR:
            return _percent(value, threshold) + " %/h"
        case Unit.SECONDS:
            return _duration(value, threshold)
        case Unit.BYTES:
            return _bytes(value)
        case Unit.COUNT:
            return _count(value)
        case Unit.FACTOR:
            return _plain(value, 2 if abs(value) < 10 else 1) + "×"
        case Unit.NONE:
            return _general(value)
        case _:
            return f"{_general(value)} {resolved}"


def format_objective(objective: Objective, unit: str = "") -> str:
    """The objective in the same unit as its values: ``>= 99.5 %``, ``<= 200 ms``."""
    resolved = resolve_unit(unit, objective)
    t = objective.threshold
    match resolved:
        case Unit.RATIO:
            text = _trim(t * 100.0) + " %"
        case Unit.PER_HOUR:
            text = _trim(t * 100.0) + " %/h"
        case Unit.SECONDS:
            factor, symbol = _duration_scale(t)
            text = f"{_trim(t / factor)} {symbol}"
        case Unit.BYTES | Unit.COUNT | Unit.FACTOR:
            text = format_value(t, resolved)
        case Unit.NONE:
            text = _trim(t)
        case _:
            text = f"{_trim(t)} {resolved}"
    return f"{objective.comparator.value} {text}"


def format_change(delta: float | None, unit: str, objective: Objective | None = None) -> str:
    """A signed difference between two values of one SLI: ``-36.6 pp``, ``+148 ms``.

    Ratios differ in percentage points (``pp``), not in percent of the value.
    """
    if delta is None:
        return MISSING
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    magnitude = abs(delta)
    resolved = resolve_unit(unit, objective)
    if resolved is Unit.RATIO:
        return f"{sign}{_percent(magnitude, None)} pp"
    return sign + format_value(magnitude, unit, objective)


def format_share(fraction: float | None) -> str:
    """A share of a whole (budget spent, slices good): ``11.6 %``; a plain 0-1 fraction in."""
    return MISSING if fraction is None else _percent(fraction, None) + " %"


def _space_suffix(unit: Unit | str) -> str:
    symbols = {Unit.RATIO: " %", Unit.PER_HOUR: " %/h", Unit.SECONDS: " s", Unit.BYTES: " B"}
    if isinstance(unit, Unit):
        return symbols.get(unit, "")
    return f" {unit}"


def _decimals_of(number: float) -> int:
    text = _trim(number)
    return len(text.split(".")[1]) if "." in text else 0


def _percent(value: float, threshold: float | None) -> str:
    pct = value * 100.0
    digits = 1
    if threshold is not None:
        tpct = threshold * 100.0
        digits = min(3, max(1, _decimals_of(tpct)))
        while digits < 3 and pct != tpct and round(pct, digits) == round(tpct, digits):
            digits += 1
    while digits < 3 and pct != 0 and abs(pct) < 10.0**-digits:
        digits += 1
    return _plain(pct, digits)


def _duration_scale(seconds: float) -> tuple[float, str]:
    magnitude = abs(seconds)
    chosen = _DURATION_SCALES[0]
    for scale in _DURATION_SCALES:
        if magnitude >= scale[0] * (1 - 1e-12):
            chosen = scale
    if magnitude == 0:
        chosen = (1.0, "s")
    return chosen


def _duration(value: float, threshold: float | None) -> str:
    own = _duration_scale(value)
    scale = own
    if threshold is not None and threshold != 0:
        shared = _duration_scale(threshold)
        if shared[0] > own[0]:
            scale = shared
            if round(abs(value) / shared[0], 1) == 0 and value != 0:
                scale = own  # would print 0.0: show it in its own, smaller, scale
    if value == 0:
        return f"0 {(_duration_scale(threshold) if threshold else (1.0, 's'))[1]}"
    factor, symbol = scale
    scaled = value / factor
    return f"{_plain(scaled, 0 if abs(scaled) >= 100 else 1)} {symbol}"


def _bytes(value: float) -> str:
    factor, symbol = _BYTE_SCALES[0]
    for scale in _BYTE_SCALES:
        if abs(value) >= scale[0]:
            factor, symbol = scale
    if symbol == "B":
        return f"{_plain(value, 0)} B"
    return f"{_plain(value / factor, 1)} {symbol}"


def _count(value: float) -> str:
    for factor, symbol in reversed(_COUNT_SCALES):
        if abs(value) >= factor:
            return f"{_plain(value / factor, 1)} {symbol}"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", " ")
    return _general(value)


def _general(value: float) -> str:
    """Up to 4 significant digits, no exponent for everyday magnitudes."""
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-4):
        return f"{value:.4g}"
    text = f"{value:.4g}" if abs(value) < 1000 else f"{value:.1f}"
    if "e" in text:
        text = f"{value:f}"
    return _strip(text)


def _plain(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text


def _trim(value: float) -> str:
    """A threshold as written: ``200``, ``99.5``, ``0.7`` (no float noise, no trailing zeros)."""
    return _strip(f"{round(value, 9):.9f}")


def _strip(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text
