"""Issue 2's end-to-end runs: the real CLI, a real Prometheus, a real process fault.

Each test asserts the exit code, the journal, and that the fault is gone afterwards (the
paused process is running again, no fault record and no watchdog remain).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from promlab import PromLab

from tests.integration.runs import EXPERIMENTS, process_state, run, start, watchdogs


def vars_for(lab: PromLab, victim: Path) -> list[str]:
    return ["--var", f"prom_url={lab.prometheus_url}", "--var", f"victim_pidfile={victim}"]


def assert_fault_gone(lab: PromLab, tmp: Path, pid: int) -> None:
    deadline = time.time() + 5
    while process_state(pid) == "T" and time.time() < deadline:
        time.sleep(0.1)
    assert process_state(pid) not in ("T", None), f"pid {pid} is {process_state(pid)}"
    records = list((tmp / "state" / "faults").glob("*.json")) if (tmp / "state").exists() else []
    assert records == []
    deadline = time.time() + 5
    while watchdogs(tmp / "state") and time.time() < deadline:
        time.sleep(0.1)
    assert watchdogs(tmp / "state") == []


def sli(journal: dict, name: str) -> dict:
    return next(s for s in journal["outcome"]["slis"] if s["name"] == name)


def test_passed_when_the_paused_process_is_not_a_dependency(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    code, journal, out = run("fixture-pause.yaml", tmp_path, *vars_for(lab, lab.decoy_pidfile))
    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED"
    inj = journal["injections"][0]
    assert inj["confirmedAt"] and inj["targets"][0]["id"] == f"pid:{lab.decoy_pid}"
    assert inj["removalConfirmed"] and inj["removedAt"] > inj["confirmedAt"]
    assert [p["phase"] for p in journal["phases"]] == [
        "preflight",
        "baseline",
        "inject",
        "observe",
        "rollback",
        "recovery",
        "verdict",
    ]
    assert all(c["ok"] for c in journal["preflight"])
    assert (tmp_path / "out" / "summary.md").read_text().startswith("# fixture-pause: PASSED")
    assert "<testsuites>" in (tmp_path / "out" / "junit.xml").read_text()
    assert_fault_gone(lab, tmp_path, lab.decoy_pid)


def test_failed_when_pausing_the_backend_breaks_availability(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    code, journal, out = run("fixture-pause.yaml", tmp_path, *vars_for(lab, lab.backend_pidfile))
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    avail = sli(journal, "availability")
    assert avail["observe"] == "violated" and avail["baseline"] == "held"
    assert avail["recovery"] == "held" and avail["recoverySeconds"] is not None
    assert "availability" in " ".join(journal["outcome"]["reasons"])
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "## Resilience gaps" in summary and "**availability**" in summary
    assert_fault_gone(lab, tmp_path, lab.backend_pid)


def test_aborted_when_a_guardrail_fires(prom_lab_fresh: PromLab, tmp_path: Path) -> None:
    lab = prom_lab_fresh
    code, journal, out = run(
        "fixture-guarded.yaml", tmp_path, *vars_for(lab, lab.backend_pidfile), "--var", "blast=30s"
    )
    assert code == 2, out
    assert journal["outcome"]["verdict"] == "ABORTED"
    assert journal["abort"]["reason"] == "guardrail"
    assert "availability-floor" in journal["abort"]["detail"]
    observe = next(p for p in journal["phases"] if p["phase"] == "observe")
    assert not observe["completed"] and observe["endedAt"] - observe["startedAt"] < 15
    assert journal["injections"][0]["removalConfirmed"]
    assert_fault_gone(lab, tmp_path, lab.backend_pid)


def test_inconclusive_when_the_sli_has_no_data(prom_lab_fresh: PromLab, tmp_path: Path) -> None:
    lab = prom_lab_fresh
    # Pausing the exporter itself stops the scrapes: the series go stale and the SLIs have no data.
    code, journal, out = run(
        "fixture-pause.yaml", tmp_path, *vars_for(lab, lab.exporter_pidfile), "--var", "blast=8s"
    )
    assert code == 3, out
    assert journal["outcome"]["verdict"] == "INCONCLUSIVE"
    assert sli(journal, "availability")["observe"] == "no-data"
    assert "no verdict in the blast window: no-data" in " ".join(journal["outcome"]["reasons"])
    assert_fault_gone(lab, tmp_path, lab.exporter_pid)


def test_error_on_invalid_input_injects_nothing(prom_lab_fresh: PromLab, tmp_path: Path) -> None:
    lab = prom_lab_fresh
    code, journal, out = run(
        "fixture-pause.yaml", tmp_path, "--var", f"prom_url={lab.prometheus_url}"
    )
    assert code == 4
    assert "variable 'victim_pidfile' is not set" in out
    assert journal == {}  # validation failed before a run existed
    assert process_state(lab.backend_pid) != "T"


def test_error_when_prometheus_is_unreachable_at_preflight(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    code, journal, out = run(
        "fixture-pause.yaml",
        tmp_path,
        "--var",
        "prom_url=http://127.0.0.1:9",
        "--var",
        f"victim_pidfile={lab.backend_pidfile}",
    )
    assert code == 4, out
    assert journal["outcome"]["verdict"] == "ERROR"
    assert journal["failure"]["stage"] == "preflight"
    assert "unreachable" in journal["failure"]["message"]
    assert journal["injections"] == []
    assert process_state(lab.backend_pid) != "T"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_blast_removes_the_fault_and_records_the_verdict(
    prom_lab_fresh: PromLab, tmp_path: Path, sig: signal.Signals
) -> None:
    lab = prom_lab_fresh
    r = start(
        "fixture-pause.yaml", tmp_path, *vars_for(lab, lab.decoy_pidfile), "--var", "blast=60s"
    )
    r.wait_for_journal(lambda j: j["injections"] and j["injections"][0]["confirmedAt"])
    assert process_state(lab.decoy_pid) == "T"
    r.proc.send_signal(sig)
    time.sleep(0.05)
    r.proc.send_signal(sig)  # a second signal must not skip rollback
    code = r.wait(30)
    journal = r.journal()
    assert code == 2, r.output()
    assert journal["outcome"]["verdict"] == "ABORTED"
    assert journal["abort"] == {
        "reason": "signal",
        "at": journal["abort"]["at"],
        "detail": f"interrupted by {sig.name}",
    }
    assert journal["injections"][0]["removalConfirmed"]
    assert_fault_gone(lab, tmp_path, lab.decoy_pid)


def test_sigkill_mid_blast_the_watchdog_ends_the_fault(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    r = start(
        "fixture-pause.yaml", tmp_path, *vars_for(lab, lab.decoy_pidfile), "--var", "blast=60s"
    )
    journal = r.wait_for_journal(lambda j: j["injections"] and j["injections"][0]["confirmedAt"])
    assert process_state(lab.decoy_pid) == "T"
    killed_at = time.time()
    r.proc.kill()
    r.wait(10)
    # The crashed run's partial journal says what was injected, where and when.
    partial = r.journal()
    inj = partial["injections"][0]
    assert inj["fault"] == "pause-victim" and inj["targets"][0]["id"] == f"pid:{lab.decoy_pid}"
    assert inj["createdAt"] and inj["expiresAt"] > inj["createdAt"]
    assert partial["outcome"] is None
    deadline = time.time() + 5
    while process_state(lab.decoy_pid) == "T" and time.time() < deadline:
        time.sleep(0.05)
    assert process_state(lab.decoy_pid) != "T"
    assert time.time() - killed_at < 3, "the watchdog should notice its owner died within a second"
    assert journal["injections"][0].get("watchdogPid", True)
    assert_fault_gone(lab, tmp_path, lab.decoy_pid)


def test_secrets_never_reach_the_journal_reports_or_logs(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    secret = "hunter2-s3cr3t-value"
    source = (EXPERIMENTS / "fixture-pause.yaml").read_text()
    text = source.replace(
        'url: "${prom_url}"', 'url: "http://tester:${PROM_PASSWORD}@${prom_host}"'
    )
    text = text.replace(
        "    prom_url: {description: the fixture Prometheus}",
        "    prom_host: {description: host:port of the fixture Prometheus}",
    )
    assert text != source
    exp = tmp_path / "secret.yaml"
    exp.write_text(text)
    host = lab.prometheus_url.removeprefix("http://")
    r = start(
        str(exp),
        tmp_path,
        "--var",
        f"prom_host={host}",
        "--var",
        f"victim_pidfile={lab.decoy_pidfile}",
        "--log-format",
        "json",
        env={"PROM_PASSWORD": secret},
    )
    code = r.wait(120)
    logs = r.output()
    assert code == 0, logs
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {
        "journal.jsonl",
        "journal.json",
        "summary.md",
        "junit.xml",
        "report.html",
    }
    written = [p.read_text() for p in out.iterdir()]
    assert "Prometheus at http://tester:***@" in "".join(written)
    assert '"prometheusUrl": "http://127.0.0.1:' in (out / "journal.json").read_text()
    for text_out in [*written, logs]:
        assert secret not in text_out


def test_a_watchdog_of_another_state_dir_is_not_counted_as_ours(tmp_path: Path) -> None:
    """A user's run (or `make demo`) on this machine must not fail our fault-left-behind checks."""
    import subprocess

    from chaosrunner.adapters.local import procs, records, state, watchdog

    owner = subprocess.Popen(["sleep", "60"])
    try:
        found = procs.lookup(owner.pid)
        assert found is not None
        theirs = tmp_path / "their-state"
        record = state.record_path("their-run", "f", theirs)
        records.write(
            record,
            records.FaultRecord(
                run_id="their-run",
                experiment="theirs",
                fault="f",
                kind="process-pause",
                created_at=time.time(),
                expires_at=time.time() + 60,
                owner_pid=found.pid,
                owner_start=found.starttime,
            ),
        )
        dog = watchdog.spawn(record, theirs / "watchdog.log")
        assert watchdogs(theirs) == [dog.pid]
        assert watchdogs(tmp_path / "state") == []
    finally:
        owner.kill()
        owner.wait()
    deadline = time.time() + 5
    while watchdogs(theirs) and time.time() < deadline:
        time.sleep(0.1)
    assert watchdogs(theirs) == []
