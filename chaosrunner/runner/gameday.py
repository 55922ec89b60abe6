"""Run a game day: its experiments in order, one live view, one consolidated report.

Every experiment is loaded (with the game day's environment and vars) before anything runs, so
a typo in the third file stops the game day before the first fault. Each experiment then runs
through :func:`session.run_experiment`, the single-run entry point, in its own directory
(``<out>/01-<name>/``) with the run outputs it always has.

Between experiments: the cool-down, then a steady check. The next experiment's SLIs are queried
every probe interval until they all hold on several polls in a row (runner/steady.py), for at
most the game day's ``steadyTimeout``. If the system is still not steady then, the experiment starts
anyway and its own baseline decides: an unsteady baseline injects nothing and makes the run
INCONCLUSIVE, which the report shows (skipping it silently would hide that the system never
recovered from the previous one).

One StopFlag serves the whole game day: a SIGINT/SIGTERM makes the running experiment roll back
(the engine does that on the flag), ends a cool-down or steady wait at once, and every
experiment not yet started is recorded as not run. The report is written whatever happened.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from chaosrunner.adapters.reports import gameday as gameday_report
from chaosrunner.adapters.reports.journal_file import prepare_output_dir, write_atomic
from chaosrunner.adapters.webhook import WebhookNotifier
from chaosrunner.core.errors import ChaosRunnerError, ExperimentError, Problem
from chaosrunner.core.gameday import (
    EntryKind,
    ExperimentOutcome,
    GameDay,
    GameDayRecord,
    TimelineEntry,
    describe_cool_down,
    header,
    load_gameday,
    missing_file,
    should_stop,
)
from chaosrunner.core.journal import CheckRecord
from chaosrunner.core.model import Experiment
from chaosrunner.core.notify import Notifier, WebhookConfig
from chaosrunner.core.ports import Progress, SliTick
from chaosrunner.core.units import format_duration
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner import session
from chaosrunner.runner.gameday_notes import NOTES, read_notes, register, unregister
from chaosrunner.runner.gameday_serve import LiveServer, LiveStatus
from chaosrunner.runner.results import stored_trend
from chaosrunner.runner.steady import SteadyCheck, prometheus_steady_check, wait_steady
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.gameday")
REPORT = "report.html"
SUMMARY = "summary.md"
#: Gaps listed per experiment in the consolidated report (its own report has them all).
MAIN_GAPS = 3

#: Runs one experiment; ``session.run_experiment`` unless a test gives another.
RunOne = Callable[..., session.RunResult]


@dataclass(frozen=True)
class Prepared:
    gameday: GameDay
    path: Path
    experiments: tuple[Experiment, ...]
    files: tuple[Path, ...]


@dataclass(frozen=True)
class GameDayResult:
    record: GameDayRecord
    output_dir: Path
    outputs: tuple[Path, ...]
    report_errors: tuple[str, ...] = ()
    #: Notices (webhook) that could not be delivered: said, never an exit code.
    notify_errors: tuple[str, ...] = ()

    @property
    def exit_code(self) -> int:
        return self.record.verdict.exit_code


def file_notifier(config: WebhookConfig | None) -> Notifier | None:
    """The notifier of a file's ``notify.webhook`` (None without one)."""
    return None if config is None else WebhookNotifier(config)


def read_gameday(path: Path) -> GameDay:
    return load_gameday(session.read_text(path), str(path), environ=os.environ)


def is_gameday_file(path: Path) -> bool:
    """Whether ``path`` says ``kind: GameDay`` (unreadable files are left to the experiment
    validation, which says what is wrong with them)."""
    from chaosrunner.core.gameday import peek_kind

    try:
        return peek_kind(session.read_text(path), str(path)) == "GameDay"
    except ChaosRunnerError:
        return False


