"""The run engine with fakes of our own ports: ordering, rollback on every way out, evidence."""

from __future__ import annotations

from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import Phase
from chaosrunner.core.ports import Reading
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.stop import StopFlag
from tests.support import (
    BASE,
    FakeClock,
    FakeDriver,
    MemorySink,
    RecordingProgress,
    Script,
    ScriptedMetrics,
    experiment,
    steady,
)

HEALTHY = {"ok": 1.0, "latency": 0.05, "errors_ratio": 0.0}


def make(script: Script, driver: FakeDriver | None = None, text: str = BASE, **kw: object):
    stop = StopFlag()
    clock = FakeClock(stop)
    sink = MemorySink()
    progress = RecordingProgress()
    metrics = ScriptedMetrics(script, reachable=bool(kw.pop("reachable", True)))
    drv = driver or FakeDriver()
    drv.clock = clock
    runner = Runner(
        experiment(text),
        run_id="r1",
        metrics=metrics,
        driver=drv,
        clock=clock,
        sink=sink,
        progress=progress,
        stop=stop,
        dry_run=bool(kw.pop("dry_run", False)),
    )
    return runner, drv, clock, sink, metrics, stop


def after_inject(
    values_before: dict[str, float], values_after: dict[str, float], driver: FakeDriver
) -> Script:
    """Healthy until the fault is active, then ``values_after`` while it is."""

    def script(query: str, t: float) -> Reading:
        table = values_after if driver.active else values_before
        return steady(table)(query, t)

    return script


def test_pass_when_everything_holds() -> None:
    runner, drv, _, sink, _metrics, _ = make(steady(HEALTHY))
    decision = runner.run()
    assert decision.verdict is Verdict.PASSED, decision.reasons
    assert drv.calls == [
        "preflight",
        "inject:pause-backend",
        "confirm:pause-backend",
        "remove:pause-backend",
    ]
    assert drv.closed == 1
    assert sink.last is not None and sink.last["outcome"]["verdict"] == "PASSED"
    phases = [p["phase"] for p in sink.last["phases"]]
    assert phases == [
        "preflight",
        "baseline",
        "inject",
        "observe",
        "rollback",
        "recovery",
        "verdict",
    ]


def test_every_sli_and_guardrail_sampled_every_tick_without_short_circuit() -> None:
    drv = FakeDriver()
    script = after_inject(HEALTHY, {"ok": 0.5, "latency": 0.05, "errors_ratio": 0.0}, drv)
    runner, _, _, _, metrics, _ = make(script, drv)
    runner.run()
    series = runner.journal.series
    observe = series["availability"].span(Phase.OBSERVE)
    assert len(observe) == 6  # 5s window at 1s: ticks at 0..5
    # the first SLI misses every observe tick, yet the second is still sampled on each one
    lat_obs = series["latency"].span(Phase.OBSERVE)
    assert len(lat_obs) == 6
    guard_queries = [q for q, _ in metrics.asked if q == "errors_ratio"]
    sli_ticks = len(series["availability"])
    assert len(guard_queries) == sli_ticks + 1  # every tick, plus preflight


def test_fail_when_the_fault_breaks_an_sli() -> None:
    drv = FakeDriver()
    runner, *_ = make(
        after_inject(HEALTHY, {"ok": 0.5, "latency": 0.05, "errors_ratio": 0.0}, drv), drv
    )
    decision = runner.run()
    assert decision.verdict is Verdict.FAILED
    assert "availability" in decision.reasons[0]
    assert drv.active == set()


def test_guardrail_aborts_at_once_and_removes_the_fault() -> None:
    drv = FakeDriver()
    runner, *_ = make(
        after_inject(HEALTHY, {"ok": 1.0, "latency": 0.05, "errors_ratio": 0.9}, drv), drv
    )
    decision = runner.run()
    assert decision.verdict is Verdict.ABORTED
    assert "hard-stop" in decision.reasons[0]
    assert drv.active == set() and drv.calls[-1] == "remove:pause-backend"
    observe = runner.journal.phase(Phase.OBSERVE)
    assert observe is not None and not observe.completed
    assert (
        len(runner.journal.series["availability"].span(observe.phase)) == 1
    )  # stopped at the first tick


def test_no_data_makes_it_inconclusive_never_passed() -> None:
    drv = FakeDriver()

    def script(query: str, t: float) -> Reading:
        if drv.active and "latency" in query:
            return Reading.no_data()
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert any("latency" in r and "no-data" in r for r in decision.reasons)


def test_probe_errors_make_it_inconclusive() -> None:
    drv = FakeDriver()

    def script(query: str, t: float) -> Reading:
        if drv.active and "latency" in query:
            return Reading.failed("connection refused")
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert runner.journal.probe_error_count == 6
    assert runner.journal.series["latency"].status.count(SampleStatus.ERROR) == 6


