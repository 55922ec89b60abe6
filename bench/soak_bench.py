"""A simulated 24-hour run: 10 SLIs and 2 guardrails at 1-second ticks (86,400 ticks).

The real runner (``runner.engine.Runner``, its concurrent prober included) and the real journal
writer (``adapters.reports.journal_log.JournalLog``, to a temporary directory), with a
simulated clock (sleeping moves time at once) and a metrics source that answers at once: what
is measured is chaosrunner's own cost per tick. The cost of a tick is the wall time from one
tick's end to the next's (the loop, the probes, the journal append, the commit). Prints one
JSON line; ``bench/run.py`` formats it. Also writes the consolidated journal.json at the end,
once, as a run does, and times it.
"""

from __future__ import annotations

import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import structlog

from chaosrunner.adapters.reports.journal_file import write_journal
from chaosrunner.adapters.reports.journal_log import JOURNAL_LOG, JournalLog
from chaosrunner.core import validate
from chaosrunner.core.journal import CheckRecord, TargetRecord
from chaosrunner.core.model import DriverKind
from chaosrunner.core.plan import Plan, PlannedFault
from chaosrunner.core.ports import Confirmation, Handle, Reading, Removal, RunInfo, SliTick
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.stop import StopFlag

HOUR = 3_600
SLIS = 10
GUARDRAILS = 2


def experiment_text(hours: float) -> str:
    slis = "\n".join(
        f"      - {{name: sli-{i}, query: 'metric_{i}', objective: '<= 1'}}" for i in range(SLIS)
    )
    guards = "\n".join(
        f"    - {{name: guard-{i}, query: 'guard_{i}', abortIf: '> 0.5'}}"
        for i in range(GUARDRAILS)
    )
    return f"""\
apiVersion: chaosrunner.io/v1alpha1
kind: Experiment
metadata: {{name: soak, owner: bench}}
spec:
  defaultEnv: lab
  environments:
    lab: {{driver: local, prometheus: {{url: "http://127.0.0.1:9"}}}}
  targets:
    backend:
      bindings:
        lab: {{process: {{pidFile: /tmp/none.pid}}}}
  steadyState:
    slis:
{slis}
  guardrails:
{guards}
  faults:
    - {{name: pause-backend, type: process-pause, target: backend}}
  schedule:
    baseline: 1h
    blast: {int(hours * HOUR) - HOUR - 60}s
    recovery: 60s
    probeInterval: 1s
"""


class SimClock:
    def __init__(self) -> None:
        self.t = 1_700_000_000.0

    def now(self) -> float:
        return self.t

    def sleep_until(self, t: float) -> bool:
        self.t = max(self.t, t)
        return True


class InstantMetrics:
    def ping(self) -> str:
        return "simulated"

    def instant(self, query: str, at: float) -> Reading:
        return Reading.ok(0.0 if query.startswith("guard") else 0.5)


class SimDriver:
    kind = DriverKind.LOCAL

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock

    def preflight(self, plan: Plan, run: RunInfo) -> Sequence[CheckRecord]:
        return [CheckRecord("simulated target", True)]

    def describe(self, fault: PlannedFault, run: RunInfo) -> str:
        return fault.describe()

    def inject(self, fault: PlannedFault, run: RunInfo) -> Handle:
        return Handle(fault.fault.name, self.clock.t, self.clock.t + fault.expiry)

    def confirm(self, fault: PlannedFault, handle: Handle, timeout: float) -> Confirmation:
        return Confirmation(self.clock.t, (TargetRecord("pid:1", self.clock.t),))

    def remove(self, fault: PlannedFault, handle: Handle, timeout: float) -> Removal:
        return Removal(self.clock.t, True)

    def close(self) -> None: ...


class TickTimer:
    """The progress view, used as a stopwatch: one wall-clock stamp per tick."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None: ...
    def checks(self, checks: Sequence[CheckRecord]) -> None: ...
    def plan(self, lines: Sequence[str]) -> None: ...

    def tick(self, t: float, values: Mapping[str, SliTick]) -> None:
        self.stamps.append(time.perf_counter())

    def event(self, message: str) -> None: ...
    def close(self) -> None: ...


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main(hours: float) -> None:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    experiment = validate.load(experiment_text(hours), "soak.yaml", environ={})
    clock = SimClock()
    timer = TickTimer()
    with tempfile.TemporaryDirectory() as tmp:
        sink = JournalLog(Path(tmp) / JOURNAL_LOG)
        runner = Runner(
            experiment,
            run_id="soak",
            metrics=InstantMetrics(),
            driver=SimDriver(clock),
            clock=clock,
            sink=sink,
            progress=timer,
            stop=StopFlag(),
        )
        started = time.perf_counter()
        decision = runner.run()
        sink.close()
        wall = time.perf_counter() - started
        log_mb = (Path(tmp) / JOURNAL_LOG).stat().st_size / 1e6
        run_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        write_journal(Path(tmp) / "journal.json", runner.journal)
        final_write = time.perf_counter() - t0
    costs = [b - a for a, b in zip(timer.stamps, timer.stamps[1:], strict=False)]
    first, last = costs[:HOUR], costs[-HOUR:]
    print(
        json.dumps(
            {
                "hours": hours,
                "ticks": len(timer.stamps),
                "verdict": decision.verdict.value,
                "first_median_ms": statistics.median(first) * 1e3,
                "first_p99_ms": p99(first) * 1e3,
                "last_median_ms": statistics.median(last) * 1e3,
                "last_p99_ms": p99(last) * 1e3,
                "run_peak_rss_mb": run_rss,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "wall_s": wall,
                "log_mb": log_mb,
                "final_write_s": final_write,
            }
        )
    )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 24.0)
