"""The journal: everything a run saw and did, in the order it happened.

The verdict is a pure function of this record, so it holds every fact the verdict needs and
nothing it would have to look up elsewhere: SLI definitions as judged, every sample with its phase
and status, each injection with its confirmation and removal, guardrail events and how the run
ended. SLI samples are stored column-wise (``array``/``bytearray``): a day of 1-second samples for
ten SLIs is 864,000 samples, which must fit in tens of megabytes, not hundreds. The journal is
serialised to plain JSON-ready dicts here; writing it to disk is an adapter's job.

The journal is event-sourced: each recording method makes one typed event (:data:`Event`),
applies it, and queues it for the run's sink (:meth:`Journal.drain`). Replaying the events
(:meth:`Journal.replay`) rebuilds the same journal, so the appended form a run leaves as it goes
(``journal.jsonl``) and the consolidated ``journal.json`` written at the end say the same thing,
and a run that was killed can still be judged from what it appended. The journal is the only
writer of its own state: nothing outside assigns its fields.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Any

from chaosrunner.core.evidence import (
    AlertReading,
    ExpectedAlertRecord,
    ProfileRecord,
    Provenance,
)
from chaosrunner.core.model import Experiment, JudgeRule, NoDataPolicy, Phase, Sli
from chaosrunner.core.units import Comparator

#: Version 4: every key is camelCase (``schemas/journal-v4.json`` documents each one).
SCHEMA_VERSION = 4
#: Version 1 journals (before the plan was recorded) stay readable: their plan reads as empty;
#: version 2 journals (before tick cadence was recorded) read with no tick log; versions 1-3
#: wrote the records' keys in snake_case (``started_at``), read by :func:`_fields`.
READABLE_SCHEMA_VERSIONS = (1, 2, 3, 4)
#: The appended form's own version (the first line of ``journal.jsonl`` says it): 2 writes
#: camelCase keys; version 1 logs (snake_case records) stay readable.
EVENT_LOG_VERSION = 2
READABLE_EVENT_LOG_VERSIONS = (1, 2)
MAX_PROBE_ERRORS = 200


class SampleStatus(IntEnum):
    OK = 0
    NO_DATA = 1
    ERROR = 2
    #: The query answered, but from samples older than the freshness bound (its target stopped
    #: being scraped): never judged as good or bad. Why is in ``Journal.stale_readings``.
    STALE = 3
    #: The tick was due but not sampled in time (the loop fell behind by more than
    #: ``late_bound``, or skipped it): missing evidence, exactly like a gap in the data.
    MISSED = 4


#: One letter per status in a serialised series; journals written before STALE have no "s",
#: before MISSED no "m".
_STATUS_CODES = "onesm"
MAX_STALE_READINGS = 200
_PHASE_CODES = {Phase.BASELINE: 0, Phase.OBSERVE: 1, Phase.RECOVERY: 2}
_PHASE_LETTERS = "bor"


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
    #: timeslices: the slice length in seconds and the share of good slices required.
    slice_window: float = 0.0
    slice_target: float = 1.0
    #: critical or warning: the hypothesis' weight in the resilience score.
    severity: str = "critical"
    #: The declared SLO for error-budget burn (a fraction, and its window in seconds), or None.
    slo_target: float | None = None
    slo_window_seconds: float | None = None
    #: The saturation preset the query was compiled from, or "".
    preset: str = ""

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
            slice_window=sli.judge.slice_window,
            slice_target=sli.judge.slice_target,
            severity=sli.severity.value,
            slo_target=sli.slo.target if sli.slo else None,
            slo_window_seconds=sli.slo.window_seconds if sli.slo else None,
            preset=sli.preset,
        )

    def holds(self, value: float) -> bool:
        return self.comparator.holds(value, self.threshold)


@dataclass(frozen=True)
class StaleReading:
    """Why one SLI's reading at ``t`` was stale (the first ``MAX_STALE_READINGS`` are kept)."""

    sli: str
    t: float
    reason: str


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
class PlannedFaultRecord:
    """A fault as planned before the run: the verdict holds every one of these to account."""

    fault: str
    kind: str
    target: str
    one_shot: bool
    planned_start: float
    planned_end: float
    expiry: float


