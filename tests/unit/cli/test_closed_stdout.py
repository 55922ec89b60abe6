"""A reader that goes away (``| head -c 1``) or a stdout closed from the start ends quietly.

No traceback, no "Exception ignored ... BrokenPipeError", and the exit code still means what
it always means (0 to 4): the command finishes with its output going nowhere. Each test runs
the real CLI in a subprocess whose stdout is a pipe whose read end is already closed, so the
first write fails, every time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from chaosrunner.cli import main
from tests.support import BASE
from tests.unit.cli.conftest import Fakes

ROOT = Path(__file__).resolve().parents[3]
REDIS = str(ROOT / "experiments/redis-timeout.yaml")
NOISE = ("Traceback", "Exception ignored", "BrokenPipeError", "Errno 32")


def _run_into_closed_pipe(
    args: list[str], tmp_path: Path, *, stderr_too: bool = False
) -> tuple[int, str]:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    err_file = tmp_path / "stderr.txt"
    try:
        with err_file.open("w") as err:
            proc = subprocess.run(
                [sys.executable, "-m", "chaosrunner", *args],
                check=False,
                stdout=write,
                stderr=write if stderr_too else err,
                cwd=ROOT,
                env={**os.environ, "CHAOSRUNNER_STATE_DIR": str(tmp_path / "state")},
                timeout=60,
            )
    finally:
        os.close(write)
    return proc.returncode, err_file.read_text()


def _quiet(stderr: str) -> bool:
    return not any(word in stderr for word in NOISE)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param(["schema"], 0, id="schema"),
        pytest.param(["validate", REDIS], 0, id="validate"),
        pytest.param(["render", REDIS, "--env", "cluster"], 0, id="render"),
    ],
)
def test_a_closed_pipe_ends_quietly_with_the_commands_own_code(
    args: list[str], code: int, tmp_path: Path
) -> None:
    returncode, stderr = _run_into_closed_pipe(args, tmp_path)
    assert returncode == code
    assert stderr == ""


def test_an_invalid_file_is_still_exit_4_when_stdout_and_stderr_are_gone(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BASE.replace("blast: 5s", "blast: soon"))
    returncode, _ = _run_into_closed_pipe(["validate", str(bad)], tmp_path, stderr_too=True)
    assert returncode == 4


def test_a_dry_run_into_a_closed_pipe_still_judges_and_writes_its_journal(tmp_path: Path) -> None:
    exp = tmp_path / "exp.yaml"
    exp.write_text(BASE)  # Prometheus at 127.0.0.1:9: refused at once, so preflight fails
    out = tmp_path / "out"
    returncode, stderr = _run_into_closed_pipe(
        ["run", str(exp), "--dry-run", "--output-dir", str(out)], tmp_path
    )
    assert returncode == 4
    assert _quiet(stderr), stderr
    assert json.loads((out / "journal.json").read_text())["outcome"]["verdict"] == "ERROR"


def test_a_stdout_closed_from_the_start_is_quiet(tmp_path: Path) -> None:
    err = tmp_path / "stderr.txt"
    with err.open("w") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "chaosrunner", "schema"],
            check=False,
            stderr=fh,
            cwd=ROOT,
            preexec_fn=lambda: os.close(1),
            timeout=60,
        )
    assert proc.returncode == 0
    assert err.read_text() == ""


class _GoneReader:
    """A stdout whose reader has gone: every write and flush is a broken pipe."""

    def __init__(self) -> None:
        self.attempts = 0

    def write(self, text: str) -> int:
        self.attempts += 1
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False


@pytest.mark.parametrize(
    "extra", [pytest.param([], id="console"), pytest.param(["--log-format", "json"], id="json")]
)
def test_a_run_whose_stdout_breaks_still_rolls_back_and_keeps_its_verdict(
    extra: list[str],
    fakes: Fakes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gone = _GoneReader()
    monkeypatch.setattr(sys, "stdout", gone)
    out = tmp_path / "out"
    code = main(["run", str(fakes.file), "--output-dir", str(out), *extra])
    assert gone.attempts == 1  # tried once, then nothing more was written to it
    assert code == 0
    assert fakes.driver.calls == [
        "preflight",
        "inject:pause-backend",
        "confirm:pause-backend",
        "remove:pause-backend",
    ]
    assert json.loads((out / "journal.json").read_text())["outcome"]["verdict"] == "PASSED"


def test_the_standard_streams_are_restored_after_main(capsys: pytest.CaptureFixture[str]) -> None:
    before: Callable[[], object] = lambda: (sys.stdout, sys.stderr)  # noqa: E731
    streams = before()
    assert main(["schema"]) == 0
    assert before() == streams
