"""The timeslices rule judged inside core/hypothesis: read pessimistically and optimistically."""

from __future__ import annotations

import pytest

from chaosrunner.core.hypothesis import Outcome, judge_phase
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from tests.unit.core.builders import ERR, MS, ND, Tick, series_of, sli_record


def judge(ticks: list[Tick], *, window: float = 2.0, target: float = 0.75, **kw: object) -> Outcome:
    rec = sli_record(
        "p95",
        "<= 200ms",
        JudgeRule.TIMESLICES,
        slice_window=window,
        slice_target=target,
        **kw,  # type: ignore[arg-type]
    )
    return judge_phase(rec, series_of(ticks), Phase.OBSERVE).outcome


# ticks one second apart: 9 ticks span 8 s = four 2 s slices, the last tick closing the last one
GOOD, BAD = 0.1, 0.5


def test_three_of_four_good_slices_hold_a_75_percent_target() -> None:
    assert judge([GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, BAD, GOOD, GOOD]) is Outcome.HELD


def test_one_bad_tick_spoils_its_whole_slice() -> None:
    # slices: [0,1] good, [2,3] bad, [4,5] bad, [6,7,8] good: 2 of 4 < 75 %
    assert judge([GOOD, GOOD, BAD, GOOD, GOOD, BAD, GOOD, GOOD, GOOD]) is Outcome.VIOLATED


def test_an_unknown_slice_that_decides_it_is_inconclusive_not_a_pass() -> None:
    # pessimistic: 2 good of 4 (violated); optimistic: 3 of 4 (held)
    ticks: list[Tick] = [GOOD, GOOD, BAD, GOOD, GOOD, ERR, GOOD, GOOD, GOOD]
    assert judge(ticks) is Outcome.ERRORED
    assert judge([GOOD, GOOD, BAD, GOOD, GOOD, ND, GOOD, GOOD, GOOD]) is Outcome.NO_DATA
    assert judge([GOOD, GOOD, BAD, GOOD, GOOD, MS, GOOD, GOOD, GOOD]) is Outcome.MISSED


def test_an_unknown_slice_that_cannot_change_it_does_not_matter() -> None:
    assert judge([GOOD, ERR, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD, GOOD]) is Outcome.HELD
    assert judge([BAD, ERR, BAD, GOOD, BAD, GOOD, GOOD, GOOD, GOOD]) is Outcome.VIOLATED


def test_no_data_under_fail_is_a_bad_slice() -> None:
    ticks: list[Tick] = [GOOD, GOOD, BAD, GOOD, GOOD, ND, GOOD, GOOD, GOOD]
    assert judge(ticks, no_data=NoDataPolicy.FAIL) is Outcome.VIOLATED


def test_ticks_shorter_than_one_slice_are_too_short() -> None:
    assert judge([GOOD, GOOD, GOOD], window=5.0) is Outcome.TOO_SHORT


def test_the_observed_figure_is_the_share_of_good_slices() -> None:
    rec = sli_record("p95", "<= 200ms", JudgeRule.TIMESLICES, slice_window=2.0, slice_target=0.5)
    result = judge_phase(rec, series_of([GOOD, GOOD, BAD, GOOD, GOOD]), Phase.OBSERVE)
    assert result.outcome is Outcome.HELD and result.observed == pytest.approx(0.5)
