"""report.html from a journal: self-contained, one drawn chart per SLI, values in the objective's
unit, and every kind of evidence shown (or said to be absent)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from chaosrunner.adapters.reports import html, junit, markdown
from chaosrunner.adapters.reports.findings import Findings, findings, prometheus_graph_url
from chaosrunner.adapters.reports.journal_file import read_journal
from chaosrunner.core.budget import Slo
from chaosrunner.core.goroutines import Capture, Frame, StackGrowth
from chaosrunner.core.journal import GuardrailEvent, SliRecord, StaleReading
from chaosrunner.core.model import Phase
from chaosrunner.core.timing import AlertDetection, DetectionStatus
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import ERR, MS, ND, at, journal_with, sli_record

FIXTURES = Path(__file__).parent / "fixtures"
FAILED = {
    "availability": {Phase.OBSERVE: [1.0, 0.62, 0.6288, ND, 0.7]},
    "latency": {Phase.OBSERVE: [0.001, ERR, 0.15, 0.3, MS]},
}


def _found(series: dict[str, dict[Phase, list[object]]] | None = None, **kw: object) -> Findings:
    journal = journal_with(series)  # type: ignore[arg-type]
    journal.prometheus_url = "http://127.0.0.1:9090"
    return findings(journal, decide(journal), **kw)  # type: ignore[arg-type]


def _charts(page: str) -> dict[str, str]:
    return dict(re.findall(r'<svg class="chart" data-sli="([^"]+)"(.*?)</svg>', page, re.S))


def test_every_sli_has_a_drawn_chart_and_nothing_is_fetched() -> None:
    page = html.render(_found(FAILED))
    charts = _charts(page)
    assert set(charts) == {"availability", "latency"}
    for body in charts.values():
        path = re.search(r'<path class="series" d="([^"]+)"', body)
        assert path and path.group(1).count("L") >= 2  # a line, not an empty path
        assert 'class="objective"' in body and 'class="fault"' in body
    assert "default-src 'none'" in page
    assert "<script" not in page and "src=" not in page and "@import" not in page
    assert "url(" not in page
    # the only absolute URLs are the links to Prometheus (never loaded) and the SVG namespace
    urls = set(re.findall(r"https?://[^\s\"'<>]+", page))
    assert all(
        u.startswith("http://127.0.0.1:9090/graph?") or u == "http://www.w3.org/2000/svg"
        for u in urls
    ), urls


def test_the_summary_says_the_verdict_score_and_why_in_the_objectives_unit() -> None:
    page = html.render(_found(FAILED))
    head = page[page.index("<header") : page.index("</header>")]
    assert 'class="verdict v-FAILED">FAILED' in head
    assert "availability reached 62.0 % against an objective of &gt;= 99 %" in head
    assert "latency reached 300 ms against an objective of &lt;= 200 ms" in head
    for fact in ("unit-exp", "lab (driver local)", "run-1", "score"):
        assert fact in head
    assert "0.62" not in head  # never the raw value


def test_the_gap_table_has_every_figure_formatted() -> None:
    found = _found(FAILED)
    page = html.render(found)
    table = page[page.index('id="gap-table"') : page.index('id="slis"')]
    row = re.search(r"<tr><td>availability</td>(.*?)</tr>", table, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells[:4] == ["&gt;= 99 %", "100.0 %", "62.0 %", "-38.0 pp"]
    assert cells[4] == "no SLO declared"
    # confirmed 1.5 s into the inject phase; the first miss is the blast window's 2nd tick
    assert at(Phase.OBSERVE, 1.0) - at(Phase.INJECT, 1.5) == 9.5
    assert cells[5] == "9.5 s"
    assert "missed" in cells[7]


def test_time_to_impact_and_recovery_are_marked_on_the_chart() -> None:
    page = html.render(_found(FAILED))
    body = _charts(page)["availability"]
    assert 'class="marker impact"' in body and "impact +9.5 s" in body
    assert 'class="marker recovered"' in body


def test_bad_and_unknown_ticks_are_marked_in_the_strip() -> None:
    body = _charts(html.render(_found(FAILED)))["latency"]
    for mark in ("tick-bad", "tick-error", "tick-missed"):
        assert f'class="{mark}"' in body, mark
    assert 'class="tick-no-data"' in _charts(html.render(_found(FAILED)))["availability"]


def test_each_sli_links_to_prometheus_over_the_run() -> None:
    found = _found(FAILED)
    page = html.render(found)
    assert page.count('class="prom" href="http://127.0.0.1:9090/graph?g0.expr=') == 2
    url = prometheus_graph_url("http://p:9090/", 'sum(rate(x{a="b"}[30s]))', 1000.0, 1100.5)
    assert url == (
        "http://p:9090/graph?g0.expr=sum%28rate%28x%7Ba%3D%22b%22%7D%5B30s%5D%29%29"
        "&g0.range_input=101s&g0.end_input=1970-01-01%2000%3A18%3A21&g0.tab=0"
    )
    assert prometheus_graph_url("", "up", 0.0, 1.0) == ""


def test_a_journal_without_a_prometheus_url_says_so() -> None:
    journal = journal_with()
    page = html.render(findings(journal, decide(journal)))
    assert "no Prometheus URL in this journal" in page
    assert "<pre>availability_query</pre>" in page  # the exact PromQL still shown


def test_empty_alerts_and_profiles_say_so() -> None:
    page = html.render(_found())
    assert "None expected: the experiment names no alert that should fire." in page
    assert "No profiles captured" in page


def test_alerts_and_goroutine_growth_are_rendered_when_given() -> None:
    frame = Frame("chaosrunner.dev/demo/leakhook.(*leak).spawn.func1", "/src/leak.go", 153)
    page = html.render(
        _found(
            alerts=[
                AlertDetection("AvailabilityFastBurn", DetectionStatus.DETECTED, 1.0, 42.0, None),
                AlertDetection("LatencyHigh", DetectionStatus.NOT_FIRED, None, None, None),
            ],
            captures=[
                Capture("baseline", None, "connection refused"),
                Capture("blast", None, "timeout"),
            ],
            growth=[StackGrowth((frame,), frame, (3, 120), 117)],
        )
    )
    alerts = page[page.index('id="alerts"') : page.index('id="guardrails"')]
    assert "AvailabilityFastBurn" in alerts and "42 s" in alerts and "not-fired" in alerts
    profiles = page[page.index('id="goroutine-profiles"') : page.index('id="queries"')]
    assert "capture baseline failed</b>: connection refused" in profiles
    assert "leakhook.(*leak).spawn.func1 (leak.go:153)" in profiles and "+117" in profiles


def test_everything_behind_an_inconclusive_verdict_is_listed() -> None:
    journal = journal_with({"latency": {Phase.OBSERVE: [0.05, ERR, 0.05, 0.05, 0.05]}})
    journal.record_stale("availability", at(Phase.OBSERVE, 1.0), "target demo not scraped")
    journal.guardrail_blind_ticks["hard-stop"] = 3
    journal.guardrail_events.append(
        GuardrailEvent("hard-stop", at(Phase.OBSERVE, 2.0), None, False, "no data", blind=True)
    )
    journal.probe_errors.append({"sli": "latency", "t": at(Phase.OBSERVE, 1.0), "message": "boom"})
    journal.probe_error_count += 1
    decision = decide(journal)
    assert decision.verdict is Verdict.INCONCLUSIVE
    page = html.render(findings(journal, decision))
    evidence = page[page.index('id="evidence-behind-the-verdict"') : page.index('id="goroutine')]
    assert "Why the verdict is INCONCLUSIVE" in evidence
    assert all(r.replace("'", "&#x27;") in evidence for r in decision.reasons)
    assert "target demo not scraped" in evidence and "blast window +1.0 s" in evidence
    assert "boom" in evidence
    guardrails = page[page.index('id="guardrails"') : page.index('id="evidence')]
    assert "could not see on 3 tick(s)" in guardrails and "blind" in guardrails
    assert StaleReading  # the type the journal keeps them as


@dataclass(frozen=True)
class _SloSpec:
    """An SLO as the experiment model declares one (``core.model.SloSpec``'s shape)."""

    target: float
    window_seconds: float


@dataclass(frozen=True)
class _SloSli(SliRecord):
    """An SLI record carrying an SLO, as a later journal version records it."""

    slo: object = None


def _journal_slo(base: SliRecord) -> SliRecord:
    return SliRecord(**{**base.__dict__, "slo_target": 0.999, "slo_window_seconds": 2592000.0})


@pytest.mark.parametrize(
    "with_slo",
    [
        lambda base: _SloSli(**{**base.__dict__, "slo": Slo(0.999, 30 * 86400.0)}),
        lambda base: _SloSli(**{**base.__dict__, "slo": _SloSpec(0.999, 30 * 86400.0)}),
        _journal_slo,
    ],
    ids=["budget-slo", "model-slo-spec", "journal-slo-fields"],
)
def test_budget_burn_is_shown_where_the_sli_has_an_slo(with_slo: object) -> None:
    assert callable(with_slo)
    rec = with_slo(sli_record("availability", ">= 99%"))
    journal = journal_with({"availability": {Phase.OBSERVE: [0.5, 0.5, 0.5, 0.5, 0.5]}}, slis=[rec])
    found = findings(journal, decide(journal))
    burn = found.slis[0].burn
    assert burn is not None
    # 5 ticks x 1 s at 50 % errors = 2.5 s of the 2592 s budget (43.2 min)
    assert burn.consumed_seconds == pytest.approx(2.5)
    assert found.slis[0].budget_text == "2.5 s (0.10 % of budget)"
    body = _charts(html.render(found))["availability"]
    assert 'class="burn"' in body and "of the error budget consumed" in body


def test_a_version_1_journal_renders() -> None:
    journal = read_journal(FIXTURES / "journal-v1.json")
    decision = decide(journal)
    assert decision.verdict is Verdict.FAILED
    page = html.render(findings(journal, decision))
    assert set(_charts(page)) == {"availability", "p95-latency"}
    assert "62.9 %" in page and "&gt;= 99.5 %" in page
    assert "no Prometheus URL in this journal" in page


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: journal_with(dry_run=True, injections=[]), id="dry-run"),
        pytest.param(
            lambda: journal_with(
                {"availability": {Phase.BASELINE: [], Phase.OBSERVE: [], Phase.RECOVERY: []}},
                injections=[],
                phases=[],
            ),
            id="error-before-any-phase",
        ),
        pytest.param(lambda: journal_with(slis=[]), id="no-slis"),
        pytest.param(
            lambda: journal_with({"latency": {Phase.OBSERVE: [ND] * 5}}), id="latency-all-no-data"
        ),
    ],
)
def test_every_kind_of_run_renders_with_a_chart_per_sli(build: object) -> None:
    assert callable(build)
    journal = build()
    decision = decide(journal)
    found = findings(journal, decision)
    page = html.render(found)
    assert set(_charts(page)) == {s.name for s in journal.slis}
    assert f'class="verdict v-{decision.verdict.value}"' in page
    summary = markdown.render(journal, decision)
    assert summary.startswith(f"# unit-exp: {decision.verdict.value}")
    ET.fromstring(junit.render(journal, decision))
