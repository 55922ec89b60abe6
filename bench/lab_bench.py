"""Lab figures for `make bench`: abort reaction time and run-to-confirmed time (medians).

Abort reaction: from the first instant the guardrail breach is visible in Prometheus (found by a
fine-grained range query after the run) to the toxic being confirmed removed (the journal's
removal time). Run-to-confirmed: from starting `chaosrunner run` to the fault being confirmed,
less the baseline window. Brings the lab up in a private state dir and down again.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from chaosrunner.lab import LabPorts

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
# Its own ports: the bench must not collide with a user's lab or a test run's.
BENCH_PORTS = LabPorts(
    redis=26379, proxy=26380, toxiproxy=28474, demo=28080, loadgen=28081, prometheus=29090
)
RUNS = 3
PROBE_INTERVAL = 2.0
GUARD = (
    'sum(rate(demo_http_requests_total{route="/items/{id}",code!~"5.."}[10s]))'
    ' / sum(rate(demo_http_requests_total{route="/items/{id}"}[10s]))'
)


def first_breach(prom: str, start: float, end: float, floor: float) -> float | None:
    query = urllib.parse.urlencode({"query": GUARD, "start": start, "end": end, "step": 0.1})
    with urllib.request.urlopen(f"{prom}/api/v1/query_range?{query}", timeout=10) as r:
        result = json.load(r)["data"]["result"]
    for t, v in result[0]["values"] if result else []:
        if float(v) < floor:
            return float(t)
    return None


def wait_steady(prom: str, timeout: float = 90.0) -> None:
    """Until availability over the guard's window is at least 99.5 %: a lab that has just come
    up still has its start-up errors in the window, and the guardrail would refuse the run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        query = urllib.parse.urlencode({"query": GUARD})
        with urllib.request.urlopen(f"{prom}/api/v1/query?{query}", timeout=10) as r:
            result = json.load(r)["data"]["result"]
        if result and float(result[0]["value"][1]) >= 0.995:
            return
        time.sleep(1)
    raise SystemExit(f"the bench lab did not reach 99.5% availability in {timeout:.0f} s")


def run_chaosrunner(state: Path, out: Path, file: Path, *variables: str) -> dict[str, Any]:
    """`chaosrunner run FILE` with ``--var`` for each of ``variables``; its journal.json."""
    subprocess.run(
        [sys.executable, "-m", "chaosrunner", "run", str(file), "--output-dir", str(out)]
        + [arg for v in variables for arg in ("--var", v)],
        env={**os.environ, "CHAOSRUNNER_STATE_DIR": str(state)},
        capture_output=True,
        check=False,
    )
    journal: dict[str, Any] = json.loads((out / "journal.json").read_text())
    return journal


def one_run(state: Path, out: Path, ports: LabPorts) -> tuple[float | None, float]:
    wait_steady(ports.prometheus_url)
    started = time.time()
    journal = run_chaosrunner(
        state,
        out,
        ROOT / "experiments/redis-timeout.yaml",
        "baseline=6s",
        "blast=60s",
        "availability_floor=0.9",
        "recovery=20s",
        f"LAB_PROMETHEUS_URL={ports.prometheus_url}",
        f"LAB_TOXIPROXY_URL={ports.toxiproxy_url}",
    )
    if not journal["injections"]:
        reasons = "; ".join(journal["outcome"]["reasons"])
        raise SystemExit(
            f"the bench run injected nothing ({journal['outcome']['verdict']}): {reasons}"
        )
    inj = journal["injections"][0]
    baseline = next(p for p in journal["phases"] if p["phase"] == "baseline")
    to_confirmed = inj["confirmedAt"] - started - (baseline["endedAt"] - baseline["startedAt"])
    breach = first_breach(ports.prometheus_url, inj["confirmedAt"], inj["removedAt"], 0.9)
    reaction = inj["removedAt"] - breach if breach is not None else None
    return reaction, to_confirmed


def in_lab(ports: LabPorts, body: Callable[[Path], T]) -> T:
    """``body(state_dir)`` with a lab up on ``ports`` in a private state dir; down after."""
    from chaosrunner import lab

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        os.environ["CHAOSRUNNER_STATE_DIR"] = str(state)
        lab.up(timeout=120, ports=ports)
        try:
            return body(state)
        finally:
            lab.down()


def main() -> None:
    figures = in_lab(
        BENCH_PORTS,
        lambda state: [one_run(state, state / f"run-{i}", BENCH_PORTS) for i in range(RUNS)],
    )
    reactions = [r for r, _ in figures if r is not None]
    confirms = [c for _, c in figures]
    if reactions:
        print(
            f"abort reaction (breach visible in Prometheus -> toxic removed): median "
            f"{statistics.median(reactions):.2f} s (min {min(reactions):.2f}, "
            f"max {max(reactions):.2f}, "
            f"n={len(reactions)}); target <= probe interval + 1 s = {PROBE_INTERVAL + 1:.0f} s"
        )
    else:
        print("abort reaction: no breach found in Prometheus (did the guardrail fire?)")
    print(
        "run -> fault confirmed, excluding the baseline: "
        f"median {statistics.median(confirms):.2f} s "
        f"(min {min(confirms):.2f}, max {max(confirms):.2f}, n={len(confirms)})"
    )


if __name__ == "__main__":
    main()
