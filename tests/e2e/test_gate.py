"""The red-blue gate on the lab: the contract's SLIs judge redis-timeout, short windows for CI.

Against the resilient demo it passes (exit 0), against the default one it fails (exit 1), with
an SLI that has no data it is INCONCLUSIVE (exit 3: never a pass), and when the contract
requires a fault class no experiment exercises it fails (exit 1) before anything is injected.
Each asserts the exit code and the gate's junit.xml.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from chaosrunner import lab

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "tests/e2e/contracts/demo-slos.yaml"
EXPERIMENT = ROOT / "experiments/redis-timeout.yaml"
SHORT = ["--var", "baseline=10s", "--var", "blast=15s", "--var", "recovery=30s"]


def gate(contract: Path, out: Path, *args: str) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "gate", "--contract", str(contract), str(EXPERIMENT),
         "--output-dir", str(out), *SHORT, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def cases(out: Path) -> dict[tuple[str, str], str]:
    """(classname, name) -> 'passed' or the failure/error element's type."""
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    found = {}
    for case in root.iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        key = (case.get("classname", ""), case.get("name", ""))
        found[key] = "passed" if bad is None else bad.get("type", "")
    return found


@pytest.mark.parametrize("lab_up", ["resilient"], indirect=True)
def test_the_gate_passes_against_the_resilient_demo(lab_up: lab.LabStatus, tmp_path: Path) -> None:
    code, out = gate(CONTRACT, tmp_path / "gate")
    assert code == 0, out
    assert cases(tmp_path / "gate") == {
        ("redis-timeout", "availability"): "passed",
        ("redis-timeout", "p95-latency"): "passed",
    }
    assert "PASSED (exit 0)" in (tmp_path / "gate" / "summary.md").read_text()
    assert (tmp_path / "gate" / "01-redis-timeout" / "journal.json").is_file()


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_the_gate_fails_against_the_default_demo(lab_up: lab.LabStatus, tmp_path: Path) -> None:
    code, out = gate(CONTRACT, tmp_path / "gate")
    assert code == 1, out
    assert cases(tmp_path / "gate")[("redis-timeout", "availability")] == "FAILED"
    summary = (tmp_path / "gate" / "summary.md").read_text()
    assert "| redis-timeout | ❌ FAILED | ❌ availability: violated" in summary


@pytest.mark.parametrize("lab_up", ["resilient"], indirect=True)
def test_the_gate_is_inconclusive_when_one_sli_has_no_data(
    lab_up: lab.LabStatus, tmp_path: Path
) -> None:
    """The added SLI has data until Redis calls time out (the fault): none in the blast."""
    contract = tmp_path / "contract.yaml"
    contract.write_text(
        CONTRACT.read_text().replace(
            "  coverage:",
            "      - name: throughput-without-redis-timeouts\n"
            "        query: >-\n"
            '          sum(rate(demo_http_requests_total{route="/items/{id}"}[10s])) unless on()\n'
            '          (sum(rate(demo_redis_call_duration_seconds_count{result="timeout"}[10s])) > 0)\n'
            '        objective: ">= 0"\n'
            "  coverage:",
        )
    )
    code, out = gate(contract, tmp_path / "gate")
    assert code == 3, out
    found = cases(tmp_path / "gate")
    assert found[("redis-timeout", "throughput-without-redis-timeouts")] == "INCONCLUSIVE"
    assert found[("redis-timeout", "availability")] == "INCONCLUSIVE"  # held, but proved nothing
    root = ET.parse(tmp_path / "gate" / "junit.xml").getroot()
    blind = root.find(".//testcase[@name='throughput-without-redis-timeouts']/failure")
    assert blind is not None and blind.get("message", "").startswith("no-data"), out


def test_the_gate_fails_when_a_required_fault_class_is_not_covered(tmp_path: Path) -> None:
    contract = tmp_path / "contract.yaml"
    contract.write_text(
        CONTRACT.read_text()
        + "      - {class: pod-kill}\n      - {class: goroutine-leak, targets: [demo]}\n"
    )
    code, out = gate(contract, tmp_path / "gate")
    assert code == 1, out
    assert "coverage missing: fault class 'pod-kill' is not exercised; nothing was run" in out
    assert cases(tmp_path / "gate") == {
        ("coverage", "pod-kill"): "COVERAGE",
        ("coverage", "goroutine-leak on demo"): "COVERAGE",
    }
    assert not list((tmp_path / "gate").glob("01-*"))  # nothing injected
