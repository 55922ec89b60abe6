"""Compose one run from a file: load, pick adapters, run the engine, write the reports.

This is the only place that knows which adapter serves which driver kind, and the place the
run's outputs are laid out: ``<output-dir>/journal.jsonl`` (appended as the run goes),
``journal.json`` (the consolidated journal, written once at the end), ``summary.md``,
``junit.xml`` and ``report.html``. :func:`rebuild_outputs` makes them again from a journal alone
(the appended form or journal.json), so a run that was killed gets them too
(``chaosrunner report``).

With a results store (``results``; ``adapters/results.py``), the reports also compare the run
with the earlier stored runs of its experiment and environment (``core/trends.py``), and the run
is kept there afterwards; a dry run is neither. A store that cannot be written is a warning.

What a run's outputs guarantee: the output directory is proven writable before preflight, so
nothing is touched when the journal could not be kept. Once the verdict is in the journal on
disk, it stands: a summary or JUnit file that cannot be written is reported next to it, never
turned into another exit code. An exception that escapes the engine is recorded in the journal
(a ``crash`` failure, so the verdict is ERROR) before it goes on to the CLI.
"""

from __future__ import annotations

import os
import secrets as _secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from chaosrunner import lab
from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions
from chaosrunner.adapters.chaosmesh.pprof import PodProxyProfileFetcher
from chaosrunner.adapters.local.driver import LocalDriver
from chaosrunner.adapters.local.pprof import HttpProfileFetcher
from chaosrunner.adapters.logs import set_secrets
from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports.findings import Findings, findings
from chaosrunner.adapters.reports.journal_file import (
    prepare_output_dir,
    read_journal,
    write_atomic,
    write_journal,
)
from chaosrunner.adapters.reports.journal_log import JOURNAL_LOG, JournalLog, read_log
from chaosrunner.adapters.reports.writers import (
    FORMATS,
    JOURNAL,
    JUNIT,
    REPORT,
    SUMMARY,
    writers_for,
)
from chaosrunner.core import validate
from chaosrunner.core.errors import ChaosRunnerError, DriverError, ExperimentError, Problem
from chaosrunner.core.journal import FailureStage, Journal
from chaosrunner.core.model import DriverKind, Experiment
from chaosrunner.core.notify import Notice, NoticeEvent, Notifier
from chaosrunner.core.ports import FaultDriver, ProfileFetcher, Progress
from chaosrunner.core.runid import run_id_problem
from chaosrunner.core.source import MAX_FILE_BYTES, decode
from chaosrunner.core.verdict import Decision, Verdict, decide
from chaosrunner.runner import contracts
from chaosrunner.runner.clock import SystemClock
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.probes import query_deadline
from chaosrunner.runner.provenance import provenance_of
from chaosrunner.runner.results import keep_run, with_trend
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.session")