@dataclass(frozen=True)
class EscalationRecord:
    """A removal chaosrunner had to force past the fault's owner: the target may not have
    recovered.

    Chaos Mesh holds a deleted object with its finalizer until every target is recovered; when
    even ``cleanFinalizer: forced`` does not release it (the controller keeps failing on the
    records before it reaches that step), chaosrunner removes the finalizer itself. The object
    is then gone, but nobody said its targets were restored: ``not_recovered`` are the records
    Chaos Mesh still had as injected (``namespace/pod``, with its counts and last failure),
    ``removed`` what chaosrunner found of its own afterwards and deleted, and ``may_remain``
    what it found and left because it is not its own (a PodNetworkChaos owned by the pod).
    """

    at: float
    steps: tuple[str, ...]
    not_recovered: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    may_remain: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line: which targets may still carry the fault, and what may be left."""
        parts = [
            "not recovered: " + "; ".join(self.not_recovered)
            if self.not_recovered
            else "no record was still injected, but Chaos Mesh never confirmed recovery"
        ]
        if self.removed:
            parts.append("removed: " + "; ".join(self.removed))
        if self.may_remain:
            parts.append("may be left: " + "; ".join(self.may_remain))
        return "; ".join(parts)


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
    #: The fault's parameters as run (latency, jitter, rate, selector...), for the faults table.
    params: Mapping[str, Any] = field(default_factory=dict)
    #: How the driver confirmed it active (its own words), "" before confirmation.
    confirmation: str = ""
    #: Set when the removal had to be escalated past the fault's owner (see EscalationRecord).
    escalation: EscalationRecord | None = None

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
    #: An unexpected exception (a bug, not a reported failure): the verdict is ERROR.
    CRASH = "crash"


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
    #: The guardrail could not see (no data, probe error, stale data) from this tick on; an
    #: event with ``blind`` False and ``breached`` False marks it seeing again.
    blind: bool = False


def late_bound(probe_interval: float) -> float:
    """How late a tick may start and still count: half the probe interval. A tick that could
    only start later is not sampled at all but recorded as MISSED (unknown evidence)."""
    return probe_interval / 2


@dataclass
class TickLog:
    """Every due tick of the sampling phases, column-wise: when it was due, how late it was
    sampled (NaN: it was not sampled in time, so it is missing evidence) and its phase."""

    due: array[float] = field(default_factory=lambda: array("d"))
    lag: array[float] = field(default_factory=lambda: array("d"))
    phases: bytearray = field(default_factory=bytearray)

    def append(self, phase: Phase, due: float, sampled: float | None) -> None:
        self.due.append(round(due, 3))
        self.lag.append(math.nan if sampled is None else round(max(0.0, sampled - due), 3))
        self.phases.append(_PHASE_CODES[phase])

    def __len__(self) -> int:
        return len(self.due)

    def missed(self, phase: Phase | None = None) -> int:
        """Ticks that were due but not sampled in time (in ``phase`` when given)."""
        code = None if phase is None else _PHASE_CODES[phase]
        return sum(
            1
            for lag, p in zip(self.lag, self.phases, strict=True)
            if math.isnan(lag) and (code is None or p == code)
        )

    def worst_lag(self) -> float:
        sampled = [lag for lag in self.lag if not math.isnan(lag)]
        return max(sampled) if sampled else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "due": list(self.due),
            "lag": [None if math.isnan(v) else v for v in self.lag],
            "phase": "".join(_PHASE_LETTERS[p] for p in self.phases),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> TickLog:
        return cls(
            array("d", raw["due"]),
            array("d", (math.nan if v is None else float(v) for v in raw["lag"])),
            bytearray(_PHASE_LETTERS.index(c) for c in raw["phase"]),
        )


@dataclass(frozen=True)
class SliVerdictRecord:
    """One SLI's outcome per phase, as the verdict judged it."""

    name: str
    objective: str
    baseline: str
    observe: str
    recovery: str
    recovery_seconds: float | None
    gap: str


