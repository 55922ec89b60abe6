"""A frozen demo judged only by the metrics it exports itself: its evidence goes stale.

While the demo is SIGSTOPped, Prometheus cannot scrape it, yet ``rate(...[10s])`` keeps
answering from samples taken before the freeze; with a blast window shorter than the rate window
every tick would "hold" and the run would pass on evidence from before the fault. It must not:
the run is INCONCLUSIVE (stale-data), and the journal, summary.md and junit.xml say which ticks
were stale and why.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from chaosrunner import lab
from tests.integration.runs import process_state, start

EXPERIMENT = Path(__file__).resolve().parent / "experiments" / "frozen-demo.yaml"


def run_frozen(ports: lab.LabPorts, tmp: Path) -> tuple[int, dict[str, Any], str]:
    r = start(
        str(EXPERIMENT),
        tmp,
        "--var",
        f"LAB_PROMETHEUS_URL={ports.prometheus_url}",
        state_dir=Path(os.environ["CHAOSRUNNER_STATE_DIR"]),
    )
    code = r.wait(180)
    return code, (r.journal() if r.journal_path.exists() else {}), r.output()


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_a_frozen_demo_is_not_passed_and_says_its_evidence_was_stale(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_frozen(lab_up.ports, tmp_path)
    outcome = journal["outcome"]
    assert outcome["verdict"] == "INCONCLUSIVE" and code == 3, out

    # The fault really ran (so the verdict is about evidence, not about a fault that never ran).
    (inj,) = journal["injections"]
    assert inj["confirmedAt"] and inj["removalConfirmed"], inj
    pid = int(inj["targets"][0]["id"].split(":")[1])
    deadline = time.time() + 5
    while process_state(pid) == "T" and time.time() < deadline:
        time.sleep(0.1)
    assert process_state(pid) != "T"

    # Which ticks were stale, and why: in the series, the journal's reasons and the verdict.
    slis = {s["name"]: s for s in outcome["slis"]}
    assert slis["availability"]["baseline"] == "held"
    assert slis["availability"]["observe"] == "stale-data", outcome
    assert slis["p95-latency"]["observe"] == "stale-data", outcome
    observe = journal["series"]["availability"]
    blast_status = "".join(
        s for s, p in zip(observe["status"], observe["phase"], strict=True) if p == "o"
    )
    assert "s" in blast_status and "o" not in blast_status[-3:], blast_status
    stale = journal["staleReadings"]
    assert {r["sli"] for r in stale} == {"availability", "p95-latency"}
    assert journal["staleReadingCount"] == len(stale)
    assert all(
        "target demo 127.0.0.1:" in r["reason"] or "newest sample of" in r["reason"] for r in stale
    ), stale
    assert any("is down (up == 0" in r["reason"] for r in stale), stale
    assert any(
        "stale-data" in reason and "older than the freshness bound" in reason
        for reason in outcome["reasons"]
    ), outcome["reasons"]

    summary = (tmp_path / "out" / "summary.md").read_text()
    assert summary.startswith("# frozen-demo: INCONCLUSIVE")
    assert "## Stale evidence" in summary
    assert "- **availability**: " in summary and "- **p95-latency**: " in summary
    assert "is down (up == 0: no scrape of it succeeded within the last 3 s)" in summary
    junit = (tmp_path / "out" / "junit.xml").read_text()
    assert 'name="availability data fresh on every tick"' in junit
    assert "is down (up == 0: no scrape of it succeeded within the last 3 s)" in junit
