"""The journal: everything a run saw and did, in the order it happened.

The verdict is a pure function of this record, so it holds every fact the verdict needs and
nothing it would have to look up elsewhere: SLI definitions as judged, every sample with its phase
and status, each injection with its confirmation and removal, guardrail events and how the run
ended. SLI samples are stored column-wise (``array``/``bytearray``): a day of 1-second samples for
ten SLIs is 864,000 samples, which must fit in tens of megabytes, not hundreds. The journal is
serialised to plain JSON-ready dicts here; writing it to disk is an adapter's job.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Any

from chaosrunner.core.model import Experiment, JudgeRule, NoDataPolicy, Phase, Sli
from chaosrunner.core.units import Comparator

SCHEMA_VERSION = 1
MAX_PROBE_ERRORS = 200


class SampleStatus(IntEnum):
    OK = 0
    NO_DATA = 1
    ERROR = 2


_STATUS_CODES = "one"
_PHASE_CODES = {Phase.BASELINE: 0, Phase.OBSERVE: 1, Phase.RECOVERY: 2}
_PHASE_LETTERS = "bor"


def phase_code(phase: Phase) -> int:
    return _PHASE_CODES[phase]


@dataclass
class Series:
    """One SLI's samples, column-wise: time, value (NaN unless OK), status and phase codes."""

    times: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))
    status: bytearray = field(default_factory=bytearray)
    phases: bytearray = field(default_factory=bytearray)

    def append(self, t: float, phase: Phase, value: float | None, status: SampleStatus) -> None:
        ok = status is SampleStatus.OK and value is not None and not math.isnan(value)
        self.times.append(round(t, 3))  # what is kept in memory is exactly what is written
        self.values.append(value if ok and value is not None else math.nan)
        self.status.append(SampleStatus.OK if ok else (status or SampleStatus.NO_DATA))
        self.phases.append(_PHASE_CODES[phase])

    def span(self, phase: Phase) -> range:
        """Indexes of the samples taken in ``phase`` (phases are contiguous and ordered)."""
        code = _PHASE_CODES[phase]
        first = self.phases.find(code)
        if first < 0:
            return range(0)
        return range(first, self.phases.rfind(code) + 1)

    def __len__(self) -> int:
        return len(self.times)

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": [round(t, 3) for t in self.times],
            "v": [_json_number(v) for v in self.values],
            "status": "".join(_STATUS_CODES[s] for s in self.status),
            "phase": "".join(_PHASE_LETTERS[p] for p in self.phases),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Series:
        return cls(
            array("d", raw["t"]),
            array("d", (math.nan if v is None else float(v) for v in raw["v"])),
            bytearray(_STATUS_CODES.index(c) for c in raw["status"]),
            bytearray(_PHASE_LETTERS.index(c) for c in raw["phase"]),
        )


def _json_number(v: float) -> float | str | None:
    """JSON has no NaN or infinities: NaN (no value) is null, infinities are '+Inf'/'-Inf'."""
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return v


@dataclass(frozen=True)
class SliRecord:
    """An SLI exactly as it was judged (the journal must not depend on the experiment file)."""

    name: str
    query: str
    objective: str
    comparator: Comparator
    threshold: float
    rule: JudgeRule
    min_ratio: float
    sustain_seconds: float
    no_data: NoDataPolicy
    unit: str = ""
    description: str = ""

    @classmethod
    def of(cls, sli: Sli) -> SliRecord:
        return cls(
            name=sli.name,
            query=sli.query,
            objective=sli.objective.text,
            comparator=sli.objective.comparator,
            threshold=sli.objective.threshold,
            rule=sli.judge.rule,
            min_ratio=sli.judge.min_ratio,
            sustain_seconds=sli.judge.sustain_seconds,
            no_data=sli.no_data,
            unit=sli.unit,
            description=sli.description,
        )

    def holds(self, value: float) -> bool:
        return self.comparator.holds(value, self.threshold)