@dataclass(frozen=True)
class VerdictRecord:
    """The verdict as recorded in the journal (``core.verdict.Decision.record`` makes it)."""

    verdict: str
    exit_code: int
    reasons: tuple[str, ...]
    score: float | None
    faults_left: tuple[str, ...]
    slis: tuple[SliVerdictRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "exitCode": self.exit_code,
            "reasons": list(self.reasons),
            "score": self.score,
            "faultsLeft": list(self.faults_left),
            "slis": [
                {
                    "name": a.name,
                    "objective": a.objective,
                    "baseline": a.baseline,
                    "observe": a.observe,
                    "recovery": a.recovery,
                    "recoverySeconds": a.recovery_seconds,
                    "gap": a.gap,
                }
                for a in self.slis
            ],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> VerdictRecord:
        return cls(
            verdict=raw["verdict"],
            exit_code=raw["exitCode"],
            reasons=tuple(raw.get("reasons", ())),
            score=raw.get("score"),
            faults_left=tuple(raw.get("faultsLeft", ())),
            slis=tuple(
                SliVerdictRecord(
                    a["name"],
                    a["objective"],
                    a["baseline"],
                    a["observe"],
                    a["recovery"],
                    a.get("recoverySeconds"),
                    a.get("gap", ""),
                )
                for a in raw.get("slis", ())
            ),
        )


# -- events: what the journal records, one mutation each ------------------------------------


@dataclass(frozen=True)
class Started:
    """The run's header: everything known before the first phase."""

    run_id: str
    experiment: str
    source: str
    env: str
    driver: str
    started_at: float
    schedule: Mapping[str, float]
    slis: tuple[SliRecord, ...]
    guardrails: tuple[Mapping[str, str], ...]
    plan: tuple[PlannedFaultRecord, ...]
    dry_run: bool
    metadata: Mapping[str, Any]
    #: The Prometheus the SLIs were read from (credentials removed), for links to its graph
    #: page; "" in journals written before it was recorded.
    prometheus_url: str = ""
    #: The alerts the experiment expects to fire (``spec.alerts``).
    expected_alerts: tuple[ExpectedAlertRecord, ...] = ()
    #: Who ran what, where and how (None in journals written before it was recorded).
    provenance: Provenance | None = None


@dataclass(frozen=True)
class AlertsRead:
    """The expected alerts on one tick: firing, not firing, or unknown."""

    readings: tuple[AlertReading, ...]


@dataclass(frozen=True)
class ProfileCaptured:
    """One goroutine-profile capture of one target, or why it failed."""

    record: ProfileRecord


@dataclass(frozen=True)
class PhaseBegan:
    phase: Phase
    at: float
    planned: float | None


@dataclass(frozen=True)
class PhaseEnded:
    phase: Phase
    at: float
    completed: bool
    note: str


@dataclass(frozen=True)
class PreflightChecked:
    checks: tuple[CheckRecord, ...]


@dataclass(frozen=True)
class InjectionChanged:
    """An injection's record as it now stands (intent, creation, confirmation, removal)."""

    record: InjectionRecord


@dataclass(frozen=True)
class TickSample:
    """One SLI on one tick: its value (OK only), status and, when not OK, why."""

    sli: str
    value: float | None
    status: SampleStatus
    why: str = ""


@dataclass(frozen=True)
class Ticked:
    """One due tick: sampled at ``sampled`` (None: missed, so every SLI is MISSED), with the
    guardrails that could not see on it."""

    phase: Phase
    due: float
    sampled: float | None
    samples: tuple[TickSample, ...]
    blind: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuardrailSeen:
    event: GuardrailEvent


@dataclass(frozen=True)
class Aborted:
    abort: Abort


@dataclass(frozen=True)
class Failed:
    failure: Failure


@dataclass(frozen=True)
class Judged:
    outcome: VerdictRecord
    finished_at: float


Event = (
    Started
    | PhaseBegan
    | PhaseEnded
    | PreflightChecked
    | InjectionChanged
    | Ticked
    | GuardrailSeen
    | Aborted
    | Failed
    | Judged
    | AlertsRead
    | ProfileCaptured
)

#: Events after which the appended form is fsynced: losing one of these would lose a fact
#: the verdict or a cleanup needs (a phase change, an injection or removal, how the run ended).
DURABLE_EVENTS = (Started, PhaseBegan, PhaseEnded, InjectionChanged, Aborted, Failed, Judged)


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
    plan: list[PlannedFaultRecord] = field(default_factory=list)
    guardrail_events: list[GuardrailEvent] = field(default_factory=list)
    guardrail_blind_ticks: dict[str, int] = field(default_factory=dict)
    probe_errors: list[Mapping[str, Any]] = field(default_factory=list)
    probe_error_count: int = 0
    stale_readings: list[StaleReading] = field(default_factory=list)
    stale_count: int = 0
    abort: Abort | None = None
    failure: Failure | None = None
    dry_run: bool = False
    finished_at: float | None = None
    outcome: VerdictRecord | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    ticks: TickLog = field(default_factory=TickLog)
    prometheus_url: str = ""
    expected_alerts: list[ExpectedAlertRecord] = field(default_factory=list)
    alert_readings: list[AlertReading] = field(default_factory=list)
    profiles: list[ProfileRecord] = field(default_factory=list)
    provenance: Provenance | None = None
    #: Events recorded but not yet handed to the sink (see :meth:`drain`).
    _pending: list[Event] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def start(
        cls,
        experiment: Experiment,
        run_id: str,
        now: float,
        *,
        dry_run: bool = False,
        plan: Sequence[PlannedFaultRecord] = (),
        provenance: Provenance | None = None,
    ) -> Journal:
        s = experiment.schedule
        meta = experiment.metadata
        header = Started(
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
            slis=tuple(SliRecord.of(sli) for sli in experiment.slis),
            guardrails=tuple(
                {"name": g.name, "query": g.query, "abortIf": g.abort_if.text}
                for g in experiment.guardrails
            ),
            plan=tuple(plan),
            dry_run=dry_run,
            metadata={
                "description": meta.description,
                "owner": meta.owner,
                "tags": list(meta.tags),
            },
            prometheus_url=without_userinfo(experiment.env.prometheus.url),
            expected_alerts=tuple(
                ExpectedAlertRecord(a.name, a.within, a.required) for a in experiment.alerts
            ),
            provenance=provenance,
        )
        journal = cls._of(header)
        journal._pending.append(header)
        return journal

    @classmethod
    def _of(cls, h: Started) -> Journal:
        return cls(
            run_id=h.run_id,
            experiment=h.experiment,
            source=h.source,
            env=h.env,
            driver=h.driver,
            started_at=h.started_at,
            schedule=dict(h.schedule),
            slis=list(h.slis),
            guardrails=list(h.guardrails),
            series={rec.name: Series() for rec in h.slis},
            plan=list(h.plan),
            dry_run=h.dry_run,
            metadata=dict(h.metadata),
            prometheus_url=h.prometheus_url,
            expected_alerts=list(h.expected_alerts),
            provenance=h.provenance,
        )

    @classmethod
    def replay(cls, events: Iterable[Event]) -> Journal:
        """The journal these events record (the first must be :class:`Started`)."""
        it = iter(events)
        header = next(it, None)
        if not isinstance(header, Started):
            raise ValueError("a journal's events begin with its header (Started)")
        journal = cls._of(header)
        for event in it:
            journal.apply(event)
        return journal

    def drain(self) -> list[Event]:
        """The events recorded since the last call, for the sink to append."""
        out, self._pending = self._pending, []
        return out

    # -- recording: each method is one event -----------------------------------------------

    def _record(self, event: Event) -> None:
        self.apply(event)
        self._pending.append(event)

    def begin(self, phase: Phase, now: float, planned: float | None = None) -> None:
        self._record(PhaseBegan(phase, now, planned))

    def end(self, phase: Phase, now: float, *, completed: bool, note: str = "") -> None:
        if any(p.phase is phase and p.ended_at is None for p in self.phases):
            self._record(PhaseEnded(phase, now, completed, note))

    def end_open(self, now: float, note: str) -> None:
        """End every phase still open, as not completed."""
        for rec in list(self.phases):
            if rec.ended_at is None:
                self.end(rec.phase, now, completed=False, note=note)

    def checked(self, checks: Sequence[CheckRecord]) -> None:
        self._record(PreflightChecked(tuple(checks)))

    def intend(self, record: InjectionRecord) -> None:
        """Record an injection before the driver is asked for it (a crash leaves the intent)."""
        self._record(InjectionChanged(record))

    def update_injection(self, fault: str, **changes: Any) -> InjectionRecord:
        rec = replace(self.injection(fault), **changes)
        self._record(InjectionChanged(rec))
        return rec

    def tick(
        self,
        phase: Phase,
        due: float,
        sampled: float | None,
        samples: Sequence[TickSample],
        blind: Sequence[str] = (),
    ) -> None:
        self._record(Ticked(phase, due, sampled, tuple(samples), tuple(blind)))

    def guardrail(self, event: GuardrailEvent) -> None:
        self._record(GuardrailSeen(event))

    def aborted(self, reason: AbortReason, at: float, detail: str) -> None:
        """The run was stopped (the first reason is kept)."""
        if self.abort is None:
            self._record(Aborted(Abort(reason, at, detail)))

    def failed(self, stage: FailureStage, at: float, message: str) -> None:
        self._record(Failed(Failure(stage, at, message)))

    def judged(self, outcome: VerdictRecord, at: float) -> None:
        self._record(Judged(outcome, at))

    def alerts_read(self, readings: Sequence[AlertReading]) -> None:
        if readings:
            self._record(AlertsRead(tuple(readings)))

    def profile_captured(self, record: ProfileRecord) -> None:
        self._record(ProfileCaptured(record))

    # -- applying events (replay goes through here too) ------------------------------------

    def apply(self, event: Event) -> None:
        match event:
            case PhaseBegan(phase, at, planned):
                self.phases.append(PhaseRecord(phase, at, planned_seconds=planned))
            case PhaseEnded(phase, at, completed, note):
                for i in range(len(self.phases) - 1, -1, -1):
                    if self.phases[i].phase is phase and self.phases[i].ended_at is None:
                        self.phases[i] = replace(
                            self.phases[i], ended_at=at, completed=completed, note=note
                        )
                        break
            case PreflightChecked(checks):
                self.preflight = list(checks)
            case InjectionChanged(record):
                for i, rec in enumerate(self.injections):
                    if rec.fault == record.fault:
                        self.injections[i] = record
                        break
                else:
                    self.injections.append(record)
            case Ticked():
                self._apply_tick(event)
            case GuardrailSeen(ev):
                self.guardrail_events.append(ev)
            case Aborted(abort):
                if self.abort is None:
                    self.abort = abort
            case Failed(failure):
                self.failure = failure
            case Judged(outcome, at):
                self.outcome = outcome
                self.finished_at = at
            case AlertsRead(readings):
                self.alert_readings.extend(readings)
            case ProfileCaptured(record):
                self.profiles.append(record)
            case Started():
                raise ValueError("a journal has one header")

    def _apply_tick(self, event: Ticked) -> None:
        at = event.due
        self.ticks.append(event.phase, event.due, event.sampled)
        for sample in event.samples:
            series = self.series.get(sample.sli)
            if series is None:
                continue
            series.append(at, event.phase, sample.value, sample.status)
            if sample.status is SampleStatus.ERROR:
                self.record_probe_error(sample.sli, at, sample.why)
            elif sample.status is SampleStatus.STALE:
                self.record_stale(sample.sli, at, sample.why)
        for name in event.blind:
            self.guardrail_blind_ticks[name] = self.guardrail_blind_ticks.get(name, 0) + 1

    def phase(self, phase: Phase) -> PhaseRecord | None:
        return next((p for p in reversed(self.phases) if p.phase is phase), None)

    def record_probe_error(self, sli: str, t: float, message: str) -> None:
        self.probe_error_count += 1
        if len(self.probe_errors) < MAX_PROBE_ERRORS:
            self.probe_errors.append({"sli": sli, "t": round(t, 3), "message": message})

    def record_stale(self, sli: str, t: float, reason: str) -> None:
        self.stale_count += 1
        if len(self.stale_readings) < MAX_STALE_READINGS:
            self.stale_readings.append(StaleReading(sli, round(t, 3), reason))

    def stale_for(self, sli: str, phase: Phase | None = None) -> list[StaleReading]:
        """The recorded stale readings of ``sli`` (in ``phase``'s time span when given)."""
        found = [r for r in self.stale_readings if r.sli == sli]
        if phase is None:
            return found
        rec = self.phase(phase)
        if rec is None:
            return []
        end = rec.ended_at if rec.ended_at is not None else math.inf
        return [r for r in found if rec.started_at - 1e-3 <= r.t <= end + 1e-3]

    def injection(self, fault: str) -> InjectionRecord:
        for rec in self.injections:
            if rec.fault == fault:
                return rec
        raise KeyError(fault)

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {**self.header_dict(), "series": self.series_dicts()}

    def series_dicts(self) -> dict[str, dict[str, Any]]:
        return {name: s.to_dict() for name, s in self.series.items()}

    def header_dict(self) -> dict[str, Any]:
        """Everything but the series (a writer can then write those one at a time)."""
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
            "prometheusUrl": self.prometheus_url,
            "schedule": dict(self.schedule),
            "slis": [_record(s) for s in self.slis],
            "guardrails": [dict(g) for g in self.guardrails],
            "phases": [_record(p) for p in self.phases],
            "preflight": [_record(c) for c in self.preflight],
            "injections": [_injection_dict(r) for r in self.injections],
            "plan": [_record(p) for p in self.plan],
            "guardrailEvents": [_record(e) for e in self.guardrail_events],
            "guardrailBlindTicks": dict(self.guardrail_blind_ticks),
            "probeErrors": list(self.probe_errors),
            "probeErrorCount": self.probe_error_count,
            "staleReadings": [_record(r) for r in self.stale_readings],
            "staleReadingCount": self.stale_count,
            "abort": _record(self.abort) if self.abort else None,
            "failure": _record(self.failure) if self.failure else None,
            "outcome": self.outcome.to_dict() if self.outcome else None,
            "ticks": self.ticks.to_dict(),
            "expectedAlerts": [a.to_dict() for a in self.expected_alerts],
            "alertReadings": [r.to_dict() for r in self.alert_readings],
            "profiles": [p.to_dict() for p in self.profiles],
            "provenance": self._provenance_dict(),
        }

    def _provenance_dict(self) -> dict[str, Any] | None:
        """The provenance with the start and end as ISO 8601 times with the run's offset."""
        p = self.provenance
        if p is None:
            return None
        return {
            **p.to_dict(),
            "startedAtIso": p.iso(self.started_at),
            "finishedAtIso": p.iso(self.finished_at),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Journal:
        if raw.get("schemaVersion") not in READABLE_SCHEMA_VERSIONS:
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
            prometheus_url=raw.get("prometheusUrl", ""),
            schedule=raw["schedule"],
            slis=[_sli_record(s) for s in raw["slis"]],
            guardrails=raw.get("guardrails", []),
            phases=[_phase_record(p) for p in raw["phases"]],
            preflight=[CheckRecord(**_fields(c)) for c in raw.get("preflight", [])],
            injections=[_injection_record(r) for r in raw.get("injections", [])],
            plan=[PlannedFaultRecord(**_fields(p)) for p in raw.get("plan", [])],
            guardrail_events=[GuardrailEvent(**_fields(e)) for e in raw.get("guardrailEvents", [])],
            guardrail_blind_ticks=dict(raw.get("guardrailBlindTicks", {})),
            probe_errors=raw.get("probeErrors", []),
            probe_error_count=raw.get("probeErrorCount", 0),
            stale_readings=[StaleReading(**_fields(r)) for r in raw.get("staleReadings", [])],
            stale_count=raw.get("staleReadingCount", 0),
            abort=_abort(raw["abort"]) if raw.get("abort") else None,
            failure=_failure(raw["failure"]) if raw.get("failure") else None,
            outcome=VerdictRecord.from_dict(raw["outcome"]) if raw.get("outcome") else None,
            ticks=TickLog.from_dict(raw["ticks"]) if raw.get("ticks") else TickLog(),
            series={name: Series.from_dict(s) for name, s in raw.get("series", {}).items()},
            expected_alerts=[
                ExpectedAlertRecord.from_dict(a) for a in raw.get("expectedAlerts", [])
            ],
            alert_readings=[AlertReading.from_dict(r) for r in raw.get("alertReadings", [])],
            profiles=[ProfileRecord.from_dict(p) for p in raw.get("profiles", [])],
            provenance=Provenance.from_dict(raw["provenance"]) if raw.get("provenance") else None,
        )