def test_unconfirmed_fault_is_inconclusive_and_still_removed() -> None:
    drv = FakeDriver(confirm_ok=False)
    runner, *_ = make(steady(HEALTHY), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert "never confirmed" in decision.reasons[0]
    assert drv.calls[-1] == "remove:pause-backend" and drv.active == set()


def test_injection_error_is_inconclusive_and_recorded() -> None:
    drv = FakeDriver(inject_error="boom")
    runner, *_ = make(steady(HEALTHY), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert runner.journal.failure is not None and "boom" in runner.journal.failure.message
    rec = runner.journal.injections[0]
    assert rec.created_at is None and rec.error


def test_removal_failure_is_never_a_pass_and_names_cleanup() -> None:
    drv = FakeDriver(remove_error="still there")
    runner, *_ = make(steady(HEALTHY), drv)
    decision = runner.run()
    assert decision.verdict is not Verdict.PASSED
    assert decision.faults_left == ("pause-backend",)
    assert any("chaosrunner cleanup --run-id r1" in r for r in decision.reasons)


def test_signal_mid_blast_rolls_back_and_records_abort() -> None:
    runner, drv, clock, sink, _, stop = make(steady(HEALTHY))
    clock.at(3 + 2.5, lambda: stop.set("SIGTERM"))  # baseline 3s, then 2.5s into the blast
    decision = runner.run()
    assert decision.verdict is Verdict.ABORTED
    assert "SIGTERM" in decision.reasons[0]
    assert drv.active == set() and "remove:pause-backend" in drv.calls
    assert sink.last is not None and sink.last["abort"]["reason"] == "signal"


def test_second_signal_during_rollback_does_not_skip_it() -> None:
    runner, drv, clock, _, _, stop = make(steady(HEALTHY))
    original_remove = drv.remove

    def remove_with_signal(*args: object, **kw: object):
        stop.set("SIGINT")  # a second Ctrl-C while removing
        return original_remove(*args, **kw)  # type: ignore[arg-type]

    drv.remove = remove_with_signal  # type: ignore[method-assign]
    clock.at(4, lambda: stop.set("SIGINT"))
    decision = runner.run()
    assert decision.verdict is Verdict.ABORTED
    assert drv.active == set()
    assert runner.journal.injections[0].removal_confirmed


def test_unexpected_exception_still_rolls_back() -> None:
    drv = FakeDriver()
    calls = {"n": 0}

    def script(query: str, t: float) -> Reading:
        if drv.active:
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("bug in a probe")
        return steady(HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR  # a crash is never read as a verdict on the system
    assert drv.active == set()
    assert "RuntimeError" in decision.reasons[0]


def test_unsteady_baseline_injects_nothing() -> None:
    drv = FakeDriver()
    runner, *_ = make(steady({**HEALTHY, "ok": 0.5}), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert "steady state" in decision.reasons[0]
    assert not any(c.startswith("inject") for c in drv.calls)


def test_preflight_failure_is_error_and_injects_nothing() -> None:
    drv = FakeDriver(preflight_ok=False)
    runner, *_ = make(steady(HEALTHY), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert drv.calls == ["preflight"]


def test_prometheus_unreachable_is_error() -> None:
    runner, drv, *_ = make(steady(HEALTHY), reachable=False)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert "unreachable" in decision.reasons[0]
    assert not any(c.startswith("inject") for c in drv.calls)


def test_preflight_needs_data_for_every_sli() -> None:
    runner, drv, *_ = make(steady({"ok": 1.0, "errors_ratio": 0.0}))
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert "latency" in decision.reasons[0]
    assert drv.calls == ["preflight"]


def test_guardrail_already_breached_stops_at_preflight() -> None:
    runner, _drv, *_ = make(steady({**HEALTHY, "errors_ratio": 0.9}))
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    assert "already breached" in decision.reasons[0]


def test_dry_run_injects_nothing() -> None:
    runner, drv, *_ = make(steady(HEALTHY), dry_run=True)
    decision = runner.run()
    assert drv.calls == ["preflight"]
    assert decision.verdict is Verdict.DRY_RUN and "dry run" in decision.reasons[0]
    assert decision.verdict.exit_code == 0


def test_journal_is_written_before_the_driver_injects() -> None:
    seen = {}
    drv = FakeDriver()
    runner, _, _, sink, _, _ = make(steady(HEALTHY), drv)
    original = drv.inject

    def inject(fault, run):  # type: ignore[no-untyped-def]
        seen["journal"] = sink.last
        return original(fault, run)

    drv.inject = inject  # type: ignore[method-assign]
    runner.run()
    intent = seen["journal"]["injections"]
    assert intent and intent[0]["fault"] == "pause-backend" and intent[0]["createdAt"] is None


def test_recovery_failure_is_failed() -> None:
    drv = FakeDriver()
    state = {"removed": False}
    original = drv.remove

    def remove(*a, **k):  # type: ignore[no-untyped-def]
        state["removed"] = True
        return original(*a, **k)

    drv.remove = remove  # type: ignore[method-assign]

    def script(query: str, t: float) -> Reading:
        broken = drv.active or state["removed"]
        return steady({**HEALTHY, "latency": 0.5} if broken else HEALTHY)(query, t)

    runner, *_ = make(script, drv)
    decision = runner.run()
    assert decision.verdict is Verdict.FAILED
    assert any("did not recover" in r for r in decision.reasons)


def test_serial_faults_start_and_end_on_schedule() -> None:
    text = BASE.replace(
        """    - name: pause-backend
      type: process-pause
      target: backend
""",
        """    - name: first
      type: process-pause
      target: backend
      duration: 2s
    - name: second
      type: process-pause
      target: backend
      after: 1s
""",
    ).replace("  schedule:", "  faultOrder: serial\n  schedule:")
    runner, drv, *_ = make(steady(HEALTHY), text=text)
    decision = runner.run()
    assert decision.verdict is Verdict.PASSED, decision.reasons
    assert drv.calls[1:] == [
        "inject:first",
        "confirm:first",
        "remove:first",
        "inject:second",
        "confirm:second",
        "remove:second",
    ]
    first, second = runner.journal.injections
    assert second.planned_start == 3.0 and first.planned_end == 2.0
