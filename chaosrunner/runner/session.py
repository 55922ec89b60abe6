"""Compose one run from a file: load, pick adapters, run the engine, write the reports.

This is the only place that knows which adapter serves which driver kind, and the place the
run's outputs are laid out: ``<output-dir>/journal.json``, ``summary.md`` and ``junit.xml``.

What a run's outputs guarantee: the output directory is proven writable before preflight, so
nothing is touched when the journal could not be kept. Once the verdict is in the journal on
disk, it stands: a summary or JUnit file that cannot be written is reported next to it, never
turned into another exit code. An exception that escapes the engine is recorded in the journal
(a ``crash`` failure, so the verdict is ERROR) before it goes on to the CLI.
"""

from __future__ import annotations

import os
import secrets as _secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from chaosrunner.adapters import lab
from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions
from chaosrunner.adapters.local.driver import LocalDriver
from chaosrunner.adapters.logs import set_secrets
from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports import junit, markdown
from chaosrunner.adapters.reports.journal_file import (
    JournalFile,
    prepare_output_dir,
    write_atomic,
)
from chaosrunner.core import validate
from chaosrunner.core.errors import ChaosRunnerError, DriverError, ExperimentError, Problem
from chaosrunner.core.journal import Failure, FailureStage
from chaosrunner.core.model import DriverKind, Experiment, Phase
from chaosrunner.core.ports import FaultDriver, Progress
from chaosrunner.core.runid import run_id_problem
from chaosrunner.core.verdict import Decision, Verdict, decide
from chaosrunner.runner.clock import SystemClock
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.session")
JOURNAL = "journal.json"
SUMMARY = "summary.md"
JUNIT = "junit.xml"


