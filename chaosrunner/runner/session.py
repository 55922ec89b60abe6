"""Compose one run from a file: load, pick adapters, run the engine, write the reports.

This is the only place that knows which adapter serves which driver kind, and the place the
run's outputs are laid out: ``<output-dir>/journal.json``, ``summary.md`` and ``junit.xml``.
"""

from __future__ import annotations

import os
import secrets as _secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver, ClusterOptions
from chaosrunner.adapters.local.driver import LocalDriver
from chaosrunner.adapters.logs import set_secrets
from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports import junit, markdown
from chaosrunner.adapters.reports.journal_file import JournalFile
from chaosrunner.core import validate
from chaosrunner.core.errors import DriverError, ExperimentError, Problem
from chaosrunner.core.model import DriverKind, Experiment
from chaosrunner.core.ports import FaultDriver, Progress
from chaosrunner.core.verdict import Decision
from chaosrunner.runner.clock import SystemClock
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.stop import StopFlag


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
    return validate.load(read_text(path), str(path), env=env, cli_vars=cli_vars, environ=os.environ)


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
    outputs: tuple[Path, ...]


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
    run_id = run_id or new_run_id()
    out = output_dir or Path("chaosrunner-runs") / experiment.metadata.name / run_id
    redactor = Redactor(experiment.secrets)
    set_secrets(redactor)
    journal_path = out / "journal.json"
    runner = Runner(
        experiment,
        run_id=run_id,
        metrics=PrometheusSource(experiment.env.prometheus),
        driver=make_driver(experiment, cluster),
        clock=SystemClock(stop),
        sink=JournalFile(journal_path, redactor),
        progress=progress,
        stop=stop,
        dry_run=dry_run,
    )
    decision = runner.run()
    summary = out / "summary.md"
    summary.write_text(redactor.text(markdown.render(runner.journal, decision)))
    junit_path = out / "junit.xml"
    junit_path.write_text(redactor.text(junit.render(runner.journal, decision)))
    return RunResult(decision, run_id, out, (journal_path, summary, junit_path))
