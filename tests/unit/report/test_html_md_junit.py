"""summary.md and junit.xml carry report.html's figures: the gap table in the objective's unit,
the failure text in the element's body as well as its message, the score and budget burn as
properties."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.adapters.reports import junit, markdown
from chaosrunner.core.model import Phase
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import ERR, ND, journal_with

FAILED = {
    "availability": {Phase.OBSERVE: [1.0, 0.62, 0.6288, ND, 0.7]},
    "latency": {Phase.OBSERVE: [0.001, ERR, 0.15, 0.3, 0.05]},
}


def _failed() -> tuple[str, str]:
    journal = journal_with(FAILED)  # type: ignore[arg-type]
    journal.prometheus_url = "http://127.0.0.1:9090"
    decision = decide(journal)
    assert decision.verdict is Verdict.FAILED
    return markdown.render(journal, decision), junit.render(journal, decision)


def test_the_summary_has_the_gap_table_in_the_objectives_unit() -> None:
    summary, _ = _failed()
    assert "## Gap table" in summary
    assert (
        "| availability | >= 99 % | 100.0 % | 62.0 % | -38.0 pp | no SLO declared | 9.5 s "
        in summary
    )
    assert "| latency | <= 200 ms | 50.0 ms | 300 ms | +250 ms (6× the baseline) |" in summary
    assert "worst 62.0 %, mean" in summary  # the phase table too, never "worst 0.62"
    assert "worst 0.62," not in summary
    assert "availability reached 62.0 % against an objective of >= 99 %" in summary


def test_the_summary_links_each_query_to_prometheus_and_fits_a_comment() -> None:
    summary, _ = _failed()
    assert "- `availability`: `availability_query` ([graph](http://127.0.0.1:9090/graph?" in summary
    assert "None expected: the experiment names no alert" in summary
    assert "No profiles captured." in summary
    assert len(summary) < 65_536  # GitHub's limit for a comment


def test_junit_failure_text_is_in_the_body_and_the_message() -> None:
    _, xml = _failed()
    root = ET.fromstring(xml)
    failures = root.findall(".//failure")
    assert failures
    for f in failures:
        assert f.text and f.text == f.get("message")
    blast = next(
        f
        for f in failures
        if (f.get("message") or "").startswith("availability reached 62.0 % against >= 99 %")
    )
    assert "3/5 ticks missed in the blast window" in (blast.text or "")
    assert "time to impact 9.5 s" in (blast.text or "")


def test_junit_properties_carry_the_score_and_budget_burn() -> None:
    _, xml = _failed()
    props = {
        p.get("name"): p.get("value") for p in ET.fromstring(xml).findall(".//properties/property")
    }
    assert props["verdict"] == "FAILED"
    assert props["score"] == "37.5"  # the resilience score (core/resilience.py)
    assert props["sli.availability.budgetBurned"] == "no SLO declared"
    assert props["sli.availability.worstInBlast"] == "62.0 %"
    assert props["sli.latency.timeToImpact"] == "12 s (after 1 unknown tick(s))"


def test_an_escalated_removal_is_an_error_case_and_bold_in_the_faults_table() -> None:
    from dataclasses import replace
    from html import escape

    from chaosrunner.adapters.reports import html
    from chaosrunner.core.findings import findings
    from chaosrunner.core.journal import EscalationRecord
    from tests.unit.core.builders import injection

    esc = EscalationRecord(1.0, ("forced", "finalizer removed"), ("demo/redis-0 (Injected)",))
    journal = journal_with(injections=[replace(injection(), escalation=esc)])
    decision = decide(journal)
    assert decision.verdict is Verdict.INCONCLUSIVE
    root = ET.fromstring(junit.render(journal, decision))
    (case,) = [c for c in root.iter("testcase") if "injected and removed" in c.get("name", "")]
    error = case.find("error")
    assert error is not None
    assert "removed only by taking Chaos Mesh's finalizer off" in (error.get("message") or "")
    assert "not recovered: demo/redis-0 (Injected)" in (error.get("message") or "")
    took_off = "removal NOT confirmed by Chaos Mesh: chaosrunner took its finalizer off"
    assert "**removal NOT confirmed** by Chaos Mesh" in markdown.render(journal, decision)
    assert f"{escape(took_off)})</b>" in html.render(findings(journal, decision))
