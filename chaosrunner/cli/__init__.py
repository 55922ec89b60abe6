"""The command line: a thin layer that parses, calls the library and maps errors to exit codes.

Imports are lazy so that ``chaosrunner --help`` stays fast (the Kubernetes and Prometheus
clients, structlog and rich each cost tens to hundreds of milliseconds to import). Exit codes are
a contract CI gates depend on: 0 PASSED, 1 FAILED, 2 ABORTED, 3 INCONCLUSIVE, 4 ERROR (invalid
input, failed preflight, usage errors: nothing was injected).

Nothing escapes as a traceback: an unexpected exception in any command is exit 4 with one line
on stderr (the traceback only with ``-v``), because Python's own exit code for it, 1, reads as
FAILED to a CI gate. A reader that closes stdout early (``| head``) ends output quietly; the
command still finishes and exits with its own code (see ``streams``). Ctrl-C outside a run's
signal handling exits 130, the shell's code for SIGINT, with one line and no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from chaosrunner.core.verdict import EXIT_ERROR

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a process ended by Ctrl-C
_MAX_MESSAGE = 500

_EPILOG = """\
exit codes:
  0  PASSED        faults confirmed active, every SLI had data, every hypothesis held
  1  FAILED        a hypothesis was violated in the blast window, or no recovery in time
  2  ABORTED       a guardrail fired or the run was interrupted; faults were removed early
  3  INCONCLUSIVE  missing evidence: a fault never confirmed, an SLI without data, probe errors
  4  ERROR         invalid input, failed preflight, or an internal error (a crash);
                   whatever was injected was rolled back

