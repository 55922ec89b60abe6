"""A sweep as it is kept: the journal's records, the final sweep.json, and its summary.

The sweep journal (``sweep.jsonl``) gets one line when the sweep starts, one per level run (and
per run not counted because its baseline was not steady), and one with the result, each written
as it happens, so an interrupted or killed sweep still shows what it found. ``sweep.json`` is
the whole record at the end; the results store keeps it with a small summary (the boundary as
values and the sentence), which ``chaosrunner history`` lists so the boundary can be followed
month over month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypedDict

from chaosrunner.core.sweep import Attempt, SliWorst, SweepResult
from chaosrunner.core.sweep_range import SweepSpec

SWEEP_VERSION = 1


class SliWorstDict(TypedDict):
    name: str
    objective: str
    unit: str
    worst: float | None
    violated: bool
    firstBad: float | None


class AttemptDict(TypedDict):
    value: float
    level: str
    verdict: str
    folder: str
    runId: str
    reasons: list[str]
    startedAt: float
    endedAt: float
    unsteadyRetries: int
    slis: list[SliWorstDict]


class SummaryDict(TypedDict):
    sweepVersion: int
    experiment: str
    env: str
    sweepId: str
    started: float
    param: str
    strategy: str
    outcome: str
    holds: str | None
    breaks: str | None
    sentence: str
    exitCode: int
    interrupted: bool


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else v


def attempt_dict(a: Attempt, spec: SweepSpec) -> AttemptDict:
    return {
        "value": a.value,
        "level": spec.param.format(a.value),
        "verdict": a.verdict.value,
        "folder": a.folder,
        "runId": a.run_id,
        "reasons": list(a.reasons),
        "startedAt": round(a.started_at, 3),
        "endedAt": round(a.ended_at, 3),
        "unsteadyRetries": a.unsteady_retries,
        "slis": [
            {
                "name": s.name,
                "objective": s.objective,
                "unit": s.unit,
                "worst": _finite(s.worst),
                "violated": s.violated,
                "firstBad": _finite(s.first_bad),
            }
            for s in a.slis
        ],
    }


def sli_worst(raw: SliWorstDict) -> SliWorst:
    return SliWorst(
        raw["name"], raw["objective"], raw["unit"], raw["worst"], raw["violated"], raw["firstBad"]
    )


@dataclass(frozen=True)
class SweepSummary:
    """What history keeps of a sweep: the boundary, as levels and as the sentence."""

    experiment: str
    env: str
    sweep_id: str
    started: float
    param: str
    strategy: str
    outcome: str
    holds: str | None
    breaks: str | None
    sentence: str
    exit_code: int
    interrupted: bool

    def to_dict(self) -> SummaryDict:
        return {
            "sweepVersion": SWEEP_VERSION,
            "experiment": self.experiment,
            "env": self.env,
            "sweepId": self.sweep_id,
            "started": self.started,
            "param": self.param,
            "strategy": self.strategy,
            "outcome": self.outcome,
            "holds": self.holds,
            "breaks": self.breaks,
            "sentence": self.sentence,
            "exitCode": self.exit_code,
            "interrupted": self.interrupted,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> SweepSummary:
        """KeyError/TypeError on a record that is not a sweep summary."""

        def text(key: str) -> str:
            value = raw[key]
            if not isinstance(value, str):
                raise TypeError(f"{key}: expected a string")
            return value

        def optional(key: str) -> str | None:
            return None if raw.get(key) is None else text(key)

        started, code = raw["started"], raw["exitCode"]
        if not isinstance(started, int | float) or not isinstance(code, int):
            raise TypeError("started and exitCode must be numbers")
        return cls(
            text("experiment"),
            text("env"),
            text("sweepId"),
            float(started),
            text("param"),
            text("strategy"),
            text("outcome"),
            optional("holds"),
            optional("breaks"),
            text("sentence"),
            code,
            bool(raw.get("interrupted", False)),
        )


def summary_of(
    experiment: str, env: str, sweep_id: str, started: float, result: SweepResult
) -> SweepSummary:
    fmt = result.spec.param.format
    holds, breaks = result.bracket.holds, result.bracket.breaks
    return SweepSummary(
        experiment,
        env,
        sweep_id,
        started,
        result.spec.param.text,
        result.spec.strategy.value,
        result.outcome.value,
        fmt(holds.value) if holds else None,
        fmt(breaks.value) if breaks else None,
        result.sentence,
        result.exit_code,
        result.interrupted,
    )


def result_dict(result: SweepResult) -> dict[str, object]:
    """The result record of the journal and of sweep.json."""
    fmt = result.spec.param.format
    holds, breaks = result.bracket.holds, result.bracket.breaks
    return {
        "outcome": result.outcome.value,
        "sentence": result.sentence,
        "exitCode": result.exit_code,
        "interrupted": result.interrupted,
        "highestPassed": fmt(holds.value) if holds else None,
        "lowestFailed": fmt(breaks.value) if breaks else None,
        "firstBroken": list(result.first_broken),
        "uncertain": [fmt(u.value) for u in result.uncertain],
        "notMonotonic": [[fmt(b.value), fmt(h.value)] for b, h in result.not_monotonic],
        "disagreements": [fmt(d.value) for d in result.disagreements],
    }


def spec_dict(spec: SweepSpec) -> dict[str, object]:
    return {
        "param": spec.param.text,
        "name": spec.param.name,
        "kind": spec.param.kind.value,
        "from": spec.param.low,
        "to": spec.param.high,
        "strategy": spec.strategy.value,
        "resolution": spec.resolution,
        "steps": spec.steps,
        "repeat": spec.repeat,
    }


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def sweep_history_lines(sweeps: Sequence[SweepSummary]) -> list[str]:
    """Two lines per sweep, newest first: the sweep and its boundary, then the sentence."""
    lines = []
    for s in sorted(sweeps, key=lambda s: (s.started, s.sweep_id), reverse=True):
        boundary = f"holds {s.holds or '—'}  breaks {s.breaks or '—'}"
        outcome = f"{s.outcome} (interrupted)" if s.interrupted else s.outcome
        lines.append(
            f"{_when(s.started)}  {s.experiment}  env {s.env}  sweep {s.param}  "
            f"{outcome:<11} {boundary}  sweep {s.sweep_id}"
        )
        lines.append(f"    {s.sentence}")
    return lines


@dataclass(frozen=True)
class SweepRecord:
    """A whole sweep, as its reports show it."""

    experiment: str
    env: str
    sweep_id: str
    started: float
    ended: float
    result: SweepResult
    #: Runs whose baseline was not steady: retried, never counted against the service.
    not_counted: tuple[Attempt, ...] = ()
    #: Earlier sweeps of the same experiment and parameter from the results store, newest first.
    earlier: tuple[SweepSummary, ...] = ()

    def runs(self) -> list[Attempt]:
        """Every counted run, in the order they ran."""
        found = (a for lv in self.result.levels for a in lv.attempts)
        return sorted(found, key=lambda a: a.started_at)

    def to_dict(self) -> dict[str, object]:
        spec = self.result.spec
        return {
            "sweepVersion": SWEEP_VERSION,
            "sweepId": self.sweep_id,
            "experiment": self.experiment,
            "env": self.env,
            "started": round(self.started, 3),
            "ended": round(self.ended, 3),
            "spec": spec_dict(spec),
            "levels": [attempt_dict(a, spec) for a in self.runs()],
            "notCounted": [attempt_dict(a, spec) for a in self.not_counted],
            "result": result_dict(self.result),
        }