@dataclass(frozen=True)
class PhaseRecord:
    phase: Phase
    started_at: float
    ended_at: float | None = None
    planned_seconds: float | None = None
    completed: bool = False
    note: str = ""


@dataclass(frozen=True)
class CheckRecord:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class TargetRecord:
    id: str
    injected_at: float | None = None
    recovered_at: float | None = None


@dataclass(frozen=True)
class InjectionRecord:
    fault: str
    kind: str
    target: str
    driver: str
    one_shot: bool
    planned_start: float
    planned_end: float
    expires_at: float
    created_at: float | None = None
    confirmed_at: float | None = None
    targets: tuple[TargetRecord, ...] = ()
    removed_at: float | None = None
    removal_confirmed: bool = False
    error: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None and any(
            t.injected_at is not None for t in self.targets
        )

    @property
    def needs_removal(self) -> bool:
        return self.created_at is not None and not self.one_shot and not self.removal_confirmed


class AbortReason(StrEnum):
    GUARDRAIL = "guardrail"
    SIGNAL = "signal"


class FailureStage(StrEnum):
    VALIDATE = "validate"
    PREFLIGHT = "preflight"
    RUN = "run"


@dataclass(frozen=True)
class Abort:
    reason: AbortReason
    at: float
    detail: str


@dataclass(frozen=True)
class Failure:
    stage: FailureStage
    at: float
    message: str


@dataclass(frozen=True)
class GuardrailEvent:
    guardrail: str
    at: float
    value: float | None
    breached: bool
    detail: str = ""


