"""`chaosrunner history` on a temporary store, and `run`/`report` keeping runs in it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chaosrunner.adapters.reports.journal_file import write_journal
from chaosrunner.cli import main
from chaosrunner.core.model import Phase
from tests.unit.cli.conftest import Fakes
from tests.unit.core.builders import ND, T0, journal_with

MONTH = 30 * 86_400.0
FAILED = {"availability": {Phase.OBSERVE: [1.0, 0.62, 0.6288, ND, 0.7]}}


def _journal_file(path: Path, run_id: str, started: float, failed: bool) -> Path:
    journal = replace(
        journal_with(FAILED if failed else None),  # type: ignore[arg-type]
        run_id=run_id,
        started_at=started,
    )
    path.mkdir(parents=True)
    write_journal(path / "journal.json", journal)
    return path / "journal.json"


def test_report_keeps_runs_and_history_lists_them_newest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "results"
    old = _journal_file(tmp_path / "old", "last-month", T0, failed=True)
    new = _journal_file(tmp_path / "new", "this-month", T0 + MONTH, failed=False)
    assert main(["report", str(old), "--results", str(store)]) == 1
    assert main(["report", str(new), "--results", str(store)]) == 0
    assert (
        "improved from 62.0 % to 100.0 % since 2023-11-14"
        in (tmp_path / "new" / "summary.md").read_text()
    )
    capsys.readouterr()
    assert main(["history", "--results", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("2023-12-14 22:13 UTC  unit-exp  env lab  PASSED")
    assert lines[0].endswith("run this-month")
    assert lines[2].startswith("2023-11-14 22:13 UTC  unit-exp  env lab  FAILED")
    assert lines[3] == ("    missed: availability worst 62.0 % (>= 99%); recovered within 9.0 s")


def test_history_filters_and_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "results"
    for i in range(3):
        journal = _journal_file(tmp_path / f"r{i}", f"run-{i}", T0 + i * MONTH, failed=False)
        assert main(["report", str(journal), "--results", str(store)]) == 0
    capsys.readouterr()
    assert (
        main(["history", "unit-exp", "--env", "lab", "--limit", "2", "--results", str(store)]) == 0
    )
    out = capsys.readouterr().out
    assert "run run-2" in out and "run run-1" in out and "run run-0" not in out
    assert "(1 older run(s) not shown; see --limit)" in out
    assert main(["history", "other", "--results", str(store)]) == 0
    assert f"no runs of other stored in {store}" in capsys.readouterr().out
    assert main(["history", "--env", "prod", "--results", str(store)]) == 0
    assert f"no runs in env prod stored in {store}" in capsys.readouterr().out
    assert main(["history", "--limit", "0", "--results", str(store)]) == 4


def test_history_uses_the_environment_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "env-store"
    monkeypatch.setenv("CHAOSRUNNER_RESULTS", str(store))
    journal = _journal_file(tmp_path / "r", "run-env", T0, failed=False)
    assert main(["report", str(journal)]) == 0
    capsys.readouterr()
    assert main(["history"]) == 0
    assert "run run-env" in capsys.readouterr().out


def test_a_run_is_kept_and_a_dry_run_is_not(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "results"
    dry = ["run", str(fakes.file), "--dry-run", "--output-dir", str(tmp_path / "dry")]
    assert main([*dry, "--results", str(store)]) == 0
    assert not store.exists()
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--output-dir", str(out), "--results", str(store)]) == 0
    (kept,) = list((store / "unit-exp" / "lab").iterdir())
    run_id = json.loads((out / "journal.json").read_text())["runId"]
    assert kept.name.endswith(f"--{run_id}")
    assert json.loads((kept / "summary.json").read_text())["verdict"] == "PASSED"
    assert "No earlier run of unit-exp in lab is stored" in (out / "summary.md").read_text()


def test_a_run_with_an_unwritable_store_still_passes_with_a_warning(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "results"
    blocked.write_text("a file, not a directory")
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--output-dir", str(out), "--results", str(blocked)]) == 0
    err = capsys.readouterr().err
    assert f"chaosrunner: warning: the run was not kept in the results store {blocked}" in err
    assert (out / "report.html").is_file()
