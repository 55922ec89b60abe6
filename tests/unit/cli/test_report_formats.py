"""`chaosrunner report RUN_DIR|JOURNAL [--format ...] [--output-dir DIR]`, and report.html at the
end of a run: every output rebuilt from a journal alone, the same as the run wrote it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from chaosrunner.cli import main
from tests.unit.cli.conftest import Fakes

V1 = Path(__file__).resolve().parents[1] / "report" / "fixtures" / "journal-v1.json"
OUTPUTS = ("journal.json", "summary.md", "junit.xml", "report.html")


def _run(fakes: Fakes, out: Path) -> None:
    assert main(["run", str(fakes.file), "--output-dir", str(out)]) == 0


def test_the_end_of_a_run_writes_report_html_with_the_prometheus_url(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    _run(fakes, out)
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    assert page.count('<svg class="chart"') == len(
        json.loads((out / "journal.json").read_text())["slis"]
    )
    journal = json.loads((out / "journal.json").read_text())
    assert journal["prometheusUrl"].startswith("http://")
    assert f'href="{journal["prometheusUrl"]}/graph?g0.expr=' in page


def test_report_rebuilds_every_output_the_same_as_the_run(fakes: Fakes, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(fakes, out)
    original = {name: (out / name).read_text() for name in OUTPUTS}
    for name in OUTPUTS:
        (out / name).unlink()
    assert main(["report", str(out)]) == 0
    assert {name: (out / name).read_text() for name in OUTPUTS} == original


@pytest.mark.parametrize("source", ["journal.json", "journal.jsonl"])
def test_report_reads_either_journal_file_into_another_directory(
    fakes: Fakes, tmp_path: Path, source: str
) -> None:
    out = tmp_path / "out"
    _run(fakes, out)
    elsewhere = tmp_path / "elsewhere"
    assert main(["report", str(out / source), "--output-dir", str(elsewhere)]) == 0
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(OUTPUTS)
    assert (elsewhere / "report.html").read_text() == (out / "report.html").read_text()


def test_format_picks_the_outputs(fakes: Fakes, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run(fakes, out)
    only = tmp_path / "only"
    assert main(["report", str(out), "--format", "html,md", "--output-dir", str(only)]) == 0
    assert sorted(p.name for p in only.iterdir()) == ["report.html", "summary.md"]


def test_an_unknown_format_is_exit_4_and_names_the_known_ones(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    _run(fakes, out)
    capsys.readouterr()
    assert main(["report", str(out), "--format", "html,pdf"]) == 4
    err = capsys.readouterr().err
    assert "unknown report format pdf" in err and "json, md, junit, html" in err


def test_a_version_1_journal_is_reported_and_left_as_it_was(tmp_path: Path) -> None:
    run = tmp_path / "old-run"
    run.mkdir()
    shutil.copy(V1, run / "journal.json")
    assert main(["report", str(run)]) == 1  # FAILED, judged again on the old journal
    assert (run / "journal.json").read_bytes() == V1.read_bytes()
    page = (run / "report.html").read_text()
    assert len(re.findall(r'<svg class="chart" data-sli="[^"]+"', page)) == 2
    summary = (run / "summary.md").read_text()
    assert "| availability | >= 99.5 % | 99.9 % | 62.9 % | -37.0 pp |" in summary
    junit = (run / "junit.xml").read_text()
    assert '<property name="score" value="50" />' in junit
