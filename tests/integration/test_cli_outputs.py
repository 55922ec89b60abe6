"""The CLI's outputs against a real Prometheus and a real process fault.

A run whose stdout reader is gone from the first byte still injects, judges, rolls back and
exits with its verdict, quietly; a dry run whose preflight really passed says so and exits 0,
after showing the run id and the output directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from promlab import PromLab

from tests.integration.runs import EXPERIMENTS
from tests.integration.test_runs import assert_fault_gone, vars_for


def _cli(tmp: Path, *args: str, stdout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaosrunner", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CHAOSRUNNER_STATE_DIR": str(tmp / "state")},
        timeout=120,
        check=False,
    )


def test_a_run_into_a_closed_pipe_still_rolls_back_and_exits_with_its_verdict(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    read, write = os.pipe()
    os.close(read)
    out = tmp_path / "out"
    try:
        proc = _cli(
            tmp_path,
            "run",
            str(EXPERIMENTS / "fixture-pause.yaml"),
            "--output-dir",
            str(out),
            *vars_for(lab, lab.decoy_pidfile),
            stdout=write,
        )
    finally:
        os.close(write)
    assert proc.returncode == 0, proc.stderr
    for noise in ("Traceback", "Exception ignored", "BrokenPipeError"):
        assert noise not in proc.stderr
    journal = json.loads((out / "journal.json").read_text())
    assert journal["outcome"]["verdict"] == "PASSED"
    assert journal["injections"][0]["removalConfirmed"]
    assert_fault_gone(lab, tmp_path, lab.decoy_pid)


def test_a_dry_run_that_passed_preflight_shows_its_run_id_and_exits_0(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    out = tmp_path / "out"
    proc = _cli(
        tmp_path,
        "run",
        str(EXPERIMENTS / "fixture-pause.yaml"),
        "--dry-run",
        "--run-id",
        "dry-1",
        "--output-dir",
        str(out),
        *vars_for(lab, lab.decoy_pidfile),
        stdout=subprocess.PIPE,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"-- run id dry-1; outputs in {out}"
    assert lines[-1] == (
        f"dry run: preflight passed; nothing was injected (journal: {out / 'journal.json'}; exit 0)"
    )
    journal = json.loads((out / "journal.json").read_text())
    assert journal["outcome"]["verdict"] == "DRY-RUN"
    assert journal["injections"] == []
