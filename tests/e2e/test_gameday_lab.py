"""Issue 12's game day on the real lab: three experiments in order through the real CLI, a note
added from another terminal while it runs, the live page (``--serve``) opened in headless
Chromium during the second one's blast, and a SIGTERM in the middle of that blast that rolls it
back, records the third as not run and still writes the consolidated report, which compares
the first experiment with an earlier run of it kept in the results store (last month's)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chaosrunner import lab
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.adapters.reports.journal_log import JOURNAL_LOG, JournalLogError, read_log
from chaosrunner.adapters.results import SUMMARY, ResultsStore
from chaosrunner.core.trends import RunSummary, SliPoint
from chaosrunner.core.units import Comparator
from tests.e2e.test_game_days import assert_no_fault_left

ROOT = Path(__file__).resolve().parents[2]
SHORT = "{baseline: 6s, blast: 8s, recovery: 10s}"


def gameday_file(tmp: Path) -> Path:
    rel = os.path.relpath(ROOT / "experiments", tmp)
    path = tmp / "gameday.yaml"
    path.write_text(
        f"""\
apiVersion: chaosrunner.io/v1alpha1
kind: GameDay
metadata: {{name: lab-month, description: three lab experiments}}
spec:
  environment: lab
  participants:
    - {{name: Ana, role: facilitator}}
    - {{name: Bo, role: observer}}
    - {{name: Cy, role: on-call}}
  coolDown: 3s
  steadyTimeout: 60s
  stopOn: continue
  experiments:
    - file: {rel}/cpu-stress.yaml
      vars: {SHORT}
    - file: {rel}/redis-timeout.yaml
      vars: {{baseline: 6s, blast: 2m, recovery: 10s}}
    - file: {rel}/redis-partition.yaml
      vars: {SHORT}
