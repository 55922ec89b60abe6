"""Issue #10 in the engine, with fakes of our own ports: concurrent probes with a deadline, a
guardrail judged on its own answer, honest tick cadence, and the journal appended as events
that replay to the same journal (and the same verdict) as the consolidated one."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports import junit, markdown
from chaosrunner.adapters.reports.journal_log import JournalLog, JournalLogError, read_log
from chaosrunner.core.journal import Journal, SampleStatus, VerdictRecord
from chaosrunner.core.model import Phase
from chaosrunner.core.ports import Reading
from chaosrunner.core.verdict import Verdict, decide
from tests.support import BASE, FakeDriver, Script, steady
from tests.unit.run.test_engine import HEALTHY, make


def hanging(
    script: Script, key: str, when: Callable[[float], bool], release: threading.Event
) -> Script:
    """``script``, except that ``key``'s query hangs (until ``release``) when ``when(t)``."""

    def answer(query: str, t: float) -> Reading:
        if key in query and when(t):
            release.wait(10)
        return script(query, t)

    return answer


# -- concurrent probes ----------------------------------------------------------------------


def test_a_query_that_hangs_is_a_probe_error_on_its_tick_and_the_others_are_sampled() -> None:
    release = threading.Event()
    box: dict[str, float] = {}
    script = hanging(steady(HEALTHY), "latency", lambda t: t == box.get("t"), release)
    runner, _, clock, *_ = make(script, FakeDriver())
    box["t"] = clock.now() + 3 + 1  # the blast window's second tick (baseline 3s, then +1s)
    started = time.monotonic()
    try:
        runner.run()
    finally:
        release.set()
    elapsed = time.monotonic() - started
    assert elapsed < 5, "the loop waited for the hung query"
    observe = runner.journal.phase(Phase.OBSERVE)
    assert observe is not None
    lat, avail = runner.journal.series["latency"], runner.journal.series["availability"]
    i = list(lat.times).index(box["t"])
    assert lat.status[i] == SampleStatus.ERROR
    assert list(avail.times)[i] == box["t"] and avail.status[i] == SampleStatus.OK
    first = runner.journal.probe_errors[0]
    assert first["sli"] == "latency" and first["t"] == box["t"]
    assert "no answer within 0.8 s" in first["message"]
    # every tick went on: the baseline, blast window and recovery have all their ticks
    assert len(runner.journal.ticks) == len(lat) == len(avail)
    assert runner.journal.ticks.missed() == 0


def test_every_query_of_a_tick_is_asked_at_once() -> None:
    """Twenty SLIs that each take 0.2 s: a tick costs about 0.2 s, not 4 s."""
    lines = "\n".join(
        f"      - {{name: s{i}, query: 'slow_{i}', objective: '<= 1'}}" for i in range(20)
    )
    text = BASE.replace(
        "      - name: availability\n"
        "        ratio: {good: 'sum(rate(ok[5s]))', total: 'sum(rate(all[5s]))'}\n"
        '        objective: ">= 99%"\n'
        "      - name: latency\n"
        "        query: 'latency_seconds'\n"
        '        objective: "<= 200ms"\n',
        lines + "\n",
    ).replace(
        "{baseline: 3s, blast: 5s, recovery: 4s, probeInterval: 1s}",
        "{baseline: 1s, blast: 1s, recovery: 1s, probeInterval: 1s}",
    )

    def slow(query: str, t: float) -> Reading:
        if query.startswith("slow_"):
            time.sleep(0.2)
            return Reading.ok(0.5)
        return steady(HEALTHY)(query, t)

    runner, *_ = make(slow, text=text)
    started = time.monotonic()
    decision = runner.run()
    elapsed = time.monotonic() - started
    ticks = len(runner.journal.ticks)
    assert decision.verdict is Verdict.PASSED, decision.reasons
    # preflight asks the 20 one by one (4 s); the ticks ask them together (~0.2 s each)
    assert elapsed < 4 + ticks * 1.0, f"{ticks} ticks took {elapsed:.1f}s"


def test_a_guardrail_breach_aborts_without_waiting_for_the_slis() -> None:
    release = threading.Event()
    drv = FakeDriver()

    def script(query: str, t: float) -> Reading:
        if drv.active and "errors_ratio" in query:
            return Reading.ok(0.9)
        if drv.active and "latency" in query:
            release.wait(10)
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    started = time.monotonic()
    try:
        decision = runner.run()
    finally:
        release.set()
    assert time.monotonic() - started < 0.7, "the breach waited for the SLIs' deadline"
    assert decision.verdict is Verdict.ABORTED
    assert runner.journal.abort is not None and "hard-stop" in runner.journal.abort.detail
    assert drv.calls[-1] == "remove:pause-backend"


# -- tick cadence -----------------------------------------------------------------------------


