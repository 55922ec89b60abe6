"""Issue 3's game days, end to end: the real CLI against the real lab, short windows for CI.

Each test asserts the exit code, the journal, and that every fault is gone afterwards (no
chaosrunner toxic on the proxy, the leak hook holds nothing, no fault record, no watchdog).
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from chaosrunner import lab
from chaosrunner.adapters.local.httpjson import call
from tests.integration.runs import Run, start, watchdogs

ROOT = Path(__file__).resolve().parents[2]
SHORT = ["--var", "baseline=10s", "--var", "recovery=30s"]


def run_exp(
    path: Path, tmp: Path, *args: str, timeout: float = 240
) -> tuple[int, dict[str, Any], str]:
    r = start(str(path), tmp, *args, state_dir=Path(os.environ["CHAOSRUNNER_STATE_DIR"]))
    code = r.wait(timeout)
    out = r.output()
    return code, (r.journal() if r.journal_path.exists() else {}), out


def assert_no_fault_left(state: Path) -> None:
    ports = lab.status().ports
    deadline = time.time() + 5
    while time.time() < deadline:
        toxics = call("GET", f"{ports.toxiproxy_url}/proxies/redis/toxics")[1]
        hook = call("GET", f"{ports.demo_url}/debug/chaos/goroutine-leak/")[1]
        if not toxics and not hook["active"] and hook["held"] == 0 and not watchdogs(state):
            break
        time.sleep(0.1)
    assert toxics == [] and hook["held"] == 0 and not hook["active"]
    assert watchdogs(state) == []
    assert list((state / "faults").glob("*.json")) == []


def start_kill_me(tmp: Path, state: Path) -> tuple[Run, dict[str, Any]]:
    """A run of kill-me.yaml with both its faults (a toxic, a leak) confirmed active."""
    r = start(str(ROOT / "tests/e2e/experiments/kill-me.yaml"), tmp, state_dir=state)
    journal = r.wait_for_journal(
        lambda j: len(j["injections"]) == 2 and all(i["confirmedAt"] for i in j["injections"]),
        timeout=60,
    )
    return r, journal


def sli(journal: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in journal["outcome"]["slis"] if s["name"] == name)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_redis_timeout_fails_against_the_default_demo(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/redis-timeout.yaml", tmp_path, *SHORT, "--var", "blast=15s"
    )
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    assert sli(journal, "availability")["observe"] == "violated"
    assert journal["injections"][0]["targets"][0]["id"] == "proxy:redis"
    assert "## Resilience gaps" in (tmp_path / "out" / "summary.md").read_text()
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["no-timeout"], indirect=True)
def test_redis_timeout_fails_on_p95_latency_without_a_timeout(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/redis-timeout.yaml", tmp_path, *SHORT, "--var", "blast=15s"
    )
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    assert sli(journal, "p95-latency")["observe"] == "violated"
    assert sli(journal, "availability")["observe"] == "held"  # slow, but answered
    assert any("p95-latency" in r for r in journal["outcome"]["reasons"])
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["resilient"], indirect=True)
@pytest.mark.parametrize("experiment", ["redis-timeout", "redis-partition"])
def test_redis_faults_pass_against_the_resilient_demo(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path, experiment: str
) -> None:
    code, journal, out = run_exp(
        ROOT / f"experiments/{experiment}.yaml", tmp_path, *SHORT, "--var", "blast=15s"
    )
    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED"
    assert all(s["observe"] == "held" for s in journal["outcome"]["slis"])
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default", "resilient", "no-timeout"], indirect=True)
def test_goroutine_leak_fails_on_the_leak_rate_sli(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    # The leak-rate SLI is judged "sustained for 20s": a shorter baseline could never fail it,
    # and validation rejects one, so this run keeps the experiment's 20s baseline.
    code, journal, out = run_exp(
        ROOT / "experiments/goroutine-leak.yaml", tmp_path, "--var", "recovery=30s"
    )
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    assert sli(journal, "goroutine-leak-rate")["observe"] == "violated"
    assert sli(journal, "goroutine-leak-rate")["baseline"] == "held"
    assert any("goroutine-leak-rate" in r for r in journal["outcome"]["reasons"])
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_demo_kill_fails_on_client_availability_while_the_demo_restarts(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    before = lab_up.component("demo")
    code, journal, out = run_exp(
        ROOT / "experiments/demo-kill.yaml", tmp_path, *SHORT, "--var", "blast=15s"
    )
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    availability = sli(journal, "client-availability")
    assert availability["baseline"] == "held"
    assert availability["observe"] == "violated"
    assert availability["recovery"] == "held"
    assert journal["injections"][0]["targets"][0]["id"] == f"pid:{before.pid}"
    after = lab.status().component("demo")
    assert after.healthy and after.pid != before.pid and after.restarts > before.restarts
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_cpu_stress_passes_against_the_default_demo(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/cpu-stress.yaml", tmp_path, *SHORT, "--var", "blast=15s"
    )
    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED"
    assert sli(journal, "availability")["observe"] == "held"
    assert sli(journal, "p95-latency")["observe"] == "held"
    assert journal["injections"][0]["confirmedAt"]
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_redis_partition_fails_against_the_default_demo(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/redis-partition.yaml", tmp_path, *SHORT, "--var", "blast=15s"
    )
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    assert sli(journal, "client-availability")["observe"] == "violated"
    assert sli(journal, "goroutines")["observe"] == "held"  # 503 after 100 ms: nothing hangs
    assert journal["injections"][0]["targets"][0]["id"] == "proxy:redis"
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["no-timeout"], indirect=True)
def test_redis_partition_fails_on_client_availability_and_goroutines_without_a_timeout(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    # The default 20 s blast: goroutines pile up at the load rate (20/s) and need ~8 s to
    # cross the objective of 200 from a baseline of up to ~50 (idle keep-alive connections).
    code, journal, out = run_exp(ROOT / "experiments/redis-partition.yaml", tmp_path, *SHORT)
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    for name in ("client-availability", "client-p95-latency", "goroutines"):
        assert sli(journal, name)["baseline"] == "held", name
        assert sli(journal, name)["observe"] == "violated", name
    reasons = journal["outcome"]["reasons"]
    assert any("client-availability" in r for r in reasons)
    assert any("goroutines" in r for r in reasons)
    assert_no_fault_left(lab_state)


def phase_values(journal: dict[str, Any], name: str, phase: str) -> list[float]:
    series = journal["series"][name]
    return [v for v, p in zip(series["v"], series["phase"], strict=True) if p == phase[0]]


@pytest.mark.parametrize("lab_up", ["no-timeout"], indirect=True)
def test_redis_partition_piles_up_goroutines_without_a_timeout(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(ROOT / "experiments/redis-partition.yaml", tmp_path, *SHORT)
    assert code == 1, out
    observe = next(p for p in journal["phases"] if p["phase"] == "observe")
    blast = observe["endedAt"] - observe["startedAt"]
    baseline = phase_values(journal, "goroutines", "baseline")
    during = phase_values(journal, "goroutines", "observe")
    after = phase_values(journal, "goroutines", "recovery")
    # Every hung request holds its goroutine, so the count climbs at about the load rate
    # (20/s) while Redis is partitioned. Asked for: at least half of that, and a rise on all
    # but one tick (room for a missed scrape, or for the demo closing the ~40 idle keep-alive
    # connections a previous no-timeout run left, 90 s after their last use).
    rises = sum(b > a for a, b in itertools.pairwise(during))
    assert rises >= len(during) - 2, during
    assert during[-1] - max(baseline) >= 10 * (blast - 2), (baseline, during)
    # Releasing the partition lets the hung calls finish, and their goroutines go.
    assert sli(journal, "goroutines")["recovery"] == "held"
    assert min(after) < during[-1] - 200, after
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_guardrail_aborts_the_run(lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/redis-timeout.yaml",
        tmp_path,
        *SHORT,
        "--var",
        "blast=60s",
        "--var",
        "availability_floor=0.9",
    )
    assert code == 2, out
    assert journal["outcome"]["verdict"] == "ABORTED"
    assert journal["abort"]["reason"] == "guardrail"
    observe = next(p for p in journal["phases"] if p["phase"] == "observe")
    assert observe["endedAt"] - observe["startedAt"] < 30
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_sigkill_mid_blast_leaves_no_toxic_and_no_leak(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    r, journal = start_kill_me(tmp_path, lab_state)
    ports = lab_up.ports
    assert [t["name"] for t in call("GET", f"{ports.toxiproxy_url}/proxies/redis/toxics")[1]]
    assert call("GET", f"{ports.demo_url}/debug/chaos/goroutine-leak/")[1]["held"] > 0
    expiry = max(i["expiresAt"] for i in journal["injections"])
    r.proc.kill()
    r.wait(10)
    assert_no_fault_left(lab_state)
    assert time.time() < expiry, "faults must be gone within their own expiry"


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_cleanup_finds_what_a_crashed_run_and_its_watchdogs_left(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    r, journal = start_kill_me(tmp_path, lab_state)
    for pid in watchdogs(lab_state):  # the worst case: the watchdogs die first, then chaosrunner
        os.kill(pid, signal.SIGKILL)
    r.proc.kill()
    r.wait(10)
    ports = lab_up.ports
    toxics = call("GET", f"{ports.toxiproxy_url}/proxies/redis/toxics")[1]
    assert [t["name"] for t in toxics] == [f"cr-{journal['runId']}-slow-redis-upstream"]
    assert call("GET", f"{ports.demo_url}/debug/chaos/goroutine-leak/")[1]["active"]
    out = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "cleanup", "--run-id", journal["runId"]],
        capture_output=True,
        text=True,
        env={**os.environ, "CHAOSRUNNER_STATE_DIR": str(lab_state)},
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "slow-redis: ended" in out.stdout and "leak: ended" in out.stdout
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_two_runs_on_one_proxy_cannot_run_at_once_whatever_their_targets_are_called(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    first, journal = start_kill_me(tmp_path, lab_state)
    # The same lab proxy under another name, found through the lab's published address.
    text = (ROOT / "experiments/redis-timeout.yaml").read_text()
    renamed = text.replace("  targets:\n    redis:", "  targets:\n    cache:")
    renamed = renamed.replace("target: redis", "target: cache")
    assert renamed.count("cache") == 2
    second_file = tmp_path / "cache-latency.yaml"
    second_file.write_text(renamed)
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    code, second, out = run_exp(second_file, second_dir, *SHORT)
    try:
        assert code == 4, out
        assert second["outcome"]["verdict"] == "ERROR"
        assert second["injections"] == []
        proxy = f"toxiproxy:{lab_up.ports.toxiproxy_url}/redis"
        held = f"{proxy} is held by run {journal['runId']} (experiment 'kill-me', target 'redis')"
        assert held in second["failure"]["message"], second["failure"]
        toxics = call("GET", f"{lab_up.ports.toxiproxy_url}/proxies/redis/toxics")[1]
        assert [t["name"] for t in toxics] == [f"cr-{journal['runId']}-slow-redis-upstream"]
    finally:
        first.proc.send_signal(signal.SIGINT)
        assert first.wait(30) == 2
    assert_no_fault_left(lab_state)
