"""Where a run writes, what it is called, and what a dry run says.

An output directory that cannot hold the journal is an ERROR before preflight; a run id is a
Kubernetes label value and so can never name a path outside the output directory; a dry run
says "preflight passed" only when it did; the run id and output directory are shown at start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from chaosrunner.adapters.progress import NullProgress
from chaosrunner.cli import main
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.verdict import Decision, Verdict
from chaosrunner.runner import session
from chaosrunner.runner.stop import StopFlag
from tests.support import experiment
from tests.unit.cli.conftest import Fakes, crashing_preflight

ROOT = Path(__file__).resolve().parents[3]


# -- the output directory ---------------------------------------------------------------------


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory no file can be created in, even by root (immutable), else by mode."""
    path = tmp_path / "read-only"
    path.mkdir()
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable:
        immutable = (
            subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode
            == 0
        )
    if not immutable:
        path.chmod(0o555)
    try:
        (path / "probe").touch()
    except OSError:
        pass
    else:
        pytest.skip("cannot make a directory read-only here (root on a filesystem without chattr)")
    yield path
    if immutable:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    path.chmod(0o755)


def _bad_dirs(tmp_path: Path, read_only: Path) -> dict[str, tuple[Path, str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    clash = tmp_path / "clash"
    (clash / "journal.json").mkdir(parents=True)
    return {
        "a-file": (a_file, "it exists and is not a directory"),
        "dev-null": (Path("/dev/null"), "it exists and is not a directory"),
        "under-a-file": (a_file / "out", "Not a directory"),
        "read-only": (read_only, "cannot create a file in it"),
        "journal-is-a-directory": (clash, "journal.json exists there and is not a regular file"),
    }


@pytest.mark.parametrize(
    "case", ["a-file", "dev-null", "under-a-file", "read-only", "journal-is-a-directory"]
)
def test_an_unwritable_output_dir_is_an_error_before_preflight(
    case: str,
    fakes: Fakes,
    tmp_path: Path,
    read_only_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, why = _bad_dirs(tmp_path, read_only_dir)[case]
    for extra in ([], ["--dry-run"]):
        assert main(["run", str(fakes.file), "--output-dir", str(out), *extra]) == 4
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        assert captured.err.count("\n") == 1
        assert captured.err.startswith(f"error: cannot use {out} as the output directory: {why}")
        assert captured.err.endswith("; expected a writable directory; nothing was started\n")
        assert "preflight" not in captured.out
        assert not fakes.touched  # not even Prometheus was asked
    assert list(read_only_dir.iterdir()) == []


# -- the run id --------------------------------------------------------------------------------

BAD_RUN_IDS = [
    pytest.param("a/b", id="slash"),
    pytest.param("..", id="dot-dot"),
    pytest.param("../escape", id="parent"),
    pytest.param("/tmp/abs", id="absolute"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("", id="empty"),
    pytest.param("-lead", id="leading-dash"),
    pytest.param("trail.", id="trailing-dot"),
    pytest.param("a b", id="space"),
    pytest.param("run\n", id="trailing-newline"),
    pytest.param("r\u00fcn", id="non-ascii"),
    pytest.param("x" * 64, id="64-chars"),
]


@pytest.mark.parametrize("run_id", BAD_RUN_IDS)
def test_a_run_id_that_is_not_a_label_value_is_a_usage_error(
    run_id: str,
    fakes: Fakes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the default output dir is chaosrunner-runs/NAME/RUN_ID under it
    redis = str(ROOT / "experiments/redis-timeout.yaml")
    for argv in (
        ["run", str(fakes.file), f"--run-id={run_id}"],
        ["run", str(fakes.file), f"--run-id={run_id}", "--dry-run"],
        ["render", redis, "--env", "cluster", f"--run-id={run_id}"],
        ["cleanup", f"--run-id={run_id}"],
    ):
        assert main(argv) == 4, argv
        err = capsys.readouterr().err
        assert "argument --run-id:" in err and "usage:" in err, argv
        assert "expected 1 to 63 letters, digits, '-', '_' and '.'" in err
    assert not fakes.touched
    assert {p.name for p in tmp_path.iterdir()} <= {"exp.yaml", "state", "work"}
    assert list(work.iterdir()) == []


@pytest.mark.parametrize("run_id", BAD_RUN_IDS)
def test_the_library_refuses_the_same_run_ids(run_id: str, fakes: Fakes) -> None:
    with pytest.raises(ChaosRunnerError, match="expected 1 to 63 letters"):
        session.run_experiment(
            experiment(), progress=NullProgress(), stop=StopFlag(), run_id=run_id
        )
    assert not fakes.touched


@pytest.mark.parametrize("run_id", ["r-1", "A.b_c-9", "x" * 63, "7"])
def test_label_value_run_ids_are_accepted(
    run_id: str, fakes: Fakes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(fakes.file), "--run-id", run_id, "--dry-run"]) == 0
    assert (tmp_path / "chaosrunner-runs/unit-exp" / run_id / "journal.json").is_file()


# -- what a run says when it starts -------------------------------------------------------------


def test_the_run_id_and_output_dir_are_shown_before_preflight(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--output-dir", str(out), "--run-id", "r-7"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"-- run id r-7; outputs in {out}"
    assert lines[1] == "== preflight"


def test_the_run_id_and_output_dir_are_logged_as_json(
    fakes: Fakes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(fakes.file), "--dry-run", "--log-format", "json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    start = next(e for e in events if e["event"] == "run starting")
    run_dir = tmp_path / "chaosrunner-runs" / "unit-exp" / start["run_id"]
    assert start["output_dir"] == str(run_dir.relative_to(tmp_path))
    assert (run_dir / "journal.json").is_file()


# -- dry run ------------------------------------------------------------------------------------


def test_a_dry_run_whose_preflight_passed_says_so_and_exits_0(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--dry-run", "--output-dir", str(out)]) == 0
    assert (
        f"dry run: preflight passed; nothing was injected (journal: {out / 'journal.json'}; exit 0)"
        in (capsys.readouterr().out)
    )
    assert fakes.driver.calls == ["preflight"]


def test_a_dry_run_whose_preflight_failed_exits_4(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes.driver.preflight_ok = False
    assert main(["run", str(fakes.file), "--dry-run", "--output-dir", str(tmp_path / "o")]) == 4
    out = capsys.readouterr().out
    assert "preflight passed" not in out
    assert "dry run: preflight failed; nothing was injected" in out


@pytest.fixture
def restored_signals() -> Iterator[None]:
    """A run stopped by a signal leaves SIGINT/SIGTERM ignored on its way out (a late Ctrl-C
    must not replace its exit code): give pytest its handlers back."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("restored_signals")
def test_a_dry_run_stopped_by_a_signal_exits_2_as_its_verdict_says(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ping = fakes.metrics.ping

    def interrupted_ping() -> str:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while preflight is under way
        return ping()

    fakes.metrics.ping = interrupted_ping  # type: ignore[method-assign]
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--dry-run", "--output-dir", str(out)]) == 2
    shown = capsys.readouterr().out
    assert "preflight passed" not in shown
    assert (
        f"dry run: interrupted; nothing was injected (journal: {out / 'journal.json'}; exit 2)"
        in shown
    )
    assert "  - interrupted: interrupted by SIGINT; nothing was injected" in shown
    outcome = json.loads((out / "journal.json").read_text())["outcome"]
    assert (outcome["verdict"], outcome["exitCode"]) == ("ABORTED", 2)


@pytest.mark.parametrize(
    ("verdict", "code"),
    [
        pytest.param(Verdict.DRY_RUN, 0, id="dry-run"),
        pytest.param(Verdict.ABORTED, 2, id="aborted"),
        pytest.param(Verdict.INCONCLUSIVE, 3, id="inconclusive"),
        pytest.param(Verdict.ERROR, 4, id="error"),
    ],
)
def test_a_dry_run_exits_with_its_verdicts_code(verdict: Verdict, code: int) -> None:
    decision = Decision(verdict, (), (), None, ())
    result = session.RunResult(decision, "r1", Path("out"), (), dry_run=True)
    assert result.exit_code == code == verdict.exit_code
    assert replace(result, journal_error="disk full").exit_code == 4


def test_a_crash_in_preflight_fails_the_dry_run(
    fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crashing_preflight(fakes.driver)
    assert main(["run", str(fakes.file), "--dry-run", "--output-dir", str(tmp_path / "o")]) == 4
    captured = capsys.readouterr()
    assert "preflight passed" not in captured.out
    assert "dry run: preflight failed; nothing was injected" in captured.out
    assert "KeyError" in captured.out  # the reason is shown
    assert "Traceback" not in captured.err
