"""The results store: one directory per run, listed newest first, safe for concurrent runs,
readable for journals of every schemaVersion, and never a reason to lose a run."""

from __future__ import annotations

import errno
import json
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from chaosrunner.adapters import results
from chaosrunner.adapters.reports.findings import findings
from chaosrunner.adapters.reports.trend import summarize, summary_of_journal
from chaosrunner.core.journal import Journal
from chaosrunner.core.verdict import decide
from tests.unit.core.builders import T0, journal_with

FIXTURES = Path(__file__).parent.parent / "report" / "fixtures"
DAY = 86_400.0


def stored(run_id: str, days: float = 0.0, env: str = "lab") -> tuple[Journal, object]:
    journal = replace(journal_with(), run_id=run_id, started_at=T0 + days * DAY, env=env)
    return journal, summarize(findings(journal, decide(journal)))


def test_a_run_is_stored_by_experiment_env_and_date(tmp_path: Path) -> None:
    journal, summary = stored("run-a")
    path = results.ResultsStore(tmp_path).save(journal, summary)  # type: ignore[arg-type]
    assert path == tmp_path / "unit-exp" / "lab" / "2023-11-14T22-13-20Z--run-a"
    assert json.loads((path / "journal.json").read_text())["runId"] == "run-a"
    assert json.loads((path / "summary.json").read_text())["verdict"] == "PASSED"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_runs_are_listed_newest_first_and_filtered(tmp_path: Path) -> None:
    store = results.ResultsStore(tmp_path)
    for run_id, days, env in (("old", 0, "lab"), ("new", 30, "lab"), ("prod", 40, "prod")):
        store.save(*stored(run_id, days, env))  # type: ignore[arg-type]
    assert [r.summary.run_id for r in store.runs()] == ["prod", "new", "old"]
    assert [r.summary.run_id for r in store.runs("unit-exp", "lab")] == ["new", "old"]
    assert store.runs("other-exp") == []
    assert results.ResultsStore(tmp_path / "absent").runs() == []


def test_storing_the_same_run_again_replaces_it(tmp_path: Path) -> None:
    store = results.ResultsStore(tmp_path)
    journal, summary = stored("run-a")
    first = store.save(journal, summary)  # type: ignore[arg-type]
    again = store.save(journal, summary)  # type: ignore[arg-type]
    assert first == again
    assert len(store.runs()) == 1


def test_concurrent_writers_lose_no_run(tmp_path: Path) -> None:
    store = results.ResultsStore(tmp_path)
    runs = [stored(f"run-{i}", days=i % 3) for i in range(16)]
    errors: list[BaseException] = []

    def save(run: tuple[Journal, object]) -> None:
        try:
            store.save(*run)  # type: ignore[arg-type]
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(r,)) for r in runs + runs[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.summary.run_id for r in store.runs()) == sorted(f"run-{i}" for i in range(16))


def test_an_unwritable_store_is_a_warning_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*_args: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(results, "write_journal", read_only)
    journal, summary = stored("run-a")
    path, warning = results.keep(tmp_path, journal, summary)  # type: ignore[arg-type]
    assert path is None
    assert warning == (
        f"the run was not kept in the results store {tmp_path}: Read-only file system; "
        "history and trends will not include it"
    )
    assert results.ResultsStore(tmp_path).runs() == []  # nothing half-stored is listed
    assert not list((tmp_path / "unit-exp" / "lab").iterdir())  # the incoming dir is gone


def test_a_store_that_is_a_file_is_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "file"
    root.write_text("not a directory")
    journal, summary = stored("run-a")
    path, warning = results.keep(root, journal, summary)  # type: ignore[arg-type]
    assert path is None and "not kept in the results store" in warning


def test_journals_of_every_schema_version_are_read_without_a_summary(tmp_path: Path) -> None:
    """A run directory with only a journal.json (version 1 here) is listed from the journal."""
    run = tmp_path / "unit-exp" / "lab" / "2023-11-14T22-13-20Z--v1"
    run.mkdir(parents=True)
    shutil.copy(FIXTURES / "journal-v1.json", run / "journal.json")
    assert json.loads((run / "journal.json").read_text())["schemaVersion"] == 1
    v1 = json.loads((run / "journal.json").read_text())
    listed = results.ResultsStore(tmp_path).runs(summarize=summary_of_journal)
    assert [r.summary.run_id for r in listed] == [v1["runId"]]
    assert listed[0].summary.verdict == v1["outcome"]["verdict"]
    assert results.ResultsStore(tmp_path).runs() == []  # no summarizer: skipped, not a crash


def test_an_unreadable_run_is_left_out_not_fatal(tmp_path: Path) -> None:
    store = results.ResultsStore(tmp_path)
    store.save(*stored("good"))  # type: ignore[arg-type]
    bad = tmp_path / "unit-exp" / "lab" / "2023-11-15T00-00-00Z--bad"
    bad.mkdir()
    (bad / "summary.json").write_text("{not json")
    (bad / "journal.json").write_text("[]")
    assert [r.summary.run_id for r in store.runs(summarize=summary_of_journal)] == ["good"]


def test_the_default_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CHAOSRUNNER_RESULTS", raising=False)
    monkeypatch.delenv("CHAOSRUNNER_STATE_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert results.default_dir() == tmp_path / "data" / "chaosrunner" / "results"
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path / "state"))
    assert results.default_dir() == tmp_path / "state" / "results"
    monkeypatch.setenv("CHAOSRUNNER_RESULTS", str(tmp_path / "mine"))
    assert results.default_dir() == tmp_path / "mine"


def test_names_are_single_safe_path_components(tmp_path: Path) -> None:
    journal, _ = stored("run-a")
    journal = replace(journal, experiment="../../etc", env="a/b")
    summary = summarize(findings(journal, decide(journal)))
    path = results.ResultsStore(tmp_path).save(journal, summary)
    assert path.is_relative_to(tmp_path)
    assert path.relative_to(tmp_path).parts[:2] == ("_.._etc", "a_b")
    assert [r.summary.experiment for r in results.ResultsStore(tmp_path).runs("../../etc")] == [
        "../../etc"
    ]
