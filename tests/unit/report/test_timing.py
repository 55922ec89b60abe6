"""Time to impact, to recover and to detect, on hand-computed series."""

from __future__ import annotations

import pytest

from chaosrunner.core.timeslices import TickClass
from chaosrunner.core.timing import (
    AlertSample,
    DetectionStatus,
    time_to_detect,
    time_to_impact,
    time_to_recover,
)

G, B, U = TickClass.GOOD, TickClass.BAD, TickClass.UNKNOWN
TIMES = [100.0, 105.0, 110.0, 115.0, 120.0, 125.0, 130.0]


def test_impact_is_the_first_miss_after_the_fault_was_confirmed() -> None:
    # a baseline miss at 100 s does not count: the fault was confirmed at 103 s
    impact = time_to_impact(103.0, TIMES, [B, G, G, B, B, G, G])
    assert impact.seconds == pytest.approx(12.0)
    assert impact.at == 115.0
    assert impact.unknown_before == 0


def test_impact_preceded_by_unknown_ticks_says_so() -> None:
    impact = time_to_impact(100.0, TIMES, [G, U, U, B, G, G, G])
    assert impact.seconds == 15.0
    assert impact.unknown_before == 2  # the true impact may have come earlier


def test_no_impact_when_nothing_missed() -> None:
    impact = time_to_impact(100.0, TIMES, [G, G, U, G, G, G, G])
    assert (impact.seconds, impact.at, impact.unknown_before) == (None, None, 1)


def test_recovery_is_back_within_objective_and_staying() -> None:
    # removed at 112 s; good at 115, bad at 120 again, good from 125 on: recovered at 125
    rec = time_to_recover(112.0, TIMES, [B, B, B, G, B, G, G])
    assert rec.recovered
    assert rec.seconds == pytest.approx(13.0)
    assert rec.at == 125.0
    assert rec.missed_after_removal


def test_an_unknown_tick_breaks_the_run_of_good_ticks() -> None:
    rec = time_to_recover(110.0, TIMES, [B, B, B, G, U, G, G])
    assert rec.at == 125.0
    assert rec.seconds == 15.0


def test_not_recovered_when_the_last_tick_is_not_good() -> None:
    assert not time_to_recover(110.0, TIMES, [B, B, B, G, G, G, B]).recovered
    unknown_last = time_to_recover(110.0, TIMES, [B, B, B, G, G, G, U])
    assert not unknown_last.recovered
    assert unknown_last.seconds is None


def test_an_sli_that_never_went_out_recovers_at_the_first_tick_after_removal() -> None:
    rec = time_to_recover(112.0, TIMES, [G] * 7)
    assert rec.seconds == pytest.approx(3.0)
    assert not rec.missed_after_removal


def test_no_ticks_after_removal_is_not_recovered() -> None:
    assert not time_to_recover(200.0, TIMES, [G] * 7).recovered


def firing(name: str, *at: float, state: str = "firing") -> list[AlertSample]:
    return [AlertSample(t, name, state) for t in at]


def test_detection_when_and_how_long_after_the_fault() -> None:
    samples = (
        firing("AvailabilityFastBurn", 130.0, 145.0, state="pending")
        + firing("AvailabilityFastBurn", 160.0, 175.0)
        + firing("Unrelated", 90.0)
    )
    (fast, slow) = time_to_detect(["AvailabilityFastBurn", "AvailabilitySlowBurn"], samples, 100.0)
    assert fast.status is DetectionStatus.DETECTED
    assert fast.fired
    assert fast.fired_at == 160.0
    assert fast.seconds == 60.0
    assert fast.pending_at == 130.0
    # an expected alert that never fired is a finding of its own
    assert slow.status is DetectionStatus.NOT_FIRED
    assert not slow.fired
    assert slow.seconds is None


def test_detection_slower_than_allowed_is_late() -> None:
    (a,) = time_to_detect(["A"], firing("A", 200.0), 100.0, within=60.0)
    assert a.status is DetectionStatus.LATE
    assert a.seconds == 100.0
    assert a.fired


def test_an_alert_already_firing_before_the_fault_detected_nothing() -> None:
    (a,) = time_to_detect(["A"], firing("A", 90.0, 105.0, 120.0), 100.0)
    assert a.status is DetectionStatus.FIRING_BEFORE_FAULT
    assert a.fired_at == 105.0
    assert not a.fired


def test_no_alert_evidence_is_unknown_never_not_fired() -> None:
    (a,) = time_to_detect(["A"], None, 100.0)
    assert a.status is DetectionStatus.NO_DATA
    # while an empty answer is real evidence that it did not fire
    (b,) = time_to_detect(["A"], [], 100.0)
    assert b.status is DetectionStatus.NOT_FIRED


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="classes"):
        time_to_impact(0.0, [0.0], [])
