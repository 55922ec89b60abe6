"""A slow Prometheus: 20 SLIs and 5 guardrails at a 1-second probe interval, every query 200 ms.

The lab's real Prometheus, reached through a Toxiproxy proxy with a 200 ms latency toxic (both
already in the lab; the lab comes up on its own ports in a private state dir, and goes down
after). The experiment is redis-timeout's, widened to 20 SLIs and 5 guardrails: the fault
makes the demo fail, and the availability-floor guardrail aborts the run. Figures, from each
run's journal.json:

- the share of due ticks sampled within 100 ms of when they were due (target >= 99 %);
- the abort reaction: from the first instant the breach is visible in Prometheus (a
  fine-grained range query straight to Prometheus after the run) to the fault confirmed
  removed (target <= probe interval + query latency + 1 s = 2.2 s).
"""

from __future__ import annotations

import json
import socket
import statistics
import time
import urllib.request
from pathlib import Path

from lab_bench import first_breach, in_lab, run_chaosrunner, wait_steady

from chaosrunner.lab import LabPorts

ROOT = Path(__file__).resolve().parent.parent
BENCH_PORTS = LabPorts.from_base(36370)
RUNS = 3
PROBE_INTERVAL = 1.0
LATENCY_MS = 200
FLOOR = 0.9
SLIS = 20
GUARDRAILS = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def toxiproxy(api: str, path: str, body: dict[str, object]) -> None:
    request = urllib.request.Request(
        f"{api}{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


def slow_prometheus(ports: LabPorts) -> str:
    """A Toxiproxy proxy in front of the lab's Prometheus that adds 200 ms to every answer."""
    port = free_port()
    upstream = ports.prometheus_url.removeprefix("http://")
    toxiproxy(
        ports.toxiproxy_url,
        "/proxies",
        {"name": "prom-slow", "listen": f"127.0.0.1:{port}", "upstream": upstream},
    )
    toxiproxy(
        ports.toxiproxy_url,
        "/proxies/prom-slow/toxics",
        {
            "name": "slow",
            "type": "latency",
            "stream": "downstream",
            "attributes": {"latency": LATENCY_MS, "jitter": 0},
        },
    )
    return f"http://127.0.0.1:{port}"


AVAILABILITY = (
    'sum(rate(demo_http_requests_total{route="/items/{id}",code!~"5.."}[10s]))'
    ' / sum(rate(demo_http_requests_total{route="/items/{id}"}[10s]))'
)


def experiment(path: Path) -> Path:
    """redis-timeout.yaml with 20 SLIs and 5 guardrails (one of them the availability floor)."""
    slis = "\n".join(
        f"      - {{name: availability-{i}, query: '{AVAILABILITY}', objective: '>= 0'}}"
        for i in range(SLIS)
    )
    guards = [f"    - {{name: floor, query: '{AVAILABILITY}', abortIf: '< {FLOOR}'}}"] + [
        f"    - {{name: never-{i}, query: 'sum(up)', abortIf: '< 0'}}"
        for i in range(GUARDRAILS - 1)
    ]
    text = (ROOT / "experiments/redis-timeout.yaml").read_text()
    head, rest = text.split("  steadyState:\n", 1)
    _, faults = rest.split("  faults:\n", 1)
    faults = faults.split("  schedule:\n", 1)[0]
    path.write_text(
        head
        + "  steadyState:\n    slis:\n"
        + slis
        + "\n  guardrails:\n"
        + "\n".join(guards)
        + "\n  faults:\n"
        + faults
        + "  schedule: {baseline: 10s, blast: 60s, recovery: 10s, probeInterval: 1s}\n"
    )
    return path


def one_run(state: Path, out: Path, ports: LabPorts, prom: str) -> tuple[float, float | None]:
    wait_steady(ports.prometheus_url)
    journal = run_chaosrunner(
        state,
        out,
        experiment(state / "slow-prom.yaml"),
        f"LAB_PROMETHEUS_URL={prom}",
        f"LAB_TOXIPROXY_URL={ports.toxiproxy_url}",
    )
    lags = journal["ticks"]["lag"]
    on_time = sum(1 for lag in lags if lag is not None and lag <= 0.1) / max(1, len(lags))
    if not journal["injections"] or journal["outcome"]["verdict"] != "ABORTED":
        reasons = "; ".join(journal["outcome"]["reasons"])
        print(f"  (run {out.name}: {journal['outcome']['verdict']}: {reasons})")
        return on_time, None
    inj = journal["injections"][0]
    breach = first_breach(ports.prometheus_url, inj["confirmedAt"], inj["removedAt"], FLOOR)
    return on_time, (inj["removedAt"] - breach if breach is not None else None)


def runs(state: Path) -> list[tuple[float, float | None]]:
    prom = slow_prometheus(BENCH_PORTS)
    return [one_run(state, state / f"run-{i}", BENCH_PORTS, prom) for i in range(RUNS)]


def main() -> None:
    started = time.monotonic()
    figures = in_lab(BENCH_PORTS, runs)
    took = time.monotonic() - started
    shares = [s for s, _ in figures]
    reactions = [r for _, r in figures if r is not None]
    print(
        f"slow Prometheus ({LATENCY_MS} ms per query, {SLIS} SLIs + {GUARDRAILS} guardrails, "
        f"{PROBE_INTERVAL:g} s ticks): ticks sampled within 100 ms of due: median "
        f"{statistics.median(shares) * 100:.1f} % (min {min(shares) * 100:.1f}, "
        f"n={len(shares)}); target >= 99 %"
    )
    target = PROBE_INTERVAL + LATENCY_MS / 1000 + 1
    if reactions:
        print(
            f"slow Prometheus abort reaction (breach visible -> fault removed): median "
            f"{statistics.median(reactions):.2f} s (min {min(reactions):.2f}, "
            f"max {max(reactions):.2f}, n={len(reactions)}); target <= {target:.1f} s "
            f"({took:.0f} s for {RUNS} runs, the lab's start included)"
        )
    else:
        print("slow Prometheus abort reaction: no breach found (did the guardrail fire?)")


if __name__ == "__main__":
    main()