def camel(name: str) -> str:
    """``started_at`` → ``startedAt``: the journal's one key convention (schema version 4)."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


_UPPER = re.compile(r"(?<!^)([A-Z])")


def snake(name: str) -> str:
    """``startedAt`` → ``started_at``; a snake_case key (versions 1-3) is left as it is."""
    return _UPPER.sub(lambda m: "_" + m.group(1).lower(), name)


def _record(obj: Any) -> dict[str, Any]:
    """A record dataclass as a JSON object with camelCase keys (values as ``asdict``)."""
    return {camel(k): v for k, v in asdict(obj).items()}


def _fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A record's JSON object (camelCase or, before version 4, snake_case) as field names."""
    return {snake(k): v for k, v in raw.items()}


def without_userinfo(url: str) -> str:
    """``url`` without ``user:password@`` (a journal is shared; a link must not carry them)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


def _injection_dict(rec: InjectionRecord) -> dict[str, Any]:
    out = _record(rec)
    out["targets"] = [_record(t) for t in rec.targets]
    out["details"] = dict(rec.details)  # the driver's data: its keys are kept as they are
    out["params"] = dict(rec.params)
    # Written only when there was one, so a journal without it is what version 4 always wrote.
    if rec.escalation is None:
        del out["escalation"]
    else:
        out["escalation"] = _record(rec.escalation)
    return out


def _sli_record(raw: Mapping[str, Any]) -> SliRecord:
    s = _fields(raw)
    return SliRecord(
        **{
            **s,
            "comparator": Comparator(s["comparator"]),
            "rule": JudgeRule(s["rule"]),
            "no_data": NoDataPolicy(s["no_data"]),
        }
    )


def _phase_record(raw: Mapping[str, Any]) -> PhaseRecord:
    p = _fields(raw)
    return PhaseRecord(**{**p, "phase": Phase(p["phase"])})


def _injection_record(raw: Mapping[str, Any]) -> InjectionRecord:
    r = _fields(raw)
    return InjectionRecord(
        **{
            **r,
            "details": raw.get("details", {}),
            "params": raw.get("params", {}),
            "targets": tuple(TargetRecord(**_fields(t)) for t in r["targets"]),
            "escalation": _escalation(raw.get("escalation")),
        }
    )


def _escalation(raw: Mapping[str, Any] | None) -> EscalationRecord | None:
    if raw is None:
        return None
    e = _fields(raw)
    return EscalationRecord(
        float(e["at"]),
        tuple(e["steps"]),
        tuple(e.get("not_recovered", ())),
        tuple(e.get("removed", ())),
        tuple(e.get("may_remain", ())),
    )


def _abort(raw: Mapping[str, Any]) -> Abort:
    return Abort(**{**_fields(raw), "reason": AbortReason(raw["reason"])})


def _failure(raw: Mapping[str, Any]) -> Failure:
    return Failure(**{**_fields(raw), "stage": FailureStage(raw["stage"])})


# -- events as JSON-ready dicts (the appended form's lines) ----------------------------------


def event_to_dict(event: Event) -> dict[str, Any]:
    """One event as one JSON-ready line of the appended form (key ``e`` names its type)."""
    match event:
        case Started():
            return {
                "e": "start",
                "version": EVENT_LOG_VERSION,
                "runId": event.run_id,
                "experiment": event.experiment,
                "source": event.source,
                "env": event.env,
                "driver": event.driver,
                "startedAt": event.started_at,
                "schedule": dict(event.schedule),
                "slis": [_record(s) for s in event.slis],
                "guardrails": [dict(g) for g in event.guardrails],
                "plan": [_record(p) for p in event.plan],
                "dryRun": event.dry_run,
                "metadata": dict(event.metadata),
                "prometheusUrl": event.prometheus_url,
                "expectedAlerts": [a.to_dict() for a in event.expected_alerts],
                "provenance": event.provenance.to_dict() if event.provenance else None,
            }
        case PhaseBegan(phase, at, planned):
            return {"e": "begin", "phase": phase.value, "at": at, "planned": planned}
        case PhaseEnded(phase, at, completed, note):
            return {
                "e": "end",
                "phase": phase.value,
                "at": at,
                "completed": completed,
                "note": note,
            }
        case PreflightChecked(checks):
            return {"e": "preflight", "checks": [_record(c) for c in checks]}
        case InjectionChanged(record):
            return {"e": "injection", "record": _injection_dict(record)}
        case Ticked(phase, due, sampled, samples, blind):
            return {
                "e": "tick",
                "phase": phase.value,
                "due": round(due, 3),
                "sampled": None if sampled is None else round(sampled, 3),
                "v": [
                    [s.sli, None if s.value is None else _json_number(s.value), int(s.status)]
                    + ([s.why] if s.why else [])
                    for s in samples
                ],
                "blind": list(blind),
            }
        case GuardrailSeen(ev):
            return {"e": "guardrail", **_record(ev)}
        case Aborted(abort):
            return {"e": "abort", **_record(abort)}
        case Failed(failure):
            return {"e": "failure", **_record(failure)}
        case Judged(outcome, at):
            return {"e": "verdict", "at": at, "outcome": outcome.to_dict()}
        case AlertsRead(readings):
            return {"e": "alerts", "readings": [r.to_dict() for r in readings]}
        case ProfileCaptured(record):
            return {"e": "profile", **record.to_dict()}
    raise AssertionError(event)


def event_from_dict(raw: Mapping[str, Any]) -> Event:
    """The event of one line of the appended form; ValueError when it is not one."""
    try:
        match raw.get("e"):
            case "start":
                if raw.get("version") not in READABLE_EVENT_LOG_VERSIONS:
                    raise ValueError(f"unsupported journal log version {raw.get('version')!r}")
                return Started(
                    run_id=raw["runId"],
                    experiment=raw["experiment"],
                    source=raw["source"],
                    env=raw["env"],
                    driver=raw["driver"],
                    started_at=raw["startedAt"],
                    schedule=raw["schedule"],
                    slis=tuple(_sli_record(s) for s in raw["slis"]),
                    guardrails=tuple(raw.get("guardrails", ())),
                    plan=tuple(PlannedFaultRecord(**_fields(p)) for p in raw.get("plan", ())),
                    dry_run=raw.get("dryRun", False),
                    metadata=raw.get("metadata", {}),
                    prometheus_url=raw.get("prometheusUrl", ""),
                    expected_alerts=tuple(
                        ExpectedAlertRecord.from_dict(a) for a in raw.get("expectedAlerts", ())
                    ),
                    provenance=(
                        Provenance.from_dict(raw["provenance"]) if raw.get("provenance") else None
                    ),
                )
            case "begin":
                return PhaseBegan(Phase(raw["phase"]), raw["at"], raw.get("planned"))
            case "end":
                return PhaseEnded(
                    Phase(raw["phase"]), raw["at"], raw["completed"], raw.get("note", "")
                )
            case "preflight":
                return PreflightChecked(tuple(CheckRecord(**_fields(c)) for c in raw["checks"]))
            case "injection":
                return InjectionChanged(_injection_record(raw["record"]))
            case "tick":
                return Ticked(
                    Phase(raw["phase"]),
                    raw["due"],
                    raw.get("sampled"),
                    tuple(
                        TickSample(
                            v[0],
                            _number(v[1]),
                            SampleStatus(v[2]),
                            v[3] if len(v) > 3 else "",
                        )
                        for v in raw["v"]
                    ),
                    tuple(raw.get("blind", ())),
                )
            case "guardrail":
                return GuardrailSeen(
                    GuardrailEvent(**_fields({k: v for k, v in raw.items() if k != "e"}))
                )
            case "abort":
                return Aborted(_abort({k: v for k, v in raw.items() if k != "e"}))
            case "failure":
                return Failed(_failure({k: v for k, v in raw.items() if k != "e"}))
            case "verdict":
                return Judged(VerdictRecord.from_dict(raw["outcome"]), raw["at"])
            case "alerts":
                return AlertsRead(tuple(AlertReading.from_dict(r) for r in raw["readings"]))
            case "profile":
                return ProfileCaptured(
                    ProfileRecord.from_dict({k: v for k, v in raw.items() if k != "e"})
                )
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"malformed {raw.get('e')!r} record: {exc!r}") from exc
    raise ValueError(f"unknown record type {raw.get('e')!r}")


def _number(v: Any) -> float | None:
    if v is None:
        return None
    if v == "+Inf":
        return math.inf
    if v == "-Inf":
        return -math.inf
    return float(v)