def new_run_id() -> str:
    """Sortable, unique enough, and a valid Kubernetes label value."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{_secrets.token_hex(3)}"


def read_text(path: Path) -> str:
    """At most 1 MiB of UTF-8 text (``decode`` says where a binary file goes wrong)."""
    if path.is_dir():
        message = "this is a directory; expected an experiment file"
        raise ExperimentError([Problem(str(path), 1, 1, "", message)])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ExperimentError(
            [Problem(str(path), 1, 1, "", f"cannot read the file: {exc.strerror}")]
        ) from exc
    return decode(data, str(path))


def load_experiment(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> Experiment:
    environ = lab.with_addresses(os.environ)  # a running lab's LAB_* addresses, under the env
    return validate.load(
        read_text(path),
        str(path),
        env=env,
        cli_vars=cli_vars,
        environ=environ,
        contract_files=contracts.reader_for(path),
    )


def check_file(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> list[Problem]:
    try:
        text = read_text(path)
    except ExperimentError as exc:
        return exc.problems
    return validate.check(
        text,
        str(path),
        env=env,
        cli_vars=cli_vars,
        environ=os.environ,
        contract_files=contracts.reader_for(path),
    )


#: The driver for each kind of environment: adding a driver is its module and one line here.
DRIVERS: Mapping[DriverKind, Callable[[Experiment, ClusterOptions | None], FaultDriver]] = {
    DriverKind.LOCAL: lambda experiment, _cluster: LocalDriver(
        experiment, lab_pid_file=lab.service_pid_file
    ),
    DriverKind.CHAOS_MESH: ChaosMeshDriver,
}


def make_driver(experiment: Experiment, cluster: ClusterOptions | None = None) -> FaultDriver:
    factory = DRIVERS.get(experiment.env.driver)
    if factory is None:
        raise DriverError(f"the {experiment.env.driver.value} driver is not available")
    return factory(experiment, cluster)


def profile_fetcher(
    experiment: Experiment, cluster: ClusterOptions | None = None
) -> ProfileFetcher | None:
    """Where goroutine profiles are read for this driver: HTTP locally, the pod proxy in a
    cluster; None when no target names a pprof binding (nothing to capture)."""
    if not any(
        experiment.env.name in t.bindings and t.bindings[experiment.env.name].pprof
        for t in experiment.targets.values()
    ):
        return None
    if experiment.env.driver is DriverKind.CHAOS_MESH:
        return PodProxyProfileFetcher(experiment, cluster)
    return HttpProfileFetcher()


@dataclass(frozen=True)
class RunResult:
    decision: Decision
    run_id: str
    output_dir: Path
    #: The files written: the journal, then each report that could be written.
    outputs: tuple[Path, ...]
    dry_run: bool = False
    #: Reports (summary, JUnit) that could not be written; the verdict stands regardless.
    report_errors: tuple[str, ...] = ()
    #: Non-empty when the final journal could not be written: the run is then an ERROR.
    journal_error: str = ""
    #: Notices (webhook) that could not be delivered: said, never an exit code.
    notify_errors: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        """The verdict's exit code, dry run or not (a dry run that passed is DRY-RUN, 0), except
        that no journal on disk is 4 (ERROR)."""
        if self.journal_error:
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
    notifier: Notifier | None = None,
    results: Path | None = None,
) -> RunResult:
    run_id = new_run_id() if run_id is None else check_run_id(run_id)
    out = output_dir or Path("chaosrunner-runs") / experiment.metadata.name / run_id
    prepare_output_dir(out, (JOURNAL_LOG, JOURNAL, SUMMARY, JUNIT, REPORT))  # before preflight
    redactor = Redactor(experiment.secrets)
    set_secrets(redactor)
    config = experiment.env.prometheus
    timeout = query_deadline(experiment.schedule.probe_interval, config.timeout)
    metrics = PrometheusSource(config, timeout=timeout)
    driver = make_driver(experiment, cluster)
    sink = JournalLog(out / JOURNAL_LOG, redactor)
    progress.event(f"run id {run_id}; outputs in {out}")
    log.info("run starting", run_id=run_id, output_dir=str(out), dry_run=dry_run)
    notices = _Notices(notifier, experiment.metadata.name, run_id, out)
    notices.started()
    runner = Runner(
        experiment,
        run_id=run_id,
        metrics=metrics,
        driver=driver,
        clock=SystemClock(stop),
        sink=sink,
        progress=progress,
        stop=stop,
        dry_run=dry_run,
        query_timeout=timeout,
        profiles=profile_fetcher(experiment, cluster),
        output_dir=out,
        provenance=provenance_of(experiment),
    )
    try:
        try:
            decision = runner.run()
        except Exception as exc:
            _record_crash(runner, exc)
            notices.ended(runner.decision)
            raise
        finally:
            _close(sink)
    except Exception:
        if runner.decision is not None:  # the crash was noted: the journal, then the crash
            _best_effort(lambda: write_journal(out / JOURNAL, runner.journal, redactor))
        raise
    written = write_outputs(out, runner.journal, decision, redactor, results=results)
    notices.ended(decision)
    return RunResult(
        decision,
        run_id,
        out,
        written.outputs,
        dry_run=dry_run,
        report_errors=written.report_errors,
        journal_error=written.journal_error,
        notify_errors=notices.errors,
    )


@dataclass
class _Notices:
    """The run's start and end told to the notifier; what it could not deliver is kept."""

    notifier: Notifier | None
    name: str
    run_id: str
    out: Path
    errors: tuple[str, ...] = ()

    def started(self) -> None:
        self._send(NoticeEvent.STARTED, None)

    def ended(self, decision: Decision | None) -> None:
        aborted = decision is not None and decision.verdict is Verdict.ABORTED
        self._send(NoticeEvent.ABORTED if aborted else NoticeEvent.VERDICT, decision)

    def _send(self, event: NoticeEvent, decision: Decision | None) -> None:
        if self.notifier is None:
            return
        verdict = decision.verdict if decision else None
        if verdict is None and event is not NoticeEvent.STARTED:
            verdict = Verdict.ERROR  # a crash before any verdict was noted
        notice = Notice(
            event,
            "experiment",
            self.name,
            self.run_id,
            datetime.now(UTC).isoformat(timespec="seconds"),
            verdict=verdict.value if verdict else "",
            exit_code=verdict.exit_code if verdict else None,
            reasons=decision.reasons if decision else (),
            output_dir=str(self.out),
        )
        try:
            delivery = self.notifier.notify(notice)
        except Exception as exc:  # noqa: BLE001 - a notice never fails the run
            self.errors += (f"webhook {event.value}: {_describe(exc)}",)
            return
        if not delivery.ok:
            self.errors += (f"webhook {event.value}: {delivery.error}",)


