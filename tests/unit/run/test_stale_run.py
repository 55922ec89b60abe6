"""A whole run (fakes of our own ports) whose metrics turn stale while the fault is active: the
journal keeps which SLI, which tick and why; the verdict, summary.md and junit.xml say so."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.adapters.reports import junit, markdown
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.ports import Reading
from chaosrunner.core.verdict import Verdict
from tests.support import FakeDriver, Script, steady
from tests.unit.run.test_engine import HEALTHY, make

WHY = (
    "target backend 127.0.0.1:9 is down (up == 0: its last scrape failed) and the query reads "
    "latency_seconds from it"
)


def frozen_while_active(driver: FakeDriver, stale: str = "latency") -> Script:
    """Healthy, except that ``stale`` SLI or guardrail reads stale data while the fault is on."""
    healthy = steady(HEALTHY)

    def script(query: str, t: float) -> Reading:
        if driver.active and stale in query:
            return Reading.stale(WHY)
        return healthy(query, t)

    return script


def test_stale_readings_are_journalled_and_the_run_is_inconclusive() -> None:
    drv = FakeDriver()
    runner, *_ = make(frozen_while_active(drv), drv)
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE, decision.reasons
    journal = runner.journal
    stale = [
        t
        for t, s in zip(
            journal.series["latency"].times, journal.series["latency"].status, strict=True
        )
        if s == SampleStatus.STALE
    ]
    assert stale and journal.stale_count == len(stale)
    assert [(r.sli, r.t, r.reason) for r in journal.stale_readings] == [
        ("latency", t, WHY) for t in stale
    ]
    reason = next(r for r in decision.reasons if r.startswith("SLI 'latency'"))
    assert reason.startswith("SLI 'latency' has no verdict in the blast window: stale-data: ")
    assert WHY in reason
    raw = journal.to_dict()
    assert raw["staleReadings"][0] == {"sli": "latency", "t": stale[0], "reason": WHY}
    assert "s" in raw["series"]["latency"]["status"]


def test_the_summary_lists_each_stale_tick_with_why() -> None:
    drv = FakeDriver()
    runner, *_ = make(frozen_while_active(drv), drv)
    decision = runner.run()
    text = markdown.render(runner.journal, decision)
    assert "## Stale evidence" in text
    n = runner.journal.stale_count
    assert f"- **latency**: {n} stale tick(s) (blast window {n})" in text
    assert f"  - blast window +0.0s: {WHY}" in text
    assert "stale-data" in text and f"{n} stale" in text  # the SLI table's cell


def test_junit_names_the_stale_ticks() -> None:
    drv = FakeDriver()
    runner, *_ = make(frozen_while_active(drv), drv)
    decision = runner.run()
    root = ET.fromstring(junit.render(runner.journal, decision))
    cases = {c.get("name"): c for c in root.iter("testcase")}
    fresh = cases["latency data fresh on every tick"]
    (error,) = list(fresh)
    assert error.tag == "error" and WHY in error.get("message", "")
    blast = cases["latency <= 200ms in blast window"]
    assert "stale-data: " in next(iter(blast)).get("message", "")
    assert "availability data fresh on every tick" not in cases


def test_a_stale_sli_fails_preflight_with_why() -> None:
    runner, drv, *_ = make(
        lambda q, t: Reading.stale(WHY) if "latency" in q else steady(HEALTHY)(q, t)
    )
    decision = runner.run()
    assert decision.verdict is Verdict.ERROR
    check = next(c for c in runner.journal.preflight if "latency" in c.name)
    assert not check.ok and check.detail == WHY
    assert drv.calls == ["preflight"]


def test_a_stale_guardrail_is_blind_not_quiet() -> None:
    drv = FakeDriver()
    runner, *_ = make(frozen_while_active(drv, stale="errors_ratio"), drv)
    runner.run()
    assert runner.journal.guardrail_blind_ticks.get("hard-stop", 0) > 0
    blind = [e for e in runner.journal.guardrail_events if e.blind]
    assert blind and WHY in blind[0].detail
