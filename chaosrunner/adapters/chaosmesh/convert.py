"""Our value formats → Chaos Mesh's, in one place, each with the rule it follows.

- ``spec.duration`` is parsed by Go's ``time.ParseDuration``: compound forms (``1m30s``) are fine.
- NetworkChaos ``delay.latency``/``jitter`` must match ``^[0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h)$``:
  one number and one unit, so 90 s is ``90s``, never ``1m30s``.
- Memory sizes: see :func:`memory_size` (binary units become exact bytes).
- Percentages become bare numbers: ``"25"`` where the CRD says string (netem), ``25`` where it
  says integer (IOChaos percent, StressChaos load).
- Our rates are bits per second (``1mbps`` = one megabit); Chaos Mesh follows tc, where ``bps``
  means *bytes* per second, so we render bits with tc's ``bit``/``kbit``/``mbit``/``gbit``.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from chaosrunner.adapters.chaosmesh.errors import RenderError
from chaosrunner.core.units import format_duration, parse_duration

_GO_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)")
_GO_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_SINGLE_UNITS = (("h", 3600), ("m", 60), ("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))
_RATE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(bps|kbps|mbps|gbps)$")
_BITS = {"bps": 1, "kbps": 10**3, "mbps": 10**6, "gbps": 10**9}
_TC_UNITS = (("gbit", 10**9), ("mbit", 10**6), ("kbit", 10**3), ("bit", 1))
_SIZE_BYTES = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "KiB": 1024, "MiB": 2**20}
_SIZE_BYTES["GiB"] = 2**30
_DECIMAL_SIZES = ("B", "KB", "MB", "GB")


#: Go's time.Duration is int64 nanoseconds; Chaos Mesh parses every duration into one.
GO_MAX_NANOS = 2**63 - 1


def go_duration(seconds: float) -> str:
    """A Go duration for ``spec.duration``; rounded up to the millisecond, never down."""
    if not seconds * 1e9 <= GO_MAX_NANOS:
        raise RenderError(f"{seconds:g}s is longer than Go's longest duration (2562047h47m16s)")
    return format_duration(math.ceil(seconds * 1000) / 1000)


def single_unit(text: str) -> str:
    """Our duration as one number and one unit, the largest unit that keeps it whole."""
    nanos = round(parse_duration(text) * 1e9)
    if nanos > GO_MAX_NANOS:
        raise RenderError(f"{text!r} is longer than Go's longest duration (2562047h47m16s)")
    for unit, size in _SINGLE_UNITS:
        step = round(size * 1e9)
        if nanos % step == 0:
            return f"{nanos // step}{unit}"
    return f"{nanos}ns"


def signed_duration(text: str) -> str:
    """``-10m`` stays ``-10m``; the sign is Go's, the rest our duration syntax, exact to the
    nanosecond (``-1.5ms`` is ``-1500us``, never a rounded ``-2ms``)."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    exact = single_unit(body)
    if exact.endswith(("us", "ns")):
        return sign + exact
    return sign + format_duration(parse_duration(body))


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration (no sign), as Chaos Mesh reads ``spec.duration``."""
    if not re.fullmatch(rf"(?:{_GO_PART.pattern})+", text):
        raise RenderError(f"{text!r} is not a Go duration; expected e.g. 30s, 1m30s")
    return sum(float(n) * _GO_SECONDS[u] for n, u in _GO_PART.findall(text))


def percent_text(text: str) -> str:
    """``"25%"`` → ``"25"``, ``"10.50%"`` → ``"10.5"``: netem fields are plain decimal strings
    of percent (never an exponent: ``Decimal("10.0").normalize()`` alone would give ``1E+1``)."""
    value = _percent(text)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def percent_int(text: str, field: str) -> int:
    """``"25%"`` → ``25`` for the CRD fields typed integer; anything else is a RenderError."""
    value = _percent(text)
    if value != value.to_integral_value() or not 0 <= value <= 100:
        raise RenderError(f"{field}: {text!r} cannot be rendered; expected a whole 0% to 100%")
    return int(value)


def memory_size(text: str) -> str:
    """A StressChaos memory size: shares (``50%``) and whole decimal units (``256MB``) as
    written; binary units and fractions as exact bytes (``1GiB`` → ``1073741824B``), since
    Chaos Mesh reads sizes with go-units' decimal table, where ``GiB`` would mean 10^9."""
    if text.endswith("%"):
        share = _percent(text)
        if share != share.to_integral_value() or not 1 <= share <= 100:
            raise RenderError(f"{text!r} cannot be rendered; expected a whole 1% to 100%")
        return f"{int(share)}%"
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(B|KB|MB|GB|KiB|MiB|GiB)", text)
    if not match:
        raise RenderError(f"{text!r} is not a size; expected e.g. 256MB, 1GiB or 50%")
    number, unit = match.groups()
    if "." not in number and unit in _DECIMAL_SIZES:
        return text
    count = Decimal(number) * _SIZE_BYTES[unit]
    if count != count.to_integral_value() or count < 1:
        raise RenderError(f"{text!r} is not a whole number of bytes")
    return f"{int(count)}B"


def tc_rate(text: str) -> str:
    """Our bits per second in tc's units: ``1mbps`` → ``1mbit``, ``1.5mbps`` → ``1500kbit``."""
    match = _RATE.fullmatch(text)
    if not match:
        raise RenderError(f"{text!r} is not a rate; expected e.g. 100kbps, 1mbps")
    bits = Decimal(match.group(1)) * _BITS[match.group(2)]
    if bits != bits.to_integral_value() or bits < 1:
        raise RenderError(f"{text!r} is not a whole number of bits per second")
    whole = int(bits)
    unit, size = next((u, s) for u, s in _TC_UNITS if whole % s == 0)
    return f"{whole // size}{unit}"


def _percent(text: str) -> Decimal:
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?%", text):
        raise RenderError(f"{text!r} is not a percentage; expected e.g. 25%")
    return Decimal(text[:-1])
