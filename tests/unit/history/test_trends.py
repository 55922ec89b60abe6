"""The pure trend comparison: better, worse and the same by the objective's direction, in the
objective's unit, against the latest earlier run of the same experiment and environment."""

from __future__ import annotations

import math

from chaosrunner.core.trends import (
    Direction,
    Measure,
    RunSummary,
    SliPoint,
    compare,
    earlier_runs,
)
from chaosrunner.core.units import Comparator

OCT_29 = 1_793_232_000.0  # 2026-10-29 00:00 UTC
NOV_29 = OCT_29 + 31 * 86_400


def avail(
    worst: float | None, recover: float | None = 12.0, recovered: bool | None = True
) -> SliPoint:
    return SliPoint(
        "availability", ">= 99.5%", Comparator.GE, 0.995, "ratio", worst, recover, recovered
    )


def latency(worst: float | None) -> SliPoint:
    return SliPoint("latency", "<= 200ms", Comparator.LE, 0.2, "seconds", worst, 3.0, True)


def run(
    started: float,
    *slis: SliPoint,
    score: float | None = 50.0,
    verdict: str = "FAILED",
    run_id: str = "",
    env: str = "staging",
    experiment: str = "redis-timeout",
) -> RunSummary:
    return RunSummary(
        experiment, env, run_id or f"r{int(started)}", started, verdict, score, tuple(slis)
    )


def change(trend, sli: str, measure: Measure):  # type: ignore[no-untyped-def]
    return next(c for c in trend.changes if c.sli == sli and c.measure is measure)


def test_a_higher_worst_availability_is_better_and_said_in_percent() -> None:
    t = compare(run(NOV_29, avail(0.971)), [run(OCT_29, avail(0.6288))])
    c = change(t, "availability", Measure.WORST)
    assert c.direction is Direction.BETTER
    assert c.sentence == (
        "availability's worst in the blast window improved from 62.9 % to 97.1 % since 2026-10-29."
    )
    assert c.history == (0.6288, 0.971)


def test_a_higher_worst_latency_is_worse() -> None:
    t = compare(run(NOV_29, latency(0.9)), [run(OCT_29, latency(0.15))])
    c = change(t, "latency", Measure.WORST)
    assert c.direction is Direction.WORSE
    assert "worsened from 150 ms to 900 ms since 2026-10-29" in c.sentence


def test_values_that_read_the_same_are_the_same() -> None:
    t = compare(run(NOV_29, avail(0.97104)), [run(OCT_29, avail(0.97101))])
    c = change(t, "availability", Measure.WORST)
    assert c.direction is Direction.SAME
    assert c.sentence == (
        "availability's worst in the blast window stayed at 97.1 %, as on 2026-10-29."
    )


def test_time_to_recover_shorter_is_better_and_not_recovered_is_worst() -> None:
    t = compare(run(NOV_29, avail(0.9, 4.0)), [run(OCT_29, avail(0.9, 30.0))])
    assert change(t, "availability", Measure.RECOVERY).direction is Direction.BETTER
    t = compare(run(NOV_29, avail(0.9, None, False)), [run(OCT_29, avail(0.9, 30.0))])
    c = change(t, "availability", Measure.RECOVERY)
    assert c.direction is Direction.WORSE
    assert "worsened from 30.0 s to not recovered" in c.sentence
    assert c.history == (30.0, None)  # never an infinite point on the chart


def test_the_score_higher_is_better() -> None:
    t = compare(run(NOV_29, avail(0.9), score=80), [run(OCT_29, avail(0.9), score=40)])
    c = change(t, "", Measure.SCORE)
    assert c.direction is Direction.BETTER
    assert c.sentence == "The score improved from 40 to 80 since 2026-10-29."


def test_no_previous_run_says_so_and_compares_nothing() -> None:
    t = compare(run(NOV_29, avail(0.9)), [])
    assert t.previous is None and t.changes == ()
    assert t.sentences == (
        "No earlier run of redis-timeout in staging is stored: nothing to compare with yet.",
    )


def test_only_earlier_runs_of_the_same_experiment_and_environment_count() -> None:
    current = run(NOV_29, avail(0.9), run_id="now")
    past = [
        run(OCT_29, avail(0.5), env="prod"),
        run(OCT_29, avail(0.5), experiment="other"),
        run(NOV_29 + 60, avail(0.5)),  # later
        run(NOV_29, avail(0.5), run_id="now"),  # itself, stored already
        run(OCT_29 - 86_400, avail(0.7)),
    ]
    assert [r.started for r in earlier_runs(current, past)] == [OCT_29 - 86_400]
    assert compare(current, past).previous == past[-1]


def test_an_error_run_is_never_the_reference_but_is_charted() -> None:
    first = run(OCT_29 - 86_400, avail(0.7))
    crashed = run(OCT_29, avail(None, None, None), verdict="ERROR", score=None)
    t = compare(run(NOV_29, avail(0.9)), [crashed, first])
    assert t.previous == first
    assert change(t, "availability", Measure.WORST).history == (0.7, None, 0.9)
    assert "since 2026-10-28" in change(t, "availability", Measure.WORST).sentence


def test_a_new_sli_or_a_missing_value_is_not_compared() -> None:
    t = compare(run(NOV_29, avail(0.9), latency(0.1)), [run(OCT_29, avail(None))])
    a = change(t, "availability", Measure.WORST)
    assert a.direction is Direction.UNKNOWN
    assert a.sentence == (
        "availability's worst in the blast window is 90.0 %; it was not measured on 2026-10-29."
    )
    assert change(t, "latency", Measure.WORST).direction is Direction.UNKNOWN


def test_a_changed_objective_is_said() -> None:
    before = SliPoint("availability", ">= 99%", Comparator.GE, 0.99, "ratio", 0.5)
    t = compare(run(NOV_29, avail(0.9)), [run(OCT_29, before)])
    assert (
        "(the objective changed from >= 99% to >= 99.5%)"
        in change(t, "availability", Measure.WORST).sentence
    )


def test_summaries_round_trip_through_json_without_infinities() -> None:
    r = run(NOV_29, avail(0.9, None, False), latency(math.inf), score=None)
    again = RunSummary.from_dict(r.to_dict())
    assert again.sli("availability") == r.sli("availability")
    assert again.sli("latency") is not None and again.sli("latency").worst is None  # type: ignore[union-attr]
    assert again.score is None and again.started == NOV_29
