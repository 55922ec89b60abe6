from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.adapters.reports.gate import render_junit, render_markdown
from chaosrunner.core.gate import CaseStatus, Gap, GateEntry, GateResult, slo_outcomes
from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.verdict import Verdict
from tests.unit.gate.helpers import assessed, contract, decision

SLOS = contract("availability", "p95-latency").slis


def entry(name: str, verdict: Verdict, *slis, reasons=("why",)) -> GateEntry:  # type: ignore[no-untyped-def]
    d = decision(verdict, *slis, reasons=reasons)
    return GateEntry(
        name, f"{name}.yaml", verdict, reasons, slo_outcomes(SLOS, d, ""), f"out/{name}", 10.0
    )


def result(*entries: GateEntry, gaps: tuple[Gap, ...] = ()) -> GateResult:
    return GateResult("blue", entries, gaps)


PASSED = entry("cpu", Verdict.PASSED, assessed("availability"), assessed("p95-latency"), reasons=())
FAILED = entry(
    "redis",
    Verdict.FAILED,
    assessed("availability", Outcome.VIOLATED),
    assessed("p95-latency"),
)
NO_DATA = entry(
    "leak",
    Verdict.INCONCLUSIVE,
    assessed("availability", baseline=Outcome.NO_DATA),
    assessed("p95-latency"),
)


def test_slo_outcomes_never_show_a_slo_as_passed_in_a_run_that_proved_nothing() -> None:
    assert [s.status for s in PASSED.slos] == [CaseStatus.PASSED, CaseStatus.PASSED]
    assert [(s.status, s.label) for s in FAILED.slos] == [
        (CaseStatus.FAILED, "violated"),
        (CaseStatus.PASSED, "held"),
    ]
    assert [(s.status, s.label) for s in NO_DATA.slos] == [
        (CaseStatus.FAILED, "no-data"),
        (CaseStatus.FAILED, "held (INCONCLUSIVE)"),
    ]
    crashed = slo_outcomes(SLOS, None, "crashed")
    assert {(s.status, s.message) for s in crashed} == {(CaseStatus.ERROR, "crashed")}


def test_the_gate_verdict_aggregates_and_missing_coverage_fails_it() -> None:
    assert result(PASSED).verdict is Verdict.PASSED
    assert result(PASSED, NO_DATA).exit_code == 3
    assert result(PASSED, NO_DATA, FAILED).exit_code == 1
    assert result(PASSED, gaps=(Gap("pod-kill"),)).exit_code == 1
    assert result().verdict is Verdict.INCONCLUSIVE  # nothing judged never passes


def test_an_interruption_between_experiments_is_aborted_like_a_game_days() -> None:
    not_run = entry("leak", Verdict.INCONCLUSIVE, reasons=("not run: interrupted",))
    stopped = GateResult("blue", (PASSED, not_run), (), interrupted=True)
    assert stopped.verdict is Verdict.ABORTED and stopped.exit_code == 2
    assert GateResult("blue", (PASSED, not_run), ()).exit_code == 3


def test_junit_has_one_case_per_experiment_and_slo_with_the_counts_ci_tools_read() -> None:
    text = render_junit(result(PASSED, FAILED, NO_DATA, gaps=(Gap("dns"),)), "2026-01-01T00:00:00")
    root = ET.fromstring(text.split("\n", 1)[1])
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("7", "4", "0")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["cpu", "redis", "leak", "coverage"]
    for suite in suites:
        assert suite.get("timestamp") and suite.get("time") is not None
        assert int(suite.get("tests", "")) == len(suite.findall("testcase"))
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert cases[:2] == [("cpu", "availability"), ("cpu", "p95-latency")]
    failure = root.find("testsuite[@name='redis']/testcase[@name='availability']/failure")
    assert failure is not None and failure.get("type") == "FAILED"
    assert failure.get("message", "").startswith("violated")
    held = root.find("testsuite[@name='leak']/testcase[@name='p95-latency']/failure")
    assert held is not None and held.get("type") == "INCONCLUSIVE"
    assert root.find("testsuite[@name='coverage']/testcase[@name='dns']/failure") is not None
    assert root.find(".//skipped") is None


def test_markdown_is_a_short_table_for_a_pull_request_comment() -> None:
    many = tuple(entry(f"e{i}", Verdict.PASSED, reasons=()) for i in range(100))
    text = render_markdown(result(FAILED, *many, gaps=(Gap("pod-kill"),)))
    lines = text.splitlines()
    assert len(lines) < 60
    assert lines[0].startswith("### ") and "FAILED (exit 1)" in lines[0]
    assert "| experiment | verdict | SLOs |" in lines
    assert any(line.startswith("| redis | ❌ FAILED | ❌ availability: violated") for line in lines)
    assert "- fault class 'pod-kill' is not exercised" in lines
    assert any("more" in line for line in lines)
