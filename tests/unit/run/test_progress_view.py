"""The terminal: numbers in their objective's unit, a trend per SLI, and the verdict's table
at the end (not the last tick, which comes after recovery and reads "ok" for a failed run)."""

from __future__ import annotations

import io

from chaosrunner.adapters.progress import PlainProgress, sparkline, verdict_rows
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.ports import Reading, SliTick
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.stop import StopFlag
from tests.support import (
    BASE,
    FakeClock,
    FakeDriver,
    MemorySink,
    RecordingProgress,
    ScriptedMetrics,
    experiment,
    steady,
)

HEALTHY = {"ok": 1.0, "latency": 0.05, "errors_ratio": 0.0}


def test_a_tick_is_shown_in_its_objectives_unit() -> None:
    out = io.StringIO()
    view = PlainProgress(out)
    view.phase("observe", 0.0, 10.0)
    view.tick(
        4.0,
        {
            "availability": SliTick(0.6288, SampleStatus.OK, False, ">= 99.5%", "", "ratio"),
            "latency": SliTick(0.0009887, SampleStatus.OK, True, "<= 200ms", "", "seconds"),
        },
    )
    line = out.getvalue().splitlines()[-1]
    assert "availability=62.9 % (>= 99.5 %) MISS" in line
    assert "latency=1.0 ms (<= 200 ms) ok" in line


def test_sparkline_scales_the_window_and_marks_missing_ticks() -> None:
    assert sparkline([0.0, 0.5, 1.0, None]) == "▁▅█·"
    assert sparkline([3.0, 3.0]) == "▁▁"
    assert sparkline([None, None]) == "··"


def _failed_run() -> Runner:
    stop = StopFlag()
    clock = FakeClock(stop)
    driver = FakeDriver()
    driver.clock = clock

    def script(query: str, t: float) -> Reading:
        table = {**HEALTHY, "ok": 0.6288} if driver.active else HEALTHY
        return steady(table)(query, t)

    runner = Runner(
        experiment(BASE),
        run_id="r1",
        metrics=ScriptedMetrics(script),
        driver=driver,
        clock=clock,
        sink=MemorySink(),
        progress=RecordingProgress(),
        stop=stop,
    )
    runner.run()
    return runner


def test_the_result_ends_with_the_verdicts_table_in_units() -> None:
    runner = _failed_run()
    decision = runner.decision
    assert decision is not None and decision.verdict is Verdict.FAILED
    rows = {r[0]: r for r in verdict_rows(decision.slis)}
    # the last tick was healthy again; the table still says where it fell short
    assert rows["availability"][1:4] == (">= 99 %", "100.0 %", "62.9 %")
    assert "blast violated" in rows["availability"][5]
    assert rows["latency"][5] == "held"
    out = io.StringIO()
    PlainProgress(out).result(decision, ["journal.json"])
    text = out.getvalue()
    assert text.index("worst in blast") < text.index("verdict: FAILED")
    assert "resilience score" in text
    assert "62.9 %" in text and "blast window: 6/6 ticks missed >= 99 %, worst 62.9 %" in text
