"""The resilience score: weighted good-timeslice share, capped below 100 unless PASSED."""

from __future__ import annotations

import pytest

from chaosrunner.core.resilience import (
    NOT_PASSED_CAP,
    ScoreInput,
    Severity,
    resilience_score,
)
from chaosrunner.core.timeslices import TickClass, TimesliceResult, judge_timeslices

G, B, U = TickClass.GOOD, TickClass.BAD, TickClass.UNKNOWN
CRIT, WARN = Severity.CRITICAL, Severity.WARNING


def slices(*classes: TickClass) -> TimesliceResult:
    """One tick per 10 s slice."""
    times = [10.0 * i for i in range(len(classes))]
    return judge_timeslices(times, list(classes), 0.0, 10.0 * len(classes), 10.0, 0.5)


def test_weighted_share_of_good_slices() -> None:
    # availability (critical, w=3): 8/10 good; latency (warning, w=1): 10/10 good
    # 100 * (3 * 0.8 + 1 * 1.0) / 4 = 85.0
    result = resilience_score(
        [
            ScoreInput("availability", CRIT, slices(*[G] * 8, B, B)),
            ScoreInput("latency", WARN, slices(*[G] * 10)),
        ],
        passed=False,
    )
    assert result.score == 85.0
    assert not result.capped
    avail, latency = result.parts
    assert (avail.weight, avail.good, avail.bad, avail.share) == (3.0, 8, 2, 0.8)
    assert avail.points_lost == pytest.approx(15.0)
    assert latency.points_lost == 0.0


def test_a_run_that_did_not_pass_never_shows_100() -> None:
    perfect = [ScoreInput("availability", CRIT, slices(G, G, G))]
    assert resilience_score(perfect, passed=True).score == 100.0
    not_passed = resilience_score(perfect, passed=False)
    assert not_passed.score == NOT_PASSED_CAP
    assert not_passed.capped


def test_a_near_perfect_score_is_never_rounded_up_to_100() -> None:
    # 1999 good slices of 2000: 99.95 -> 99.9, not 100.0
    result = resilience_score([ScoreInput("a", CRIT, slices(*[G] * 1999, B))], passed=True)
    assert result.score == 99.9


def test_missing_evidence_lowers_the_score_and_never_raises_it() -> None:
    base = resilience_score([ScoreInput("a", CRIT, slices(G, G, G, B))], passed=False).score
    unknown_for_good = resilience_score([ScoreInput("a", CRIT, slices(G, G, U, B))], passed=False)
    unknown_for_bad = resilience_score([ScoreInput("a", CRIT, slices(G, G, G, U))], passed=False)
    assert base == 75.0
    assert unknown_for_good.score == 50.0  # lowered
    assert unknown_for_bad.score == base  # not raised
    assert unknown_for_good.parts[0].unknown == 1


def test_a_hypothesis_that_could_not_be_judged_counts_as_all_bad() -> None:
    result = resilience_score(
        [ScoreInput("a", WARN, slices(G, G)), ScoreInput("b", WARN, None)], passed=False
    )
    assert result.score == 50.0
    assert result.parts[1].share == 0.0
    too_short = judge_timeslices([0.0], [G], 0.0, 5.0, 10.0, 0.95)
    assert resilience_score([ScoreInput("a", CRIT, too_short)], passed=True).score == 0.0


def test_custom_weights_and_no_hypotheses() -> None:
    result = resilience_score(
        [ScoreInput("a", WARN, slices(G), weight=9.0), ScoreInput("b", CRIT, slices(B))],
        passed=False,
    )
    assert result.score == 75.0  # 100 * (9 * 1 + 3 * 0) / 12
    assert resilience_score([], passed=True).score is None
    with pytest.raises(ValueError, match="weight"):
        resilience_score([ScoreInput("a", WARN, slices(G), weight=0.0)], passed=True)
