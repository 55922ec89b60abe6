"""Run a breaking-point sweep: one full run per level, the search in between, one report.

Every level is a run through :func:`session.run_experiment` (preflight to verdict, rollback
always) with the swept variable set, in its own folder (``<out>/03-latency-140ms/``) with the
journal and reports a run always has. ``core/sweep.py`` picks the levels and judges them.

Before each level after the first: ``--cooldown``, then the steady wait (runner/steady.py). A
level whose baseline was still not steady (its run INCONCLUSIVE on the baseline, nothing
injected) is not counted against the service: the sweep waits for steadiness again and reruns
it, up to :data:`UNSTEADY_RETRIES` times; only then does it count, as uncertain.

The sweep journal ``sweep.jsonl`` gets a line as each thing happens; ``sweep.json``,
``report.html`` and ``summary.md`` are written at the end, whatever happened. A SIGINT/SIGTERM
sets the one StopFlag: the running level rolls back through the run's own machinery, its
(interrupted) verdict is not taken as a judgement of the service, and the sweep concludes on
the levels that finished. Level runs are not kept in the results store one by one (runs at
different intensities would skew the experiment's trends); the sweep is, with its boundary.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import structlog

from chaosrunner.adapters import results as store
from chaosrunner.adapters.chaosmesh.driver import ClusterOptions
from chaosrunner.adapters.reports import sweep as sweep_report
from chaosrunner.adapters.reports.journal_file import prepare_output_dir, read_journal, write_atomic
from chaosrunner.adapters.reports.writers import JOURNAL
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.hypothesis import Outcome as SliOutcome
from chaosrunner.core.journal import Journal
from chaosrunner.core.model import Experiment, Phase
from chaosrunner.core.ports import Progress
from chaosrunner.core.sweep import Attempt, SliWorst, SweepResult, conclude, next_level
from chaosrunner.core.sweep_range import Strategy, SweepSpec
from chaosrunner.core.sweep_record import (
    SweepRecord,
    SweepSummary,
    attempt_dict,
    result_dict,
    spec_dict,
    summary_of,
)
from chaosrunner.core.units import format_duration, parse_objective
from chaosrunner.core.verdict import Decision, Verdict
from chaosrunner.runner import session
from chaosrunner.runner.gameday import Headed
from chaosrunner.runner.steady import SteadyCheck, prometheus_steady_check, wait_steady
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.sweep")
SWEEP_LOG = "sweep.jsonl"
SWEEP_JSON = "sweep.json"
REPORT = "report.html"
SUMMARY = "summary.md"
#: Reruns of a level whose baseline was not steady, before it counts (as uncertain).
UNSTEADY_RETRIES = 2

RunOne = Callable[..., session.RunResult]


@dataclass(frozen=True)
class Prepared:
    path: Path
    env: str | None
    cli_vars: Mapping[str, str]
    spec: SweepSpec
    #: The experiment at the lowest level (its name, environment and schedule).
    experiment: Experiment

    def at(self, value: float) -> Experiment:
        level = {**self.cli_vars, self.spec.param.name: self.spec.param.format(value)}
        return session.load_experiment(self.path, self.env, level)


def prepare(path: Path, env: str | None, cli_vars: Mapping[str, str], spec: SweepSpec) -> Prepared:
    """The experiment, checked at both ends of the range before anything runs."""
    name = spec.param.name
    if name in cli_vars:
        raise ChaosRunnerError(
            f"--var {name}=... and --param {spec.param.text}: the sweep sets {name} itself; "
            "drop the --var"
        )
    plain = session.load_experiment(path, env, cli_vars)
    declared = [n for n, _ in plain.variables]
    if name not in declared:
        raise ChaosRunnerError(
            f"--param: {name!r} is not a variable of {path}; expected one of its "
            f"spec.variables: {', '.join(declared) or 'it declares none'}"
        )
    prepared = Prepared(path, env, dict(cli_vars), spec, plain)
    low = prepared.at(spec.param.low)
    prepared.at(spec.param.high)
    return Prepared(path, env, dict(cli_vars), spec, low)


@dataclass(frozen=True)
class SweepOutput:
    record: SweepRecord
    output_dir: Path
    outputs: tuple[Path, ...]
    report_errors: tuple[str, ...] = ()

    @property
    def result(self) -> SweepResult:
        return self.record.result

    @property
    def exit_code(self) -> int:
        return self.record.result.exit_code


def default_output_dir(experiment: Experiment, sweep_id: str) -> Path:
    return Path("chaosrunner-runs") / "sweeps" / experiment.metadata.name / sweep_id


def expected_levels(spec: SweepSpec) -> int:
    """About how many runs the search takes (bisect: both ends, then halvings; plus repeats)."""
    if spec.strategy is Strategy.LINEAR:
        count = len(spec.linear_levels())
    else:
        width = spec.param.high - spec.param.low
        count = 2 + max(0, math.ceil(math.log2(width / spec.resolution)))
    return count + 2 * (spec.repeat - 1)


class _Sweeper:
    def __init__(
        self,
        prepared: Prepared,
        out: Path,
        sweep_id: str,
        progress: Progress,
        stop: StopFlag,
        journal: IO[str],
        *,
        cooldown: float,
        steady_timeout: float,
        steady_check: SteadyCheck,
        run_one: RunOne,
        poll: float | None,
        cluster: ClusterOptions | None,
    ) -> None:
        self.cluster = cluster
        self.p = prepared
        self.out = out
        self.sweep_id = sweep_id
        self.progress = progress
        self.stop = stop
        self.journal = journal
        self.cooldown = cooldown
        self.steady_timeout = steady_timeout
        self.steady_check = steady_check
        self.run_one = run_one
        self.poll = poll
        self.attempts: list[Attempt] = []
        self.not_counted: list[Attempt] = []
        self.runs = 0

    def record(self, kind: str, **fields: object) -> None:
        self.journal.write(json.dumps({"kind": kind, "at": round(time.time(), 3), **fields}))
        self.journal.write("\n")
        self.journal.flush()

    def search(self) -> bool:
        """Run levels until the search is done; True if it was interrupted."""
        spec = self.p.spec
        about = expected_levels(spec)
        while not self.stop.is_set():
            value = next_level(spec, self.attempts)
            if value is None:
                return False
            if self.runs and not self._between(value):
                break
            attempt = self._level(value, len(self.attempts) + 1, about)
            if attempt is None:
                break
            self.attempts.append(attempt)
        return True

    def _between(self, value: float) -> bool:
        """The cool-down and the steady wait before a level; False if interrupted."""
        if self.cooldown > 0:
            self.progress.event(f"cool-down {format_duration(self.cooldown)}")
            if self.stop.wait(self.cooldown):
                return False
        return self._steady(value)

    def _steady(self, value: float) -> bool:
        experiment = self.p.at(value)
        waited = wait_steady(
            experiment, self.steady_check, self.stop, self.steady_timeout, self.poll
        )
        if waited.interrupted:
            return False
        if not waited.steady:
            self.progress.event(
                f"not steady after {format_duration(self.steady_timeout)}: "
                f"{'; '.join(waited.last)}; the level's baseline decides"
            )
        return True

    def _level(self, value: float, k: int, about: int) -> Attempt | None:
        """One level, rerun while its baseline is not steady; None if interrupted."""
        retries = 0
        while True:
            attempt, unsteady = self._run(value, k, about, retries)
            if self.stop.is_set():
                self.record("interrupted", **attempt_dict(attempt, self.p.spec))
                self.progress.event("interrupted: the level was rolled back and is not counted")
                return None
            if not unsteady or retries >= UNSTEADY_RETRIES:
                self.record("level", **attempt_dict(attempt, self.p.spec))
                return attempt
            self.not_counted.append(attempt)
            self.record("unsteady", **attempt_dict(attempt, self.p.spec))
            self.progress.event(
                "the baseline was not steady: not counted; waiting for steadiness to rerun it"
            )
            retries += 1
            if not self._steady(value):
                return None

    def _run(self, value: float, k: int, about: int, retries: int) -> tuple[Attempt, bool]:
        """The level's run, and whether its baseline was not steady (nothing judged)."""
        spec = self.p.spec
        level = spec.param.format(value)
        self.runs += 1
        folder = f"{self.runs:02d}-{spec.param.name}-{level}"
        rerun = f", rerun {retries}" if retries else ""
        title = f"level {k} (of about {about}): {spec.param.name}={level}{rerun}"
        self.progress.event(title)
        started = time.time()
        run_id = f"{self.sweep_id}-l{self.runs:02d}"
        try:
            result = self.run_one(
                self.p.at(value),
                progress=Headed(self.progress, title),
                stop=self.stop,
                output_dir=self.out / folder,
                run_id=run_id,
                results=None,
                cluster=self.cluster,
            )
        except Exception as exc:
            log.error("level crashed", level=level, error=str(exc))
            log.info("level crash", exc_info=exc)
            reason = f"chaosrunner crashed: {type(exc).__name__}: {exc}"
            self.progress.event(f"{title}: ERROR ({reason})")
            crashed = Attempt(
                value, Verdict.ERROR, folder, run_id, (), (reason,), started, time.time(), retries
            )
            return crashed, False
        decision = result.decision
        verdict = Verdict.ERROR if result.journal_error else decision.verdict
        self.progress.event(f"{title}: {verdict.value}")
        attempt = Attempt(
            value,
            verdict,
            folder,
            result.run_id,
            _worst(decision, _first_bad(self.out / folder / JOURNAL)),
            decision.reasons,
            started,
            time.time(),
            retries,
        )
        return attempt, _unsteady_baseline(decision)


