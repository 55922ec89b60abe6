"""Values formatted in their objective's unit, as the issue's own examples read."""

from __future__ import annotations

import pytest

from chaosrunner.core.display import (
    MISSING,
    Unit,
    format_change,
    format_objective,
    format_share,
    format_value,
    resolve_unit,
)
from chaosrunner.core.units import Objective, parse_objective

AVAILABILITY = parse_objective(">= 99.5%")
LATENCY = parse_objective("<= 200ms")
GROWTH = parse_objective("<= 0.7%")


@pytest.mark.parametrize(
    ("value", "unit", "objective", "expected"),
    [
        pytest.param(0.6288, "ratio", AVAILABILITY, "62.9 %", id="availability"),
        pytest.param(0.6288, "", AVAILABILITY, "62.9 %", id="unit-from-objective-percent"),
        pytest.param(0.0009887, "seconds", LATENCY, "1.0 ms", id="latency-in-objective-scale"),
        pytest.param(0.0009887, "", LATENCY, "1.0 ms", id="unit-from-objective-ms"),
        pytest.param(0.15, "seconds", LATENCY, "150 ms", id="three-digits-no-decimal"),
        pytest.param(2.5, "seconds", LATENCY, "2.5 s", id="larger-value-larger-scale"),
        pytest.param(0.00001, "seconds", LATENCY, "10.0 µs", id="tiny-value-own-scale"),
        pytest.param(0.0, "seconds", LATENCY, "0 ms", id="zero-duration"),
        pytest.param(90.0, "seconds", None, "1.5 min", id="minutes"),
        pytest.param(7200.0, "seconds", None, "2.0 h", id="hours"),
        pytest.param(3e-8, "seconds", None, "30.0 ns", id="nanoseconds"),
        pytest.param(0.009, "per-hour", GROWTH, "0.9 %/h", id="growth-rate"),
        pytest.param(0.99495, "ratio", AVAILABILITY, "99.495 %", id="more-digits-near-threshold"),
        pytest.param(0.9999, "ratio", parse_objective(">= 99.95%"), "99.99 %", id="slo-digits"),
        pytest.param(1.0, "ratio", AVAILABILITY, "100.0 %", id="full"),
        pytest.param(0.00002, "ratio", None, "0.002 %", id="small-share-keeps-digits"),
        pytest.param(12345, "count", None, "12 345", id="count-grouped"),
        pytest.param(2_500_000, "count", None, "2.5 M", id="count-millions"),
        pytest.param(3.5 * 1024**2, "bytes", None, "3.5 MiB", id="mebibytes"),
        pytest.param(512, "bytes", None, "512 B", id="bytes"),
        pytest.param(14.4, "factor", None, "14.4×", id="burn-rate"),
        pytest.param(0.123456, "", None, "0.1235", id="plain"),
        pytest.param(5, "req/s", None, "5 req/s", id="free-form-unit-appended"),
        pytest.param(None, "ratio", AVAILABILITY, MISSING, id="missing"),
        pytest.param(float("nan"), "ratio", None, "NaN", id="nan"),
    ],
)
def test_format_value(
    value: float | None, unit: str, objective: Objective | None, expected: str
) -> None:
    assert format_value(value, unit, objective) == expected


@pytest.mark.parametrize(
    ("objective", "unit", "expected"),
    [
        pytest.param(AVAILABILITY, "ratio", ">= 99.5 %", id="percent"),
        pytest.param(LATENCY, "seconds", "<= 200 ms", id="milliseconds"),
        pytest.param(LATENCY, "", "<= 200 ms", id="milliseconds-inferred"),
        pytest.param(parse_objective("<= 1.5s"), "", "<= 1.5 s", id="seconds"),
        pytest.param(GROWTH, "per-hour", "<= 0.7 %/h", id="growth"),
        pytest.param(parse_objective("< 14.4"), "factor", "< 14.4×", id="burn"),
        pytest.param(parse_objective("<= 500"), "count", "<= 500", id="count"),
        pytest.param(parse_objective("<= 0.2"), "", "<= 0.2", id="plain"),
        pytest.param(parse_objective("<= 0.2"), "seconds", "<= 200 ms", id="declared-seconds"),
    ],
)
def test_format_objective(objective: Objective, unit: str, expected: str) -> None:
    assert format_objective(objective, unit) == expected


def test_resolve_unit_prefers_the_declared_unit() -> None:
    assert resolve_unit("per-hour", GROWTH) is Unit.PER_HOUR
    assert resolve_unit("", GROWTH) is Unit.RATIO
    assert resolve_unit("", parse_objective("<= 3")) is Unit.NONE
    assert resolve_unit("req/s") == "req/s"


def test_changes_are_signed_and_ratios_move_in_points() -> None:
    assert format_change(0.6288 - 0.999, "ratio", AVAILABILITY) == "-37.0 pp"
    assert format_change(0.148, "seconds", LATENCY) == "+148 ms"
    assert format_change(0.0, "seconds", LATENCY) == "±0 ms"
    assert format_change(None, "ratio") == MISSING
    assert format_share(5 * 60 / (43.2 * 60)) == "11.6 %"
