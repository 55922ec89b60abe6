"""``chaosrunner sweep``: find the breaking point along one variable; parse, run, show, exit.

Exit codes (``SWEEP_EPILOG``): 0 when a boundary was established (or none within the range),
3 when it is uncertain (an INCONCLUSIVE or ERROR level inside the bracket, runs that disagree,
harm that does not grow with intensity), 2 when interrupted (what was found is still written),
4 on bad input or when no level could be judged because every one was an ERROR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

SWEEP_EPILOG = """\
exit codes:
  0  a boundary was found ("holds up to X and breaks at Y"), or none within the range
     ("no boundary up to TO"), or the lowest level already broke
  2  interrupted: the running level was rolled back; the report shows what was found
  3  uncertain: an INCONCLUSIVE or ERROR level inside the bracket, repeated runs that
     disagree (--repeat), or a level that held above one that broke (not monotonic)
  4  invalid input, or no level could be judged (every one was an ERROR)

examples:
  chaosrunner sweep experiments/redis-timeout.yaml --param latency=20ms..2s --resolution 50ms
  chaosrunner sweep experiments/goroutine-leak.yaml --param rate=1..20 --strategy linear \\
      --steps 4 --cooldown 30s
"""


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, 78)


def add_parser(sub: Any, env_args: Any, cluster_args: Any, results_arg: Any) -> None:
    sweep = sub.add_parser(
        "sweep",
        help="find the breaking point: run an experiment at rising levels of one variable",
        description=_wrap(
            "Run FILE at levels of one of its variables, each level a full run "
            "(preflight to verdict, faults always rolled back) with its own journal and report, to "
            "find the highest level that PASSED and the lowest that FAILED. bisect (default) runs "
            "FROM, then TO, then halves the bracket until it is narrower than --resolution; linear "
            "runs every level. ABORTED (a guardrail) counts as breaking and no level above it is "
            "run; INCONCLUSIVE or ERROR levels make the boundary uncertain where they are. The "
            "system must be steady before each level; a level whose baseline was not is rerun and "
            "not counted. Writes sweep.jsonl, sweep.json, report.html and summary.md, and keeps "
            "the sweep in the results store (`chaosrunner history` lists it)."
        ),
        epilog=SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("file", type=Path, help="the experiment YAML file")
    sweep.add_argument(
        "--param",
        required=True,
        metavar="NAME=FROM..TO",
        help="the variable to sweep and its range, in the variable's unit: latency=20ms..2s, "
        "workers=1..8, rate=10..500",
    )
    how = sweep.add_mutually_exclusive_group()
    how.add_argument(
        "--steps", type=int, metavar="N", help="linear: N evenly spaced levels, ends included"
    )
    how.add_argument(
        "--resolution",
        metavar="R",
        help="bisect: stop when the bracket is narrower than R; linear: a level every R "
        "(in the variable's unit; bisect's default is a tenth of the range)",
    )
    sweep.add_argument(
        "--strategy",
        choices=["bisect", "linear"],
        default=None,
        help="default bisect (linear when --steps is given)",
    )
    sweep.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="K",
        help="run each boundary level K times; runs that disagree make it uncertain (default 1)",
    )
    sweep.add_argument(
        "--cooldown", default="0s", metavar="D", help="wait D between levels (default 0s)"
    )
    sweep.add_argument(
        "--steady-timeout",
        default="2m",
        metavar="D",
        help="wait at most D for every SLI to hold before a level (default 2m)",
    )
    env_args(sweep)
    sweep.add_argument(
        "--output-dir",
        type=Path,
        help="where the sweep's report and each level's outputs go "
        "(default chaosrunner-runs/sweeps/NAME/ID)",
    )
    cluster_args(sweep)
    results_arg(sweep)


def _spec(args: argparse.Namespace) -> Any:
    from chaosrunner.core.errors import ChaosRunnerError
    from chaosrunner.core.sweep_range import Strategy, make_spec, parse_param
    from chaosrunner.core.units import parse_duration

    try:
        param = parse_param(args.param)
        strategy = Strategy(args.strategy or ("linear" if args.steps is not None else "bisect"))
        spec = make_spec(
            param, strategy, steps=args.steps, resolution=args.resolution, repeat=args.repeat
        )
    except ValueError as exc:
        raise ChaosRunnerError(str(exc)) from exc
    waits = []
    for flag, text in (("--cooldown", args.cooldown), ("--steady-timeout", args.steady_timeout)):
        try:
            waits.append(parse_duration(text))
        except ValueError as exc:
            raise ChaosRunnerError(f"{flag}: {exc}") from exc
    return spec, waits[0], waits[1]


def run(args: argparse.Namespace) -> int:
    """Imports here, not at the top: the parser is built for every command (``--help``)."""
    from chaosrunner.adapters import logs
    from chaosrunner.adapters.chaosmesh.driver import ClusterOptions
    from chaosrunner.adapters.progress import LiveProgress, PlainProgress
    from chaosrunner.cli.commands import after_verdict, progress_view, results_dir
    from chaosrunner.runner import sweep
    from chaosrunner.runner.stop import StopFlag, handle_signals

    spec, cooldown, steady_timeout = _spec(args)
    prepared = sweep.prepare(args.file, args.env, dict(args.var), spec)  # both ends, before any run
    stop = StopFlag()
    with handle_signals(stop):
        progress = progress_view(args)
        try:
            out = sweep.run_sweep(
                prepared,
                progress=progress,
                stop=stop,
                output_dir=args.output_dir,
                results=results_dir(args),
                cooldown=cooldown,
                steady_timeout=steady_timeout,
                cluster=ClusterOptions(kubeconfig=args.kubeconfig, context=args.context),
            )
        finally:
            after_verdict("close the progress view", progress.close)
        view = PlainProgress(sys.stdout) if isinstance(progress, LiveProgress) else progress
        after_verdict("show the result", lambda: _show(view, out))
        for problem in out.report_errors:
            sys.stderr.write(logs.redact(f"chaosrunner: warning: {problem}") + "\n")
        return out.exit_code


def _show(view: object, out: Any) -> None:
    from chaosrunner.adapters.progress import PlainProgress

    if not isinstance(view, PlainProgress):
        return
    result = out.result
    fmt = result.spec.param.format
    for level in result.levels:
        view.message(f"  {result.spec.param.name}={fmt(level.value)}: {level.verdicts}")
    view.message(f"sweep: {result.sentence} (exit {result.exit_code})")
    for path in out.outputs:
        view.message(f"  report: {path}")
