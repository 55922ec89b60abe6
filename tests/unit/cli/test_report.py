"""`chaosrunner report RUN_DIR`: journal.json, summary.md and junit.xml rebuilt from the
appended journal; a run that did not finish is ERROR, never PASSED."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaosrunner.cli import main
from tests.unit.cli.conftest import Fakes


def _run(fakes: Fakes, out: Path) -> dict[str, object]:
    assert main(["run", str(fakes.file), "--output-dir", str(out)]) == 0
    return json.loads((out / "journal.json").read_text())


def test_a_finished_run_is_rebuilt_with_the_same_journal_and_verdict(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    original = _run(fakes, out)
    assert (out / "journal.jsonl").is_file()
    for name in ("journal.json", "summary.md", "junit.xml"):
        (out / name).unlink()
    capsys.readouterr()
    assert main(["report", str(out)]) == 0
    assert json.loads((out / "journal.json").read_text()) == original
    assert (out / "summary.md").read_text().startswith("# unit-exp: PASSED\n")
    assert (out / "junit.xml").is_file()
    assert "verdict: PASSED (exit 0)" in capsys.readouterr().out


def test_a_run_killed_mid_blast_is_error_never_passed(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    _run(fakes, out)
    log = out / "journal.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    # as if killed while writing the third tick of the blast window
    cut = [i for i, line in enumerate(lines) if '"phase":"observe"' in line and '"tick"' in line][2]
    log.write_text("".join(lines[:cut]) + lines[cut][:40])
    for name in ("journal.json", "summary.md", "junit.xml"):
        (out / name).unlink()
    capsys.readouterr()
    assert main(["report", str(out)]) == 4
    text = capsys.readouterr().out
    assert "did not finish" in text and "cut short" in text
    journal = json.loads((out / "journal.json").read_text())
    assert journal["outcome"]["verdict"] == "ERROR"
    assert journal["failure"]["stage"] == "crash"
    assert "no end record" in journal["failure"]["message"]
    assert journal["injections"][0]["confirmedAt"] is not None  # the evidence it left
    assert len([p for p in journal["series"]["latency"]["phase"] if p == "o"]) == 2
    assert "ERROR" in (out / "summary.md").read_text()
    assert 'errors="' in (out / "junit.xml").read_text()


def test_report_on_a_directory_without_a_journal_is_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 4
    assert "cannot read" in capsys.readouterr().err
