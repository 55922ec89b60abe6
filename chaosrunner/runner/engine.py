"""Drive one experiment run through its phases, and always roll back.

The engine knows nothing of Prometheus, processes or Kubernetes: it talks to ports. What it
guarantees is ordering and safety: nothing is injected before validation and preflight pass; every
injection is journalled before the driver is called (so a crash leaves a record of intent);
rollback runs in ``finally`` for every way out — pass, fail, guardrail, exception, signal — and a
second signal cannot skip it; the probe loop samples every SLI on every tick, with no
short-circuit, and checks every guardrail on every tick.
"""

from __future__ import annotations

import structlog

from chaosrunner.core.errors import ChaosRunnerError, RunInterrupted
from chaosrunner.core.hypothesis import Outcome, judge_phase, tick_holds
from chaosrunner.core.journal import (
    Abort,
    AbortReason,
    CheckRecord,
    Failure,
    FailureStage,
    GuardrailEvent,
    InjectionRecord,
    Journal,
    SampleStatus,
)
from chaosrunner.core.model import Experiment, GuardrailNoData, Phase
from chaosrunner.core.plan import Plan, PlannedFault, make_plan
from chaosrunner.core.ports import (
    Clock,
    FaultDriver,
    Handle,
    JournalSink,
    MetricsSource,
    Progress,
    RunInfo,
)
from chaosrunner.core.verdict import Decision, decide
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.run")
CONFIRM_TIMEOUT = 30.0
REMOVE_TIMEOUT = 60.0


