"""The CLI's commands: call the library, render through one progress view, map errors to codes.

Errors chaosrunner raises on purpose (:class:`ChaosRunnerError`) end here as exit 4 with their
message; anything else goes on to ``main``, which reports it as an internal error (also 4). Once a
run's verdict is in its journal, nothing that fails afterwards (a report, the progress view)
changes its exit code: that is said on stderr instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from chaosrunner.adapters import logs
from chaosrunner.adapters.progress import LiveProgress, NullProgress, PlainProgress
from chaosrunner.core.errors import ChaosRunnerError, ExperimentError
from chaosrunner.core.leftovers import Leftover, Outcome
from chaosrunner.core.verdict import EXIT_ERROR, Verdict

if TYPE_CHECKING:
    from chaosrunner.adapters.webhook import WebhookNotifier
    from chaosrunner.core.notify import WebhookConfig
    from chaosrunner.runner.session import RunResult
    from chaosrunner.runner.validation import FileCheck

log = structlog.get_logger("chaosrunner.cli")


def dispatch(args: argparse.Namespace) -> int:
    logs.configure(args.log_format, args.verbose)
    _mask_secret_vars(args)
    try:
        match args.command:
            case "run":
                return _run(args)
            case "validate":
                return _validate(args)
            case "schema":
                return _schema(args.kind)
            case "cleanup":
                return _cleanup(args)
            case "lab":
                return _lab(args)
            case "render":
                return _render(args)
            case "report":
                return _report(args)
            case "gameday":
                from chaosrunner.cli import gameday

                return gameday.dispatch(args)
            case "history":
                return _history(args)
            case "sweep":
                from chaosrunner.cli import sweep

                return sweep.run(args)
            case "gate" | "schedule":
                from chaosrunner.cli import gate

                return gate.dispatch(args)
    except ExperimentError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        sys.stderr.write(f"{len(exc.problems)} problem(s); nothing was injected\n")
        return EXIT_ERROR
    except ChaosRunnerError as exc:
        sys.stderr.write(logs.redact(f"error: {exc}") + "\n")
        return EXIT_ERROR
    raise AssertionError(args.command)


def _mask_secret_vars(args: argparse.Namespace) -> None:
    """Mask secret-named ``--var`` values from the start: a crash before the experiment is
    loaded (and its declared secrets known) must not print one either."""
    from chaosrunner.adapters.redact import Redactor
    from chaosrunner.core.source import is_secret_name

    secrets = [value for name, value in getattr(args, "var", []) if is_secret_name(name)]
    if secrets:
        logs.set_secrets(Redactor(secrets))


def progress_view(args: argparse.Namespace) -> LiveProgress | PlainProgress | NullProgress:
    if args.log_format == "json":
        return NullProgress()
    if sys.stdout.isatty():
        return LiveProgress(sys.stdout)
    return PlainProgress(sys.stdout)


def _run(args: argparse.Namespace) -> int:
    from chaosrunner.adapters.chaosmesh.driver import ClusterOptions
    from chaosrunner.runner import session
    from chaosrunner.runner.stop import StopFlag, handle_signals

    experiment = session.load_experiment(args.file, args.env, dict(args.var))
    stop = StopFlag()
    # The handlers stay installed until the reports are out: a late Ctrl-C must not kill the
    # process half-way through writing them.
    with handle_signals(stop):
        progress = progress_view(args)
        try:
            result = session.run_experiment(
                experiment,
                progress=progress,
                stop=stop,
                output_dir=args.output_dir,
                dry_run=args.dry_run,
                run_id=args.run_id,
                results=results_dir(args),
                notifier=webhook_notifier(args, experiment.notify),
                cluster=ClusterOptions(
                    kubeconfig=args.kubeconfig,
                    context=args.context,
                    allow_namespaces=tuple(args.allow_namespace),
                ),
            )
        finally:
            after_verdict("close the progress view", progress.close)
        view = PlainProgress(sys.stdout) if isinstance(progress, LiveProgress) else progress
        after_verdict("show the result", lambda: _show(view, result))
        for problem in result.report_errors:
            sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
        for problem in result.notify_errors:
            sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
        if result.journal_error:
            sys.stderr.write(logs.redact(f"error: {result.journal_error}") + "\n")
        return result.exit_code


def webhook_notifier(
    args: argparse.Namespace, from_file: WebhookConfig | None = None
) -> WebhookNotifier | None:
    """The ``--webhook`` notifier, else the file's ``notify.webhook`` one, or None."""
    from chaosrunner.adapters.webhook import WebhookNotifier
    from chaosrunner.core.notify import WebhookConfig

    url = getattr(args, "webhook", None)
    if not url:
        return None if from_file is None else WebhookNotifier(from_file)
    if args.webhook_timeout <= 0 or args.webhook_retries < 0:
        raise ChaosRunnerError("--webhook-timeout must be above 0, --webhook-retries at least 0")
    return WebhookNotifier(WebhookConfig(url, args.webhook_timeout, args.webhook_retries))


