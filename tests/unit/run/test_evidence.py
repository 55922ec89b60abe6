"""Issue 8 on the engine: faults on their planned time, crashes as ERROR, blind guardrails,
dry runs that say what they were. Each drives a whole run with the fakes of our own ports."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest

from chaosrunner.core.journal import FailureStage, SampleStatus
from chaosrunner.core.model import Phase
from chaosrunner.core.ports import Reading, SliTick
from chaosrunner.core.verdict import Verdict
from tests.support import BASE, FakeDriver, Script, steady
from tests.unit.run.test_engine import HEALTHY, make


def with_faults(faults: str, schedule: str = "") -> str:
    text = BASE.replace(
        """    - name: pause-backend
      type: process-pause
      target: backend
""",
        faults,
    )
    if schedule:
        text = text.replace(
            "  schedule: {baseline: 3s, blast: 5s, recovery: 4s, probeInterval: 1s}",
            f"  schedule: {schedule}",
        )
    return text


#: Two faults; the second starts 4.5s into the blast window.
LATE = """    - name: first
      type: process-pause
      target: backend
    - name: late
      type: process-pause
      target: backend
      after: 4500ms
"""


def timed(drv: FakeDriver, now: Callable[[], float]) -> dict[str, float]:
    """Record when the driver was asked to inject and remove each fault."""
    seen: dict[str, float] = {}
    inject, remove = drv.inject, drv.remove

    def timed_inject(fault: Any, run: Any) -> Any:
        seen[f"inject:{fault.fault.name}"] = now()
        return inject(fault, run)

    def timed_remove(fault: Any, handle: Any, timeout: float) -> Any:
        seen[f"remove:{fault.fault.name}"] = now()
        return remove(fault, handle, timeout)

    drv.inject = timed_inject  # type: ignore[method-assign]
    drv.remove = timed_remove  # type: ignore[method-assign]
    return seen


def observe_start(runner: Any) -> float:
    rec = runner.journal.phase(Phase.OBSERVE)
    assert rec is not None
    return float(rec.started_at)


# -- 1. faults start and end at their planned time, not on a tick --------------------------------


def test_a_fault_planned_between_two_ticks_starts_and_ends_at_its_planned_time() -> None:
    text = with_faults(
        """    - name: early
      type: process-pause
      target: backend
    - name: between
      type: process-pause
      target: backend
      after: 2500ms
      duration: 1500ms