def new_run_id() -> str:
    """Sortable, unique enough, and a valid Kubernetes label value."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{_secrets.token_hex(3)}"


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExperimentError(
            [Problem(str(path), 1, 1, "", f"cannot read the file: {exc.strerror}")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise ExperimentError([Problem(str(path), 1, 1, "", "the file is not UTF-8 text")]) from exc


def load_experiment(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> Experiment:
    environ = lab.with_addresses(os.environ)  # a running lab's LAB_* addresses, under the env
    return validate.load(read_text(path), str(path), env=env, cli_vars=cli_vars, environ=environ)


def check_file(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> list[Problem]:
    try:
        text = read_text(path)
    except ExperimentError as exc:
        return exc.problems
    return validate.check(text, str(path), env=env, cli_vars=cli_vars, environ=os.environ)


def make_driver(experiment: Experiment, cluster: ClusterOptions | None = None) -> FaultDriver:
    if experiment.env.driver is DriverKind.LOCAL:
        return LocalDriver(experiment)
    if experiment.env.driver is DriverKind.CHAOS_MESH:
        return ChaosMeshDriver(experiment, cluster)
    raise DriverError(f"the {experiment.env.driver.value} driver is not available in this build")


@dataclass(frozen=True)
class RunResult:
    decision: Decision
    run_id: str
    output_dir: Path
    #: The files written: the journal, then each report that could be written.
    outputs: tuple[Path, ...]
    dry_run: bool = False
    #: Preflight ran to its end, every check passed, and nothing crashed or failed after it.
    preflight_passed: bool = False
    #: Reports (summary, JUnit) that could not be written; the verdict stands regardless.
    report_errors: tuple[str, ...] = ()
    #: Non-empty when the final journal could not be written: the run is then an ERROR.
    journal_error: str = ""

    @property
    def exit_code(self) -> int:
        """The verdict's exit code, except: no journal on disk is 4 (ERROR), and a dry run is 0
        only when its preflight passed, 2 when it was interrupted, else 4."""
        if self.journal_error:
            return Verdict.ERROR.exit_code
        if self.dry_run:
            if self.preflight_passed:
                return 0
            if self.decision.verdict is Verdict.ABORTED:
                return Verdict.ABORTED.exit_code
            return Verdict.ERROR.exit_code
        return self.decision.verdict.exit_code


def check_run_id(run_id: str) -> str:
    problem = run_id_problem(run_id)
    if problem:
        raise ChaosRunnerError(problem)
    return run_id


def run_experiment(
    experiment: Experiment,
    *,
    progress: Progress,
    stop: StopFlag,
    output_dir: Path | None = None,
    dry_run: bool = False,
    run_id: str | None = None,
    cluster: ClusterOptions | None = None,
) -> RunResult:
    run_id = new_run_id() if run_id is None else check_run_id(run_id)
    out = output_dir or Path("chaosrunner-runs") / experiment.metadata.name / run_id
    prepare_output_dir(out, (JOURNAL, SUMMARY, JUNIT))  # before preflight: nothing touched yet
    redactor = Redactor(experiment.secrets)
    set_secrets(redactor)
    journal_path = out / JOURNAL
    sink = JournalFile(journal_path, redactor)
    progress.event(f"run id {run_id}; outputs in {out}")
    log.info("run starting", run_id=run_id, output_dir=str(out), dry_run=dry_run)
    runner = Runner(
        experiment,
        run_id=run_id,
        metrics=PrometheusSource(experiment.env.prometheus),
        driver=make_driver(experiment, cluster),
        clock=SystemClock(stop),
        sink=sink,
        progress=progress,
        stop=stop,
        dry_run=dry_run,
    )
    try:
        decision = runner.run()
    except Exception as exc:
        _record_crash(runner, sink, exc)
        raise
    journal_error = ""
    try:
        sink.write(runner.journal, force=True)
    except Exception as exc:  # noqa: BLE001 - any failure here means the verdict was not kept
        journal_error = f"the journal {journal_path} could not be written: {_describe(exc)}"
        log.error("journal not written", path=str(journal_path), error=_describe(exc))
    outputs = [journal_path] if not journal_error else []
    report_errors = []
    for name, render in ((SUMMARY, markdown.render), (JUNIT, junit.render)):
        path = out / name
        try:
            write_atomic(path, redactor.text(render(runner.journal, decision)))
        except Exception as exc:  # a report is not the verdict; say so, go on
            report_errors.append(f"{path} was not written: {_describe(exc)}")
            log.warning("report not written", path=str(path), error=_describe(exc))
            log.info("report failure", path=str(path), exc_info=exc)
        else:
            outputs.append(path)
    return RunResult(
        decision,
        run_id,
        out,
        tuple(outputs),
        dry_run=dry_run,
        preflight_passed=_preflight_passed(runner, decision),
        report_errors=tuple(report_errors),
        journal_error=journal_error,
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


def _preflight_passed(runner: Runner, decision: Decision) -> bool:
    journal = runner.journal
    preflight = journal.phase(Phase.PREFLIGHT)
    return (
        preflight is not None
        and preflight.completed
        and bool(journal.preflight)
        and all(check.ok for check in journal.preflight)
        and journal.failure is None
        and decision.verdict is not Verdict.ERROR
    )


def _record_crash(runner: Runner, sink: JournalFile, exc: Exception) -> None:
    """Note an exception that escaped the engine in the journal, as a crash (verdict ERROR).

    Best effort: the exception itself goes on to the CLI whatever happens here.
    """
    try:
        journal = runner.journal
        now = runner.clock.now()
        message = f"internal error: {type(exc).__name__}: {exc}"
        if journal.failure is not None and journal.failure.stage is not FailureStage.CRASH:
            message += f" (after: {journal.failure.message})"
        if journal.failure is None or journal.failure.stage is not FailureStage.CRASH:
            journal.failure = Failure(FailureStage.CRASH, now, message)
        for rec in journal.phases:
            if rec.ended_at is None:
                journal.end(rec.phase, now, completed=False, note=message)
        journal.outcome = decide(journal).to_dict()
        journal.finished_at = journal.finished_at or now
        sink.write(journal, force=True)
    except Exception as note_exc:  # noqa: BLE001 - the original exception matters more
        log.error("the crash could not be noted in the journal", error=_describe(note_exc))
