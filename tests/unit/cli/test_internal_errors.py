"""No traceback and never exit 1: an unexpected exception anywhere is exit 4 and one line.

Exit 1 is FAILED to a CI gate, and Python's own exit code for an uncaught exception is 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chaosrunner.adapters.reports import markdown
from chaosrunner.cli import main
from tests.unit.cli.conftest import Fakes

ROOT = Path(__file__).resolve().parents[3]
REDIS = str(ROOT / "experiments/redis-timeout.yaml")
LINE = (
    "chaosrunner: internal error: RuntimeError: boom on two lines (run with -v for the traceback)"
)


def _boom(*_args: object, **_kw: object) -> object:
    raise RuntimeError("boom on\ntwo lines")


@pytest.mark.parametrize(
    ("target", "argv"),
    [
        pytest.param("chaosrunner.runner.session.load_experiment", ["run", REDIS], id="run"),
        pytest.param("chaosrunner.runner.session.check_file", ["validate", REDIS], id="validate"),
        pytest.param(
            "chaosrunner.runner.session.load_experiment",
            ["render", REDIS, "--env", "cluster"],
            id="render",
        ),
        pytest.param("chaosrunner.core.schema.experiment_schema", ["schema"], id="schema"),
        pytest.param("chaosrunner.lab.status", ["lab", "status"], id="lab"),
        pytest.param("chaosrunner.runner.cleanup.clean_up", ["cleanup", "--all"], id="cleanup"),
    ],
)
def test_an_unexpected_exception_in_any_command_is_exit_4_and_one_line(
    target: str,
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(target, _boom)
    assert main(argv) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == LINE
    assert err.count("internal error") == 1


def test_with_v_the_traceback_is_shown_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("chaosrunner.core.schema.experiment_schema", _boom)
    assert main(["schema", "-v"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in _boom" in err
    assert err.splitlines()[-1] == "chaosrunner: internal error: RuntimeError: boom on two lines"


def test_a_secret_var_is_masked_in_the_internal_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def leaky(path: Path, env: str | None, cli_vars: dict[str, str]) -> object:
        raise RuntimeError(f"could not use {cli_vars['dbPassword']}")

    monkeypatch.setattr("chaosrunner.runner.session.load_experiment", leaky)
    assert main(["run", REDIS, "--var", "dbPassword=hunter2-hunter2", "-v"]) == 4
    err = capsys.readouterr().err
    assert "hunter2" not in err
    assert err.splitlines()[-1] == "chaosrunner: internal error: RuntimeError: could not use ***"


def test_ctrl_c_outside_a_run_is_one_line_and_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_a: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr("chaosrunner.runner.session.check_file", interrupted)
    assert main(["validate", REDIS]) == 130
    assert capsys.readouterr().err == "chaosrunner: interrupted\n"


def test_a_real_process_exits_4_without_a_traceback() -> None:
    code = (
        "import sys\n"
        "import chaosrunner.core.schema as s\n"
        "def boom(): raise ValueError('bad value')\n"
        "s.experiment_schema = boom\n"
        "from chaosrunner.cli import main\n"
        "sys.exit(main(['schema']))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 4
    assert proc.stderr == (
        "chaosrunner: internal error: ValueError: bad value (run with -v for the traceback)\n"
    )


def test_a_crash_escaping_the_engine_is_noted_in_the_journal_and_exits_4(
    fakes: Fakes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from chaosrunner.runner import engine

    # The engine's verdict step is outside its own net: a bug there reaches the session.
    monkeypatch.setattr(engine, "decide", _boom)
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--output-dir", str(out), "--run-id", "crash-1"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == LINE
    assert fakes.driver.calls[-1] == "remove:pause-backend"  # rolled back before the crash
    journal = json.loads((out / "journal.json").read_text())
    assert journal["failure"]["stage"] == "crash"
    assert "internal error: RuntimeError: boom on" in journal["failure"]["message"]
    assert journal["outcome"]["verdict"] == "ERROR"
    assert journal["outcome"]["exitCode"] == 4


def test_a_summary_that_cannot_be_written_does_not_change_the_verdict(
    fakes: Fakes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(markdown, "render", _boom)
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--output-dir", str(out)]) == 0
    captured = capsys.readouterr()
    assert "verdict: PASSED (exit 0)" in captured.out
    assert f"report: {out / 'junit.xml'}" in captured.out
    assert "summary.md" not in captured.out  # not listed as a report: it was not written
    assert f"chaosrunner: warning: {out / 'summary.md'} was not written: RuntimeError" in (
        captured.err
    )
    assert "Traceback" not in captured.err
    assert json.loads((out / "journal.json").read_text())["outcome"]["verdict"] == "PASSED"
    assert not (out / "summary.md").exists() and not (out / "summary.md.tmp").exists()
    assert (out / "junit.xml").exists()


def test_a_journal_that_cannot_be_written_at_the_end_is_exit_4(
    fakes: Fakes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from chaosrunner.adapters.reports import journal_file

    real = journal_file.write_atomic

    def full_disk(path: Path, text: str) -> None:
        if path.name == "journal.json" and '"outcome": {' in text:
            raise OSError(28, "No space left on device")
        real(path, text)

    monkeypatch.setattr(journal_file, "write_atomic", full_disk)
    out = tmp_path / "out"
    assert main(["run", str(fakes.file), "--output-dir", str(out)]) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "No space left on device" in err.splitlines()[-1]
    assert fakes.driver.calls[-1] == "remove:pause-backend"  # rolled back all the same
