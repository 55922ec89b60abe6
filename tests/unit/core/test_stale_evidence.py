"""Stale ticks in the pure core: never good, never bad, named in the outcome and the verdict, and
kept in the journal (old journals, without the STALE status, still load).

A stale tick is a value read from samples older than the freshness bound (the target stopped
being scraped). Judging on it would be judging on evidence from before the fault.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from chaosrunner.core.hypothesis import Outcome, judge_phase, judge_recovery
from chaosrunner.core.journal import (
    MAX_STALE_READINGS,
    Journal,
    SampleStatus,
    Series,
    StaleReading,
)
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import ND, Tick, at, journal_with, sli_record

G, B = 0.05, 2.0  # latency <= 200ms: good, bad
S = "stale"
WHY = "target demo 127.0.0.1:18080 is down (up == 0: its last scrape failed)"

StaleTick = Tick | str


def series(ticks: Sequence[StaleTick], phase: Phase = Phase.OBSERVE) -> Series:
    out = Series()
    for i, tick in enumerate(ticks):
        t = at(phase, float(i))
        if tick == S:
            out.append(t, phase, None, SampleStatus.STALE)
        elif tick is ND:
            out.append(t, phase, None, SampleStatus.NO_DATA)
        else:
            assert isinstance(tick, float)
            out.append(t, phase, tick, SampleStatus.OK)
    return out


def stale_journal(sli: str, phase: Phase, ticks: Sequence[StaleTick], **kw: object) -> Journal:
    """``journal_with`` (a run that passes) with ``sli``'s ticks in ``phase`` replaced."""
    journal = journal_with(**kw)  # type: ignore[arg-type]
    old = journal.series[sli]
    new = Series()
    for p in (Phase.BASELINE, Phase.OBSERVE, Phase.RECOVERY):
        if p is phase:
            span = series(ticks, p)
            for i in range(len(span)):
                value = None if span.status[i] else span.values[i]
                new.append(span.times[i], p, value, SampleStatus(span.status[i]))
                if span.status[i] == SampleStatus.STALE:
                    journal.record_stale(sli, span.times[i], f"{WHY} #{i}")
        else:
            for i in old.span(p):
                value = old.values[i] if old.status[i] == SampleStatus.OK else None
                new.append(old.times[i], p, value, SampleStatus(old.status[i]))
    journal.series[sli] = new
    return journal


# -- the hypothesis -------------------------------------------------------------------------

#: Rules under which one bad tick among good ones would violate: so a stale tick there must not
#: read as good (HELD), and since it might have been good it must not read as bad (VIOLATED).
STRICT_RULES = [
    pytest.param(JudgeRule.EVERY_TICK, {}, id="every-tick"),
    pytest.param(JudgeRule.TICKS_RATIO, {"min_ratio": 1.0}, id="ticks-ratio-100%"),
    pytest.param(JudgeRule.SUSTAINED, {"sustain": 0.0}, id="sustained-0s"),
    pytest.param(JudgeRule.MEAN, {}, id="mean"),
    pytest.param(JudgeRule.MAX, {}, id="max"),
]


@pytest.mark.parametrize("no_data", [NoDataPolicy.INCONCLUSIVE, NoDataPolicy.FAIL])
@pytest.mark.parametrize(("rule", "kw"), STRICT_RULES)
def test_a_stale_tick_is_never_held_nor_violated(
    rule: JudgeRule, kw: dict[str, float], no_data: NoDataPolicy
) -> None:
    rec = sli_record("s", "<= 200ms", rule, no_data=no_data, **kw)  # type: ignore[arg-type]
    result = judge_phase(rec, series([G, G, S, G, G]), Phase.OBSERVE)
    assert result.outcome is Outcome.STALE
    assert (result.stale, result.errors, result.no_data, result.good) == (1, 0, 0, 4)


def test_min_with_a_stale_tick_is_stale() -> None:
    rec = sli_record("s", ">= 99%", JudgeRule.MIN)
    assert judge_phase(rec, series([1.0, S, 1.0]), Phase.OBSERVE).outcome is Outcome.STALE


@pytest.mark.parametrize("no_data", [NoDataPolicy.INCONCLUSIVE, NoDataPolicy.FAIL])
def test_final_reads_only_the_last_tick(no_data: NoDataPolicy) -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.FINAL, no_data=no_data)
    assert judge_phase(rec, series([G, G, S]), Phase.OBSERVE).outcome is Outcome.STALE
    assert judge_phase(rec, series([S, G]), Phase.OBSERVE).outcome is Outcome.HELD


def test_a_real_breach_is_not_hidden_by_stale_ticks() -> None:
    rec = sli_record("s", "<= 200ms")
    assert judge_phase(rec, series([G, S, B, S]), Phase.OBSERVE).outcome is Outcome.VIOLATED


def test_stale_is_named_before_no_data_it_usually_precedes() -> None:
    # A frozen target: rate() answers from old samples for a while, then has nothing to read.
    rec = sli_record("s", "<= 200ms")
    assert judge_phase(rec, series([G, S, S, ND, ND]), Phase.OBSERVE).outcome is Outcome.STALE


def test_all_stale_is_stale_under_every_rule() -> None:
    for rule in JudgeRule:
        rec = sli_record("s", "<= 200ms", rule, sustain=0.0)
        assert judge_phase(rec, series([S, S, S]), Phase.OBSERVE).outcome is Outcome.STALE, rule