def experiment_path(gameday_file: Path, file: str) -> Path:
    """An experiment file named in a game day, relative to the game day file's directory."""
    named = Path(file)
    return named if named.is_absolute() else gameday_file.parent / named


def prepare(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> Prepared:
    """The game day and every experiment it names, loaded; ExperimentError with every problem
    of every file (nothing runs unless all are valid)."""
    gameday = read_gameday(path)
    env = env or gameday.environment
    problems: list[Problem] = []
    experiments, files = [], []
    for i, entry in enumerate(gameday.experiments):
        file = experiment_path(path, entry.file)
        if (missing := _missing(gameday, i, file)) is not None:
            problems.append(missing)
            continue
        try:
            experiments.append(session.load_experiment(file, env, gameday.vars_for(i, cli_vars)))
            files.append(file)
        except ExperimentError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ExperimentError(problems)
    return Prepared(gameday, path, tuple(experiments), tuple(files))


def check(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> list[Problem]:
    """``validate`` for a game day: its own problems, else those of every experiment it names."""
    try:
        gameday = read_gameday(path)
    except ExperimentError as exc:
        return exc.problems
    env = env or gameday.environment
    problems = []
    for i, entry in enumerate(gameday.experiments):
        file = experiment_path(path, entry.file)
        if (missing := _missing(gameday, i, file)) is not None:
            problems.append(missing)
            continue
        problems.extend(session.check_file(file, env, gameday.vars_for(i, cli_vars)))
    return problems


def _missing(gameday: GameDay, index: int, file: Path) -> Problem | None:
    """A named file that is absent or a directory is the game-day file's problem, at its line."""
    if not file.exists():
        return missing_file(gameday, index, "does not exist")
    if file.is_dir():
        return missing_file(gameday, index, "is a directory")
    return None


def default_output_dir(gameday: GameDay, gameday_id: str) -> Path:
    return Path("chaosrunner-runs") / "gamedays" / gameday.name / gameday_id


class _Sequencer:
    def __init__(
        self,
        prepared: Prepared,
        out: Path,
        gameday_id: str,
        progress: Progress,
        stop: StopFlag,
        steady_check: SteadyCheck,
        run_one: RunOne,
        poll: float | None = None,
        live: LiveStatus | None = None,
        results: Path | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.results = results
        self.notifier = notifier
        self.notify_errors: list[str] = []
        self.poll = poll
        self.live = live
        self.p = prepared
        self.out = out
        self.gameday_id = gameday_id
        self.progress = progress
        self.stop = stop
        self.steady_check = steady_check
        self.run_one = run_one
        self.events: list[TimelineEntry] = []
        self.outcomes: list[ExperimentOutcome] = []

    def note(self, kind: EntryKind, text: str) -> None:
        self.events.append(TimelineEntry(time.time(), kind, text))
        self.progress.event(text)
        log.info("game day", what=kind.value, text=text)

    def run(self) -> bool:
        """Every experiment in order; True if the game day was interrupted."""
        g = self.p.gameday
        total = len(self.p.experiments)
        stopped_by = ""
        for i, experiment in enumerate(self.p.experiments):
            base = ExperimentOutcome(i, experiment.metadata.name, g.experiments[i].file)
            if not stopped_by and self.stop.is_set():
                stopped_by = "interrupted"
            if not stopped_by and i > 0:
                stopped_by = self._between(experiment)
            if stopped_by:
                self.outcomes.append(replace(base, note=f"not run: {stopped_by}"))
                continue
            outcome = self._run(i, total, experiment, base)
            self.outcomes.append(outcome)
            if self.stop.is_set():
                stopped_by = "interrupted"
            elif outcome.verdict is not None and should_stop(g.stop_on, outcome.verdict):
                stopped_by = f"stopOn {g.stop_on.value}: {outcome.name} was {outcome.verdict.value}"
                self.note(EntryKind.END, f"stopping: {stopped_by}")
        if self.stop.is_set():
            self.note(EntryKind.INTERRUPTED, f"interrupted ({self.stop.reason or 'signal'})")
        return self.stop.is_set()

    def _between(self, experiment: Experiment) -> str:
        """The cool-down and the steady check; '' to go on, else why not."""
        g = self.p.gameday
        if g.cool_down > 0:
            self.note(EntryKind.COOL_DOWN, describe_cool_down(g.cool_down))
            if self.stop.wait(g.cool_down):
                return "interrupted"
        waited = wait_steady(experiment, self.steady_check, self.stop, g.steady_timeout, self.poll)
        if waited.interrupted:
            return "interrupted"
        if waited.steady:
            self.note(EntryKind.STEADY, f"steady before {experiment.metadata.name}")
            return ""
        self.note(
            EntryKind.STEADY,
            f"not steady after {format_duration(g.steady_timeout)}: "
            f"{'; '.join(waited.last)}; starting "
            f"{experiment.metadata.name} anyway, its baseline decides",
        )
        return ""

    def _run(
        self, i: int, total: int, experiment: Experiment, base: ExperimentOutcome
    ) -> ExperimentOutcome:
        name = experiment.metadata.name
        line = header(i, total, name)
        self.progress.event(line)
        self.events.append(TimelineEntry(time.time(), EntryKind.EXPERIMENT, line))
        folder = f"{i + 1:02d}-{name}"
        started = time.time()
        if self.live is not None:
            self.live.header, self.live.folder = line, self.out / folder
        try:
            result = self.run_one(
                experiment,
                progress=Headed(self.progress, line),
                stop=self.stop,
                output_dir=self.out / folder,
                run_id=f"{self.gameday_id}-e{i + 1:02d}",
                results=self.results,
                notifier=self.notifier or file_notifier(experiment.notify),
            )
        except Exception as exc:
            log.error("experiment crashed", experiment=name, error=str(exc))
            log.info("experiment crash", exc_info=exc)
            report = self.out / folder / REPORT
            outcome = replace(
                base,
                verdict=Verdict.ERROR,
                started_at=started,
                ended_at=time.time(),
                report=f"{folder}/{REPORT}" if report.exists() else "",
                note=f"{type(exc).__name__}: {exc}",
            )
        else:
            decision = result.decision
            self.notify_errors += result.notify_errors
            gaps = [f"{a.name}: {a.gap}" for a in decision.slis if a.gap]
            if decision.verdict is not Verdict.PASSED:  # a PASSED run's reasons are no gaps
                gaps += [r for r in decision.reasons if r not in gaps]
            outcome = replace(
                base,
                verdict=Verdict.ERROR if result.journal_error else decision.verdict,
                score=decision.score,
                gaps=tuple(gaps[:MAIN_GAPS]),
                report=f"{folder}/{REPORT}" if (self.out / folder / REPORT).exists() else "",
                run_id=result.run_id,
                started_at=started,
                ended_at=time.time(),
                note=result.journal_error,
                trend=None if result.dry_run else stored_trend(self.results, name, result.run_id),
            )
        verdict = outcome.verdict.value if outcome.verdict else "not run"
        self.note(EntryKind.VERDICT, f"{line}: {verdict}")
        if self.live is not None:
            self.live.header = f"{line}: {verdict}"
        return outcome


class Headed:
    """The one live view, each phase titled with the experiment it belongs to."""

    def __init__(self, inner: Progress, title: str) -> None:
        self.inner = inner
        self.title = title

    def phase(self, name: str, started_at: float, ends_at: float | None) -> None:
        self.inner.phase(f"{self.title} · {name}", started_at, ends_at)

    def checks(self, checks: Sequence[CheckRecord]) -> None:
        self.inner.checks(checks)

    def plan(self, lines: Sequence[str]) -> None:
        self.inner.plan(lines)

    def tick(self, t: float, values: Mapping[str, SliTick]) -> None:
        self.inner.tick(t, values)

    def event(self, message: str) -> None:
        self.inner.event(message)

    def close(self) -> None:
        """The game day's view outlives each experiment: closed once, by its owner."""


def run_gameday(
    prepared: Prepared,
    *,
    progress: Progress,
    stop: StopFlag,
    output_dir: Path | None = None,
    steady_check: SteadyCheck = prometheus_steady_check,
    run_one: RunOne = session.run_experiment,
    state_root: Path | None = None,
    steady_poll: float | None = None,
    serve: str | None = None,
    results: Path | None = None,
    notifier: Notifier | None = None,
) -> GameDayResult:
    """Run every experiment of ``prepared`` in order; the consolidated report is written
    whatever happens (``steady_poll``: seconds between steady polls, by default each next
    experiment's probe interval, at least ``steady.MIN_POLL``; ``serve``: an address to serve
    the live page on; ``results``: the results store each run is kept in and its trend read
    from; ``notifier``: where every experiment's notices go, else each file's own webhook)."""
    gameday_id = session.new_run_id()
    out = output_dir or default_output_dir(prepared.gameday, gameday_id)
    prepare_output_dir(out, (REPORT, SUMMARY, NOTES))
    (out / NOTES).touch()
    live = LiveStatus(prepared.gameday.name)
    server = _serve(out, live, serve) if serve is not None else None
    seq = _Sequencer(
        prepared,
        out,
        gameday_id,
        progress,
        stop,
        steady_check,
        run_one,
        steady_poll,
        live,
        results,
        notifier,
    )
    try:
        if server is not None:
            seq.note(EntryKind.START, f"live page at {server.url}")
        record = _run_all(seq, state_root)
        outputs, errors = write_reports(out, record)
    finally:
        live.folder, live.done = None, True
        if server is not None:
            server.stop()
    return GameDayResult(record, out, outputs, errors, tuple(seq.notify_errors))


def _run_all(seq: _Sequencer, state_root: Path | None) -> GameDayRecord:
    g = seq.p.gameday
    try:
        state: Path | None = register(seq.out, g.name, state_root)
    except OSError as exc:  # notes still work with --dir
        log.warning("the running game day could not be recorded", error=str(exc))
        state = None
    started = time.time()
    try:
        seq.note(
            EntryKind.START,
            f"game day {g.name} ({seq.gameday_id}): "
            f"{len(seq.p.experiments)} experiment(s); outputs in {seq.out}",
        )
        interrupted = seq.run()
    finally:
        if state is not None:
            unregister(state)
    ended = time.time()
    return GameDayRecord(
        gameday=g,
        gameday_id=seq.gameday_id,
        started_at=started,
        ended_at=ended,
        outcomes=tuple(seq.outcomes),
        events=(*seq.events, TimelineEntry(ended, EntryKind.END, "game day ended")),
        interrupted=interrupted,
        notes=read_notes(seq.out),
    )


def _serve(out: Path, live: LiveStatus, addr: str) -> LiveServer:
    try:
        server = LiveServer(out, live, addr)
    except (OSError, ValueError) as exc:
        raise ChaosRunnerError(f"cannot serve the live page on {addr}: {exc}") from exc
    server.start()
    return server


def write_reports(out: Path, record: GameDayRecord) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """report.html and summary.md; one that cannot be written is said, never fatal."""
    outputs, errors = [], []
    renderers = (
        (REPORT, gameday_report.render_html),
        (SUMMARY, gameday_report.render_markdown),
    )
    for name, render in renderers:
        path = out / name
        try:
            write_atomic(path, render(record))
        except Exception as exc:  # noqa: BLE001 - a report is not the verdict
            errors.append(f"{path} was not written: {type(exc).__name__}: {exc}")
            log.warning("game day report not written", path=str(path), error=str(exc))
        else:
            outputs.append(path)
    return tuple(outputs), tuple(errors)
