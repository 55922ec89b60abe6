"""A run's report compares it with the earlier stored runs of its experiment: in words, in a
table and with a sparkline; the run is stored afterwards, and a dry run neither."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from chaosrunner.adapters import results
from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports.findings import findings
from chaosrunner.adapters.reports.trend import sparkline, summarize
from chaosrunner.core.journal import Journal
from chaosrunner.core.model import Phase
from chaosrunner.core.verdict import decide
from chaosrunner.runner.session import write_outputs
from tests.unit.core.builders import ND, T0, journal_with

MONTH = 30 * 86_400.0
FAILED = {"availability": {Phase.OBSERVE: [1.0, 0.62, 0.6288, ND, 0.7]}}


def _store(root: Path, journal: Journal) -> None:
    results.ResultsStore(root).save(journal, summarize(findings(journal, decide(journal))))


def _two_runs(tmp_path: Path) -> tuple[Path, Path]:
    store, out = tmp_path / "results", tmp_path / "out"
    out.mkdir()
    last_month = replace(journal_with(FAILED), run_id="last-month")  # type: ignore[arg-type]
    _store(store, last_month)
    now = replace(journal_with(), run_id="this-month", started_at=T0 + MONTH)
    written = write_outputs(out, now, decide(now), Redactor(), results=store)
    assert written.report_errors == ()
    return store, out


def test_the_report_says_what_got_better_since_the_previous_run(tmp_path: Path) -> None:
    _, out = _two_runs(tmp_path)
    summary = (out / "summary.md").read_text()
    assert "## Trend" in summary
    assert (
        "- availability's worst in the blast window improved from 62.0 % to 100.0 % "
        "since 2023-11-14." in summary
    )
    assert "- The score improved from" in summary
    assert "Compared with run last-month of 2023-11-14 (FAILED, score" in summary
    html = (out / "report.html").read_text()
    trend = html[html.index('<section id="trend">') :]
    trend = trend[: trend.index("</section>")]
    assert "improved from 62.0 % to 100.0 % since 2023-11-14." in trend
    assert trend.count('<svg class="spark"') >= 3  # worst and recovery per SLI, and the score
    assert '<td class="trend-better">better</td>' in trend
    assert "http" not in trend.replace("http://www.w3.org/2000/svg", "")  # no external asset


def test_the_run_is_stored_after_its_report(tmp_path: Path) -> None:
    store, _ = _two_runs(tmp_path)
    assert [r.summary.run_id for r in results.ResultsStore(store).runs()] == [
        "this-month",
        "last-month",
    ]


def test_the_first_run_says_there_is_nothing_to_compare_with(tmp_path: Path) -> None:
    j = journal_with()
    write_outputs(tmp_path, j, decide(j), Redactor(), results=tmp_path / "results")
    assert "No earlier run of unit-exp in lab is stored" in (tmp_path / "summary.md").read_text()


def test_without_a_store_there_is_no_trend_section(tmp_path: Path) -> None:
    j = journal_with()
    write_outputs(tmp_path, j, decide(j), Redactor())
    assert "## Trend" not in (tmp_path / "summary.md").read_text()
    assert 'id="trend"' not in (tmp_path / "report.html").read_text()


def test_a_dry_run_is_neither_compared_nor_stored(tmp_path: Path) -> None:
    j = journal_with(dry_run=True)
    written = write_outputs(tmp_path, j, decide(j), Redactor(), results=tmp_path / "results")
    assert written.report_errors == ()
    assert not (tmp_path / "results").exists()
    assert "## Trend" not in (tmp_path / "summary.md").read_text()


def test_an_unwritable_store_is_a_report_warning_and_the_outputs_stand(tmp_path: Path) -> None:
    blocked = tmp_path / "results"
    blocked.write_text("a file where the store should be")
    j = journal_with()
    (tmp_path / "out").mkdir()
    written = write_outputs(tmp_path / "out", j, decide(j), Redactor(), results=blocked)
    assert written.journal_error == ""
    assert [p.name for p in written.outputs] == [
        "journal.json",
        "summary.md",
        "junit.xml",
        "report.html",
    ]
    (warning,) = written.report_errors
    assert warning.startswith(f"the run was not kept in the results store {blocked}")


def test_the_sparkline_breaks_at_a_missing_run_and_marks_this_one() -> None:
    svg = sparkline([0.5, None, 0.9, 1.0], objective=0.99, label="availability")
    path = re.search(r'class="spark-line" d="([^"]+)"', svg)
    assert path is not None
    assert path.group(1).count("M") == 2  # a gap where the run had no value
    assert 'class="spark-objective"' in svg and 'class="spark-now"' in svg
    assert sparkline([None, None]) == ""