class _GuardrailBreach(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
        now = clock.now()
        self.info = RunInfo(run_id, experiment.metadata.name, now)
        self.journal = Journal.start(experiment, run_id, now, dry_run=dry_run)
        self.handles: dict[str, Handle] = {}
        self.decision: Decision | None = None
        self.log = log.bind(run_id=run_id, experiment=experiment.metadata.name)

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Decision:
        self.sink.write(self.journal, force=True)
        try:
            if self._preflight() and not self.dry_run:
                self._experiment()
        except RunInterrupted as exc:
            self._abort(AbortReason.SIGNAL, str(exc))
        except _GuardrailBreach as exc:
            self._abort(AbortReason.GUARDRAIL, exc.detail)
        except ChaosRunnerError as exc:
            self._fail(FailureStage.RUN, str(exc))
        except Exception as exc:
            self.log.exception("run crashed")
            self._fail(FailureStage.RUN, f"unexpected {type(exc).__name__}: {exc}")
        finally:
            try:
                with self.stop.shielded():
                    self._rollback()
            finally:
                self.driver.close()
        return self._finish()

    def _experiment(self) -> None:
        s = self.experiment.schedule
        self._sample_phase(Phase.BASELINE, s.baseline)
        steady = [
            judge_phase(rec, self.journal.series[rec.name], Phase.BASELINE).outcome
            for rec in self.journal.slis
        ]
        if any(o is not Outcome.HELD for o in steady):
            self._event("steady state not established in the baseline: nothing will be injected")
            return
        self._begin(Phase.INJECT, None)
        immediate = [pf for pf in self.plan.faults if pf.start <= 0]
        for pf in immediate:
            if not self._inject(pf):
                self.journal.end(
                    Phase.INJECT, self.clock.now(), completed=False, note="not confirmed"
                )
                return
        self.journal.end(Phase.INJECT, self.clock.now(), completed=True)
        self._observe()

    def _observe(self) -> None:
        s = self.experiment.schedule
        start = self._begin(Phase.OBSERVE, s.blast)
        end = start + s.blast
        pending = [pf for pf in self.plan.faults if pf.start > 0]
        tick = start
        while True:
            self._checkpoint()
            for pf in self.plan.faults:
                if pf.fault.name in self.handles and tick >= start + pf.end and pf.end < s.blast:
                    self._remove(pf)
            for pf in [p for p in pending if tick >= start + p.start]:
                pending.remove(pf)
                if not self._inject(pf):
                    self.journal.end(
                        Phase.OBSERVE,
                        self.clock.now(),
                        completed=False,
                        note=f"fault {pf.fault.name} not confirmed",
                    )
                    return
            self._tick(Phase.OBSERVE)
            tick = self._next_tick(tick)
            if tick > end + 1e-6:
                break
            if not self.clock.sleep_until(tick):
                self._checkpoint()
        self.journal.end(Phase.OBSERVE, self.clock.now(), completed=True)

    def _sample_phase(self, phase: Phase, seconds: float) -> None:
        start = self._begin(phase, seconds)
        end = start + seconds
        tick = start
        while True:
            self._checkpoint()
            self._tick(phase)
            tick = self._next_tick(tick)
            if tick > end + 1e-6:
                break
            if not self.clock.sleep_until(tick):
                self._checkpoint()
        self.journal.end(phase, self.clock.now(), completed=True)

    def _recovery(self) -> None:
        s = self.experiment.schedule
        start = self._begin(Phase.RECOVERY, s.recovery)
        end = start + s.recovery
        tick = start
        recovered = False
        while True:
            self._checkpoint()
            values = self._tick(Phase.RECOVERY)
            if all(ok for _, ok, _ in values.values()):
                recovered = True
                break
            tick = self._next_tick(tick)
            if tick > end + 1e-6:
                break
            if not self.clock.sleep_until(tick):
                self._checkpoint()
        note = "every SLI back within its objective" if recovered else "recovery limit reached"
        self.journal.end(Phase.RECOVERY, self.clock.now(), completed=True, note=note)

    def _next_tick(self, tick: float) -> float:
        interval = self.experiment.schedule.probe_interval
        tick += interval
        now = self.clock.now()
        while tick < now - interval / 2:
            tick += interval  # sampling overran a tick: skip it rather than burst
        return tick

    # -- one tick -----------------------------------------------------------------------------

    def _tick(self, phase: Phase) -> dict[str, tuple[float | None, bool, str]]:
        at = self.clock.now()
        shown: dict[str, tuple[float | None, bool, str]] = {}
        for rec in self.journal.slis:
            reading = self.metrics.instant(rec.query, at)
            self.journal.series[rec.name].append(at, phase, reading.value, reading.status)
            if reading.status is SampleStatus.ERROR:
                self.journal.record_probe_error(rec.name, at, reading.error)
            shown[rec.name] = (reading.value, tick_holds(rec, reading.value), rec.objective)
        self.progress.tick(at, shown)
        breach = self._check_guardrails(at)
        self.sink.write(self.journal)
        if breach:
            raise _GuardrailBreach(breach)
        return shown

    def _check_guardrails(self, at: float) -> str:
        breaches = []
        for g in self.experiment.guardrails:
            reading = self.metrics.instant(g.query, at)
            if reading.status is SampleStatus.ERROR:
                detail = f"guardrail {g.name!r} could not be evaluated: {reading.error}"
                breaches.append(detail)
                self.journal.guardrail_events.append(GuardrailEvent(g.name, at, None, True, detail))
            elif reading.value is None:
                if g.on_no_data is GuardrailNoData.ABORT:
                    detail = f"guardrail {g.name!r} returned no data (onNoData: abort)"
                    breaches.append(detail)
                    self.journal.guardrail_events.append(
                        GuardrailEvent(g.name, at, None, True, detail)
                    )
            elif g.abort_if.holds(reading.value):
                detail = f"guardrail {g.name!r}: {reading.value:.4g} {g.abort_if.text}"
                breaches.append(detail)
                self.journal.guardrail_events.append(
                    GuardrailEvent(g.name, at, reading.value, True, detail)
                )
        return "; ".join(breaches)

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
            at = self.clock.now()
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
                breached = reading.value is not None and g.abort_if.holds(reading.value)
                ok = reading.status is not SampleStatus.ERROR and not breached
                detail = reading.error or (
                    f"already breached: {reading.value:.4g} {g.abort_if.text}"
                    if breached
                    else "not breached"
                )
                checks.append(CheckRecord(f"guardrail {g.name} not breached", ok, detail))
        try:
            checks.extend(self.driver.preflight(self.plan, self.info))
        except ChaosRunnerError as exc:
            checks.append(CheckRecord(f"{self.driver.kind.value} driver ready", False, str(exc)))
        self.journal.preflight = checks
        self.progress.checks(checks)
        failed = [c for c in checks if not c.ok]
        self.journal.end(Phase.PREFLIGHT, self.clock.now(), completed=not failed)
        if failed:
            message = "; ".join(f"{c.name}: {c.detail}" for c in failed)
            self.journal.failure = Failure(FailureStage.PREFLIGHT, self.clock.now(), message)
            self.log.error("preflight failed", failed=[c.name for c in failed])
            return False
        self.progress.plan([self.driver.describe(pf, self.info) for pf in self.plan.faults])
        return True

    # -- faults -------------------------------------------------------------------------------

    def _inject(self, pf: PlannedFault) -> bool:
        now = self.clock.now()
        self.journal.injections.append(
            InjectionRecord(
                fault=pf.fault.name,
                kind=pf.kind.name,
                target=pf.fault.target,
                driver=self.driver.kind.value,
                one_shot=pf.kind.one_shot,
                planned_start=pf.start,
                planned_end=pf.end,
                expires_at=now + pf.expiry,
            )
        )
        self.sink.write(self.journal, force=True)
        handle = self.driver.inject(pf, self.info)
        self.handles[pf.fault.name] = handle
        self.journal.update_injection(
            pf.fault.name,
            created_at=handle.created_at,
            expires_at=handle.expires_at,
            details=dict(handle.details),
        )
        self.sink.write(self.journal, force=True)
        self._event(f"injected {pf.fault.name} ({pf.kind.name}); confirming")
        conf = self.driver.confirm(pf, handle, self.confirm_timeout)
        self.journal.update_injection(
            pf.fault.name,
            confirmed_at=conf.confirmed_at,
            targets=conf.targets,
            error="" if conf.confirmed_at else (conf.detail or "not confirmed active"),
        )
        self.sink.write(self.journal, force=True)
        if conf.confirmed_at is None:
            self._event(f"fault {pf.fault.name} was not confirmed active: {conf.detail}")
            self.log.warning("fault not confirmed", fault=pf.fault.name, detail=conf.detail)
            return False
        self._event(f"fault {pf.fault.name} confirmed active on {len(conf.targets)} target(s)")
        self.log.info("fault confirmed", fault=pf.fault.name, targets=[t.id for t in conf.targets])
        return True

    def _remove(self, pf: PlannedFault) -> None:
        handle = self.handles.pop(pf.fault.name)
        try:
            removal = self.driver.remove(pf, handle, REMOVE_TIMEOUT)
        except ChaosRunnerError as exc:
            self.journal.update_injection(pf.fault.name, error=f"removal failed: {exc}")
            self.log.error("fault removal failed", fault=pf.fault.name, error=str(exc))
            self._event(f"could not remove {pf.fault.name}: {exc}")
            return
        details = dict(self.journal.injection(pf.fault.name).details)
        if removal.detail:
            details["removal"] = removal.detail
            self.log.warning("removal note", fault=pf.fault.name, detail=removal.detail)
        rec = self.journal.update_injection(
            pf.fault.name,
            removed_at=removal.removed_at,
            removal_confirmed=removal.confirmed or pf.kind.one_shot,
            details=details,
        )
        self.sink.write(self.journal, force=True)
        self._event(
            (f"removed {pf.fault.name}" + (f" ({removal.detail})" if removal.detail else ""))
            if rec.removal_confirmed
            else f"removal of {pf.fault.name} not confirmed: {removal.detail}"
        )

    def _rollback(self) -> None:
        live = [pf for pf in self.plan.faults if pf.fault.name in self.handles]
        if not live and not self.journal.injections:
            return
        self._begin(Phase.ROLLBACK, None)
        for pf in live:
            self._remove(pf)
        for rec in self.journal.injections:
            if rec.created_at is None and not rec.error:
                self.journal.update_injection(rec.fault, error="driver did not create it")
        self.journal.end(
            Phase.ROLLBACK,
            self.clock.now(),
            completed=not any(r.needs_removal for r in self.journal.injections),
        )
        self.sink.write(self.journal, force=True)

    # -- endings ------------------------------------------------------------------------------

    def _finish(self) -> Decision:
        observe = self.journal.phase(Phase.OBSERVE)
        clean_end = (
            observe is not None
            and observe.completed
            and self.journal.abort is None
            and self.journal.failure is None
            and not self.stop.is_set()
        )
        if clean_end:
            try:
                self._recovery()
            except RunInterrupted as exc:
                self.journal.end(Phase.RECOVERY, self.clock.now(), completed=False, note=str(exc))
                self._abort(AbortReason.SIGNAL, str(exc))
            except _GuardrailBreach as exc:
                self.journal.end(Phase.RECOVERY, self.clock.now(), completed=False, note=exc.detail)
                self._abort(AbortReason.GUARDRAIL, exc.detail)
        self._begin(Phase.VERDICT, None)
        decision = self.decision = decide(self.journal)
        self.journal.outcome = decision.to_dict()
        self.journal.finished_at = self.clock.now()
        self.journal.end(Phase.VERDICT, self.journal.finished_at, completed=True)
        self.sink.write(self.journal, force=True)
        self.log.info("verdict", verdict=decision.verdict.value, reasons=list(decision.reasons))
        return decision

    def _abort(self, reason: AbortReason, detail: str) -> None:
        if self.journal.abort is None:
            self.journal.abort = Abort(reason, self.clock.now(), detail)
        for rec in self.journal.phases:
            if rec.ended_at is None:
                self.journal.end(rec.phase, self.clock.now(), completed=False, note=detail)
        self._event(f"aborting: {detail}")
        self.log.warning("run aborted", reason=reason.value, detail=detail)

    def _fail(self, stage: FailureStage, message: str) -> None:
        self.journal.failure = Failure(stage, self.clock.now(), message)
        for rec in self.journal.phases:
            if rec.ended_at is None:
                self.journal.end(rec.phase, self.clock.now(), completed=False, note=message)
        self._event(f"run failed: {message}")
        self.log.error("run failed", error=message)

    # -- helpers ------------------------------------------------------------------------------

    def _begin(self, phase: Phase, seconds: float | None) -> float:
        now = self.clock.now()
        self.journal.begin(phase, now, seconds)
        self.progress.phase(phase.value, now, now + seconds if seconds is not None else None)
        self.sink.write(self.journal, force=True)
        self.log.info("phase", phase=phase.value)
        return now

    def _checkpoint(self) -> None:
        if self.stop.is_set():
            raise RunInterrupted(self.stop.reason)

    def _event(self, message: str) -> None:
        self.progress.event(message)