"""
    )
    drv = FakeDriver()
    runner, _, clock, sink, *_ = make(steady(HEALTHY), drv, text=text)
    seen = timed(drv, clock.now)
    decision = runner.run()
    start = observe_start(runner)
    assert seen["inject:between"] - start == pytest.approx(2.5)
    assert seen["remove:between"] - start == pytest.approx(4.0)
    assert decision.verdict is Verdict.PASSED, decision.reasons
    # the ticks stay on their grid: 0, 1, ... 5 seconds into the window
    times = runner.journal.series["latency"].times
    span = runner.journal.series["latency"].span(Phase.OBSERVE)
    assert [round(times[i] - start, 3) for i in span] == [0, 1, 2, 3, 4, 5]
    assert sink.last is not None
    assert [p["fault"] for p in sink.last["plan"]] == ["early", "between"]
    assert sink.last["plan"][1]["plannedStart"] == 2.5


def test_a_fault_planned_after_the_last_tick_is_injected_and_never_passed() -> None:
    # Ticks at 0, 2 and 4 seconds into a 5-second window; the fault starts at 4.5s. Validation
    # rejects that plan (see test_judgeable), so it is planned at 3.5s and moved here: the
    # engine still injects it on time, and the verdict sees that no tick observed it.
    text = with_faults(
        LATE.replace("4500ms", "3500ms"),
        "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
    )
    drv = FakeDriver()
    runner, _, clock, *_ = make(steady(HEALTHY), drv, text=text)
    runner.plan = replace(
        runner.plan,
        faults=tuple(
            replace(pf, start=4.5) if pf.fault.name == "late" else pf for pf in runner.plan.faults
        ),
    )
    runner.journal.plan = [
        replace(p, planned_start=4.5) if p.fault == "late" else p for p in runner.journal.plan
    ]
    seen = timed(drv, clock.now)
    decision = runner.run()
    assert seen["inject:late"] - observe_start(runner) == pytest.approx(4.5)
    assert "remove:late" in seen and drv.active == set()
    assert runner.journal.injection("late").confirmed
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        "fault 'late' was active from +4.5s to +5.0s but no tick observed it",
    )


def test_a_fault_a_tick_observed_passes() -> None:
    text = with_faults(
        LATE.replace("4500ms", "3500ms"),
        "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
    )
    runner, *_ = make(steady(HEALTHY), text=text)
    decision = runner.run()
    assert decision.verdict is Verdict.PASSED, decision.reasons


def test_a_planned_fault_that_never_ran_is_never_passed() -> None:
    """Even if a fault is skipped (here: the window is cut short), the plan holds it to account."""
    text = with_faults(LATE)
    runner, drv, *_ = make(steady(HEALTHY), text=text)
    runner.plan = type(runner.plan)(runner.plan.experiment, runner.plan.faults[:1])
    decision = runner.run()
    assert "inject:late" not in drv.calls
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        "planned fault 'late' (process-pause on backend at +4500ms) was never injected",
    )


# -- 6. a crash is ERROR, after rollback ------------------------------------------------------------


def _raise(*_a: object, **_k: object) -> Any:
    raise RuntimeError("bug")


def _crash_preflight(drv: FakeDriver) -> None:
    drv.preflight = _raise  # type: ignore[method-assign]


def _crash_inject(drv: FakeDriver) -> None:
    drv.inject = _raise  # type: ignore[method-assign]


def _crash_confirm(drv: FakeDriver) -> None:
    drv.confirm = _raise  # type: ignore[method-assign]


def _crash_remove(drv: FakeDriver) -> None:
    drv.remove = _raise  # type: ignore[method-assign]


def _crash_close(drv: FakeDriver) -> None:
    def close() -> None:
        drv.closed += 1
        raise RuntimeError("bug")

    drv.close = close  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("sabotage", "stage", "removed"),
    [
        pytest.param(_crash_preflight, "preflight", False, id="preflight"),
        pytest.param(_crash_inject, "inject", False, id="inject"),
        pytest.param(_crash_confirm, "inject", True, id="confirm"),
        pytest.param(_crash_remove, "rollback", False, id="remove"),
        pytest.param(_crash_close, "verdict", True, id="close"),
    ],
)
def test_a_crash_in_the_driver_is_error_after_rollback(
    sabotage: Callable[[FakeDriver], None], stage: str, removed: bool
) -> None:
    drv = FakeDriver()
    sabotage(drv)
    runner, _, _, sink, *_ = make(steady(HEALTHY), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR, decision.reasons
    assert decision.verdict.exit_code == 4
    failure = runner.journal.failure
    assert failure is not None and failure.stage is FailureStage.CRASH
    assert failure.message.startswith("unexpected RuntimeError during ")
    assert decision.reasons[0].startswith("chaosrunner crashed: unexpected RuntimeError")
    assert sink.last is not None and sink.last["failure"]["stage"] == "crash"
    assert sink.last["outcome"]["verdict"] == "ERROR"
    assert drv.closed == 1
    if removed:
        assert "remove:pause-backend" in drv.calls and drv.active == set()
    if stage == "rollback":
        # the removal raised: the fault is named as left behind, with the cleanup command
        assert decision.faults_left == ("pause-backend",)
        assert "removal failed: bug" in runner.journal.injection("pause-backend").error


@pytest.mark.parametrize("phase", [Phase.BASELINE, Phase.OBSERVE, Phase.RECOVERY])
def test_a_crash_in_a_probe_is_error_after_rollback(phase: Phase) -> None:
    drv = FakeDriver()
    holder: dict[str, Any] = {}

    def script(query: str, t: float) -> Reading:
        current = holder["runner"].journal.phases[-1].phase
        if current is phase and "latency" in query:
            raise ValueError("bad number")
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    holder["runner"] = runner
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR, decision.reasons
    assert f"unexpected ValueError during {phase.value}: bad number" in decision.reasons[0]
    assert drv.active == set() and drv.closed == 1
    if phase is not Phase.BASELINE:
        assert "remove:pause-backend" in drv.calls


def test_a_crash_in_the_metrics_source_during_preflight_is_error() -> None:
    runner, drv, *_ = make(_raise)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert drv.calls == []


def test_a_crash_in_one_removal_does_not_skip_the_others() -> None:
    text = with_faults(
        """    - name: a
      type: process-pause
      target: backend
    - name: b
      type: process-pause
      target: backend
