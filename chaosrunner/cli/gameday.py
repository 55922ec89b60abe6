"""``chaosrunner gameday run|note``: parse, call runner/gameday.py, show, map to exit codes."""

from __future__ import annotations

import argparse
import getpass
import sys

from chaosrunner.adapters import logs
from chaosrunner.adapters.progress import LiveProgress, PlainProgress
from chaosrunner.cli.commands import after_verdict, progress_view, results_dir, webhook_notifier
from chaosrunner.core.gameday import GameDayRecord


def dispatch(args: argparse.Namespace) -> int:
    if args.gameday_command == "note":
        return _note(args)
    return _run(args)


def _run(args: argparse.Namespace) -> int:
    from chaosrunner.runner import gameday
    from chaosrunner.runner.gameday_serve import DEFAULT_ADDR
    from chaosrunner.runner.stop import StopFlag, handle_signals

    prepared = gameday.prepare(args.file, args.env, dict(args.var))  # every file, before any run
    stop = StopFlag()
    with handle_signals(stop):
        progress = progress_view(args)
        try:
            result = gameday.run_gameday(
                prepared,
                progress=progress,
                stop=stop,
                output_dir=args.output_dir,
                serve=args.serve_address or (DEFAULT_ADDR if args.serve else None),
                results=results_dir(args),
                notifier=webhook_notifier(args, prepared.gameday.notify),
            )
        finally:
            after_verdict("close the progress view", progress.close)
        view = PlainProgress(sys.stdout) if isinstance(progress, LiveProgress) else progress
        after_verdict(
            "show the result",
            lambda: _show(view, result.record, [str(p) for p in result.outputs]),
        )
        for problem in (*result.report_errors, *result.notify_errors):
            sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
        return result.exit_code


def _show(view: object, record: GameDayRecord, outputs: list[str]) -> None:
    if not isinstance(view, PlainProgress):
        return
    verdict = record.verdict
    view.message(f"game day {record.gameday.name}: {verdict.value} (exit {verdict.exit_code})")
    for o in record.outcomes:
        what = o.verdict.value if o.verdict is not None else "NOT RUN"
        view.message(f"  {o.index + 1}. {o.name}: {what}" + (f" ({o.note})" if o.note else ""))
    for path in outputs:
        view.message(f"  report: {path}")


def _note(args: argparse.Namespace) -> int:
    from chaosrunner.runner.gameday_notes import append_note, running_dir

    out = args.dir if args.dir is not None else running_dir()
    try:
        author = getpass.getuser()
    except (OSError, KeyError):
        author = ""
    append_note(out, args.text, author=author)
    PlainProgress(sys.stdout).message(f"note added to {out}")
    return 0