"""
    )
    return path


def last_month(store: Path) -> RunSummary:
    """An earlier cpu-stress run in the lab, kept in ``store`` as a run of a month ago would be:
    FAILED, availability down to 90 %, p95 at 900 ms, never recovered."""
    earlier = RunSummary(
        experiment="cpu-stress",
        env="lab",
        run_id="last-month-e01",
        started=time.time() - 30 * 86400,
        verdict="FAILED",
        score=40.0,
        slis=(
            SliPoint("availability", ">= 99.5%", Comparator.GE, 0.995, "ratio", 0.9, None, False),
            SliPoint("p95-latency", "<= 200ms", Comparator.LE, 0.2, "seconds", 0.9, None, False),
        ),
    )
    run_dir = ResultsStore(store).run_dir(earlier)
    run_dir.mkdir(parents=True)
    (run_dir / SUMMARY).write_text(json.dumps(earlier.to_dict()))
    return earlier


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chaosrunner", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )


def injected(run_dir: Path) -> bool:
    try:
        journal = read_log(run_dir / JOURNAL_LOG).journal.to_dict()
    except (OSError, JournalLogError, ValueError):
        return False
    return bool(journal["injections"]) and all(i["confirmedAt"] for i in journal["injections"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium_dom(url: str, profile: Path) -> subprocess.CompletedProcess[str]:
    chromium = shutil.which("chromium")
    assert chromium, "needs Debian's chromium (scripts/install-system-deps.sh)"
    return subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def wait_for(what: str, ok: object, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if callable(ok) and ok():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the game day exited {proc.returncode} before {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("lab_up", ["resilient"], indirect=True)
def test_a_lab_game_day_with_a_note_and_an_interruption(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    store = tmp_path / "results"
    earlier = last_month(store)
    live = f"127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chaosrunner",
            "gameday",
            "run",
            str(gameday_file(tmp_path)),
            "--output-dir",
            str(out),
            "--serve-address",
            live,
            "--results",
            str(store),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    noted: list[subprocess.CompletedProcess[str]] = []

    def add_note() -> None:  # another terminal: finds the running game day by itself
        deadline = time.time() + 120
        while time.time() < deadline and not (out / "01-cpu-stress").is_dir():
            time.sleep(0.2)
        noted.append(cli("gameday", "note", "CPU graph climbing on the dashboard"))

    note_thread = threading.Thread(target=add_note)
    note_thread.start()
    try:
        second = out / "02-redis-timeout"
        wait_for("the second experiment's fault", lambda: injected(second), proc, 240)
        proxies = call("GET", f"{lab_up.ports.toxiproxy_url}/proxies/redis/toxics")[1]
        assert proxies, "the second experiment's toxic should be active before the SIGTERM"
        note_thread.join(130)
        dom = chromium_dom(f"http://{live}/", tmp_path / "chromium")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
        note_thread.join(130)
    output = proc.stdout.read() if proc.stdout else ""
    assert code == 2, output
    assert noted and noted[0].returncode == 0, noted and noted[0].stderr

    journals = {
        d.name: json.loads((d / "journal.json").read_text())
        for d in sorted(out.iterdir())
        if (d / "journal.json").exists()
    }
    assert list(journals) == ["01-cpu-stress", "02-redis-timeout"]  # the third never started
    first = journals["01-cpu-stress"]["outcome"]["verdict"]
    assert first == "PASSED", journals["01-cpu-stress"]["outcome"]
    assert journals["02-redis-timeout"]["outcome"]["verdict"] == "ABORTED"
    assert "experiment 2/3: redis-timeout" in output and f"live page at http://{live}/" in output

    # the live page during the blast: the running report, its charts, the banner and the note
    assert not re.search(r"Content Security Policy|Failed to load resource|net::ERR_", dom.stderr)
    page = dom.stdout
    assert 'id="live-experiment">experiment 2/3: redis-timeout<' in page
    assert re.search(r'id="live-phase">(observe|inject)<', page), page[:2000]
    assert "CPU graph climbing on the dashboard" in page
    charts = re.findall(r'<svg class="chart" data-sli="([^"]+)"', page)
    assert "availability" in charts, charts
    assert 'id="guardrails"' in page

    html = (out / "report.html").read_text()
    md = (out / "summary.md").read_text()
    assert '<a href="01-cpu-stress/report.html">cpu-stress</a>' in html
    assert '<a href="02-redis-timeout/report.html">redis-timeout</a>' in html
    assert (out / "01-cpu-stress" / "report.html").exists()
    assert (out / "02-redis-timeout" / "report.html").exists()
    assert "CPU graph climbing on the dashboard" in html and "facilitator" in html
    assert md.startswith("# Game day lab-month: ABORTED (exit 2)")
    passed = r"\| 1 \| \[cpu-stress\]\(01-cpu-stress/report.html\) \| PASSED \| \d+ \| — \|"
    assert re.search(passed, md), md
    assert "| 2 | [redis-timeout](02-redis-timeout/report.html) | ABORTED |" in md
    assert "| 3 | redis-partition | NOT RUN |" in md and "not run: interrupted" in md
    assert "steady before redis-timeout" in md or "not steady after" in md

    # month over month: each experiment that ran is kept, and compared with its earlier runs
    kept = sorted(d.name for d in (store / "cpu-stress" / "lab").iterdir())
    assert len(kept) == 2 and kept[0].endswith(earlier.run_id), kept
    assert (store / "redis-timeout" / "lab").is_dir()
    assert "## Trends" in md and "### 1. cpu-stress" in md
    assert f"Compared with run {earlier.run_id}" in md, md
    assert re.search(r"availability's worst in the blast window improved from 90", md), md
    assert "The score improved from 40 to" in md, md
    assert "No earlier run of redis-timeout in lab is stored" in md
    assert 'id="trend-1"' in html and '<svg class="spark"' in html

    assert_no_fault_left(lab_state)
    swept = cli("cleanup", "--all")
    assert swept.returncode == 0 and "nothing left behind" in swept.stdout, swept.stdout