"""
    )
    drv = FakeDriver()
    remove = drv.remove

    def remove_a_crashes(fault: Any, handle: Any, timeout: float) -> Any:
        if fault.fault.name == "a":
            raise RuntimeError("bug")
        return remove(fault, handle, timeout)

    drv.remove = remove_a_crashes  # type: ignore[method-assign]
    runner, *_ = make(steady(HEALTHY), drv, text=text)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert drv.active == {"a"}  # b was removed although a's removal crashed first
    assert decision.faults_left == ("a",)


# -- 4. dry runs ------------------------------------------------------------------------------------


def test_a_crash_in_a_dry_runs_preflight_fails_the_dry_run() -> None:
    drv = FakeDriver()
    _crash_preflight(drv)
    runner, *_ = make(steady(HEALTHY), drv, dry_run=True)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert decision.verdict.exit_code == 4


def test_a_dry_run_journal_says_what_it_was() -> None:
    runner, drv, _, sink, *_ = make(steady(HEALTHY), dry_run=True)
    decision = runner.run()
    assert drv.calls == ["preflight"]
    assert sink.last is not None
    assert sink.last["dryRun"] is True
    assert sink.last["outcome"]["verdict"] == "DRY-RUN"
    assert sink.last["outcome"]["exitCode"] == 0
    assert decision.reasons == ("dry run: preflight passed, nothing injected (1 fault(s) planned)",)
    assert [p["fault"] for p in sink.last["plan"]] == ["pause-backend"]


def test_a_dry_run_stopped_by_a_signal_during_preflight_is_aborted() -> None:
    runner, drv, _, sink, metrics, stop = make(steady(HEALTHY), dry_run=True)
    ping = metrics.ping

    def interrupted_ping() -> str:
        stop.set("SIGINT")  # what the SIGINT handler does, while preflight is under way
        return ping()

    metrics.ping = interrupted_ping  # type: ignore[method-assign]
    decision = runner.run()
    assert drv.calls == ["preflight"]
    assert decision.verdict is Verdict.ABORTED
    assert decision.verdict.exit_code == 2
    assert decision.reasons == ("interrupted: interrupted by SIGINT; nothing was injected",)
    assert sink.last is not None and sink.last["outcome"]["verdict"] == "ABORTED"


# -- 3. guardrails that cannot see --------------------------------------------------------------------


class Recording:
    """A progress view that keeps what it was shown."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.ticks: list[Mapping[str, SliTick]] = []

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None: ...
    def checks(self, checks: Any) -> None: ...
    def plan(self, lines: Any) -> None: ...

    def tick(self, t: float, values: Mapping[str, SliTick]) -> None:
        self.ticks.append(values)

    def event(self, message: str) -> None:
        self.events.append(message)

    def close(self) -> None: ...