@dataclass
class Journal:
    """The run's record, built up by the runner and read by the verdict and the reports."""

    run_id: str
    experiment: str
    source: str
    env: str
    driver: str
    started_at: float
    schedule: Mapping[str, float]
    slis: list[SliRecord] = field(default_factory=list)
    guardrails: list[Mapping[str, str]] = field(default_factory=list)
    series: dict[str, Series] = field(default_factory=dict)
    phases: list[PhaseRecord] = field(default_factory=list)
    preflight: list[CheckRecord] = field(default_factory=list)
    injections: list[InjectionRecord] = field(default_factory=list)
    guardrail_events: list[GuardrailEvent] = field(default_factory=list)
    probe_errors: list[Mapping[str, Any]] = field(default_factory=list)
    probe_error_count: int = 0
    abort: Abort | None = None
    failure: Failure | None = None
    dry_run: bool = False
    finished_at: float | None = None
    outcome: Mapping[str, Any] | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def start(
        cls, experiment: Experiment, run_id: str, now: float, *, dry_run: bool = False
    ) -> Journal:
        s = experiment.schedule
        meta = experiment.metadata
        return cls(
            run_id=run_id,
            experiment=meta.name,
            source=experiment.source,
            env=experiment.env.name,
            driver=experiment.env.driver.value,
            started_at=now,
            schedule={
                "baseline": s.baseline,
                "blast": s.blast,
                "recovery": s.recovery,
                "probeInterval": s.probe_interval,
                "expiryMargin": s.expiry_margin,
            },
            slis=[SliRecord.of(sli) for sli in experiment.slis],
            guardrails=[
                {"name": g.name, "query": g.query, "abortIf": g.abort_if.text}
                for g in experiment.guardrails
            ],
            series={sli.name: Series() for sli in experiment.slis},
            dry_run=dry_run,
            metadata={
                "description": meta.description,
                "owner": meta.owner,
                "tags": list(meta.tags),
            },
        )

    # -- recording --------------------------------------------------------------------------

    def begin(self, phase: Phase, now: float, planned: float | None = None) -> None:
        self.phases.append(PhaseRecord(phase, now, planned_seconds=planned))

    def end(self, phase: Phase, now: float, *, completed: bool, note: str = "") -> None:
        for i in range(len(self.phases) - 1, -1, -1):
            if self.phases[i].phase is phase and self.phases[i].ended_at is None:
                self.phases[i] = replace(
                    self.phases[i], ended_at=now, completed=completed, note=note
                )
                return

    def phase(self, phase: Phase) -> PhaseRecord | None:
        return next((p for p in reversed(self.phases) if p.phase is phase), None)

    def record_probe_error(self, sli: str, t: float, message: str) -> None:
        self.probe_error_count += 1
        if len(self.probe_errors) < MAX_PROBE_ERRORS:
            self.probe_errors.append({"sli": sli, "t": round(t, 3), "message": message})

    def update_injection(self, fault: str, **changes: Any) -> InjectionRecord:
        for i, rec in enumerate(self.injections):
            if rec.fault == fault:
                self.injections[i] = replace(rec, **changes)
                return self.injections[i]
        raise KeyError(fault)

    def injection(self, fault: str) -> InjectionRecord:
        return next(rec for rec in self.injections if rec.fault == fault)

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "schemaVersion": SCHEMA_VERSION,
            "runId": self.run_id,
            "experiment": self.experiment,
            "source": self.source,
            "env": self.env,
            "driver": self.driver,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "dryRun": self.dry_run,
            "metadata": dict(self.metadata),
            "schedule": dict(self.schedule),
            "slis": [asdict(s) for s in self.slis],
            "guardrails": [dict(g) for g in self.guardrails],
            "phases": [asdict(p) for p in self.phases],
            "preflight": [asdict(c) for c in self.preflight],
            "injections": [_injection_dict(r) for r in self.injections],
            "guardrailEvents": [asdict(e) for e in self.guardrail_events],
            "probeErrors": list(self.probe_errors),
            "probeErrorCount": self.probe_error_count,
            "abort": asdict(self.abort) if self.abort else None,
            "failure": asdict(self.failure) if self.failure else None,
            "outcome": dict(self.outcome) if self.outcome else None,
            "series": {name: s.to_dict() for name, s in self.series.items()},
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Journal:
        if raw.get("schemaVersion") != SCHEMA_VERSION:
            raise ValueError(f"unsupported journal schemaVersion {raw.get('schemaVersion')!r}")
        return cls(
            run_id=raw["runId"],
            experiment=raw["experiment"],
            source=raw["source"],
            env=raw["env"],
            driver=raw["driver"],
            started_at=raw["startedAt"],
            finished_at=raw.get("finishedAt"),
            dry_run=raw.get("dryRun", False),
            metadata=raw.get("metadata", {}),
            schedule=raw["schedule"],
            slis=[
                SliRecord(
                    **{
                        **s,
                        "comparator": Comparator(s["comparator"]),
                        "rule": JudgeRule(s["rule"]),
                        "no_data": NoDataPolicy(s["no_data"]),
                    }
                )
                for s in raw["slis"]
            ],
            guardrails=raw.get("guardrails", []),
            phases=[PhaseRecord(**{**p, "phase": Phase(p["phase"])}) for p in raw["phases"]],
            preflight=[CheckRecord(**c) for c in raw.get("preflight", [])],
            injections=[
                InjectionRecord(**{**r, "targets": tuple(TargetRecord(**t) for t in r["targets"])})
                for r in raw.get("injections", [])
            ],
            guardrail_events=[GuardrailEvent(**e) for e in raw.get("guardrailEvents", [])],
            probe_errors=raw.get("probeErrors", []),
            probe_error_count=raw.get("probeErrorCount", 0),
            abort=Abort(**{**raw["abort"], "reason": AbortReason(raw["abort"]["reason"])})
            if raw.get("abort")
            else None,
            failure=Failure(**{**raw["failure"], "stage": FailureStage(raw["failure"]["stage"])})
            if raw.get("failure")
            else None,
            outcome=raw.get("outcome"),
            series={name: Series.from_dict(s) for name, s in raw.get("series", {}).items()},
        )


def _injection_dict(rec: InjectionRecord) -> dict[str, Any]:
    out = asdict(rec)
    out["details"] = dict(rec.details)
    return out
