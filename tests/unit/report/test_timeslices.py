"""Timeslices: "p95 <= 200 ms in at least 95 % of 10 s slices", on hand-computed series."""

from __future__ import annotations

import pytest

from chaosrunner.core.timeslices import (
    SliceOutcome,
    TickClass,
    classify,
    cut_slices,
    judge_timeslices,
    judgeable,
)
from chaosrunner.core.units import parse_objective

G, B, U = TickClass.GOOD, TickClass.BAD, TickClass.UNKNOWN
LATENCY = parse_objective("<= 200ms")


def ticks(*classes: TickClass, every: float = 5.0) -> tuple[list[float], list[TickClass]]:
    """Ticks at 0, every, 2*every, ... (the last one at the phase end, as the runner ticks)."""
    return [i * every for i in range(len(classes))], list(classes)


def test_classify_against_the_objective() -> None:
    assert classify([0.1, 0.2, 0.25, None], LATENCY) == (G, G, B, U)


def test_a_slice_is_good_only_if_every_tick_in_it_is() -> None:
    # 60 s phase, ticks every 5 s (13 ticks, the last at 60 s), 10 s slices
    times, classes = ticks(G, G, G, B, G, G, U, G, G, G, G, G, G)
    slices, partial = cut_slices(times, classes, 0.0, 60.0, 10.0)
    assert partial == 0.0
    assert [s.outcome for s in slices] == [G, B, G, U, G, G]
    assert [(s.start, s.end) for s in slices][:2] == [(0.0, 10.0), (10.0, 20.0)]
    # the tick at exactly 60 s closes the last slice instead of opening a partial one
    assert slices[-1].ticks == 3


def test_a_bad_tick_makes_the_slice_bad_even_with_unknown_ticks() -> None:
    times, classes = ticks(U, B, G)
    slices, _ = cut_slices(times, classes, 0.0, 10.0, 10.0)
    assert [s.outcome for s in slices] == [B]


def test_held_when_even_unknown_slices_read_as_bad_meet_the_target() -> None:
    # 20 slices of 10 s, 1 tick each: 19 good, 1 bad -> 95 % good
    times = [float(10 * i) for i in range(20)]
    classes = [G] * 19 + [B]
    result = judge_timeslices(times, classes, 0.0, 200.0, 10.0, 0.95)
    assert (result.good, result.bad, result.unknown) == (19, 1, 0)
    assert result.outcome is SliceOutcome.HELD
    assert result.good_share == 0.95


def test_violated_when_even_unknown_slices_read_as_good_miss_the_target() -> None:
    times = [float(10 * i) for i in range(20)]
    classes = [G] * 17 + [U] + [B] * 2
    result = judge_timeslices(times, classes, 0.0, 200.0, 10.0, 0.95)
    assert result.outcome is SliceOutcome.VIOLATED  # 17 + 1 unknown = 18 < 19


def test_undecided_when_the_unknown_slices_decide() -> None:
    # 18 good + 1 unknown + 1 bad: pessimistic 18/20 < 95 %, optimistic 19/20 >= 95 %
    times = [float(10 * i) for i in range(20)]
    classes = [G] * 18 + [U, B]
    result = judge_timeslices(times, classes, 0.0, 200.0, 10.0, 0.95)
    assert result.outcome is SliceOutcome.UNDECIDED
    assert result.good_share == 0.9  # unknown counts as not good


def test_a_slice_without_a_tick_is_unknown_never_good() -> None:
    # ticks only in the first slice of two
    result = judge_timeslices([0.0, 5.0], [G, G], 0.0, 20.0, 10.0, 0.5)
    assert [s.outcome for s in result.slices] == [G, U]
    assert result.outcome is SliceOutcome.HELD  # 1 of 2 good meets 50 %
    strict = judge_timeslices([0.0, 5.0], [G, G], 0.0, 20.0, 10.0, 1.0)
    assert strict.outcome is SliceOutcome.UNDECIDED


def test_a_partial_trailing_slice_is_left_out_and_reported() -> None:
    # 25 s phase, 10 s slices: two full slices, 5 s left out (its BAD tick included)
    times, classes = ticks(G, G, G, G, G, B)
    result = judge_timeslices(times, classes, 0.0, 25.0, 10.0, 1.0)
    assert len(result.slices) == 2
    assert result.partial_seconds == pytest.approx(5.0)
    assert result.outcome is SliceOutcome.HELD


def test_slices_start_at_the_phase_start_and_ignore_ticks_outside() -> None:
    times = [95.0, 100.0, 105.0, 110.0, 115.0, 120.0, 125.0]
    classes = [B, G, G, G, G, G, B]
    result = judge_timeslices(times, classes, 100.0, 120.0, 10.0, 1.0)
    assert [(s.start, s.outcome) for s in result.slices] == [(100.0, G), (110.0, G)]
    assert result.outcome is SliceOutcome.HELD


def test_a_phase_shorter_than_one_slice_is_too_short() -> None:
    result = judge_timeslices([0.0, 5.0], [G, G], 0.0, 5.0, 10.0, 0.95)
    assert result.outcome is SliceOutcome.TOO_SHORT
    assert result.slices == ()
    assert result.good_share is None


@pytest.mark.parametrize(
    ("phase", "window", "interval", "judgeable_"),
    [
        pytest.param(60.0, 10.0, 5.0, True, id="fits"),
        pytest.param(10.0, 10.0, 5.0, True, id="exactly-one-slice"),
        pytest.param(5.0, 10.0, 5.0, False, id="phase-shorter-than-a-slice"),
        pytest.param(60.0, 10.0, 15.0, False, id="slices-without-ticks"),
        pytest.param(60.0, 0.0, 5.0, False, id="no-window"),
    ],
)
def test_judgeable(phase: float, window: float, interval: float, judgeable_: bool) -> None:
    reason = judgeable(phase, window, interval)
    assert (reason is None) is judgeable_
    if reason is not None:
        assert "expected" in reason or "must be" in reason


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="target"):
        judge_timeslices([0.0], [G], 0.0, 10.0, 10.0, 0.0)
    with pytest.raises(ValueError, match="classes"):
        cut_slices([0.0, 1.0], [G], 0.0, 10.0, 10.0)