def _guard(reading: Callable[[], Reading], drv: FakeDriver) -> Script:
    """Healthy SLIs; the guardrail reads ``reading()`` while the fault is active."""

    def script(query: str, t: float) -> Reading:
        if "errors_ratio" in query and drv.active:
            return reading()
        return steady(HEALTHY)(query, t)

    return script


def test_preflight_fails_a_guardrail_with_no_data() -> None:
    runner, drv, *_ = make(steady({"ok": 1.0, "latency": 0.05}))
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert drv.calls == ["preflight"]
    check = next(c for c in runner.journal.preflight if "hard-stop" in c.name)
    assert not check.ok
    assert check.detail == "the query returned no data, so this guardrail could never fire"
    assert "could never fire" in decision.reasons[0]


def test_preflight_fails_a_guardrail_whose_probe_errors() -> None:
    def script(query: str, t: float) -> Reading:
        if "errors_ratio" in query:
            return Reading.failed("connection refused")
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    expected = "probe error: connection refused, so this guardrail could never fire"
    assert expected in decision.reasons[0]


@pytest.mark.parametrize(
    ("reading", "why"),
    [
        pytest.param(Reading.no_data, "the query returned no data", id="no-data"),
        pytest.param(
            lambda: Reading.failed("connection refused"),
            "probe error: connection refused",
            id="probe-error",
        ),
    ],
)
def test_a_blind_guardrail_under_ignore_goes_on_and_says_so_once(
    reading: Callable[[], Reading], why: str
) -> None:
    drv = FakeDriver()
    runner, *_ = make(_guard(reading, drv), drv)
    progress = Recording()
    runner.progress = progress
    decision = runner.run()
    assert decision.verdict is Verdict.PASSED, decision.reasons
    blind = [e for e in progress.events if "hard-stop" in e]
    assert blind == [
        f"guardrail 'hard-stop' went blind: {why}; it cannot fire until it sees data again, "
        "and the run goes on (onNoData: ignore)",
        "guardrail 'hard-stop' sees data again (0)",
    ]
    assert runner.journal.guardrail_blind_ticks == {"hard-stop": 6}  # every blast-window tick
    events = runner.journal.guardrail_events
    assert [(e.blind, e.breached) for e in events] == [(True, False), (False, False)]


@pytest.mark.parametrize(
    "reading",
    [
        pytest.param(Reading.no_data, id="no-data"),
        pytest.param(lambda: Reading.failed("connection refused"), id="probe-error"),
    ],
)
def test_a_blind_guardrail_under_abort_aborts(reading: Callable[[], Reading]) -> None:
    text = BASE.replace(
        '      abortIf: "> 0.5"\n', '      abortIf: "> 0.5"\n      onNoData: abort\n'
    )
    drv = FakeDriver()
    runner, *_ = make(_guard(reading, drv), drv, text=text)
    decision = runner.run()
    assert decision.verdict is Verdict.ABORTED
    assert "(onNoData: abort)" in decision.reasons[0]
    assert drv.active == set()
    assert runner.journal.guardrail_events[0].blind


# -- 5. the console says what happened on each tick ---------------------------------------------------


def test_each_tick_shows_a_probe_error_as_an_error_not_as_no_data() -> None:
    drv = FakeDriver()

    def script(query: str, t: float) -> Reading:
        if drv.active and "latency" in query:
            return Reading.failed("connection refused")
        if drv.active and "ok" in query:
            return Reading.no_data()
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    progress = Recording()
    runner.progress = progress
    runner.run()
    blast = [t for t in progress.ticks if t["latency"].status is SampleStatus.ERROR]
    assert blast
    assert blast[0]["latency"] == SliTick(
        None, SampleStatus.ERROR, False, "<= 200ms", "connection refused"
    )
    assert blast[0]["availability"].status is SampleStatus.NO_DATA
    assert not blast[0]["availability"].holds
    assert progress.ticks[0]["latency"] == SliTick(0.05, SampleStatus.OK, True, "<= 200ms", "")