#: What a dry run's one line says, by its verdict: the exit code is the verdict's, as for a run.
_DRY_RUN_OUTCOMES = {
    Verdict.DRY_RUN: "preflight passed",
    Verdict.ABORTED: "interrupted",
    Verdict.ERROR: "preflight failed",
}


def _show(view: PlainProgress | NullProgress, result: RunResult) -> None:
    decision = result.decision
    if result.dry_run:
        ok = decision.verdict is Verdict.DRY_RUN
        what = _DRY_RUN_OUTCOMES.get(decision.verdict, f"no verdict ({decision.verdict.value})")
        view.message(
            f"dry run: {what}; nothing was injected"
            f" (journal: {result.output_dir / 'journal.json'}; exit {result.exit_code})"
        )
        for reason in [] if ok else decision.reasons:
            view.message(f"  - {reason}")
        return
    view.result(decision, [str(p) for p in result.outputs])


def after_verdict(what: str, action: Callable[[], None]) -> None:
    """Run a step after the verdict was kept; its failure is logged, never an exit code."""
    try:
        action()
    except Exception as exc:  # the verdict in the journal stands
        log.warning(f"could not {what}", error=f"{type(exc).__name__}: {exc}")
        log.info(f"could not {what}", exc_info=exc)


def _report(args: argparse.Namespace) -> int:
    """Rebuild a run's outputs from its appended journal; exit with the verdict's code."""
    from chaosrunner.adapters.reports.writers import parse_formats
    from chaosrunner.runner import session

    try:
        formats = parse_formats(args.formats)
    except ValueError as exc:
        raise ChaosRunnerError(f"--format: {exc}") from exc
    rebuilt = session.rebuild_outputs(
        args.run_dir, formats=formats, output_dir=args.output_dir, results=results_dir(args)
    )
    view = PlainProgress(sys.stdout)
    if rebuilt.unfinished:
        view.message(f"the run in {args.run_dir} did not finish: {session.UNFINISHED}")
    if rebuilt.truncated:
        view.message("its last journal line was cut short (the run was killed while writing it)")
    written = rebuilt.written
    after_verdict(
        "show the result", lambda: view.result(rebuilt.decision, [str(p) for p in written.outputs])
    )
    for problem in written.report_errors:
        sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
    if written.journal_error:
        sys.stderr.write(logs.redact(f"error: {written.journal_error}") + "\n")
        return EXIT_ERROR
    return rebuilt.decision.verdict.exit_code


def results_dir(args: argparse.Namespace) -> Path:
    """``--results``, else the default store (``adapters/results.py`` says where)."""
    from chaosrunner.adapters import results

    chosen: Path | None = getattr(args, "results", None)
    return chosen if chosen is not None else results.default_dir()


def _history(args: argparse.Namespace) -> int:
    """Past runs from the results store, newest first; exit 0 (4 for a bad --limit)."""
    from chaosrunner.adapters import results
    from chaosrunner.adapters.reports.trend import summary_of_journal
    from chaosrunner.core.history import history_lines
    from chaosrunner.core.sweep_record import sweep_history_lines

    if args.limit < 1:
        raise ChaosRunnerError(f"--limit: {args.limit} is not a positive number of runs")
    root = results_dir(args)
    stored = results.ResultsStore(root).runs(args.experiment, args.env, summary_of_journal)
    sweeps = [s for s in results.sweeps(root, args.experiment) if not args.env or s.env == args.env]
    view = PlainProgress(sys.stdout)
    if not stored and not sweeps:
        of = f" of {args.experiment}" if args.experiment else ""
        where = f" in env {args.env}" if args.env else ""
        view.message(f"no runs{of}{where} stored in {root}")
        return 0
    for line in history_lines([r.summary for r in stored[: args.limit]]):
        view.message(line)
    if len(stored) > args.limit:
        view.message(f"({len(stored) - args.limit} older run(s) not shown; see --limit)")
    if sweeps:
        view.message("sweeps (breaking points), newest first:")
        for line in sweep_history_lines(sweeps[: args.limit]):
            view.message(line)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from chaosrunner.runner import gameday, validation

    total = 0
    valid: list[validation.FileCheck] = []
    for path in args.files:
        if gameday.is_gameday_file(path):  # the game day and every experiment it names
            problems = gameday.check(path, args.env, dict(args.var))
        else:  # an experiment, or an SLO contract (a file or a folder)
            checked = validation.check_path(path, args.env, dict(args.var))
            problems = list(checked.problems)
            sys.stdout.writelines(f"{line}\n" for line in checked.lines)
            valid += [] if problems else [checked]
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        if not problems:
            sys.stdout.write(f"{path}: valid\n")
        total += len(problems)
    if total:
        sys.stdout.write(f"{total} problem(s) in {len(args.files)} file(s)\n")
        return EXIT_ERROR
    return _probe(args.prometheus, valid) if args.probe else 0


