"""judge_phase for every rule and tick mix, judge_recovery, tick_holds.

The SLIs here are ``latency <= 200ms`` (G = 0.05 good, B = 2.0 bad) unless a case says otherwise.
The key property: a no-data or errored tick never produces HELD when reading it as bad would
violate the rule, and never produces VIOLATED when reading it as good would hold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from chaosrunner.core.hypothesis import Outcome, judge_phase, judge_recovery, tick_holds
from chaosrunner.core.journal import Series
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from tests.unit.core.builders import (
    ERR,
    ND,
    Tick,
    append_ticks,
    at,
    series_of,
    series_phases,
    sli_record,
)

G = 0.05
B = 2.0
UP = 1.0  # availability, good against ">= 99%"
DOWN = 0.5  # availability, bad

FAIL = NoDataPolicy.FAIL
INCONCLUSIVE = NoDataPolicy.INCONCLUSIVE

HELD = Outcome.HELD
VIOLATED = Outcome.VIOLATED
NO_DATA = Outcome.NO_DATA
ERRORED = Outcome.ERRORED
EMPTY = Outcome.EMPTY


def judge(
    rule: JudgeRule,
    ticks: Sequence[Tick],
    *,
    objective: str = "<= 200ms",
    min_ratio: float = 1.0,
    sustain: float = 0.0,
    no_data: NoDataPolicy = INCONCLUSIVE,
) -> Outcome:
    rec = sli_record("s", objective, rule, min_ratio=min_ratio, sustain=sustain, no_data=no_data)
    return judge_phase(rec, series_of(ticks), Phase.OBSERVE).outcome


# -- every rule: the tick mixes ------------------------------------------------------------


@pytest.mark.parametrize("rule", list(JudgeRule), ids=str)
def test_a_phase_without_ticks_is_empty(rule: JudgeRule) -> None:
    rec = sli_record("s", "<= 200ms", rule, min_ratio=0.9, sustain=3.0)
    series = series_phases({Phase.BASELINE: [G, G], Phase.RECOVERY: [G]})
    result = judge_phase(rec, series, Phase.OBSERVE)
    assert result.outcome is EMPTY
    assert not result.outcome.decided
    assert (result.ticks, result.good, result.bad, result.no_data, result.errors) == (0, 0, 0, 0, 0)
    assert (result.observed, result.worst, result.mean, result.final) == (None, None, None, None)
    assert result.within_ratio == 0.0


@pytest.mark.parametrize(
    ("ticks", "no_data", "expected"),
    [
        pytest.param([G, G, G], INCONCLUSIVE, HELD, id="all-good"),
        pytest.param([G], INCONCLUSIVE, HELD, id="single-good"),
        pytest.param([G, B, G], INCONCLUSIVE, VIOLATED, id="one-bad"),
        pytest.param([G, 0.2, G], INCONCLUSIVE, HELD, id="on-the-threshold"),
        pytest.param([G, ND, G], INCONCLUSIVE, NO_DATA, id="one-no-data-inconclusive"),
        pytest.param([ND, ND], INCONCLUSIVE, NO_DATA, id="all-no-data-inconclusive"),
        pytest.param([G, ND, G], FAIL, VIOLATED, id="one-no-data-fail"),
        pytest.param([G, ERR, G], INCONCLUSIVE, ERRORED, id="one-error"),
        pytest.param([G, ERR, G], FAIL, ERRORED, id="one-error-fail-policy"),
        pytest.param([ERR, ERR], INCONCLUSIVE, ERRORED, id="all-errors"),
        pytest.param([G, B, ND], INCONCLUSIVE, VIOLATED, id="bad-beside-no-data"),
        pytest.param([ERR, B, G], INCONCLUSIVE, VIOLATED, id="bad-beside-error"),
        pytest.param([ND, ERR, G], INCONCLUSIVE, NO_DATA, id="no-data-and-error"),
    ],
)
def test_every_tick(ticks: list[Tick], no_data: NoDataPolicy, expected: Outcome) -> None:
    assert judge(JudgeRule.EVERY_TICK, ticks, no_data=no_data) is expected


@pytest.mark.parametrize(
    ("ticks", "min_ratio", "no_data", "expected"),
    [
        pytest.param([G] * 10, 0.9, INCONCLUSIVE, HELD, id="all-good"),
        pytest.param([G] * 9 + [B], 0.9, INCONCLUSIVE, HELD, id="9-good-1-bad"),
        pytest.param([G] * 8 + [B] * 2, 0.9, INCONCLUSIVE, VIOLATED, id="8-good-2-bad"),
        pytest.param([G] * 9 + [ND], 0.9, INCONCLUSIVE, HELD, id="9-good-1-unknown-pessimistic-90"),
        pytest.param(
            [G] * 8 + [ND, B], 0.9, INCONCLUSIVE, NO_DATA, id="8-good-1-unknown-1-bad-undetermined"
        ),
        pytest.param(
            [G] * 8 + [ERR, B], 0.9, INCONCLUSIVE, ERRORED, id="8-good-1-error-1-bad-undetermined"
        ),
        pytest.param(
            [G] * 7 + [ND, B, B], 0.9, INCONCLUSIVE, VIOLATED, id="7-good-1-unknown-2-bad"
        ),
        pytest.param([G] * 7 + [ERR, B, B], 0.9, INCONCLUSIVE, VIOLATED, id="7-good-1-error-2-bad"),
        pytest.param([G] * 9 + [ND], 0.9, FAIL, HELD, id="no-data-counts-bad-under-fail"),
        pytest.param([G] * 8 + [ND, ND], 0.9, FAIL, VIOLATED, id="two-no-data-under-fail"),
        pytest.param([G] * 9 + [ND], 1.0, INCONCLUSIVE, NO_DATA, id="min-100-one-unknown"),
        pytest.param([G, B], 0.5, INCONCLUSIVE, HELD, id="exactly-the-ratio"),
        pytest.param([G, B, B], 0.5, INCONCLUSIVE, VIOLATED, id="just-below-the-ratio"),
        pytest.param([B, B], 0.0, INCONCLUSIVE, HELD, id="ratio-zero"),
        pytest.param([ND, ND], 0.5, INCONCLUSIVE, NO_DATA, id="all-unknown"),
    ],
)
def test_ticks_ratio(
    ticks: list[Tick], min_ratio: float, no_data: NoDataPolicy, expected: Outcome
) -> None:
    assert judge(JudgeRule.TICKS_RATIO, ticks, min_ratio=min_ratio, no_data=no_data) is expected


@pytest.mark.parametrize(
    ("ticks", "no_data", "expected"),
    [
        pytest.param([G, G, G], INCONCLUSIVE, HELD, id="all-good"),
        pytest.param([G] * 9 + [0.5], INCONCLUSIVE, HELD, id="one-spike-mean-still-good"),
        pytest.param([G, B], INCONCLUSIVE, VIOLATED, id="mean-bad"),
        pytest.param([0.1, 0.3], INCONCLUSIVE, HELD, id="mean-on-the-threshold"),
        pytest.param([G, ND, G], INCONCLUSIVE, NO_DATA, id="unknown-could-move-a-good-mean"),
        pytest.param([B, ND, B], INCONCLUSIVE, NO_DATA, id="unknown-could-move-a-bad-mean"),
        pytest.param([G, ERR, G], INCONCLUSIVE, ERRORED, id="one-error"),
        pytest.param([ND, ND], INCONCLUSIVE, NO_DATA, id="all-no-data"),
        pytest.param([ERR, ERR], INCONCLUSIVE, ERRORED, id="all-errors"),
        pytest.param([G, ND, G], FAIL, VIOLATED, id="no-data-under-fail"),
        pytest.param([ND, ND], FAIL, VIOLATED, id="all-no-data-under-fail"),
    ],
)
def test_mean(ticks: list[Tick], no_data: NoDataPolicy, expected: Outcome) -> None:
    assert judge(JudgeRule.MEAN, ticks, no_data=no_data) is expected


@pytest.mark.parametrize(
    ("ticks", "objective", "no_data", "expected"),
    [
        pytest.param([G, G], "<= 200ms", INCONCLUSIVE, HELD, id="all-good"),
        pytest.param([G, B, G], "<= 200ms", INCONCLUSIVE, VIOLATED, id="one-bad"),
        pytest.param([G, B, ND], "<= 200ms", INCONCLUSIVE, VIOLATED, id="unknown-cannot-lower-max"),
        pytest.param([G, B, ERR], "<= 200ms", INCONCLUSIVE, VIOLATED, id="error-cannot-lower-max"),
        pytest.param([G, ND], "<= 200ms", INCONCLUSIVE, NO_DATA, id="unknown-could-raise-max"),
        pytest.param([G, ERR], "<= 200ms", INCONCLUSIVE, ERRORED, id="error-could-raise-max"),
        pytest.param([G, ND], "<= 200ms", FAIL, VIOLATED, id="no-data-under-fail"),
        pytest.param([DOWN, UP], ">= 99%", INCONCLUSIVE, HELD, id="wants-high-max-good"),
        pytest.param([DOWN, 0.6], ">= 99%", INCONCLUSIVE, VIOLATED, id="wants-high-max-bad"),
        pytest.param([DOWN, ND], ">= 99%", INCONCLUSIVE, NO_DATA, id="wants-high-max-unknown"),
        pytest.param([ND, ND], "<= 200ms", INCONCLUSIVE, NO_DATA, id="all-no-data"),
    ],
)
def test_max(ticks: list[Tick], objective: str, no_data: NoDataPolicy, expected: Outcome) -> None:
    assert judge(JudgeRule.MAX, ticks, objective=objective, no_data=no_data) is expected


@pytest.mark.parametrize(
    ("ticks", "objective", "no_data", "expected"),
    [
        pytest.param([UP, UP], ">= 99%", INCONCLUSIVE, HELD, id="all-good"),
        pytest.param([UP, DOWN, UP], ">= 99%", INCONCLUSIVE, VIOLATED, id="one-bad"),
        pytest.param(
            [UP, DOWN, ND], ">= 99%", INCONCLUSIVE, VIOLATED, id="unknown-cannot-raise-min"
        ),
        pytest.param([UP, ND], ">= 99%", INCONCLUSIVE, NO_DATA, id="unknown-could-lower-min"),
        pytest.param([UP, ERR], ">= 99%", INCONCLUSIVE, ERRORED, id="error-could-lower-min"),
        pytest.param([UP, ND], ">= 99%", FAIL, VIOLATED, id="no-data-under-fail"),
        pytest.param([B, G], "<= 200ms", INCONCLUSIVE, HELD, id="wants-low-min-good"),
        pytest.param([B, 0.3], "<= 200ms", INCONCLUSIVE, VIOLATED, id="wants-low-min-bad"),
    ],
)
def test_min(ticks: list[Tick], objective: str, no_data: NoDataPolicy, expected: Outcome) -> None:
    assert judge(JudgeRule.MIN, ticks, objective=objective, no_data=no_data) is expected


@pytest.mark.parametrize(
    ("ticks", "no_data", "expected"),
    [
        pytest.param([G], INCONCLUSIVE, HELD, id="single-good"),
        pytest.param([B, B, G], INCONCLUSIVE, HELD, id="bad-then-good"),
        pytest.param([G, G, B], INCONCLUSIVE, VIOLATED, id="good-then-bad"),
        pytest.param([ND, ERR, G], INCONCLUSIVE, HELD, id="earlier-gaps-do-not-matter"),
        pytest.param([G, ND], INCONCLUSIVE, NO_DATA, id="last-no-data"),
        pytest.param([G, ERR], INCONCLUSIVE, ERRORED, id="last-error"),
        pytest.param([G, ND], FAIL, VIOLATED, id="last-no-data-under-fail"),
        pytest.param([G, ERR], FAIL, ERRORED, id="last-error-under-fail"),
    ],
)
def test_final(ticks: list[Tick], no_data: NoDataPolicy, expected: Outcome) -> None:
    assert judge(JudgeRule.FINAL, ticks, no_data=no_data) is expected


@pytest.mark.parametrize(
    ("ticks", "sustain", "no_data", "expected"),
    [
        pytest.param([G] * 6, 3.0, INCONCLUSIVE, HELD, id="all-good"),
        pytest.param([G, B, B, B, G], 3.0, INCONCLUSIVE, HELD, id="breach-lasting-2s"),
        pytest.param([G, B, B, B, B, G], 3.0, INCONCLUSIVE, VIOLATED, id="breach-lasting-3s"),
        pytest.param([B, B, G, B, B], 3.0, INCONCLUSIVE, HELD, id="good-tick-resets-the-run"),
        pytest.param([B, B, B, B], 3.0, INCONCLUSIVE, VIOLATED, id="breach-at-the-end"),
        pytest.param([G, B, B, B, ND], 3.0, INCONCLUSIVE, NO_DATA, id="unknown-extends-a-run"),
        pytest.param([G, B, B, B, ERR], 3.0, INCONCLUSIVE, ERRORED, id="error-extends-a-run"),
        pytest.param([G, B, B, B, ND], 3.0, FAIL, VIOLATED, id="no-data-extends-under-fail"),
        pytest.param([G, ND, G, ND, G], 3.0, INCONCLUSIVE, HELD, id="isolated-unknowns"),
        pytest.param([ND, ND, ND, ND], 3.0, INCONCLUSIVE, NO_DATA, id="unknown-for-3s"),
        pytest.param([G, B, G], 0.0, INCONCLUSIVE, VIOLATED, id="sustain-0-any-bad-tick"),
        pytest.param([G, ND, G], 0.0, INCONCLUSIVE, NO_DATA, id="sustain-0-unknown-tick"),
    ],
)
def test_sustained(
    ticks: list[Tick], sustain: float, no_data: NoDataPolicy, expected: Outcome
) -> None:
    assert judge(JudgeRule.SUSTAINED, ticks, sustain=sustain, no_data=no_data) is expected


def test_sustained_measures_time_not_tick_count() -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.SUSTAINED, sustain=3.0)
    # Four bad ticks half a second apart last 1.5s; at two-second spacing two ticks last 2s.
    # (The phases span at least 3s, or the rule could not fail at all: see too-short.)
    fast = series_of([G, B, B, B, B, G, G], interval=0.5)
    slow = series_of([G, B, B, G], interval=2.0)
    assert judge_phase(rec, fast, Phase.OBSERVE).outcome is HELD
    assert judge_phase(rec, slow, Phase.OBSERVE).outcome is HELD
    slower = series_of([G, B, B, G], interval=3.0)
    assert judge_phase(rec, slower, Phase.OBSERVE).outcome is VIOLATED


# -- the key property, by hand ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "objective", "ticks", "bad", "min_ratio", "sustain"),
    [
        pytest.param(
            JudgeRule.EVERY_TICK, "<= 200ms", [G, ND], B, 1.0, 0.0, id="every-tick-no-data"
        ),
        pytest.param(
            JudgeRule.EVERY_TICK, "<= 200ms", [G, ERR], B, 1.0, 0.0, id="every-tick-error"
        ),
        pytest.param(
            JudgeRule.TICKS_RATIO, "<= 200ms", [G] * 8 + [ND, B], B, 0.9, 0.0, id="ticks-ratio"
        ),
        pytest.param(JudgeRule.SUSTAINED, "<= 200ms", [B, B, B, ND], B, 1.0, 3.0, id="sustained"),
        pytest.param(JudgeRule.MEAN, "<= 200ms", [G, ND], B, 1.0, 0.0, id="mean"),
        pytest.param(JudgeRule.MAX, "<= 200ms", [G, ND], B, 1.0, 0.0, id="max"),
        pytest.param(JudgeRule.MIN, ">= 99%", [UP, ND], DOWN, 1.0, 0.0, id="min"),
        pytest.param(JudgeRule.FINAL, "<= 200ms", [G, ND], B, 1.0, 0.0, id="final"),
    ],
)
def test_a_missing_tick_never_reads_as_held(
    rule: JudgeRule, objective: str, ticks: list[Tick], bad: float, min_ratio: float, sustain: float
) -> None:
    outcome = judge(rule, ticks, objective=objective, min_ratio=min_ratio, sustain=sustain)
    assert outcome in (NO_DATA, ERRORED)
    pessimistic = [bad if t is ND or t is ERR else t for t in ticks]
    outcome = judge(rule, pessimistic, objective=objective, min_ratio=min_ratio, sustain=sustain)
    assert outcome is VIOLATED


# -- what a phase result reports -------------------------------------------------------------


def test_counts_and_statistics_of_a_mixed_phase() -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.EVERY_TICK)
    result = judge_phase(rec, series_of([G, B, ND, ERR, 0.1]), Phase.OBSERVE)
    assert result.sli == "s"
    assert result.phase is Phase.OBSERVE
    assert result.outcome is VIOLATED
    assert (result.ticks, result.good, result.bad, result.no_data, result.errors) == (5, 2, 1, 1, 1)
    assert result.worst == B
    assert result.observed == B
    assert result.mean == pytest.approx((G + B + 0.1) / 3)
    assert result.final == 0.1
    assert result.within_ratio == pytest.approx(2 / 5)


def test_no_data_under_fail_is_counted_bad_and_no_data() -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.TICKS_RATIO, min_ratio=0.5, no_data=FAIL)
    result = judge_phase(rec, series_of([G, ND, G, G]), Phase.OBSERVE)
    assert (result.good, result.bad, result.no_data, result.errors) == (3, 1, 1, 0)
    assert result.outcome is HELD
    assert result.observed == pytest.approx(0.75)


def test_worst_is_the_minimum_when_high_is_good() -> None:
    rec = sli_record("a", ">= 99%", JudgeRule.EVERY_TICK)
    result = judge_phase(rec, series_of([UP, DOWN, 0.995]), Phase.OBSERVE)
    assert result.worst == DOWN
    assert result.observed == DOWN


def test_final_is_none_when_the_last_tick_has_no_value() -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.EVERY_TICK)
    result = judge_phase(rec, series_of([G, ND]), Phase.OBSERVE)
    assert result.final is None
    assert result.worst == G


@pytest.mark.parametrize(
    ("rule", "observed"),
    [
        pytest.param(JudgeRule.MEAN, (0.1 + 0.3 + 0.05) / 3, id="mean"),
        pytest.param(JudgeRule.MAX, 0.3, id="max"),
        pytest.param(JudgeRule.MIN, 0.05, id="min"),
        pytest.param(JudgeRule.FINAL, 0.05, id="final"),
        pytest.param(JudgeRule.EVERY_TICK, 0.3, id="every-tick-worst"),
        pytest.param(JudgeRule.SUSTAINED, 0.3, id="sustained-worst"),
        pytest.param(JudgeRule.TICKS_RATIO, 2 / 3, id="ticks-ratio-share"),
    ],
)
def test_observed_value_per_rule(rule: JudgeRule, observed: float) -> None:
    rec = sli_record("s", "<= 200ms", rule, min_ratio=0.5, sustain=5.0)
    result = judge_phase(rec, series_of([0.1, 0.3, 0.05]), Phase.OBSERVE)
    assert result.observed == pytest.approx(observed)


def test_only_the_judged_phase_counts() -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.EVERY_TICK)
    series = series_phases({Phase.BASELINE: [B, B], Phase.OBSERVE: [G, G, G], Phase.RECOVERY: [ND]})
    assert judge_phase(rec, series, Phase.BASELINE).outcome is VIOLATED
    observe = judge_phase(rec, series, Phase.OBSERVE)
    assert observe.outcome is HELD
    assert observe.ticks == 3
    assert judge_phase(rec, series, Phase.RECOVERY).outcome is NO_DATA


def test_nan_value_reported_ok_is_stored_as_no_data() -> None:
    series = Series()
    from chaosrunner.core.journal import SampleStatus

    series.append(at(Phase.OBSERVE), Phase.OBSERVE, math.nan, SampleStatus.OK)
    series.append(at(Phase.OBSERVE, 1), Phase.OBSERVE, None, SampleStatus.OK)
    rec = sli_record("s", "<= 200ms", JudgeRule.EVERY_TICK)
    result = judge_phase(rec, series, Phase.OBSERVE)
    assert result.no_data == 2
    assert result.outcome is NO_DATA


# -- known bugs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", [JudgeRule.MEAN, JudgeRule.MAX, JudgeRule.MIN], ids=str)
def test_probe_error_is_not_a_violation_under_fail_policy(rule: JudgeRule) -> None:
    objective = ">= 99%" if rule is JudgeRule.MIN else "<= 200ms"
    good = UP if rule is JudgeRule.MIN else G
    assert judge(rule, [good, ERR, good], objective=objective, no_data=FAIL) is ERRORED


def test_min_with_equality_objective_and_an_unknown_tick_is_undetermined() -> None:
    # min(2.0, x) == 1.0 holds for x = 1.0: the rule is not violated for every reading.
    assert judge(JudgeRule.MIN, [2.0, ND], objective="== 1") is NO_DATA


def test_undetermined_by_a_probe_error_is_labelled_errored_under_fail_policy() -> None:
    # 8 good, 1 no-data (bad under fail), 1 error: 8/10 pessimistic, 9/10 optimistic.
    ticks: list[Tick] = [G] * 8 + [ND, ERR]
    assert judge(JudgeRule.TICKS_RATIO, ticks, min_ratio=0.9, no_data=FAIL) is ERRORED


# -- recovery ---------------------------------------------------------------------------------


def recovery_series(ticks: Sequence[Tick], observe: Sequence[Tick] = (B, B)) -> Series:
    return series_phases({Phase.OBSERVE: observe, Phase.RECOVERY: ticks})


RECOVERY_START = at(Phase.RECOVERY)


@pytest.mark.parametrize(
    ("ticks", "no_data", "outcome", "seconds"),
    [
        pytest.param([G], INCONCLUSIVE, HELD, 0.0, id="good-at-once"),
        pytest.param([B, B, G, G], INCONCLUSIVE, HELD, 2.0, id="good-from-the-third-tick"),
        pytest.param([G, B, G], INCONCLUSIVE, HELD, 2.0, id="only-the-final-good-run-counts"),
        pytest.param([B, ND, G], INCONCLUSIVE, HELD, 2.0, id="unknown-breaks-the-good-run"),
        pytest.param([B, ERR, G, G], INCONCLUSIVE, HELD, 2.0, id="error-breaks-the-good-run"),
        pytest.param([B, B, B], INCONCLUSIVE, VIOLATED, None, id="never-recovered"),
        pytest.param([G, G, B], INCONCLUSIVE, VIOLATED, None, id="relapsed"),
        pytest.param([B, G, ND], INCONCLUSIVE, NO_DATA, None, id="last-tick-no-data"),
        pytest.param([B, G, ERR], INCONCLUSIVE, ERRORED, None, id="last-tick-error"),
        pytest.param([B, G, ND], FAIL, VIOLATED, None, id="last-tick-no-data-under-fail"),
    ],
)
def test_judge_recovery(
    ticks: list[Tick], no_data: NoDataPolicy, outcome: Outcome, seconds: float | None
) -> None:
    rec = sli_record("s", "<= 200ms", no_data=no_data)
    result = judge_recovery(rec, recovery_series(ticks), RECOVERY_START)
    assert result.sli == "s"
    assert result.outcome is outcome
    assert result.recovered is (outcome is HELD)
    assert result.seconds == seconds
    assert result.ticks == len(ticks)


def test_recovery_time_counts_from_the_recovery_start() -> None:
    rec = sli_record("s", "<= 200ms")
    series = append_ticks(Series(), Phase.RECOVERY, [B, G], start=RECOVERY_START + 0.25)
    result = judge_recovery(rec, series, RECOVERY_START)
    assert result.seconds == pytest.approx(1.25)


def test_recovery_time_is_never_negative() -> None:
    rec = sli_record("s", "<= 200ms")
    result = judge_recovery(rec, recovery_series([G, G]), RECOVERY_START + 0.5)
    assert result.seconds == 0.0
    assert result.recovered


@pytest.mark.parametrize(
    ("series", "started"),
    [
        pytest.param(recovery_series([]), RECOVERY_START, id="no-recovery-ticks"),
        pytest.param(recovery_series([G, G]), None, id="recovery-never-started"),
    ],
)
def test_recovery_without_evidence_is_empty(series: Series, started: float | None) -> None:
    result = judge_recovery(sli_record("s", "<= 200ms"), series, started)
    assert result.outcome is EMPTY
    assert not result.recovered
    assert result.seconds is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(G, True, id="good"),
        pytest.param(0.2, True, id="threshold"),
        pytest.param(B, False, id="bad"),
        pytest.param(None, False, id="no-value"),
        pytest.param(math.nan, False, id="nan"),
    ],
)
def test_tick_holds(value: float | None, expected: bool) -> None:
    assert tick_holds(sli_record("s", "<= 200ms"), value) is expected


@pytest.mark.parametrize(
    ("rule", "objective", "ticks"),
    [
        pytest.param(JudgeRule.MAX, ">= 99%", [DOWN, UP, ND], id="max-wants-high"),
        pytest.param(JudgeRule.MIN, "<= 200ms", [B, G, ND], id="min-wants-low"),
    ],
)
def test_unknown_tick_that_cannot_undo_a_met_extreme_is_held(
    rule: JudgeRule, objective: str, ticks: list[Tick]
) -> None:
    assert judge(rule, ticks, objective=objective) is HELD
