"""The verdict's score is core/resilience.py's: weighted by severity, on blast-window timeslices."""

from __future__ import annotations

from chaosrunner.core.model import JudgeRule, Phase
from chaosrunner.core.resilience import Severity
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import AVAILABILITY, journal_with, sli_record

BAD = 0.5  # latency above 200 ms


def test_a_failed_warning_costs_less_than_a_failed_critical() -> None:
    bad = {"latency": {Phase.OBSERVE: [BAD] * 5}}
    critical = decide(journal_with(bad))
    warning = decide(journal_with(bad, slis=[AVAILABILITY, sli_record(severity="warning")]))
    assert critical.verdict is warning.verdict is Verdict.FAILED
    assert critical.score == 50.0  # 3 x 100 % + 3 x 0 %, over 6
    assert warning.score == 75.0  # 3 x 100 % + 1 x 0 %, over 4
    assert warning.resilience is not None
    parts = {p.sli: p for p in warning.resilience.parts}
    assert parts["latency"].severity is Severity.WARNING and parts["latency"].share == 0.0
    assert parts["latency"].points_lost == 25.0


def test_a_timeslice_sli_is_scored_on_its_own_slices() -> None:
    # 9 ticks one second apart: four 2 s slices; one bad tick spoils one slice of four
    latency = sli_record(rule=JudgeRule.TIMESLICES, slice_window=2.0, slice_target=0.7)
    ticks = [0.05, 0.05, BAD, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05]
    decision = decide(
        journal_with({"latency": {Phase.OBSERVE: ticks}}, slis=[AVAILABILITY, latency], ticks=9)
    )
    assert decision.verdict is Verdict.PASSED, decision.reasons
    assert decision.resilience is not None
    parts = {p.sli: p for p in decision.resilience.parts}
    assert (parts["latency"].good, parts["latency"].bad) == (3, 1)
    assert decision.score == 87.5  # (3 x 100 % + 3 x 75 %) / 6


def test_only_a_passed_run_can_show_100() -> None:
    assert decide(journal_with()).score == 100.0