@dataclass(frozen=True)
class Written:
    outputs: tuple[Path, ...]
    report_errors: tuple[str, ...]
    journal_error: str


def write_outputs(
    out: Path,
    journal: Journal,
    decision: Decision,
    redactor: Redactor,
    formats: tuple[str, ...] = FORMATS,
    results: Path | None = None,
    run_dir: Path | None = None,
) -> Written:
    """journal.json, then summary.md, junit.xml and report.html (those of ``formats``), with the
    goroutine profiles read from ``run_dir`` (default ``out``: where the run wrote them). A report
    that cannot be written is said, never turned into another verdict; a journal that cannot be
    written is ``journal_error``. With a ``results`` store, the reports carry the run's trend
    against the runs stored there, and the run is stored (not a dry run); a store that cannot be
    written is one of ``report_errors``."""
    journal_path = out / JOURNAL
    journal_error = ""
    if "json" in formats:
        try:
            write_journal(journal_path, journal, redactor)
        except Exception as exc:  # noqa: BLE001 - any failure here means the verdict was not kept
            journal_error = f"the journal {journal_path} could not be written: {_describe(exc)}"
            log.error("journal not written", path=str(journal_path), error=_describe(exc))
    outputs = [journal_path] if not journal_error and "json" in formats else []
    report_errors = []
    found: Findings | None = None
    for writer in writers_for(formats):
        path = out / writer.name
        try:
            found = found or with_trend(
                findings(journal, decision, run_dir=run_dir or out), results
            )
            write_atomic(path, redactor.text(writer.render(found)))
        except Exception as exc:  # a report is not the verdict; say so, go on
            report_errors.append(f"{path} was not written: {_describe(exc)}")
            log.warning("report not written", path=str(path), error=_describe(exc))
            log.info("report failure", path=str(path), exc_info=exc)
        else:
            outputs.append(path)
    if results is not None and not journal.dry_run:
        found = found or findings(journal, decision, run_dir=run_dir or out)
        stored = keep_run(results, found, redactor)
        report_errors += [stored] if stored else []
    return Written(tuple(outputs), tuple(report_errors), journal_error)