def _unsteady_baseline(decision: Decision) -> bool:
    """The run stopped at its baseline: the system was not steady, nothing was injected."""
    return decision.verdict is Verdict.INCONCLUSIVE and any(
        a.baseline.outcome is not SliOutcome.HELD for a in decision.slis
    )


def _worst(decision: Decision, first_bad: Mapping[str, float]) -> tuple[SliWorst, ...]:
    return tuple(
        SliWorst(
            a.name,
            a.objective,
            a.unit,
            a.observe.worst,
            SliOutcome.VIOLATED in (a.observe.outcome, a.recovery.outcome),
            first_bad.get(a.name),
        )
        for a in decision.slis
    )


def _first_bad(path: Path) -> dict[str, float]:
    """Seconds into the blast window of each SLI's first tick outside its objective."""
    try:
        journal = read_journal(path)
    except Exception as exc:  # noqa: BLE001 - without it, the order of the SLIs is unknown
        log.warning("level journal unreadable", path=str(path), error=str(exc))
        return {}
    return first_bad_ticks(journal)


def first_bad_ticks(journal: Journal) -> dict[str, float]:
    observe = journal.phase(Phase.OBSERVE)
    if observe is None:
        return {}
    out = {}
    for rec in journal.slis:
        try:
            objective = parse_objective(rec.objective)
        except ValueError:
            continue
        series = journal.series[rec.name]
        for i in series.span(Phase.OBSERVE):
            v = series.values[i]
            if not math.isnan(v) and not objective.holds(v):
                out[rec.name] = round(series.times[i] - observe.started_at, 3)
                break
    return out


