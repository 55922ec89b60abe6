"""Issue 14's breaking-point sweeps, end to end: the real CLI against the real lab.

Kept short for CI: bisect with a coarse resolution (few levels), short windows through the
experiments' variables, no cool-down. Each test asserts the exit code, the sweep's record, that
every level has its own report, and that no fault is left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from chaosrunner import lab
from tests.e2e.test_game_days import assert_no_fault_left

ROOT = Path(__file__).resolve().parents[2]
SHORT = ["--var", "baseline=10s", "--var", "blast=10s", "--var", "recovery=30s"]


def sweep(tmp: Path, experiment: str, *args: str, timeout: float = 600) -> tuple[int, str, Path]:
    out = tmp / "sweep"
    started = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "chaosrunner",
            "sweep",
            str(ROOT / "experiments" / experiment),
            "--output-dir",
            str(out),
            "--results",
            str(tmp / "results"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
        check=False,
    )
    took = time.monotonic() - started
    said = [line for line in proc.stdout.splitlines() if line.startswith("sweep: ")]
    print(f"{experiment} {' '.join(args)}: {took:.0f}s; {said}")  # the wall time, shown with -s
    return proc.returncode, proc.stdout + proc.stderr, out


def record(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "sweep.json").read_text())
    for level in data["levels"]:
        assert (out / level["folder"] / "report.html").is_file(), level["folder"]
        assert (out / level["folder"] / "journal.json").is_file(), level["folder"]
    assert (out / "report.html").is_file() and (out / "summary.md").is_file()
    return data


def latency_sweep(tmp: Path, span: str, resolution: str) -> tuple[int, str, dict[str, Any]]:
    """redis-timeout.yaml swept over ``latency=SPAN`` with the short windows."""
    args = ["--param", f"latency={span}", "--resolution", resolution, *SHORT]
    code, output, out = sweep(tmp, "redis-timeout.yaml", *args)
    return code, output, record(out) if (out / "sweep.json").exists() else {}


def ms(level: str) -> float:
    return float(level[:-2]) if level.endswith("ms") else float(level[:-1]) * 1000


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_latency_sweep_brackets_the_demos_100ms_redis_timeout(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    # 30ms, 230ms, then 130ms, and the bracket is no wider than the resolution: three levels,
    # each far enough from 100ms (the jitter is 10ms) that a loaded CI machine cannot flip it
    code, output, data = latency_sweep(tmp_path, "30ms..230ms", "100ms")
    assert code == 0, output
    result = data["result"]
    assert result["outcome"] == "boundary", output
    assert [lv["level"] for lv in data["levels"]] == ["30ms", "230ms", "130ms"]
    assert ms(result["highestPassed"]) < 100 <= ms(result["lowestFailed"]), result
    assert result["firstBroken"][0] == "availability"
    assert result["sentence"].startswith(
        f"availability (>= 99.5 %) holds up to latency {result['highestPassed']} and breaks at "
        f"{result['lowestFailed']}"
    )
    assert result["sentence"] in output
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["resilient"], indirect=True)
def test_latency_sweep_finds_no_boundary_against_the_resilient_demo(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, output, data = latency_sweep(tmp_path, "20ms..2s", "500ms")
    assert code == 0, output
    assert [lv["verdict"] for lv in data["levels"]] == ["PASSED", "PASSED"]
    assert data["result"]["outcome"] == "no-boundary"
    assert data["result"]["sentence"].startswith("no boundary up to latency 2s")
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_leak_rate_sweep_reports_the_smallest_rate_the_leak_rate_sli_catches(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    # The leak-rate SLI is judged "sustained for 20s": the baseline stays 20s, the blast 30s
    # (the floor and growth windows make detection lag about 8s).
    code, output, out = sweep(
        tmp_path,
        "goroutine-leak.yaml",
        "--param",
        "rate=1..20",
        "--resolution",
        "5",
        "--var",
        "blast=30s",
        "--var",
        "recovery=30s",
    )
    assert code == 0, output
    result = record(out)["result"]
    caught = result["lowestFailed"]
    assert caught is not None, output
    assert result["firstBroken"][0] == "goroutine-leak-rate"
    assert f"breaks {'already ' if result['highestPassed'] is None else ''}at" in result["sentence"]
    assert f"rate {caught}" in result["sentence"] or f"at {caught}" in result["sentence"]
    assert_no_fault_left(lab_state)
