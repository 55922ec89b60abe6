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
from typing import TYPE_CHECKING

import structlog

from chaosrunner.adapters import logs
from chaosrunner.adapters.progress import LiveProgress, NullProgress, PlainProgress
from chaosrunner.core.errors import ChaosRunnerError, ExperimentError
from chaosrunner.core.verdict import Verdict

if TYPE_CHECKING:
    from chaosrunner.runner.session import RunResult

EXIT_ERROR = 4
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
                return _schema()
            case "cleanup":
                return _cleanup(args)
            case "lab":
                return _lab(args)
            case "render":
                return _render(args)
            case "report":
                return _report(args)
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


def _progress(args: argparse.Namespace) -> LiveProgress | PlainProgress | NullProgress:
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
        progress = _progress(args)
        try:
            result = session.run_experiment(
                experiment,
                progress=progress,
                stop=stop,
                output_dir=args.output_dir,
                dry_run=args.dry_run,
                run_id=args.run_id,
                cluster=ClusterOptions(
                    kubeconfig=args.kubeconfig,
                    context=args.context,
                    allow_namespaces=tuple(args.allow_namespace),
                ),
            )
        finally:
            _after_verdict("close the progress view", progress.close)
        view = PlainProgress(sys.stdout) if isinstance(progress, LiveProgress) else progress
        _after_verdict("show the result", lambda: _show(view, result))
        for problem in result.report_errors:
            sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
        if result.journal_error:
            sys.stderr.write(logs.redact(f"error: {result.journal_error}") + "\n")
        return result.exit_code


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


def _after_verdict(what: str, action: Callable[[], None]) -> None:
    """Run a step after the verdict was kept; its failure is logged, never an exit code."""
    try:
        action()
    except Exception as exc:  # the verdict in the journal stands
        log.warning(f"could not {what}", error=f"{type(exc).__name__}: {exc}")
        log.info(f"could not {what}", exc_info=exc)


def _report(args: argparse.Namespace) -> int:
    """Rebuild a run's outputs from its appended journal; exit with the verdict's code."""
    from chaosrunner.runner import session

    rebuilt = session.rebuild_outputs(args.run_dir)
    view = PlainProgress(sys.stdout)
    if rebuilt.unfinished:
        view.message(f"the run in {args.run_dir} did not finish: {session.UNFINISHED}")
    if rebuilt.truncated:
        view.message("its last journal line was cut short (the run was killed while writing it)")
    written = rebuilt.written
    _after_verdict(
        "show the result", lambda: view.result(rebuilt.decision, [str(p) for p in written.outputs])
    )
    for problem in written.report_errors:
        sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
    if written.journal_error:
        sys.stderr.write(logs.redact(f"error: {written.journal_error}") + "\n")
        return EXIT_ERROR
    return rebuilt.decision.verdict.exit_code


def _validate(args: argparse.Namespace) -> int:
    from chaosrunner.runner import session

    total = 0
    for path in args.files:
        problems = session.check_file(path, args.env, dict(args.var))
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        if not problems:
            sys.stdout.write(f"{path}: valid\n")
        total += len(problems)
    if total:
        sys.stdout.write(f"{total} problem(s) in {len(args.files)} file(s)\n")
    return EXIT_ERROR if total else 0


def _schema() -> int:
    from chaosrunner.core.schema import experiment_schema

    sys.stdout.write(json.dumps(experiment_schema(), indent=2) + "\n")
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    from chaosrunner.adapters import lab
    from chaosrunner.adapters.local.driver import cleanup, cleanup_lab

    run_id = None if args.all else args.run_id
    cleaned = [f"local: {line}" for line in cleanup(run_id)]
    status = lab.status()
    if status.running:
        ports = status.ports
        hook = f"{ports.demo_url}/debug/chaos/goroutine-leak"
        cleaned += [f"lab: {line}" for line in cleanup_lab(run_id, ports.toxiproxy_url, hook)]
    if args.namespace or args.cluster:
        cleaned += [f"cluster: {line}" for line in _cleanup_cluster(args, run_id)]
    for line in cleaned or [
        "nothing left behind: no fault records, no chaosrunner toxics, leaks or objects"
    ]:
        sys.stdout.write(f"{line}\n")
    return EXIT_ERROR if any("FAILED" in line for line in cleaned) else 0


def _cleanup_cluster(args: argparse.Namespace, run_id: str | None) -> list[str]:
    from chaosrunner.adapters.chaosmesh.cleanup import sweep
    from chaosrunner.adapters.chaosmesh.driver import FINALIZER_TIMEOUT
    from chaosrunner.adapters.kube.api import Connection, connect

    kube = connect(Connection(args.kubeconfig, args.context))
    try:
        return sweep(kube, run_id, args.namespace, FINALIZER_TIMEOUT)
    finally:
        kube.close()


def _lab(args: argparse.Namespace) -> int:
    from chaosrunner.adapters import lab

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
