"""What a run's outputs and console say: dry runs, blind guardrails, faults that never ran,
crashes, and each tick's status. Journals come from whole runs with the fakes of our own ports."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

import pytest

from chaosrunner.adapters.progress import PlainProgress
from chaosrunner.adapters.reports import junit, markdown
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.ports import Reading, SliTick
from chaosrunner.core.verdict import Verdict, decide
from tests.support import FakeDriver, steady
from tests.unit.run.test_engine import HEALTHY, make
from tests.unit.run.test_evidence import LATE, _guard, _raise, with_faults


def suite(xml: str) -> ET.Element:
    root = ET.fromstring(xml)
    found = root.find("testsuite")
    assert found is not None
    return found


def outcome_of(s: ET.Element, name_part: str) -> str:
    case = next(c for c in s.iter("testcase") if name_part in c.get("name", ""))
    children = [child.tag for child in case]
    return children[0] if children else "pass"


def test_a_dry_run_junit_is_skipped_cases_without_failure_or_error() -> None:
    runner, *_ = make(steady(HEALTHY), dry_run=True)
    decision = runner.run()
    s = suite(junit.render(runner.journal, decision))
    assert s.get("failures") == "0" and s.get("errors") == "0"
    assert int(s.get("skipped", "0")) == 2  # the planned fault and the verdict
    assert outcome_of(s, "verdict DRY-RUN") == "skipped"
    assert outcome_of(s, "fault pause-backend") == "skipped"
    assert outcome_of(s, "preflight: fake target resolves") == "pass"


def test_a_dry_run_summary_says_what_it_was_and_shows_the_plan() -> None:
    runner, *_ = make(steady(HEALTHY), dry_run=True)
    decision = runner.run()
    text = markdown.render(runner.journal, decision)
    assert text.startswith("# unit-exp: DRY-RUN\n")
    assert "dry run: preflight passed, nothing injected" in text
    assert "| pause-backend | process-pause | backend | +0ms | +5s | 35s |" in text
    assert "no ticks" not in text


def test_a_crash_is_an_error_in_junit() -> None:
    drv = FakeDriver()
    drv.inject = _raise  # type: ignore[method-assign]
    runner, *_ = make(steady(HEALTHY), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    s = suite(junit.render(runner.journal, decision))
    assert outcome_of(s, "verdict ERROR") == "error"
    assert "chaosrunner crashed" in markdown.render(runner.journal, decision)


def test_a_planned_fault_never_injected_shows_in_both_reports() -> None:
    text = with_faults(LATE)
    runner, *_ = make(steady(HEALTHY), text=text)
    runner.run()
    del runner.journal.injections[1]  # as if the engine had never started it
    decision = decide(runner.journal)
    assert decision.verdict is Verdict.INCONCLUSIVE
    s = suite(junit.render(runner.journal, decision))
    assert outcome_of(s, "fault late") == "error"
    assert "| late | process-pause | backend | **NEVER INJECTED** (planned at +4500ms)" in (
        markdown.render(runner.journal, decision)
    )


def test_a_blind_guardrail_shows_in_both_reports() -> None:
    drv = FakeDriver()
    runner, *_ = make(_guard(Reading.no_data, drv), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.PASSED
    s = suite(junit.render(runner.journal, decision))
    assert s.get("failures") == "0" and s.get("errors") == "0"
    case = next(c for c in s.iter("testcase") if "guardrail hard-stop" in c.get("name", ""))
    skipped = case.find("skipped")
    assert skipped is not None
    assert "on 6 of " in skipped.get("message", "")
    text = markdown.render(runner.journal, decision)
    assert "## Blind guardrails" in text
    assert "- **hard-stop** could not see on 6 tick(s)" in text
    assert "went blind: the query returned no data" in text


def test_a_guardrail_that_always_saw_is_a_passing_case() -> None:
    runner, *_ = make(steady(HEALTHY))
    decision = runner.run()
    s = suite(junit.render(runner.journal, decision))
    assert outcome_of(s, "guardrail hard-stop could see on every tick") == "pass"
    assert "Blind guardrails" not in markdown.render(runner.journal, decision)


@pytest.mark.parametrize(
    ("tick", "shown"),
    [
        pytest.param(
            SliTick(None, SampleStatus.ERROR, False, "<= 200ms", "connection refused"),
            "latency=probe error: connection refused (<= 200 ms) unknown",
            id="probe-error",
        ),
        pytest.param(
            SliTick(None, SampleStatus.NO_DATA, False, "<= 200ms"),
            "latency=no data (<= 200 ms) unknown",
            id="no-data",
        ),
        pytest.param(
            SliTick(0.5, SampleStatus.STALE, False, "<= 200ms", "newest sample 40s old"),
            "latency=stale: newest sample 40s old (<= 200 ms) unknown",
            id="stale",
        ),
        pytest.param(
            SliTick(0.05, SampleStatus.OK, True, "<= 200ms"),
            "latency=50.0 ms (<= 200 ms) ok",
            id="ok",
        ),
        pytest.param(
            SliTick(0.5, SampleStatus.OK, False, "<= 200ms"),
            "latency=500 ms (<= 200 ms) MISS",
            id="miss",
        ),
        pytest.param(
            SliTick(None, SampleStatus.ERROR, False, "<= 200ms", "x" * 100 + "\nsecond line"),
            "latency=probe error: " + "x" * 59 + "… (<= 200 ms) unknown",
            id="long-error-shortened",
        ),
    ],
)
def test_the_console_says_what_happened_on_a_tick(tick: SliTick, shown: str) -> None:
    out = io.StringIO()
    view = PlainProgress(out)
    view.phase("observe", 0.0, 10.0)
    view.tick(4.0, {"latency": tick})
    assert out.getvalue().splitlines()[-1] == f"   [observe 6s left] {shown}"
