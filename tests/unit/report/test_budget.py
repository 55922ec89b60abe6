"""Error-budget burn against a declared SLO, on hand-computed series.

SLO 99.9 % over 30 days: allowed error 0.001, budget 30 * 24 * 60 * 0.001 = 43.2 minutes.
"""

from __future__ import annotations

import pytest

from chaosrunner.core.budget import (
    Slo,
    burn_rate,
    burn_rates,
    error_ratios_from_classes,
    error_ratios_from_good,
    parse_slo,
    phase_burn,
)
from chaosrunner.core.timeslices import TickClass

SLO = parse_slo("99.9%", "720h")


def test_the_budget_of_a_30_day_999_slo_is_43_2_minutes() -> None:
    assert SLO.allowed_error == pytest.approx(0.001)
    assert SLO.budget_seconds == pytest.approx(43.2 * 60)


@pytest.mark.parametrize(
    ("error_ratio", "expected"),
    [
        pytest.param(0.0, 0.0, id="healthy"),
        pytest.param(0.001, 1.0, id="exactly-on-budget"),
        pytest.param(0.0144, 14.4, id="fast-burn-threshold"),
        pytest.param(0.5, 500.0, id="half-failing"),
        pytest.param(None, None, id="unknown-is-not-zero"),
    ],
)
def test_burn_rate_is_error_ratio_over_allowed_error(
    error_ratio: float | None, expected: float | None
) -> None:
    got = burn_rate(error_ratio, SLO)
    assert got == (None if expected is None else pytest.approx(expected))


def test_burn_rates_per_tick_from_availability() -> None:
    errors = error_ratios_from_good([1.0, 0.999, 0.6288, None])
    assert errors[0] == 0.0
    assert errors[1] == pytest.approx(0.001)
    assert errors[2] == pytest.approx(0.3712)
    assert errors[3] is None
    rates = burn_rates(errors, SLO)
    assert rates[1] == pytest.approx(1.0)
    assert rates[2] == pytest.approx(371.2)
    assert rates[3] is None


def test_ten_minutes_at_half_errors_consume_5_minutes_or_11_6_percent() -> None:
    # ticks every 60 s over a 600 s blast window, each at 50 % errors
    times = [float(60 * i) for i in range(10)]
    burn = phase_burn(times, [0.5] * 10, end=600.0, slo=SLO)
    assert burn.seconds == 600.0
    assert burn.unknown_seconds == 0.0
    assert burn.consumed_seconds == pytest.approx(300.0)
    assert burn.consumed_minutes == pytest.approx(5.0)
    assert burn.consumed_share == pytest.approx(5.0 / 43.2)  # 11.57 %
    assert burn.burn_rate == pytest.approx(500.0)


def test_each_tick_stands_for_the_time_to_the_next_one() -> None:
    # 0-10 s at 0 % errors, 10-30 s at 10 %, 30-40 s at 100 %: 2 + 10 = 12 s consumed
    burn = phase_burn([0.0, 10.0, 30.0], [0.0, 0.1, 1.0], end=40.0, slo=SLO)
    assert burn.consumed_seconds == pytest.approx(12.0)
    assert burn.burn_rate == pytest.approx(12.0 / 40.0 / 0.001)  # 300


def test_unknown_ticks_are_reported_never_counted_as_zero_burn() -> None:
    # 4 ticks of 10 s; the second and third have no evidence
    burn = phase_burn([0.0, 10.0, 20.0, 30.0], [0.2, None, None, 0.0], end=40.0, slo=SLO)
    assert burn.known_seconds == 20.0
    assert burn.unknown_seconds == 20.0
    assert burn.unknown_share == 0.5
    assert burn.consumed_seconds == pytest.approx(2.0)
    # the burn rate is over the known time only (0.1 mean error), not diluted by unknown time
    assert burn.burn_rate == pytest.approx(100.0)
    # the worst case reads both unknown ticks as full outages
    assert burn.consumed_worst_seconds == pytest.approx(22.0)
    assert burn.consumed_worst_share == pytest.approx(22.0 / SLO.budget_seconds)


def test_a_phase_without_evidence_has_no_burn_rate() -> None:
    burn = phase_burn([0.0, 5.0], [None, None], end=10.0, slo=SLO)
    assert burn.burn_rate is None
    assert burn.consumed_seconds == 0.0
    assert burn.unknown_share == 1.0
    assert burn.consumed_worst_seconds == 10.0


def test_timeslice_budgeting_counts_a_bad_tick_as_a_full_error() -> None:
    classes = [TickClass.GOOD, TickClass.BAD, TickClass.UNKNOWN]
    assert error_ratios_from_classes(classes) == (0.0, 1.0, None)
    burn = phase_burn([0.0, 5.0, 10.0], error_ratios_from_classes(classes), 15.0, SLO)
    assert burn.consumed_seconds == 5.0
    assert burn.unknown_seconds == 5.0


@pytest.mark.parametrize(
    ("target", "window"),
    [
        pytest.param(1.0, 3600.0, id="100-percent-has-no-budget"),
        pytest.param(0.0, 3600.0, id="zero"),
        pytest.param(0.999, 0.0, id="empty-window"),
    ],
)
def test_an_slo_without_a_budget_is_refused(target: float, window: float) -> None:
    with pytest.raises(ValueError, match="SLO"):
        Slo(target, window)


def test_ticks_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="after the next tick"):
        phase_burn([0.0, 10.0], [0.0, 0.0], end=5.0, slo=SLO)
