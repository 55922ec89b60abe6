"""The CLI's commands: call the library, render through one progress view, map errors to codes."""

from __future__ import annotations

import argparse
import json
import sys

from chaosrunner.adapters import logs
from chaosrunner.adapters.progress import LiveProgress, NullProgress, PlainProgress
from chaosrunner.core.errors import ChaosRunnerError, ExperimentError
from chaosrunner.core.verdict import Verdict

EXIT_ERROR = 4


def dispatch(args: argparse.Namespace) -> int:
    logs.configure(args.log_format, args.verbose)
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
    except ExperimentError as exc:
        for problem in exc.problems:
            sys.stderr.write(f"{problem}\n")
        sys.stderr.write(f"{len(exc.problems)} problem(s); nothing was injected\n")
        return EXIT_ERROR
    except ChaosRunnerError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
    raise AssertionError(args.command)


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
            progress.close()
        view = PlainProgress(sys.stdout) if isinstance(progress, LiveProgress) else progress
        decision = result.decision
        if args.dry_run:
            ok = decision.verdict is not Verdict.ERROR
            view.message(
                f"dry run: {'preflight passed; nothing was injected' if ok else 'preflight failed'}"
                f" (journal: {result.output_dir / 'journal.json'})"
            )
            for reason in [] if ok else decision.reasons:
                view.message(f"  - {reason}")
            return 0 if ok else EXIT_ERROR
        view.result(decision, [str(p) for p in result.outputs])
        return decision.verdict.exit_code


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
            status = lab.up(profile=profile, timeout=args.timeout)
        case "down":
            stopped = lab.down()
            for line in stopped or ["the lab was not running"]:
                view.message(line)
            return 0
        case _:
            status = lab.status()
    view.message(
        f"lab {'healthy' if status.healthy else 'NOT healthy'}: profile "
        f"{status.profile or '-'}, state in {status.state_dir}"
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