def run_sweep(
    prepared: Prepared,
    *,
    progress: Progress,
    stop: StopFlag,
    output_dir: Path | None = None,
    results: Path | None = None,
    cooldown: float = 0.0,
    steady_timeout: float = 120.0,
    steady_check: SteadyCheck = prometheus_steady_check,
    run_one: RunOne = session.run_experiment,
    steady_poll: float | None = None,
    cluster: ClusterOptions | None = None,
) -> SweepOutput:
    """Search for the breaking point; the journal, sweep.json and the reports are written
    whatever happens, and the sweep is kept in ``results`` (with the earlier ones of the same
    experiment and parameter shown in its report)."""
    sweep_id = session.new_run_id()
    experiment = prepared.experiment
    out = output_dir or default_output_dir(experiment, sweep_id)
    prepare_output_dir(out, (SWEEP_LOG, SWEEP_JSON, REPORT, SUMMARY))
    started = time.time()
    spec = prepared.spec
    with (out / SWEEP_LOG).open("a", encoding="utf-8") as journal:
        sweeper = _Sweeper(
            prepared,
            out,
            sweep_id,
            progress,
            stop,
            journal,
            cooldown=cooldown,
            steady_timeout=steady_timeout,
            steady_check=steady_check,
            run_one=run_one,
            poll=steady_poll,
            cluster=cluster,
        )
        sweeper.record(
            "start",
            sweepId=sweep_id,
            experiment=experiment.metadata.name,
            env=experiment.env.name,
            file=str(prepared.path),
            spec=spec_dict(spec),
        )
        progress.event(
            f"sweep {sweep_id} over {spec.param.text} ({spec.strategy.value}); outputs in {out}"
        )
        crash: Exception | None = None
        try:
            interrupted = sweeper.search()
        except Exception as exc:  # noqa: BLE001 - reports first, then the crash goes on (4)
            crash, interrupted = exc, True
            log.error("sweep crashed", error=f"{type(exc).__name__}: {exc}")
        result = conclude(spec, sweeper.attempts, interrupted)
        sweeper.record("result", **result_dict(result), crashed=_describe(crash))
    record = SweepRecord(
        experiment.metadata.name,
        experiment.env.name,
        sweep_id,
        started,
        time.time(),
        result,
        tuple(sweeper.not_counted),
        _earlier(results, experiment, spec),
    )
    outputs, errors = _write(out, record)
    if results is not None:
        summary = summary_of(record.experiment, record.env, sweep_id, started, result)
        _, warning = store.keep_sweep(results, summary, json.dumps(record.to_dict(), indent=1))
        errors += (warning,) if warning else ()
    if crash is not None:
        raise crash
    return SweepOutput(record, out, outputs, errors)


def _describe(exc: Exception | None) -> str:
    return "" if exc is None else f"{type(exc).__name__}: {exc}"


def _earlier(
    results: Path | None, experiment: Experiment, spec: SweepSpec
) -> tuple[SweepSummary, ...]:
    if results is None:
        return ()
    found = store.sweeps(results, experiment.metadata.name)
    return tuple(
        s
        for s in found
        if s.env == experiment.env.name and s.param.split("=")[0] == spec.param.name
    )


def _write(out: Path, record: SweepRecord) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """sweep.json, report.html and summary.md; one that cannot be written is said."""
    outputs, errors = [], []
    for name, render in (
        (SWEEP_JSON, lambda r: json.dumps(r.to_dict(), indent=1) + "\n"),
        (REPORT, sweep_report.render_html),
        (SUMMARY, sweep_report.render_markdown),
    ):
        path = out / name
        try:
            write_atomic(path, render(record))
        except Exception as exc:  # noqa: BLE001 - a report is not the result
            errors.append(f"{path} was not written: {type(exc).__name__}: {exc}")
            log.warning("sweep report not written", path=str(path), error=str(exc))
        else:
            outputs.append(path)
    return tuple(outputs), tuple(errors)