def test_a_stale_last_recovery_tick_is_not_recovered() -> None:
    rec = sli_record("s", "<= 200ms")
    result = judge_recovery(rec, series([B, G, S], Phase.RECOVERY), at(Phase.RECOVERY))
    assert result.outcome is Outcome.STALE and not result.recovered


# -- the verdict ----------------------------------------------------------------------------


def test_stale_ticks_in_the_blast_window_make_the_run_inconclusive_and_say_why() -> None:
    journal = stale_journal("latency", Phase.OBSERVE, [G, G, S, S, G])
    decision = decide(journal)
    assert decision.verdict is Verdict.INCONCLUSIVE
    (reason,) = decision.reasons
    assert reason.startswith("SLI 'latency' has no verdict in the blast window: stale-data: ")
    assert "2 of 5 ticks were read from samples older than the freshness bound" in reason
    assert f"first: {WHY} #2" in reason
    assert decision.to_dict()["slis"][1]["observe"] == "stale-data"  # type: ignore[index]


def test_a_rule_that_holds_despite_stale_ticks_still_does_not_pass() -> None:
    # 4 of 5 good meets an 80 % ticks-ratio even reading the stale tick as bad: the rule holds,
    # but a pass needs fresh data on every tick.
    rec = sli_record("latency", "<= 200ms", JudgeRule.TICKS_RATIO, min_ratio=0.8)
    journal = stale_journal(
        "latency", Phase.OBSERVE, [G, G, S, G, G], slis=(sli_record("availability", ">= 99%"), rec)
    )
    decision = decide(journal)
    assert decision.slis[1].observe.outcome is Outcome.HELD
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        "SLI 'latency' held in the blast window on partly stale evidence: 1 of 5 ticks were read "
        "from samples older than the freshness bound (judged unknown, never held); "
        f"first: {WHY} #2",
    )


def test_a_stale_baseline_is_no_steady_state() -> None:
    decision = decide(stale_journal("availability", Phase.BASELINE, [1.0, S, 1.0]))
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons[0].startswith(
        "steady state not established before injection: SLI 'availability' was stale-data in "
        "the baseline (>= 99%): 1 of 3 ticks"
    )


def test_a_violation_elsewhere_still_fails_the_run() -> None:
    journal = stale_journal("latency", Phase.OBSERVE, [G, S, S])
    journal.series["availability"] = _with_phases([1.0, 1.0, 0.5])
    assert decide(journal).verdict is Verdict.FAILED


def _with_phases(observe: Sequence[float]) -> Series:
    out = Series()
    for p, ticks in (
        (Phase.BASELINE, [1.0] * 5),
        (Phase.OBSERVE, observe),
        (Phase.RECOVERY, [1.0, 1.0]),
    ):
        for i, v in enumerate(ticks):
            out.append(at(p, float(i)), p, v, SampleStatus.OK)
    return out


def test_stale_recovery_ticks_before_the_last_do_not_block_a_pass() -> None:
    journal = stale_journal("latency", Phase.RECOVERY, [S, G])
    assert decide(journal).verdict is Verdict.PASSED


# -- the journal ----------------------------------------------------------------------------


def test_stale_ticks_and_their_reasons_survive_a_round_trip() -> None:
    journal = stale_journal("latency", Phase.OBSERVE, [G, S, S, G, G])
    raw = json.loads(json.dumps(journal.to_dict(), allow_nan=False))
    assert raw["series"]["latency"]["status"] == "ooooo" + "ossoo" + "oo"
    assert raw["staleReadingCount"] == 2
    assert raw["staleReadings"][0] == {
        "sli": "latency",
        "t": at(Phase.OBSERVE, 1.0),
        "reason": f"{WHY} #1",
    }
    back = Journal.from_dict(raw)
    assert back.series["latency"].status == journal.series["latency"].status
    assert back.stale_readings == journal.stale_readings
    assert back.stale_count == 2
    assert decide(back) == decide(journal)


def test_a_journal_written_before_stale_existed_still_loads() -> None:
    raw = json.loads(json.dumps(journal_with().to_dict(), allow_nan=False))
    raw["schemaVersion"] = 1
    for key in ("staleReadings", "staleReadingCount", "plan", "guardrailBlindTicks"):
        raw.pop(key, None)
    raw["series"]["latency"]["status"] = "ooooonoo"[: len(raw["series"]["latency"]["status"])]
    back = Journal.from_dict(raw)
    assert back.stale_readings == [] and back.stale_count == 0
    assert SampleStatus.STALE not in back.series["latency"].status


def test_stale_readings_are_bounded_but_counted() -> None:
    journal = journal_with()
    for i in range(MAX_STALE_READINGS + 5):
        journal.record_stale("latency", at(Phase.OBSERVE, i * 0.01), "old")
    assert len(journal.stale_readings) == MAX_STALE_READINGS
    assert journal.stale_count == MAX_STALE_READINGS + 5


def test_stale_readings_are_found_per_phase() -> None:
    journal = journal_with()
    journal.record_stale("latency", at(Phase.BASELINE, 1.0), "b")
    journal.record_stale("latency", at(Phase.OBSERVE, 1.0), "o")
    journal.record_stale("availability", at(Phase.OBSERVE, 2.0), "other")
    assert journal.stale_for("latency", Phase.OBSERVE) == [
        StaleReading("latency", at(Phase.OBSERVE, 1.0), "o")
    ]
    assert [r.reason for r in journal.stale_for("latency")] == ["b", "o"]