examples:
  chaosrunner validate experiments/*.yaml
  chaosrunner run experiments/redis-timeout.yaml --dry-run
  chaosrunner run experiments/redis-timeout.yaml --env lab --var latency=800ms
  chaosrunner sweep experiments/redis-timeout.yaml --param latency=20ms..2s --resolution 50ms
  chaosrunner cleanup --all
"""


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")


class _CommandParser(_Parser):
    """A command's parser: it also accepts the global options after the command."""

    def __init__(self, **kwargs: Any) -> None:
        common = argparse.ArgumentParser(add_help=False)
        _global_args(common, argparse.SUPPRESS)
        kwargs.setdefault("parents", [common])
        super().__init__(**kwargs)


def _run_id(text: str) -> str:
    from chaosrunner.core.runid import run_id_problem

    problem = run_id_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def _var(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return key, value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chaosrunner",
        description="Run chaos experiments against Go services: check steady state, inject faults "
        "(Chaos Mesh or the local lab), watch SLIs in Prometheus, always roll back, and judge.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    _global_args(parser, argparse.SUPPRESS)
    parser.set_defaults(log_format="console", verbose=0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)

    run = sub.add_parser(
        "run",
        help="run an experiment",
        description="Run one experiment: "
        "validate, preflight, baseline, inject, observe, rollback, recovery, verdict.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("file", type=Path, help="the experiment YAML file")
    _env_args(run)
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="run preflight and show exactly what would be injected; inject nothing",
    )
    run.add_argument(
        "--output-dir",
        type=Path,
        help="where journal.json, summary.md and junit.xml go "
        "(default chaosrunner-runs/NAME/RUN_ID)",
    )
    run.add_argument(
        "--run-id",
        type=_run_id,
        help="use this run id (default: time-based and random); a Kubernetes label value: "
        "letters, digits, '-', '_', '.', at most 63 characters",
    )
    _cluster_args(run)
    run.add_argument(
        "--allow-namespace",
        action="append",
        default=[],
        metavar="NS",
        help="chaos-mesh: allow faults in NS (repeatable), besides the file's allowNamespaces; "
        "kube-system and the other system namespaces are allowed only this way",
    )
    _results_arg(run)

    report = sub.add_parser(
        "report",
        help="rebuild a run's report.html, summary.md, junit.xml and journal.json from its journal",
        description="Read a run's journal (RUN_DIR/journal.jsonl, the journal a run appends as it "
        "goes, else RUN_DIR/journal.json; or the file JOURNAL itself, any schemaVersion) and "
        "write journal.json, summary.md, junit.xml and report.html, the same as at the end of "
        "the run. A run that did not finish (killed, crashed) has no verdict record: it is "
        "judged ERROR, on the evidence it left. Exits with the verdict's code.",
    )
    report.add_argument(
        "run_dir",
        type=Path,
        metavar="RUN_DIR|JOURNAL",
        help="the run's output directory, or a journal.jsonl or journal.json file",
    )
    report.add_argument(
        "--format",
        dest="formats",
        default="json,md,junit,html",
        metavar="FORMATS",
        help="comma-separated outputs to write: json (journal.json), md (summary.md), junit "
        "(junit.xml), html (report.html); default: all",
    )
    report.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="write the outputs in DIR (default: the journal's directory)",
    )
    _results_arg(report)

    history = sub.add_parser(
        "history",
        help="list past runs from the results store, newest first",
        description="List the runs kept in the results store (every run that was not a dry run, "
        "and every journal `report` rebuilt): date, verdict, score and the main gaps, in the "
        "objective's unit, newest first; then the sweeps (`chaosrunner sweep`) with the "
        "boundary each found, so a breaking point can be followed month over month.",
    )
    history.add_argument("experiment", nargs="?", metavar="EXPERIMENT", help="only this experiment")
    history.add_argument("--env", help="only runs in this environment")
    history.add_argument(
        "--limit", type=int, default=20, metavar="N", help="show at most N runs (default 20)"
    )
    _results_arg(history)

    _validate_parser(sub)

    schema = sub.add_parser("schema", help="print the experiment format's JSON Schema")
    schema.add_argument(
        "--kind",
        choices=["Experiment", "GameDay"],
        default="Experiment",
        help="the format whose schema to print (default Experiment)",
    )

    render = sub.add_parser(
        "render",
        help="print the Chaos Mesh objects a run would create, as YAML for kubectl create -f -",
        description="Render an experiment's faults for a chaos-mesh environment as multi-document "
        "YAML. Nothing is sent anywhere. The run id in labels and names is 'render' unless "
        "--run-id is given.",
    )
    render.add_argument("file", type=Path, help="the experiment YAML file")
    _env_args(render)
    render.add_argument(
        "--run-id", type=_run_id, default="render", help="the run id to label objects with"
    )

    lab = sub.add_parser(
        "lab",
        help="the embedded local lab: Redis, Toxiproxy, the demo, load and Prometheus",
        description="Start, stop and inspect the local lab. Everything listens on 127.0.0.1; "
        "state, pids and logs live in the state directory ($CHAOSRUNNER_STATE_DIR/lab).",
    )
    lab_sub = lab.add_subparsers(
        dest="lab_command", metavar="ACTION", required=True, parser_class=_CommandParser
    )
    up = lab_sub.add_parser("up", help="start the lab (idempotent) and wait until it is healthy")
    up.add_argument(
        "--profile",
        choices=["default", "resilient", "no-timeout"],
        default=None,
        help="the demo's configuration: default (100ms Redis timeout, no fallback), "
        "resilient (serve cached values when Redis fails), no-timeout (waits forever)",
    )
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for health")
    up.add_argument(
        "--port-base",
        type=int,
        default=None,
        metavar="N",
        help="listen on N..N+5 (redis, proxy, toxiproxy, demo, loadgen, prometheus) instead of "
        "the default ports; `run --env lab` finds them by itself",
    )
    up.add_argument(
        "--restart-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds before a part that died is restarted, doubling while it keeps dying "
        "(default 5, about how long Kubernetes takes to bring a killed pod back)",
    )
    lab_sub.add_parser("down", help="stop every lab process")
    lab_sub.add_parser("status", help="show each part's health; exit 0 only if all are healthy")

    clean = sub.add_parser(
        "cleanup",
        help="find and remove faults left by crashed runs",
        description="Remove what crashed runs left: local fault records, the lab's toxics and "
        "leaks, and, with --namespace or --cluster, Chaos Mesh objects and Leases found in the "
        "cluster by their chaosrunner labels. Exit 0 when nothing is left, 4 if something could "
        "not be removed.",
    )
    who = clean.add_mutually_exclusive_group(required=True)
    who.add_argument("--run-id", type=_run_id, help="only this run's faults")
    who.add_argument("--all", action="store_true", help="every fault chaosrunner left")
    clean.add_argument(
        "--namespace", metavar="NS", help="also clean the cluster, in this namespace only"
    )
    clean.add_argument(
        "--cluster", action="store_true", help="also clean the cluster, in every namespace"
    )
    _cluster_args(clean)
    _gameday_parser(sub)
    _gate_parsers(sub, run)
    _sweep_parser(sub)
    return parser


def _gate_parsers(sub: Any, run: argparse.ArgumentParser) -> None:
    """``gate`` and ``schedule``, and ``run --webhook``."""
    _webhook_args(run)
    gate = sub.add_parser(
        "gate",
        help="the red-blue acceptance gate: every experiment judged by one SLO contract",
        description="Run each experiment in order with its steady-state SLIs replaced by the "
        "contract's, after checking that the experiments cover the fault classes the contract "
        "requires (missing coverage: FAILED, nothing injected). Writes junit.xml (one case per "
        "experiment x SLO), summary.md (a pull-request comment) and each experiment's full "
        "outputs under the output directory. Exit code: any ERROR 4, else any ABORTED 2, else "
        "any FAILED (or missing coverage) 1, else any INCONCLUSIVE 3, else 0.",
    )
    gate.add_argument(
        "--contract", type=Path, required=True, metavar="SLO_FILE", help="the SLO contract"
    )
    gate.add_argument("experiments", type=Path, nargs="+", metavar="EXPERIMENT")
    _env_args(gate)
    gate.add_argument(
        "--output-dir",
        type=Path,
        help="where junit.xml, summary.md and each experiment's outputs go "
        "(default chaosrunner-runs/gate/CONTRACT/ID)",
    )
    _webhook_args(gate)

    schedule = sub.add_parser(
        "schedule",
        help="print a Kubernetes CronJob that runs a game day or an experiment on a schedule",
        description="Print a CronJob (ServiceAccount and Role from manifests/rbac.yaml) that "
        "runs FILE from the ConfigMap chaosrunner-experiments on --cron and keeps every run's "
        "outputs in the PersistentVolumeClaim --pvc, mounted at /results. Nothing is sent.",
    )
    schedule.add_argument("file", type=Path, help="the GameDay or Experiment YAML file")
    schedule.add_argument(
        "--cron", required=True, help="the schedule, e.g. '0 10 1 * *' (UTC), or @monthly"
    )
    schedule.add_argument(
        "--pvc",
        default="chaosrunner-results",
        metavar="NAME",
        help="the PersistentVolumeClaim the results are kept in (default chaosrunner-results)",
    )
    schedule.add_argument("--namespace", default="demo", metavar="NS", help="default demo")
    schedule.add_argument("--image", default=None, help="the chaosrunner image")
    schedule.add_argument(
        "--env", default=None, help="the environment to run in (experiments: default cluster)"
    )
    schedule.add_argument(
        "--suspend", action="store_true", help="create it suspended (start it by hand)"
    )


def _sweep_parser(sub: Any) -> None:
    from chaosrunner.cli.sweep import add_parser

    add_parser(sub, _env_args, _cluster_args, _results_arg)


def _webhook_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--webhook",
        metavar="URL",
        help="POST JSON to URL on start, verdict and abort (never changes the exit code); "
        "without it, the file's spec.notify.webhook is used if it has one",
    )
    p.add_argument(
        "--webhook-timeout", type=float, default=5.0, metavar="SECONDS", help="per attempt"
    )
    p.add_argument(
        "--webhook-retries", type=int, default=2, metavar="N", help="retries after a failure"
    )


def _gameday_parser(sub: Any) -> None:
    gameday = sub.add_parser(
        "gameday",
        help="run a game day: several experiments in order, one report; add notes while it runs",
        description="Run the experiments a GameDay file names, in order, with a cool-down and a "
        "steady check between them, and write a consolidated report.html and summary.md that "
        "link each experiment's own report. Exit code: any ERROR 4, else any ABORTED 2 (an "
        "interruption is one), else any FAILED 1, else any INCONCLUSIVE or not run 3, else 0.",
    )
    actions = gameday.add_subparsers(
        dest="gameday_command", metavar="ACTION", required=True, parser_class=_CommandParser
    )
    run = actions.add_parser("run", help="run a game day")
    run.add_argument("file", type=Path, help="the GameDay YAML file")
    _env_args(run)
    run.add_argument(
        "--output-dir",
        type=Path,
        help="where the game day's report, notes and each experiment's outputs go "
        "(default chaosrunner-runs/gamedays/NAME/ID)",
    )
    run.add_argument(
        "--serve",
        action="store_true",
        help="serve a live page (the running experiment's report, refreshed every few seconds, "
        "with the notes) on 127.0.0.1:8642, or on --serve-address",
    )
    run.add_argument(
        "--serve-address",
        default=None,
        metavar="HOST:PORT",
        help="serve the live page on this address (implies --serve; loopback unless a host is "
        "named)",
    )
    _webhook_args(run)
    _results_arg(run)
    note = actions.add_parser(
        "note", help="add a timestamped note to the running game day's timeline"
    )
    note.add_argument("text", help="the note")
    note.add_argument(
        "--dir",
        type=Path,
        default=None,
        metavar="GAMEDAY_OUTPUT_DIR",
        help="the game day's output directory (default: the game day running now, found "
        "through $CHAOSRUNNER_STATE_DIR)",
    )


def _global_args(p: argparse.ArgumentParser, default: str) -> None:
    """Options accepted before or after the command (``run x.yaml --log-format json``)."""
    p.add_argument(
        "--log-format",
        choices=["console", "json"],
        default=default,
        help="console (default) or JSON lines on stdout",
    )
    p.add_argument("-v", "--verbose", action="count", default=default, help="more log output")


def _cluster_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kubeconfig", help="chaos-mesh: the kubeconfig file (default $KUBECONFIG, ~/.kube/config)"
    )
    p.add_argument(
        "--context", help="chaos-mesh: the kubeconfig context (default the file's, else current)"
    )


def _results_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        metavar="DIR",
        help="the results store (default $CHAOSRUNNER_RESULTS, else "
        "$CHAOSRUNNER_STATE_DIR/results, else ~/.local/share/chaosrunner/results)",
    )


def _validate_parser(sub: Any) -> None:
    """``validate``: experiments, game days and SLO contracts; ``--probe`` asks Prometheus."""
    val = sub.add_parser(
        "validate",
        help="check experiment and SLO contract files; exit 0 if all are valid, else 4",
        description="Check experiment files, game days and SLO contracts (OpenSLO v1 or Sloth "
        "files, or folders of them). Each SLO is shown with the SLI it becomes: its PromQL, "
        "objective and judge rule.",
    )
    val.add_argument("files", type=Path, nargs="+", metavar="FILE")
    _env_args(val)
    val.add_argument(
        "--probe",
        action="store_true",
        help="also ask Prometheus whether every SLI query returns data now; exit 4 naming each "
        "SLI that does not",
    )
    val.add_argument(
        "--prometheus",
        metavar="URL",
        help="the Prometheus to probe (default: the experiment environment's; required for "
        "a contract file)",
    )


def _env_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", help="the environment to use (default: the file's spec.defaultEnv)")
    p.add_argument(
        "--var",
        type=_var,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a ${NAME} variable (repeatable); overrides the environment",
    )


def main(argv: list[str] | None = None) -> int:
    from chaosrunner.cli.streams import QuietStreams

    streams = QuietStreams.install()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        streams.restore()


def _main(argv: list[str]) -> int:
    verbose = _verbosity(argv)
    try:
        try:
            args = build_parser().parse_args(argv)
        except UsageError as exc:
            sys.stderr.write(f"{exc}\n")
            return EXIT_ERROR
        verbose = args.verbose or 0
        if args.version:
            from chaosrunner import __version__

            sys.stdout.write(f"chaosrunner {__version__}\n")
            return 0
        if args.command is None:
            build_parser().print_help()
            return EXIT_ERROR
        from chaosrunner.cli import commands

        return commands.dispatch(args)
    except KeyboardInterrupt:
        sys.stderr.write("chaosrunner: interrupted\n")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the one place every unexpected exception ends
        return internal_error(exc, verbose)


def _verbosity(argv: list[str]) -> int:
    """``-v`` as given, read before parsing: a crash while parsing still honours it."""
    count = 0
    for arg in argv:
        if arg == "--":
            break
        if arg == "--verbose":
            count += 1
        elif len(arg) > 1 and arg[0] == "-" and set(arg[1:]) == {"v"}:
            count += len(arg) - 1
    return count


def internal_error(exc: BaseException, verbose: int) -> int:
    """Report an unexpected exception: one line, the traceback only with ``-v``; exit 4."""
    redact = _redactor()
    if verbose:
        import traceback

        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    message = " ".join(str(exc).split())
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "..."
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    hint = "" if verbose else " (run with -v for the traceback)"
    sys.stderr.write(redact(f"chaosrunner: internal error: {what}{hint}") + "\n")
    return EXIT_ERROR


def _redactor() -> Callable[[str], str]:
    try:
        from chaosrunner.adapters.logs import redact
    except Exception:  # noqa: BLE001 - reporting a crash must not crash
        return lambda text: text
    return redact


if __name__ == "__main__":
    sys.exit(main())
