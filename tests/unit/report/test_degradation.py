"""Phase comparison: the blast window against the baseline, direction-aware."""

from __future__ import annotations

import pytest

from chaosrunner.core.degradation import degradation, shortfall, worse_of
from chaosrunner.core.units import Comparator, parse_objective


def test_latency_higher_is_worse() -> None:
    # baseline mean 2 ms; blast worst 150 ms, mean 50 ms
    d = degradation(
        [0.001, 0.002, 0.003], [0.01, 0.15, None, 0.01, 0.03], parse_objective("<= 200ms")
    )
    assert d is not None
    assert d.reference == pytest.approx(0.002)
    assert d.worst == 0.15
    assert d.mean == pytest.approx(0.05)
    assert d.absolute_worst == pytest.approx(0.148)
    assert d.relative_worst == pytest.approx(74.0)
    assert d.absolute_mean == pytest.approx(0.048)
    assert d.relative_mean == pytest.approx(24.0)
    assert d.shortfall == pytest.approx(-0.05)  # within, by a 50 ms margin


def test_availability_lower_is_worse() -> None:
    d = degradation([1.0, 0.998], [0.6288, 0.9], parse_objective(">= 99.5%"))
    assert d is not None
    assert d.reference == pytest.approx(0.999)
    assert d.worst == 0.6288
    assert d.absolute_worst == pytest.approx(0.3702)
    assert d.relative_worst == pytest.approx(0.3702 / 0.999)
    assert d.shortfall == pytest.approx(0.995 - 0.6288)  # missed by 36.6 points


def test_an_improvement_is_negative_degradation() -> None:
    d = degradation([0.1], [0.05, 0.08], parse_objective("<= 200ms"))
    assert d is not None
    assert d.absolute_worst == pytest.approx(-0.02)
    assert d.absolute_mean == pytest.approx(-0.035)


def test_a_zero_reference_has_no_relative_degradation() -> None:
    d = degradation([0.0, 0.0], [3.0], parse_objective("<= 10"))
    assert d is not None
    assert d.absolute_worst == 3.0
    assert d.relative_worst is None


def test_equality_objectives_count_any_distance() -> None:
    d = degradation([1.0], [0.0, 1.5], parse_objective("== 1"))
    assert d is not None
    assert d.worst == 0.0
    assert d.absolute_worst == 1.0


def test_no_value_in_a_phase_is_no_comparison() -> None:
    assert degradation([None], [0.1], parse_objective("<= 1")) is None
    assert degradation([0.1], [], parse_objective("<= 1")) is None


def test_shortfall_and_worse_of() -> None:
    assert shortfall(0.25, parse_objective("<= 200ms")) == pytest.approx(0.05)
    assert shortfall(0.9, parse_objective(">= 99%")) == pytest.approx(0.09)
    assert worse_of(1.0, 2.0, Comparator.LE) == 2.0
    assert worse_of(1.0, 2.0, Comparator.GE) == 1.0
