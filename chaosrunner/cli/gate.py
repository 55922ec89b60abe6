"""``chaosrunner gate`` and ``chaosrunner schedule``: thin, like every command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from chaosrunner.adapters import logs
from chaosrunner.adapters.progress import NullProgress, PlainProgress
from chaosrunner.cli.commands import webhook_notifier
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.ports import Progress


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "schedule":
        return _schedule(args)
    return _gate(args)


def _gate(args: argparse.Namespace) -> int:
    from chaosrunner.runner import gate, session
    from chaosrunner.runner.stop import StopFlag, handle_signals

    contract = gate.load_contract(args.contract)
    experiments = gate.load_experiments(args.experiments, contract, args.env, dict(args.var))
    notifier = webhook_notifier(args)
    out = args.output_dir or Path("chaosrunner-runs") / "gate" / contract.name / (
        session.new_run_id()
    )
    view = NullProgress() if args.log_format == "json" else PlainProgress(sys.stdout)

    def progress() -> Progress:
        return NullProgress() if args.log_format == "json" else PlainProgress(sys.stdout)

    stop = StopFlag()
    with handle_signals(stop):
        run = gate.run_gate(
            contract,
            args.experiments,
            experiments,
            output_dir=out,
            progress=progress,
            stop=stop,
            notifier=notifier,
        )
    result = run.result
    for gap in result.gaps:
        view.message(f"coverage missing: {gap.describe()}; nothing was run")
    for entry in result.entries:
        reason = (
            f": {entry.reasons[0]}" if entry.reasons and entry.verdict.value != "PASSED" else ""
        )
        view.message(f"{entry.experiment}: {entry.verdict.value}{reason}")
    verdict = result.verdict
    view.message(
        f"gate {verdict.value} (exit {verdict.exit_code}): {run.output_dir / gate.GATE_JUNIT}, "
        f"{run.output_dir / gate.GATE_SUMMARY}"
    )
    for problem in (*run.report_errors, *run.notify_errors):
        sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
    return result.exit_code


def _schedule(args: argparse.Namespace) -> int:
    from chaosrunner.core.cronjob import DEFAULT_IMAGE, ScheduleSpec, cron_problem, render_cronjob
    from chaosrunner.runner import session

    problem = cron_problem(args.cron)
    if problem:
        raise ChaosRunnerError(f"--cron: {problem}")
    data = yaml.safe_load(session.read_text(args.file))
    name = data.get("metadata", {}).get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise ChaosRunnerError(
            f"{args.file}: no metadata.name; expected a GameDay or Experiment file"
        )
    spec = ScheduleSpec(
        file_name=args.file.name,
        name=name,
        kind=str(data.get("kind", "")),
        cron=args.cron,
        pvc=args.pvc,
        namespace=args.namespace,
        image=args.image or DEFAULT_IMAGE,
        env=args.env,
        suspend=args.suspend,
    )
    sys.stdout.write(yaml.safe_dump(render_cronjob(spec), sort_keys=False))
    return 0
