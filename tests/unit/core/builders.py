"""Small builders for the pure-core tests: SLI records, tick series and whole journals.

A tick is a float (an OK sample), ``ND`` (the query returned no data) or ``ERR`` (the probe
failed). ``journal_with()`` with no arguments is a run that must be PASSED: two SLIs healthy in
every phase, one fault confirmed on a target and confirmed removed, every phase completed. Each
verdict test changes one thing from there, so the thing it changes is the only reason for its
outcome.

The timeline is fixed (phases start at fixed offsets from ``T0``, ticks one second apart), so
tests can name times without computing them. ``T0`` and every offset sit on the millisecond grid
the journal serialises times to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from enum import Enum
from typing import Any

from chaosrunner.core.journal import (
    Abort,
    AbortReason,
    Failure,
    FailureStage,
    InjectionRecord,
    Journal,
    PhaseRecord,
    SampleStatus,
    Series,
    SliRecord,
    TargetRecord,
)
from chaosrunner.core.model import SAMPLED_PHASES, JudgeRule, NoDataPolicy, Phase
from chaosrunner.core.units import parse_objective


class Missing(Enum):
    ND = "no-data"
    ERR = "probe-error"
    MISSED = "missed-tick"


ND = Missing.ND
ERR = Missing.ERR
MS = Missing.MISSED
Tick = float | Missing

T0 = 1_700_000_000.0
INTERVAL = 1.0

#: Where each phase starts, relative to T0 (room for up to 80 one-second ticks per phase).
START = {
    Phase.PREFLIGHT: 0.0,
    Phase.BASELINE: 10.0,
    Phase.INJECT: 100.0,
    Phase.OBSERVE: 110.0,
    Phase.ROLLBACK: 200.0,
    Phase.RECOVERY: 210.0,
    Phase.VERDICT: 300.0,
}
PHASE_ORDER = tuple(START)


def at(phase: Phase, offset: float = 0.0) -> float:
    """The absolute time ``offset`` seconds into ``phase``."""
    return T0 + START[phase] + offset


# -- SLIs -------------------------------------------------------------------------------------


def sli_record(
    name: str = "latency",
    objective: str = "<= 200ms",
    rule: JudgeRule = JudgeRule.EVERY_TICK,
    *,
    min_ratio: float = 1.0,
    sustain: float = 0.0,
    no_data: NoDataPolicy = NoDataPolicy.INCONCLUSIVE,
    slice_window: float = INTERVAL,
    slice_target: float = 1.0,
    severity: str = "critical",
) -> SliRecord:
    obj = parse_objective(objective)
    return SliRecord(
        name=name,
        query=f"{name}_query",
        objective=obj.text,
        comparator=obj.comparator,
        threshold=obj.threshold,
        rule=rule,
        min_ratio=min_ratio,
        sustain_seconds=sustain,
        no_data=no_data,
        slice_window=slice_window,
        slice_target=slice_target,
        severity=severity,
    )


LATENCY = sli_record("latency", "<= 200ms")
AVAILABILITY = sli_record("availability", ">= 99%")
DEFAULT_SLIS = (AVAILABILITY, LATENCY)
HEALTHY = {"availability": 1.0, "latency": 0.05}
UNHEALTHY = {"availability": 0.5, "latency": 2.0}


# -- series -----------------------------------------------------------------------------------


def append_tick(series: Series, t: float, phase: Phase, tick: Tick) -> None:
    if tick is ND:
        series.append(t, phase, None, SampleStatus.NO_DATA)
    elif tick is ERR:
        series.append(t, phase, None, SampleStatus.ERROR)
    elif tick is MS:
        series.append(t, phase, None, SampleStatus.MISSED)
    else:
        assert isinstance(tick, float | int)
        series.append(t, phase, float(tick), SampleStatus.OK)


def append_ticks(
    series: Series,
    phase: Phase,
    ticks: Sequence[Tick],
    start: float | None = None,
    interval: float = INTERVAL,
) -> Series:
    """Append ``ticks`` to ``series`` in ``phase``, one ``interval`` apart from ``start``."""
    first = at(phase) if start is None else start
    for i, tick in enumerate(ticks):
        append_tick(series, first + i * interval, phase, tick)
    return series


def series_of(
    ticks: Sequence[Tick] = (),
    phase: Phase = Phase.OBSERVE,
    *,
    start: float | None = None,
    interval: float = INTERVAL,
) -> Series:
    """A series holding only ``ticks`` in ``phase``."""
    return append_ticks(Series(), phase, ticks, start, interval)


def series_phases(ticks: Mapping[Phase, Sequence[Tick]]) -> Series:
    """A series with ticks in several sampled phases, in run order."""
    series = Series()
    for phase in SAMPLED_PHASES:
        append_ticks(series, phase, ticks.get(phase, ()))
    return series


# -- injections -------------------------------------------------------------------------------


def injection(
    fault: str = "pause-backend",
    *,
    created: bool = True,
    confirmed: bool = True,
    targets: Sequence[TargetRecord] | None = None,
    removal_confirmed: bool = True,
    one_shot: bool = False,
    error: str = "",
    details: Mapping[str, Any] | None = None,
) -> InjectionRecord:
    """A fault as the runner records it; by default created, confirmed on one target, removed."""
    inject = at(Phase.INJECT, 1.0)
    if targets is None:
        targets = (
            (TargetRecord("pid:4242", injected_at=inject, recovered_at=at(Phase.ROLLBACK, 1.0)),)
            if confirmed
            else ()
        )
    return InjectionRecord(
        fault=fault,
        kind="process-pause",
        target="backend",
        driver="local",
        one_shot=one_shot,
        planned_start=0.0,
        planned_end=60.0,
        expires_at=inject + 90.0,
        created_at=inject if created else None,
        confirmed_at=inject + 0.5 if confirmed else None,
        targets=tuple(targets),
        removed_at=at(Phase.ROLLBACK, 1.0) if created else None,
        removal_confirmed=removal_confirmed and created,
        error=error,
        details=dict(details or {}),
    )


# -- phases -----------------------------------------------------------------------------------


def phase_record(phase: Phase, *, completed: bool = True, length: float = 5.0) -> PhaseRecord:
    return PhaseRecord(
        phase,
        at(phase),
        ended_at=at(phase, length),
        planned_seconds=length,
        completed=completed,
    )


def full_phases(
    *, completed: Mapping[Phase, bool] | None = None, without: Sequence[Phase] = ()
) -> list[PhaseRecord]:
    """Every phase of a run up to (not including) the verdict, completed unless said."""
    done = completed or {}
    return [
        phase_record(p, completed=done.get(p, True))
        for p in PHASE_ORDER
        if p is not Phase.VERDICT and p not in without
    ]


# -- journals ---------------------------------------------------------------------------------

_DEFAULT = object()


def journal_with(
    series: Mapping[str, Mapping[Phase, Sequence[Tick]]] | None = None,
    *,
    slis: Sequence[SliRecord] = DEFAULT_SLIS,
    injections: Sequence[InjectionRecord] | Any = _DEFAULT,
    phases: Sequence[PhaseRecord] | None = None,
    abort: Abort | None = None,
    failure: Failure | None = None,
    dry_run: bool = False,
    recovery_limit: float = 10.0,
    ticks: int = 5,
) -> Journal:
    """A journal of a run that passes unless told otherwise.

    ``series`` overrides, per SLI name, the ticks of some phases; every other phase of every SLI
    holds ``ticks`` healthy samples (two in recovery).
    """
    overrides = series or {}
    unknown = set(overrides) - {s.name for s in slis}
    assert not unknown, f"series for SLIs not in the journal: {unknown}"
    built: dict[str, Series] = {}
    for rec in slis:
        healthy = HEALTHY.get(rec.name, 0.0)
        per_phase: dict[Phase, Sequence[Tick]] = {
            Phase.BASELINE: [healthy] * ticks,
            Phase.OBSERVE: [healthy] * ticks,
            Phase.RECOVERY: [healthy] * 2,
        }
        per_phase.update(overrides.get(rec.name, {}))
        built[rec.name] = series_phases(per_phase)
    return Journal(
        run_id="run-1",
        experiment="unit-exp",
        source="exp.yaml",
        env="lab",
        driver="local",
        started_at=T0,
        schedule={
            "baseline": float(ticks),
            "blast": float(ticks),
            "recovery": recovery_limit,
            "probeInterval": INTERVAL,
            "expiryMargin": 30.0,
        },
        slis=list(slis),
        guardrails=[{"name": "hard-stop", "query": "errors_ratio", "abortIf": "> 0.5"}],
        series=built,
        phases=list(full_phases() if phases is None else phases),
        injections=list([injection()] if injections is _DEFAULT else injections),
        abort=abort,
        failure=failure,
        dry_run=dry_run,
    )


def guardrail_abort(detail: str = "guardrail 'hard-stop': 0.9 > 0.5") -> Abort:
    return Abort(AbortReason.GUARDRAIL, at(Phase.OBSERVE, 2.0), detail)


def signal_abort(detail: str = "SIGINT") -> Abort:
    return Abort(AbortReason.SIGNAL, at(Phase.OBSERVE, 2.0), detail)


def failure(stage: FailureStage, message: str = "boom") -> Failure:
    return Failure(stage, at(Phase.PREFLIGHT, 1.0), message)


def with_phase(journal: Journal, phase: Phase, **changes: Any) -> Journal:
    """``journal`` with the last record of ``phase`` changed (the journal is mutated)."""
    for i in range(len(journal.phases) - 1, -1, -1):
        if journal.phases[i].phase is phase:
            journal.phases[i] = replace(journal.phases[i], **changes)
            return journal
    raise KeyError(phase)
