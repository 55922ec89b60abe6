"""Drive one experiment run through its phases, and always roll back.

The engine reads the way a run goes (README, "What a run does"): preflight, baseline, inject,
observe, rollback, recovery, verdict. The engine knows nothing of Prometheus, processes or
Kubernetes: it talks to ports. What it guarantees is ordering and safety: nothing is injected
before validation and preflight pass; every injection is journalled before the driver is called
(so a crash leaves a record of intent); rollback runs for every way out — pass, fail,
guardrail, exception, signal — and a second signal cannot skip it.

Every sampling phase (baseline, observe, recovery) runs the one tick loop, :meth:`_sample`.
Ticks sit on a fixed grid from the phase's start, so a phase's ticks span what the schedule
says; faults start and end at their planned offsets, not on ticks. On each tick every SLI and
guardrail query is asked at once (``probes.Prober``), pinned to the tick's time, each with a
deadline shorter than the probe interval; a guardrail is judged as soon as its answer is in and
a breach aborts at once. A tick the loop could not start within half an interval of when it was
due is not sampled late: it is recorded as MISSED, missing evidence like a gap in the data.

The journal records (its methods are its only writers); :meth:`_commit` is the one step that
hands what it recorded to the sink. Any unexpected exception is a crash: rolled back like any
other way out, and recorded (failure stage ``crash``) so the verdict is ERROR, never a verdict
on the system.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import structlog

from chaosrunner.core.errors import ChaosRunnerError, RunInterrupted
from chaosrunner.core.evidence import AlertReading, AlertState, CaptureLabel, Provenance
from chaosrunner.core.hypothesis import Outcome, judge_phase, tick_holds
from chaosrunner.core.journal import (
    AbortReason,
    CheckRecord,
    FailureStage,
    GuardrailEvent,
    InjectionRecord,
    Journal,
    PlannedFaultRecord,
    SampleStatus,
    TickSample,
    late_bound,
)
from chaosrunner.core.model import Experiment, Guardrail, GuardrailNoData, Phase
from chaosrunner.core.plan import Plan, PlannedFault, make_plan
from chaosrunner.core.ports import (
    Clock,
    FaultDriver,
    Handle,
    JournalSink,
    MetricsSource,
    ProfileFetcher,
    Progress,
    Reading,
    RunInfo,
    SliTick,
)
from chaosrunner.core.verdict import Decision, decide
from chaosrunner.runner.captures import Capturer
from chaosrunner.runner.probes import Prober, Query, query_deadline
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.run")
CONFIRM_TIMEOUT = 30.0
REMOVE_TIMEOUT = 60.0
_EPS = 1e-6


class _GuardrailBreach(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class _Timed:
    """Something the loop does at an offset into its phase (a fault's start or end); it
    returns why the phase must end early, or ''."""

    offset: float
    order: int
    action: Callable[[], str]


class Runner:
    def __init__(
        self,
        experiment: Experiment,
        *,
        run_id: str,
        metrics: MetricsSource,
        driver: FaultDriver,
        clock: Clock,
        sink: JournalSink,
        progress: Progress,
        stop: StopFlag,
        dry_run: bool = False,
        confirm_timeout: float = CONFIRM_TIMEOUT,
        query_timeout: float | None = None,
        profiles: ProfileFetcher | None = None,
        output_dir: Path | None = None,
        provenance: Provenance | None = None,
    ) -> None:
        self.experiment = experiment
        self.plan: Plan = make_plan(experiment)
        self.metrics = metrics
        self.driver = driver
        self.clock = clock
        self.sink = sink
        self.progress = progress
        self.stop = stop
        self.dry_run = dry_run
        self.confirm_timeout = confirm_timeout
        interval = experiment.schedule.probe_interval
        self.late_bound = late_bound(interval)
        queries = [Query(s.name, s.query) for s in experiment.slis] + [
            Query(g.name, g.query, guardrail=True) for g in experiment.guardrails
        ]
        # Expected alerts are read on every tick with the SLIs (see core/evidence.py).
        self._alerts = {_ALERT_KEY + a.name: a.name for a in experiment.alerts}
        queries += [Query(key, alert_query(name)) for key, name in self._alerts.items()]
        self._queries = tuple(queries)
        self._guardrails = {g.name: g for g in experiment.guardrails}
        self.prober = Prober(
            metrics, query_deadline(interval, query_timeout), workers=len(queries) * 2
        )
        now = clock.now()
        self.capturer = Capturer(experiment, profiles, output_dir, clock.now)
        self.info = RunInfo(run_id, experiment.metadata.name, now)
        self.journal = Journal.start(
            experiment,
            run_id,
            now,
            dry_run=dry_run,
            plan=[
                PlannedFaultRecord(
                    fault=pf.fault.name,
                    kind=pf.kind.name,
                    target=pf.fault.target,
                    one_shot=pf.kind.one_shot,
                    planned_start=pf.start,
                    planned_end=pf.end,
                    expiry=pf.expiry,
                )
                for pf in self.plan.faults
            ],
            provenance=provenance,
        )
        self.handles: dict[str, Handle] = {}
        self._blind: dict[str, str] = {}  # guardrails that cannot see now, and why
        self._behind = False  # in a stretch of missed ticks (said once per stretch)
        self.decision: Decision | None = None
        self.log = log.bind(run_id=run_id, experiment=experiment.metadata.name)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Decision:
        self._commit()
        try:
            self._sequence()
        except RunInterrupted as exc:
            self._abort(AbortReason.SIGNAL, str(exc))
        except _GuardrailBreach as exc:
            self._abort(AbortReason.GUARDRAIL, exc.detail)
        except ChaosRunnerError as exc:
            self._fail(FailureStage.RUN, str(exc))
        except Exception as exc:  # noqa: BLE001 - a crash is recorded as ERROR, never lost
            self._crash(exc)
        finally:
            try:
                with self.stop.shielded():
                    self._rollback()
            except Exception as exc:  # noqa: BLE001 - a crash is recorded as ERROR, never lost
                self._crash(exc)
            finally:
                self.prober.close()
                try:
                    self.driver.close()
                except Exception as exc:  # noqa: BLE001 - a crash is recorded as ERROR, never lost
                    self._crash(exc)
        return self._finish()

    def _sequence(self) -> None:
        """The run as the README tells it. Each step returns False when the run goes no further
        (the journal says why); an exception is handled once, in :meth:`run`."""
        if not self._preflight():
            return
        # A stop asked for while preflight ran ends the run here, a dry run included: an
        # interrupted dry run is ABORTED, not a dry run that passed.
        self._checkpoint()
        if self.dry_run:
            return
        if not self._baseline() or not self._inject_first():
            return
        observed = self._observe()
        self._capture(CaptureLabel.BLAST)  # faults still active, before rollback
        if not observed:
            return
        with self.stop.shielded():
            self._rollback()  # the faults go before recovery is measured
        self._checkpoint()
        if self.journal.failure is None:  # e.g. a removal that crashed: nothing to recover from
            self._recovery()
            self._capture(CaptureLabel.RECOVERY)

    def _baseline(self) -> bool:
        self._sample(Phase.BASELINE, self.experiment.schedule.baseline)
        self._capture(CaptureLabel.BASELINE)
        steady = [
            judge_phase(rec, self.journal.series[rec.name], Phase.BASELINE).outcome
            for rec in self.journal.slis
        ]
        if any(o is not Outcome.HELD for o in steady):
            self._event("steady state not established in the baseline: nothing will be injected")
            return False
        return True

    def _inject_first(self) -> bool:
        """The faults planned at the window's start, injected before its first tick."""
        self._begin(Phase.INJECT, None)
        for pf in (pf for pf in self.plan.faults if pf.start <= 0):
            if not self._inject(pf):
                self._end(Phase.INJECT, completed=False, note="not confirmed")
                return False
        self._end(Phase.INJECT, completed=True)
        return True

    def _observe(self) -> bool:
        """The blast window: faults planned later start, and those planned to end early end,
        at their offsets (a fault that is not confirmed ends the window)."""
        blast = self.experiment.schedule.blast
        timed = [
            _Timed(pf.end, 0, partial(self._end_fault, pf))
            for pf in self.plan.faults
            if pf.end < blast - _EPS
        ] + [
            _Timed(pf.start, 1, partial(self._start_fault, pf))
            for pf in self.plan.faults
            if pf.start > 0
        ]
        return self._sample(Phase.OBSERVE, blast, timed)

    def _start_fault(self, pf: PlannedFault) -> str:
        return "" if self._inject(pf) else f"fault {pf.fault.name} not confirmed"

    def _end_fault(self, pf: PlannedFault) -> str:
        return self._remove(pf) if pf.fault.name in self.handles else ""

    def _capture(self, label: CaptureLabel) -> None:
        """Goroutine profiles of every target with a pprof binding, each recorded."""
        for rec in self.capturer.capture(label):
            self.journal.profile_captured(rec)
            if rec.error:
                self._event(
                    f"goroutine profile of {rec.target} ({label.value}) not captured: {rec.error}"
                )
        self._commit()

    def _recovery(self) -> None:
        """Sampled until every SLI is back within its objective, or the recovery limit."""

        def recovered(values: Mapping[str, SliTick]) -> str:
            return (
                "every SLI back within its objective"
                if all(v.holds for v in values.values())
                else ""
            )

        self._sample(
            Phase.RECOVERY,
            self.experiment.schedule.recovery,
            until=recovered,
            limit_note="recovery limit reached",
        )

    # -- the tick loop ------------------------------------------------------------------------

    def _sample(
        self,
        phase: Phase,
        seconds: float,
        timed: Sequence[_Timed] = (),
        *,
        until: Callable[[Mapping[str, SliTick]], str] | None = None,
        limit_note: str = "",
    ) -> bool:
        """The one tick loop: ticks on the phase's grid, timed actions at their offsets, until
        the phase's end (or ``until`` says it is done). A tick the loop reaches more than
        ``late_bound`` after it was due is recorded as missed, not sampled late. Returns False
        when a timed action ended the phase early."""
        start = self._begin(phase, seconds)
        end = start + seconds
        interval = self.experiment.schedule.probe_interval
        queue = sorted(timed, key=lambda a: (a.offset, a.order))
        tick = _grid(start)
        note = limit_note
        while True:
            self._checkpoint()
            now = self.clock.now()
            while queue and now >= start + queue[0].offset - _EPS:
                why = queue.pop(0).action()
                if why:
                    self._end(phase, completed=False, note=why)
                    return False
                now = self.clock.now()
            if tick <= end + _EPS and now >= tick - _EPS:
                if now - tick > self.late_bound + _EPS:
                    self._missed(phase, tick, now)
                else:
                    values = self._tick(phase, tick)
                    done = until(values) if until is not None else ""
                    if done:
                        note = done
                        break
                tick += interval
                continue
            wake = min([tick, *(start + a.offset for a in queue)])
            if wake > end + _EPS:
                break
            if not self.clock.sleep_until(wake):
                self._checkpoint()
        self._end(phase, completed=True, note=note)
        return True

    def _tick(self, phase: Phase, due: float) -> dict[str, SliTick]:
        """Sample one tick at its due time: every query at once, guardrails judged as their
        answers come in (a breach aborts without waiting for the SLIs)."""
        sampled = self.clock.now()
        readings: dict[str, Reading] = {}
        blind: list[str] = []
        breaches: list[str] = []
        alerts: list[AlertReading] = []
        for query, reading in self.prober.ask(self._queries, due, lambda: bool(breaches)):
            if query.key in self._alerts:
                alerts.append(alert_reading(self._alerts[query.key], due, reading))
                continue
            if not query.guardrail:
                readings[query.key] = reading
                continue
            why, breach = self._judge_guardrail(self._guardrails[query.key], reading, due)
            if why:
                blind.append(query.key)
            if breach:
                breaches.append(breach)
        samples = []
        shown: dict[str, SliTick] = {}
        for rec in self.journal.slis:
            got = readings.get(rec.name)
            if got is None:
                continue  # not waited for: a guardrail breached
            fresh = got.status is SampleStatus.OK
            samples.append(
                TickSample(rec.name, got.value if fresh else None, got.status, got.error)
            )
            shown[rec.name] = SliTick(
                got.value if fresh else None,
                got.status,
                fresh and tick_holds(rec, got.value),
                rec.objective,
                got.error,
                rec.unit,
            )
        self.journal.tick(phase, due, sampled, samples, blind)
        self.journal.alerts_read(alerts)
        self._commit()
        if self._behind:
            self._behind = False
            self._event("the probe loop is back on time")
        self.progress.tick(due, shown)
        if breaches:
            raise _GuardrailBreach("; ".join(breaches))
        return shown

    def _missed(self, phase: Phase, due: float, now: float) -> None:
        """A tick due at ``due`` that could not be sampled in time: unknown for every SLI."""
        why = f"not sampled in time: the probe loop was {now - due:.3g} s behind"
        self.journal.tick(
            phase,
            due,
            None,
            [TickSample(rec.name, None, SampleStatus.MISSED, why) for rec in self.journal.slis],
        )
        self.journal.alerts_read(
            [AlertReading(name, due, AlertState.UNKNOWN, why) for name in self._alerts.values()]
        )
        self._commit()
        if not self._behind:
            self._behind = True
            self._event(f"tick missed ({why}); a missed tick is missing evidence")
            self.log.warning("tick missed", phase=phase.value, behind=round(now - due, 3))

    def _judge_guardrail(self, g: Guardrail, reading: Reading, at: float) -> tuple[str, str]:
        """Judge one guardrail's answer: (why it is blind or '', the breach or '').

        One that cannot see (no data, probe error, stale data) follows its ``onNoData``:
        ``abort`` stops the run, ``ignore`` goes on; either way the blind tick is counted, and
        going blind or seeing again is an event, once per change."""
        why = _blindness(reading)
        if why:
            if g.on_no_data is GuardrailNoData.ABORT:
                detail = f"guardrail {g.name!r} cannot see: {why} (onNoData: abort)"
                self.journal.guardrail(GuardrailEvent(g.name, at, None, True, detail, blind=True))
                return why, detail
            if g.name not in self._blind:
                self._blind_changed(g, at, why, None)
            return why, ""
        if g.name in self._blind:
            self._blind_changed(g, at, "", reading.value)
        if reading.value is not None and g.abort_if.holds(reading.value):
            detail = f"guardrail {g.name!r}: {reading.value:.4g} {g.abort_if.text}"
            self.journal.guardrail(GuardrailEvent(g.name, at, reading.value, True, detail))
            return "", detail
        return "", ""

    def _blind_changed(self, g: Guardrail, at: float, why: str, value: float | None) -> None:
        if why:
            self._blind[g.name] = why
            detail = (
                f"guardrail {g.name!r} went blind: {why}; it cannot fire until it sees data "
                f"again, and the run goes on (onNoData: ignore)"
            )
        else:
            self._blind.pop(g.name, None)
            detail = f"guardrail {g.name!r} sees data again ({value:.4g})"
        self.journal.guardrail(GuardrailEvent(g.name, at, value, False, detail, bool(why)))
        self._event(detail)
        self.log.warning(
            "guardrail blind" if why else "guardrail sees again", guardrail=g.name, why=why
        )

    # -- preflight ----------------------------------------------------------------------------

    def _preflight(self) -> bool:
        self._begin(Phase.PREFLIGHT, None)
        checks: list[CheckRecord] = []
        try:
            version = self.metrics.ping()
            checks.append(CheckRecord("metrics source answers", True, version))
        except ChaosRunnerError as exc:
            checks.append(CheckRecord("metrics source answers", False, str(exc)))
        if checks[0].ok:
            checks.extend(self._query_checks(self.clock.now()))
        try:
            checks.extend(self.driver.preflight(self.plan, self.info))
        except ChaosRunnerError as exc:
            checks.append(CheckRecord(f"{self.driver.kind.value} driver ready", False, str(exc)))
        self.journal.checked(checks)
        self.progress.checks(checks)
        failed = [c for c in checks if not c.ok]
        self._end(Phase.PREFLIGHT, completed=not failed)
        if failed:
            message = "; ".join(f"{c.name}: {c.detail}" for c in failed)
            self.journal.failed(FailureStage.PREFLIGHT, self.clock.now(), message)
            self._commit()
            self.log.error("preflight failed", failed=[c.name for c in failed])
            return False
        self.progress.plan([self.driver.describe(pf, self.info) for pf in self.plan.faults])
        return True

    def _query_checks(self, at: float) -> list[CheckRecord]:
        """Every SLI returns data; every guardrail returns data and is not breached yet."""
        checks = []
        for sli in self.experiment.slis:
            reading = self.metrics.instant(sli.query, at)
            ok = reading.status is SampleStatus.OK
            detail = (
                f"{reading.value:.6g}"
                if ok and reading.value is not None
                else (reading.error or "the query returned no data")
            )
            checks.append(CheckRecord(f"SLI {sli.name} returns data", ok, detail))
        for g in self.experiment.guardrails:
            reading = self.metrics.instant(g.query, at)
            why = _blindness(reading)
            breached = not why and reading.value is not None and g.abort_if.holds(reading.value)
            if why:
                detail = f"{why}, so this guardrail could never fire"
            elif breached:
                detail = f"already breached: {reading.value:.4g} {g.abort_if.text}"
            else:
                detail = f"not breached: {reading.value:.4g}"
            checks.append(
                CheckRecord(
                    f"guardrail {g.name} returns data and is not breached",
                    not why and not breached,
                    detail,
                )
            )
        return checks

    # -- faults -------------------------------------------------------------------------------

    def _inject(self, pf: PlannedFault) -> bool:
        now = self.clock.now()
        self.journal.intend(
            InjectionRecord(
                fault=pf.fault.name,
                kind=pf.kind.name,
                target=pf.fault.target,
                driver=self.driver.kind.value,
                one_shot=pf.kind.one_shot,
                planned_start=pf.start,
                planned_end=pf.end,
                expires_at=now + pf.expiry,
                params=dict(pf.fault.params),
            )
        )
        self._commit()  # the intent is on disk before the driver is asked
        handle = self.driver.inject(pf, self.info)
        self.handles[pf.fault.name] = handle
        self.journal.update_injection(
            pf.fault.name,
            created_at=handle.created_at,
            expires_at=handle.expires_at,
            details=dict(handle.details),
        )
        self._commit()
        self._event(f"injected {pf.fault.name} ({pf.kind.name}); confirming")
        conf = self.driver.confirm(pf, handle, self.confirm_timeout)
        self.journal.update_injection(
            pf.fault.name,
            confirmed_at=conf.confirmed_at,
            targets=conf.targets,
            confirmation=conf.detail if conf.confirmed_at else "",
            error="" if conf.confirmed_at else (conf.detail or "not confirmed active"),
        )
        self._commit()
        if conf.confirmed_at is None:
            self._event(f"fault {pf.fault.name} was not confirmed active: {conf.detail}")
            self.log.warning("fault not confirmed", fault=pf.fault.name, detail=conf.detail)
            return False
        self._event(f"fault {pf.fault.name} confirmed active on {len(conf.targets)} target(s)")
        self.log.info("fault confirmed", fault=pf.fault.name, targets=[t.id for t in conf.targets])
        return True

    def _remove(self, pf: PlannedFault) -> str:
        """Remove one live fault; a removal that raised is recorded and the others go on.
        Returns '' (a removal never ends a phase early)."""
        handle = self.handles.pop(pf.fault.name)
        try:
            removal = self.driver.remove(pf, handle, REMOVE_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - a crash is recorded as ERROR, never lost
            self.journal.update_injection(pf.fault.name, error=f"removal failed: {exc}")
            self._commit()
            self.log.error("fault removal failed", fault=pf.fault.name, error=str(exc))
            self._event(f"could not remove {pf.fault.name}: {exc}")
            if not isinstance(exc, ChaosRunnerError):
                self._crash(exc)
            return ""
        details = dict(self.journal.injection(pf.fault.name).details)
        if removal.detail:
            details["removal"] = removal.detail
            self.log.warning("removal note", fault=pf.fault.name, detail=removal.detail)
        rec = self.journal.update_injection(
            pf.fault.name,
            removed_at=removal.removed_at,
            removal_confirmed=removal.confirmed or pf.kind.one_shot,
            details=details,
            escalation=removal.escalation,
        )
        self._commit()
        if removal.escalation is not None:
            self.log.warning(
                "removal escalated: the target may not have recovered",
                fault=pf.fault.name,
                steps=list(removal.escalation.steps),
                not_recovered=list(removal.escalation.not_recovered),
                may_remain=list(removal.escalation.may_remain),
            )
            self._event(
                f"WARNING: removing {pf.fault.name} needed its finalizer taken off by "
                f"chaosrunner; the target may not have recovered "
                f"({removal.escalation.summary})"
            )
        self._event(
            (f"removed {pf.fault.name}" + (f" ({removal.detail})" if removal.detail else ""))
            if rec.removal_confirmed
            else f"removal of {pf.fault.name} not confirmed: {removal.detail}"
        )
        return ""

    def _rollback(self) -> None:
        """Remove every live fault. Runs once in the sequence (before recovery) and again on
        every way out, where it does nothing if there is nothing left to do."""
        live = [pf for pf in self.plan.faults if pf.fault.name in self.handles]
        if not live and (not self.journal.injections or self.journal.phase(Phase.ROLLBACK)):
            return
        self._begin(Phase.ROLLBACK, None)
        for pf in live:
            self._remove(pf)
        for rec in self.journal.injections:
            if rec.created_at is None and not rec.error:
                self.journal.update_injection(rec.fault, error="driver did not create it")
        self._end(
            Phase.ROLLBACK,
            completed=not any(r.needs_removal for r in self.journal.injections),
        )

    # -- endings ------------------------------------------------------------------------------

    def _finish(self) -> Decision:
        self._begin(Phase.VERDICT, None)
        decision = self.decision = decide(self.journal)
        self._end(Phase.VERDICT, completed=True)
        self.journal.judged(decision.record(), self.clock.now())
        self._commit()
        self.log.info("verdict", verdict=decision.verdict.value, reasons=list(decision.reasons))
        return decision

    def escaped(self, exc: BaseException) -> None:
        """Record an exception that escaped :meth:`run` as a crash (the verdict is ERROR), with
        every open phase ended. The caller judges and re-raises."""
        message = f"internal error: {type(exc).__name__}: {exc}"
        failure = self.journal.failure
        if failure is None or failure.stage is not FailureStage.CRASH:
            if failure is not None:
                message += f" (after: {failure.message})"
            self.journal.failed(FailureStage.CRASH, self.clock.now(), message)
        self.journal.end_open(self.clock.now(), message)
        self._commit()

    def judged(self, decision: Decision) -> None:
        """Record a verdict reached outside :meth:`run` (after a crash escaped it)."""
        self.decision = decision
        self.journal.judged(decision.record(), self.clock.now())
        self._commit()

    def _abort(self, reason: AbortReason, detail: str) -> None:
        self.journal.aborted(reason, self.clock.now(), detail)
        self.journal.end_open(self.clock.now(), detail)
        self._commit()
        self._event(f"aborting: {detail}")
        self.log.warning("run aborted", reason=reason.value, detail=detail)

    def _crash(self, exc: Exception) -> None:
        """An unexpected exception is a bug, never a verdict on the system: the run is ERROR.
        The first crash is kept; the traceback goes to the debug log (``-v``)."""
        current = next((p.phase.value for p in reversed(self.journal.phases)), "start")
        message = f"unexpected {type(exc).__name__} during {current}: {exc}"
        self.log.info("crash traceback", exc_info=exc)
        failure = self.journal.failure
        if failure is not None and failure.stage is FailureStage.CRASH:
            self.log.error("another crash", error=message)
            return
        self._fail(FailureStage.CRASH, message)

    def _fail(self, stage: FailureStage, message: str) -> None:
        self.journal.failed(stage, self.clock.now(), message)
        self.journal.end_open(self.clock.now(), message)
        self._commit()
        what = "run crashed" if stage is FailureStage.CRASH else "run failed"
        self._event(f"{what}: {message}")
        self.log.error(what, error=message)

    # -- helpers ------------------------------------------------------------------------------

    def _commit(self) -> None:
        """The one step that hands what the journal recorded to the sink (which appends it,
        and makes phase changes, injections and removals durable at once)."""
        events = self.journal.drain()
        if events:
            self.sink.append(events)

    def _begin(self, phase: Phase, seconds: float | None) -> float:
        now = self.clock.now()
        self.journal.begin(phase, now, seconds)
        self._commit()
        self.progress.phase(phase.value, now, now + seconds if seconds is not None else None)
        self.log.info("phase", phase=phase.value)
        return now

    def _end(self, phase: Phase, *, completed: bool, note: str = "") -> None:
        self.journal.end(phase, self.clock.now(), completed=completed, note=note)
        self._commit()

    def _checkpoint(self) -> None:
        if self.stop.is_set():
            raise RunInterrupted(self.stop.reason)

    def _event(self, message: str) -> None:
        self.progress.event(message)


_ALERT_KEY = "alert:"  # SLI and guardrail names are DNS labels: no ':' in them


def alert_query(name: str) -> str:
    """How an expected alert is read: the number of its firing series (no data: not firing)."""
    return f'count(ALERTS{{alertname="{name}",alertstate="firing"}})'


def alert_reading(name: str, at: float, reading: Reading) -> AlertReading:
    """Firing when a series fires; not firing when Prometheus answered with none; unknown when
    the query failed or its data was stale (no evidence either way)."""
    if reading.status is SampleStatus.OK and reading.value is not None:
        state = AlertState.FIRING if reading.value > 0 else AlertState.NOT_FIRING
        return AlertReading(name, at, state)
    if reading.status is SampleStatus.NO_DATA:
        return AlertReading(name, at, AlertState.NOT_FIRING)
    return AlertReading(name, at, AlertState.UNKNOWN, reading.error or reading.status.name.lower())


def _grid(start: float) -> float:
    """A phase's tick grid starts on the millisecond the journal keeps times to, no later than
    ``start``: then every tick's time is kept exactly, and so is the span of a phase's ticks."""
    return math.floor(start * 1000) / 1000


def _blindness(reading: Reading) -> str:
    """Why a guardrail reading cannot be judged ('' when it can): the status says what."""
    if reading.status is SampleStatus.OK and reading.value is not None:
        return ""
    if reading.status is SampleStatus.ERROR:
        return f"probe error: {reading.error or 'unknown error'}"
    missing = reading.status in (SampleStatus.NO_DATA, SampleStatus.OK)
    what = "the query returned no data" if missing else f"{reading.status.name.lower()} data"
    return what + (f" ({reading.error})" if reading.error else "")