def test_ticks_the_loop_could_not_reach_in_time_are_missed_and_the_run_cannot_pass() -> None:
    drv = FakeDriver()
    stalled: list[float] = []

    def script(query: str, t: float) -> Reading:
        # one tick of the blast window takes 3 s (a stalled metrics source, a GC pause)
        if drv.active and "latency" in query and not stalled:
            stalled.append(t)
            clock.t += 3.0
        return steady(HEALTHY)(query, t)

    runner, _, clock, sink, *_ = make(script, drv)
    decision = runner.run()
    ticks = runner.journal.ticks
    assert ticks.missed(Phase.OBSERVE) == 2  # due 1 s and 2 s after the stalled tick
    lat = runner.journal.series["latency"]
    missed = [t for t, s in zip(lat.times, lat.status, strict=True) if s == SampleStatus.MISSED]
    assert missed == [stalled[0] + 1, stalled[0] + 2]
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert any("not sampled in time" in r for r in decision.reasons), decision.reasons
    assert sink.last is not None and sink.last["ticks"]["lag"].count(None) == 2
    assert "2 missed (late or skipped)" in markdown.render(runner.journal, decision)
    assert 'name="every due tick sampled in time"' in junit.render(runner.journal, decision)


def test_on_time_ticks_record_when_they_were_due_and_sampled() -> None:
    runner, *_ = make(steady(HEALTHY))
    assert runner.run().verdict is Verdict.PASSED
    ticks = runner.journal.ticks
    lat = runner.journal.series["latency"]
    assert list(ticks.due) == list(lat.times)
    assert ticks.missed() == 0 and ticks.worst_lag() == 0.0


# -- the journal as events ------------------------------------------------------------------


def test_the_journal_is_the_only_writer_and_replaying_its_events_rebuilds_it() -> None:
    runner, _, _, sink, *_ = make(steady(HEALTHY))
    decision = runner.run()
    assert isinstance(runner.journal.outcome, VerdictRecord)  # kept typed
    assert runner.journal.outcome == decision.record()
    replayed = Journal.replay(sink.events)
    assert replayed.to_dict() == runner.journal.to_dict()
    assert decide(replayed) == decision


def test_appended_log_round_trip_same_verdict_and_secrets_masked(tmp_path: Path) -> None:
    runner, _, _, sink, *_ = make(steady(HEALTHY))
    decision = runner.run()
    path = tmp_path / "journal.jsonl"
    log = JournalLog(path, Redactor(["unit-exp-secret"]))
    log.append(sink.events)
    log.close()
    contents = read_log(path)
    assert contents.finished and not contents.truncated
    assert contents.journal.to_dict() == runner.journal.to_dict()
    assert decide(contents.journal).verdict is decision.verdict is Verdict.PASSED
    masked = tmp_path / "masked.jsonl"
    log = JournalLog(masked, Redactor(["pause-backend"]))
    log.append(sink.events)
    log.close()
    assert "pause-backend" not in masked.read_text() and "***" in masked.read_text()


def written_log(tmp_path: Path) -> Path:
    """The appended journal of a whole passing run, as the real writer writes it."""
    runner, _, _, sink, *_ = make(steady(HEALTHY))
    runner.run()
    path = tmp_path / "journal.jsonl"
    log = JournalLog(path)
    log.append(sink.events)
    log.close()
    return path


def test_a_cut_short_last_line_is_dropped_and_said(tmp_path: Path) -> None:
    path = written_log(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if '"e":"tick"' in line and '"observe"' in line)
    path.write_text("".join(lines[:cut]) + lines[cut][: len(lines[cut]) // 2])
    contents = read_log(path)
    assert contents.truncated and not contents.finished
    assert contents.journal.outcome is None
    assert len(contents.journal.series["latency"].span(Phase.OBSERVE)) == 0


def test_a_bad_line_in_the_middle_is_an_error_with_its_line_number(tmp_path: Path) -> None:
    path = written_log(tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = "{not json\n"
    path.write_text("".join(lines))
    with pytest.raises(JournalLogError, match=r"journal.jsonl:4: not a journal record"):
        read_log(path)


def test_the_work_per_append_does_not_grow_with_the_run(tmp_path: Path) -> None:
    """Each commit hands the sink only what was recorded since the last one."""
    runner, _, _, sink, *_ = make(steady(HEALTHY))
    sizes: list[int] = []
    real = sink.append

    def counting(events):  # type: ignore[no-untyped-def]
        sizes.append(len(events))
        real(events)

    sink.append = counting  # type: ignore[method-assign]
    runner.run()
    assert max(sizes) <= 3  # a tick is one event (with a guardrail event at most one more)
    assert json.dumps(runner.journal.to_dict())  # and the end result is whole


def test_every_append_is_readable_at_once_and_durable_events_are_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chaosrunner.adapters.reports import journal_log
    from chaosrunner.core.journal import PhaseBegan, Ticked

    runner, _, _, sink, *_ = make(steady(HEALTHY))
    runner.run()
    synced: list[int] = []
    monkeypatch.setattr(journal_log.os, "fsync", synced.append)
    now = [0.0]
    path = tmp_path / "journal.jsonl"
    log = JournalLog(path, monotonic=lambda: now[0])
    header, begin = sink.events[0], next(e for e in sink.events if isinstance(e, PhaseBegan))
    tick = next(e for e in sink.events if isinstance(e, Ticked))
    log.append([header])
    assert len(synced) == 1  # the header is durable
    log.append([begin])
    assert len(synced) == 2  # a phase change is durable
    log.append([tick])
    assert len(synced) == 2  # a tick is not fsynced at once ...
    assert len(path.read_text().splitlines()) == 3  # ... but is readable at once
    now[0] = journal_log.SYNC_INTERVAL
    log.append([tick])
    assert len(synced) == 3  # ... and within SYNC_INTERVAL
    log.close()
