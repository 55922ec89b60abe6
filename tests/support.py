"""Test support shared by the suites: experiment text builders and fakes of our own ports.

The fakes implement chaosrunner's Protocols (MetricsSource, FaultDriver, Clock, JournalSink,
Progress); they never stand in for Prometheus or a Kubernetes API in an integration test.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chaosrunner.core import validate
from chaosrunner.core.errors import InjectionError, RemovalError
from chaosrunner.core.journal import (
    CheckRecord,
    Event,
    Journal,
    TargetRecord,
    event_from_dict,
    event_to_dict,
)
from chaosrunner.core.model import DriverKind, Experiment
from chaosrunner.core.plan import Plan, PlannedFault
from chaosrunner.core.ports import Confirmation, Handle, Reading, Removal, RunInfo, SliTick
from chaosrunner.runner.stop import StopFlag

BASE = """\
apiVersion: chaosrunner.io/v1alpha1
kind: Experiment
metadata:
  name: unit-exp
  description: a unit-test experiment
  owner: sre
spec:
  defaultEnv: lab
  environments:
    lab:
      driver: local
      prometheus: {url: "http://127.0.0.1:9"}
  targets:
    backend:
      bindings:
        lab: {process: {pidFile: /tmp/none.pid}}
  steadyState:
    slis:
      - name: availability
        ratio: {good: 'sum(rate(ok[5s]))', total: 'sum(rate(all[5s]))'}
        objective: ">= 99%"
      - name: latency
        query: 'latency_seconds'
        objective: "<= 200ms"
  guardrails:
    - name: hard-stop
      query: 'errors_ratio'
      abortIf: "> 0.5"
  faults:
    - name: pause-backend
      type: process-pause
      target: backend
  schedule: {baseline: 3s, blast: 5s, recovery: 4s, probeInterval: 1s}
"""


def experiment(text: str = BASE, env: str | None = None, **vars: str) -> Experiment:
    return validate.load(textwrap.dedent(text), "exp.yaml", env=env, cli_vars=vars, environ={})


class FakeClock:
    """Virtual time: sleeping moves time forward at once; hooks fire at given times."""

    def __init__(self, stop: StopFlag, start: float = 1_000_000.0) -> None:
        self.t = start
        self.stop = stop
        self.hooks: list[tuple[float, Callable[[], None]]] = []

    def now(self) -> float:
        return self.t

    def at(self, offset: float, hook: Callable[[], None]) -> None:
        self.hooks.append((self.t + offset, hook))

    def sleep_until(self, t: float) -> bool:
        self.t = max(self.t, t)
        for when, hook in list(self.hooks):
            if when <= self.t:
                self.hooks.remove((when, hook))
                hook()
        return not self.stop.is_set()


Script = Callable[[str, float], Reading]


class ScriptedMetrics:
    """Answers each query from a function of (query, time); records every query asked."""

    def __init__(self, script: Script, *, reachable: bool = True) -> None:
        self.script = script
        self.reachable = reachable
        self.asked: list[tuple[str, float]] = []

    def ping(self) -> str:
        from chaosrunner.core.errors import MetricsError

        if not self.reachable:
            raise MetricsError(
                "Prometheus at http://127.0.0.1:9 is unreachable: connection refused"
            )
        return "fake"

    def instant(self, query: str, at: float) -> Reading:
        self.asked.append((query, at))
        return self.script(query, at)


def steady(values: Mapping[str, float]) -> Script:
    """Every query whose text contains a key answers that key's value; others no data."""

    def script(query: str, _t: float) -> Reading:
        for key, value in values.items():
            if key in query:
                return Reading.ok(value)
        return Reading.no_data()

    return script


@dataclass
class FakeDriver:
    kind: DriverKind = DriverKind.LOCAL
    confirm_ok: bool = True
    inject_error: str = ""
    remove_error: str = ""
    preflight_ok: bool = True
    calls: list[str] = field(default_factory=list)
    active: set[str] = field(default_factory=set)
    closed: int = 0
    #: The run's clock: a real driver stamps creation, confirmation and removal with the time
    #: the runner's ticks use, and the verdict compares them (was a fault active on a tick?).
    clock: FakeClock | None = None

    def _now(self) -> float:
        assert self.clock is not None, "FakeDriver.clock: give it the run's FakeClock"
        return self.clock.now()

    def preflight(self, plan: Plan, run: RunInfo) -> Sequence[CheckRecord]:
        self.calls.append("preflight")
        return [
            CheckRecord(
                "fake target resolves", self.preflight_ok, "1 live" if self.preflight_ok else "none"
            )
        ]

    def describe(self, fault: PlannedFault, run: RunInfo) -> str:
        return fault.describe()

    def inject(self, fault: PlannedFault, run: RunInfo) -> Handle:
        self.calls.append(f"inject:{fault.fault.name}")
        if self.inject_error:
            raise InjectionError(self.inject_error)
        self.active.add(fault.fault.name)
        now = self._now()
        return Handle(fault.fault.name, now, now + fault.expiry, {"fake": True})

    def confirm(self, fault: PlannedFault, handle: Handle, timeout: float) -> Confirmation:
        self.calls.append(f"confirm:{fault.fault.name}")
        if not self.confirm_ok:
            return Confirmation(None, (), "never became active")
        now = self._now()
        return Confirmation(now, (TargetRecord("pid:1", now),))

    def remove(self, fault: PlannedFault, handle: Handle, timeout: float) -> Removal:
        self.calls.append(f"remove:{fault.fault.name}")
        if self.remove_error:
            raise RemovalError(self.remove_error)
        self.active.discard(fault.fault.name)
        return Removal(self._now(), True)

    def close(self) -> None:
        self.closed += 1


@dataclass
class MemorySink:
    """Keeps the appended events, each through its JSON line and back, and the journal they
    replay to (``last``: as a reader of the appended form would see it after each append)."""

    writes: int = 0
    events: list[Event] = field(default_factory=list)
    journal: Journal | None = None
    last: dict[str, Any] | None = None

    def append(self, events: Sequence[Event]) -> None:
        self.writes += 1
        for event in events:
            line = json.dumps(event_to_dict(event), allow_nan=False)
            again = event_from_dict(json.loads(line))
            self.events.append(again)
            if self.journal is None:
                self.journal = Journal.replay([again])
            else:
                self.journal.apply(again)
        assert self.journal is not None
        self.last = json.loads(json.dumps(self.journal.to_dict(), allow_nan=False))


@dataclass
class RecordingProgress:
    events: list[str] = field(default_factory=list)
    ticks: int = 0
    phases: list[str] = field(default_factory=list)

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None:
        self.phases.append(name)

    def checks(self, checks: Sequence[CheckRecord]) -> None: ...

    def plan(self, lines: Sequence[str]) -> None: ...

    def tick(self, t: float, values: Mapping[str, SliTick]) -> None:
        self.ticks += 1

    def event(self, message: str) -> None:
        self.events.append(message)

    def close(self) -> None: ...