def _probe(url: str | None, checked: list[FileCheck]) -> int:
    """``validate --probe``: every SLI query of every valid file must return data now."""
    from chaosrunner.core.model import PrometheusConfig
    from chaosrunner.runner.validation import probe

    failed = 0
    for item in checked:
        config = PrometheusConfig(url.rstrip("/")) if url else item.prometheus
        if config is None:
            sys.stdout.write(
                f"{item.path}: --probe needs --prometheus URL to probe a contract's SLIs\n"
            )
            failed += 1
            continue
        failures = probe(item.slis, config)
        sys.stdout.writelines(f"{item.path}: {failure}\n" for failure in failures)
        if not failures:
            sys.stdout.write(
                f"{item.path}: all {len(item.slis)} SLI queries return data at {config.url}\n"
            )
        failed += len(failures)
    return EXIT_ERROR if failed else 0


def _schema(kind: str = "Experiment") -> int:
    from chaosrunner.core.gameday_schema import gameday_schema
    from chaosrunner.core.schema import experiment_schema

    schema = gameday_schema() if kind == "GameDay" else experiment_schema()
    sys.stdout.write(json.dumps(schema, indent=2) + "\n")
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    """One line per thing found; exit 0 when nothing is left behind, else 4."""
    from chaosrunner.runner.cleanup import ClusterScope, clean_up

    cluster = (
        ClusterScope(args.namespace, args.kubeconfig, args.context)
        if args.namespace or args.cluster
        else None
    )
    done = clean_up(None if args.all else args.run_id, cluster)
    lines = [cleanup_line(item) for item in done.items] or [
        "nothing left behind: no fault records, no chaosrunner toxics, leaks or objects"
    ]
    for line in lines:
        sys.stdout.write(f"{line}\n")
    return EXIT_ERROR if done.left_behind else 0


def cleanup_line(item: Leftover) -> str:
    """``local: r1/slow-redis: ended``, ``cluster: deleted PodChaos ns/x (run r1)``."""
    note = f" ({item.detail})" if item.detail else ""
    match item.outcome:
        case Outcome.DELETED:
            text = f"deleted {item.what}{note}"
        case Outcome.UNCONFIRMED:
            text = f"FAILED to confirm the deletion of {item.what}{note}"
        case Outcome.FAILED:
            text = f"{item.what}: FAILED{': ' + item.detail if item.detail else ''}"
        case Outcome.ESCALATED:
            text = (
                f"deleted {item.what} only by removing its finalizer: ESCALATED, its targets "
                f"may not have recovered{note}"
            )
        case Outcome.MAY_REMAIN:
            text = f"MAY REMAIN: {item.what}{note}"
        case _:
            text = f"{item.what}: {item.outcome.value}{note}"
    return f"{item.where.value}: {text}"


def _lab(args: argparse.Namespace) -> int:
    from chaosrunner import lab

    view = PlainProgress(sys.stdout)
    match args.lab_command:
        case "up":
            running = lab.status()
            profile = args.profile or (running.profile if running.running else None) or "default"
            view.message(f"bringing the lab up with the demo's {profile!r} profile")
            ports = None if args.port_base is None else lab.LabPorts.from_base(args.port_base)
            status = lab.up(
                profile=profile,
                timeout=args.timeout,
                ports=ports,
                restart_delay=args.restart_delay,
            )
        case "down":
            stopped = lab.down()
            for line in stopped or ["the lab was not running"]:
                view.message(line)
            return 0
        case _:
            status = lab.status()
    view.message(
        f"lab {'healthy' if status.healthy else 'NOT healthy'}: profile "
        f"{status.profile or '-'}, restart delay {status.restart_delay:g}s, "
        f"state in {status.state_dir}"
    )
    for c in status.components:
        mark = "ok  " if c.healthy else "DOWN"
        view.message(
            f"  {mark} {c.name:<10} pid {c.pid or '-':<8} {c.address:<24} {c.detail}"
            + (f" (restarts: {c.restarts})" if c.restarts else "")
        )
    return 0 if status.healthy else EXIT_ERROR


def _render(args: argparse.Namespace) -> int:
    from chaosrunner.adapters import chaosmesh
    from chaosrunner.core.model import DriverKind
    from chaosrunner.core.plan import make_plan
    from chaosrunner.runner import session

    experiment = session.load_experiment(args.file, args.env, dict(args.var))
    if experiment.env.driver is not DriverKind.CHAOS_MESH:
        sys.stderr.write(
            f"error: environment {experiment.env.name!r} uses the {experiment.env.driver.value} "
            "driver; render needs a chaos-mesh environment (e.g. --env cluster)\n"
        )
        return EXIT_ERROR
    plan = make_plan(experiment)
    sys.stdout.write(chaosmesh.to_yaml(chaosmesh.render_all(plan, run_id=args.run_id)))
    for pf in plan.faults:
        if pf.kind.name in chaosmesh.NOT_OBJECTS:
            why = chaosmesh.NOT_OBJECTS[pf.kind.name]
            sys.stderr.write(f"note: fault {pf.fault.name!r} is not a Chaos Mesh object; {why}\n")
    return 0