@dataclass(frozen=True)
class Rebuilt:
    decision: Decision
    written: Written
    #: The appended journal had no verdict: the run did not finish (it is judged ERROR).
    unfinished: bool
    #: Its last line was cut short and was dropped.
    truncated: bool


#: What a run that left no verdict in its appended journal is recorded as: a crash (ERROR).
UNFINISHED = (
    "the run did not finish (no end record in journal.jsonl): chaosrunner was killed or "
    "crashed; faults it injected may still be active until they expire"
)


def rebuild_outputs(
    source: Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    output_dir: Path | None = None,
    results: Path | None = None,
) -> Rebuilt:
    """Every output of ``formats`` from a journal alone, as the end of the run wrote them.

    ``source`` is a run directory (its ``journal.jsonl``, else its ``journal.json``) or one of
    those files; the outputs go to ``output_dir``, by default the journal's directory.
    A run that finished is judged again on its journal (the same verdict). A run that did not
    (killed, or the machine died) is a crash: failure stage ``crash`` at the last time it
    recorded, open phases ended, so the verdict is ERROR with the evidence it left listed;
    never PASSED.
    """
    path = _journal_source(source)
    out = output_dir or path.parent
    prepare_output_dir(out, (JOURNAL, *(w.name for w in writers_for(formats))))
    if path.name.endswith(".json"):
        try:
            journal = read_journal(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ChaosRunnerError(f"cannot read the journal {path}: {_describe(exc)}") from exc
        decision = decide(journal)
        if (out / JOURNAL).resolve() == path.resolve():  # the source stays as it was written
            formats = tuple(f for f in formats if f != "json")
        written = write_outputs(out, journal, decision, Redactor(), formats, results, path.parent)
        return Rebuilt(decision, written, journal.outcome is None, False)
    contents = read_log(path)
    journal = contents.journal
    if not contents.finished:
        at = contents.last_seen or journal.started_at
        journal.failed(FailureStage.CRASH, at, UNFINISHED)
        journal.end_open(at, UNFINISHED)
    decision = decide(journal)
    if not contents.finished:
        journal.judged(decision.record(), contents.last_seen or journal.started_at)
    journal.drain()  # rebuilt, not appended: the appended form stays as the run left it
    written = write_outputs(out, journal, decision, Redactor(), formats, results, path.parent)
    return Rebuilt(decision, written, not contents.finished, contents.truncated)


def _journal_source(source: Path) -> Path:
    """The journal file ``source`` names: itself, or a run directory's appended or final one."""
    if source.is_dir():
        for name in (JOURNAL_LOG, JOURNAL):
            if (source / name).is_file():
                return source / name
        raise ChaosRunnerError(
            f"cannot read a journal in {source}: it holds no {JOURNAL_LOG} or {JOURNAL}; "
            "expected a run's output directory or a journal file"
        )
    if not source.is_file():
        raise ChaosRunnerError(
            f"cannot read {source}: it does not exist; expected a run directory or a journal file"
        )
    return source


def _best_effort(write: Callable[[], None]) -> None:
    try:
        write()
    except Exception as exc:  # noqa: BLE001 - the original exception matters more
        log.error("the journal could not be written", error=_describe(exc))


def _close(sink: JournalLog) -> None:
    try:
        sink.close()
    except OSError as exc:
        log.error("the appended journal could not be closed", error=_describe(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


def _record_crash(runner: Runner, exc: Exception) -> None:
    """Note an exception that escaped the engine in the journal, as a crash (verdict ERROR).

    Best effort: the exception itself goes on to the CLI whatever happens here.
    """
    try:
        runner.escaped(exc)
        runner.judged(decide(runner.journal))
    except Exception as note_exc:  # noqa: BLE001 - the original exception matters more
        log.error("the crash could not be noted in the journal", error=_describe(note_exc))
