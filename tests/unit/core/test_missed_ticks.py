"""Missed ticks in the pure core: a tick that was due but not sampled in time (late beyond half
an interval, or skipped) is unknown, read both ways like a gap, and never part of a pass."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from chaosrunner.core.hypothesis import Outcome, judge_phase, judge_recovery
from chaosrunner.core.journal import SampleStatus, Series, TickLog, late_bound
from chaosrunner.core.model import JudgeRule, Phase
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import Tick, at, journal_with, sli_record

G, B = 0.05, 2.0  # latency <= 200ms: good, bad
M = "missed"


def series(ticks: Sequence[Tick | str], phase: Phase = Phase.OBSERVE) -> Series:
    out = Series()
    for i, tick in enumerate(ticks):
        if tick == M:
            out.append(at(phase, float(i)), phase, None, SampleStatus.MISSED)
        else:
            assert isinstance(tick, float)
            out.append(at(phase, float(i)), phase, tick, SampleStatus.OK)
    return out


@pytest.mark.parametrize(
    ("rule", "kw"),
    [
        pytest.param(JudgeRule.EVERY_TICK, {}, id="every-tick"),
        pytest.param(JudgeRule.TICKS_RATIO, {"min_ratio": 1.0}, id="ticks-ratio-100%"),
        pytest.param(JudgeRule.SUSTAINED, {"sustain": 0.0}, id="sustained-0s"),
        pytest.param(JudgeRule.MEAN, {}, id="mean"),
        pytest.param(JudgeRule.MAX, {}, id="max"),
    ],
)
def test_a_missed_tick_is_never_held_nor_violated(rule: JudgeRule, kw: dict[str, float]) -> None:
    rec = sli_record("s", "<= 200ms", rule, **kw)  # type: ignore[arg-type]
    result = judge_phase(rec, series([G, G, M, G, G]), Phase.OBSERVE)
    assert result.outcome is Outcome.MISSED
    assert (result.missed, result.errors, result.no_data, result.stale, result.good) == (
        1,
        0,
        0,
        0,
        4,
    )


def test_a_real_breach_is_not_hidden_by_missed_ticks() -> None:
    rec = sli_record("s", "<= 200ms")
    assert judge_phase(rec, series([G, M, B, M]), Phase.OBSERVE).outcome is Outcome.VIOLATED


def test_recovery_ending_on_a_missed_tick_is_missed() -> None:
    rec = sli_record("s", "<= 200ms")
    result = judge_recovery(rec, series([G, M], Phase.RECOVERY), at(Phase.RECOVERY))
    assert result.outcome is Outcome.MISSED and not result.recovered


def _with_missed(observe: Sequence[Tick | str], sli: str = "latency") -> object:
    journal = journal_with()
    old = journal.series[sli]
    new = Series()
    for p in (Phase.BASELINE, Phase.OBSERVE, Phase.RECOVERY):
        if p is Phase.OBSERVE:
            span = series(observe, p)
            for i in range(len(span)):
                value = None if span.status[i] else span.values[i]
                new.append(span.times[i], p, value, SampleStatus(span.status[i]))
                journal.ticks.append(p, span.times[i], None if span.status[i] else span.times[i])
        else:
            for i in old.span(p):
                new.append(old.times[i], p, old.values[i], SampleStatus(old.status[i]))
    journal.series[sli] = new
    return journal


def test_a_run_whose_cadence_collapsed_is_inconclusive_not_passed() -> None:
    journal = _with_missed([G, M, M, M, G])
    decision = decide(journal)  # type: ignore[arg-type]
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        "SLI 'latency' has no verdict in the blast window: missed-ticks: 3 due tick(s) were not "
        "sampled in time (the probe loop fell more than half a probe interval behind, or "
        "skipped them)",
    )


def test_a_ratio_that_holds_even_with_missed_ticks_read_bad_still_does_not_pass() -> None:
    rec = sli_record("latency", "<= 200ms", JudgeRule.TICKS_RATIO, min_ratio=0.5)
    journal = journal_with(slis=[rec])
    old = journal.series["latency"]
    new = Series()
    for p in (Phase.BASELINE, Phase.OBSERVE, Phase.RECOVERY):
        for i in old.span(p):
            missed = p is Phase.OBSERVE and i == old.span(p)[1]
            status = SampleStatus.MISSED if missed else SampleStatus.OK
            new.append(old.times[i], p, None if missed else old.values[i], status)
    journal.series["latency"] = new
    journal.ticks.append(Phase.OBSERVE, at(Phase.OBSERVE, 1.0), None)
    result = judge_phase(rec, new, Phase.OBSERVE)
    assert result.outcome is Outcome.HELD and result.missed == 1
    decision = decide(journal)
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        "SLI 'latency' held in the blast window on partial evidence: 1 of 5 due tick(s) were "
        "not sampled in time",
    )


def test_the_tick_log_keeps_due_lag_and_missed() -> None:
    log = TickLog()
    log.append(Phase.BASELINE, 10.0, 10.0004)
    log.append(Phase.OBSERVE, 11.0, None)
    log.append(Phase.OBSERVE, 12.0, 12.25)
    assert log.missed() == 1 and log.missed(Phase.BASELINE) == 0
    assert log.worst_lag() == 0.25
    raw = log.to_dict()
    assert raw == {"due": [10.0, 11.0, 12.0], "lag": [0.0, None, 0.25], "phase": "boo"}
    again = TickLog.from_dict(raw)
    assert list(again.due) == list(log.due) and math.isnan(again.lag[1])
    assert late_bound(1.0) == 0.5


def test_a_fault_seen_only_by_missed_ticks_was_not_observed() -> None:
    from dataclasses import replace

    from tests.unit.core.builders import MS, injection

    late = replace(
        injection("late"),
        confirmed_at=at(Phase.OBSERVE, 2.5),
        removed_at=at(Phase.OBSERVE, 4.5),
    )
    journal = journal_with(
        {
            "latency": {Phase.OBSERVE: [G, G, G, MS, MS]},
            "availability": {Phase.OBSERVE: [1.0, 1.0, 1.0, MS, MS]},
        },
        injections=[injection(), late],
    )
    reasons = decide(journal).reasons
    assert "fault 'late' was active from +2.5s to +4.5s but no tick observed it" in reasons
