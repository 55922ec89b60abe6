"""``chaosrunner validate``: check experiment and contract files, and optionally probe Prometheus.

A file whose YAML is an OpenSLO or Sloth document (or a folder) is validated as a contract; any
other as an experiment, whose ``steadyState.contract`` is read too. Either way the mapping of
each SLO to the SLI it becomes is returned as lines, so nobody has to guess what is checked.
``probe`` asks Prometheus whether every SLI query returns data now, so an SLO file can be
checked in a pre-commit hook or a CI step before any experiment relies on it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.core.contracts import Contract, looks_like_contract, read_contract
from chaosrunner.core.contracts.experiment import read_contract_of
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import PrometheusConfig, Sli
from chaosrunner.core.source import load_document
from chaosrunner.runner import contracts, session


@dataclass(frozen=True)
class FileCheck:
    """What validating one path found."""

    path: Path
    problems: tuple[Problem, ...]
    is_contract: bool = False
    #: ``contract FILE: SLO 'x' → SLI 'x': <PromQL> <objective>, judged by <rule>``, ...
    lines: tuple[str, ...] = ()
    slis: tuple[Sli, ...] = ()
    #: The experiment environment's Prometheus (None for a contract).
    prometheus: PrometheusConfig | None = None


def _is_contract(path: Path) -> bool:
    """A contract file, or a folder holding one (any other folder is an error as before)."""
    try:
        files = contracts.contract_paths(path) if path.is_dir() else [path]
    except ValueError:
        return False
    for file in files:
        try:
            if looks_like_contract(session.read_text(file)):
                return True
        except ExperimentError:
            continue
    return False


def check_path(path: Path, env: str | None, cli_vars: Mapping[str, str]) -> FileCheck:
    if _is_contract(path):
        try:
            contract = read_contract(contracts.read_sources(path))
        except ValueError as exc:
            problem = Problem(str(path), 1, 1, "", f"{exc}; expected an SLO file or a folder")
            return FileCheck(path, (problem,), is_contract=True)
        except ExperimentError as exc:
            return FileCheck(path, tuple(exc.problems), is_contract=True)
        return FileCheck(path, (), True, contract.lines(), contract.slis)
    problems = session.check_file(path, env, cli_vars)
    if problems:
        return FileCheck(path, tuple(problems))
    experiment = session.load_experiment(path, env, cli_vars)  # checked: it loads
    found = _experiment_contract(path)
    lines = found.lines() if found else ()
    return FileCheck(path, (), False, lines, experiment.slis, experiment.env.prometheus)


def _experiment_contract(path: Path) -> Contract | None:
    """The contract an experiment names (already checked: this only reads it again)."""
    doc = load_document(session.read_text(path), str(path))
    return read_contract_of(doc, contracts.reader_for(path)) if doc.data else None


def probe(slis: Sequence[Sli], config: PrometheusConfig) -> list[str]:
    """Why each SLI query that returns no usable value now does not (empty: all do).
    Raises MetricsError when Prometheus itself cannot be reached."""
    source = PrometheusSource(config)
    source.ping()
    failures: list[str] = []
    now = time.time()
    for sli in slis:
        reading = source.instant(sli.query, now)
        if reading.status is not SampleStatus.OK:
            what = {
                SampleStatus.NO_DATA: "returns no data",
                SampleStatus.STALE: "returns stale data",
            }.get(reading.status, "failed")
            detail = f": {reading.error}" if reading.error else ""
            failures.append(f"SLI {sli.name!r} {what}{detail} (query: {sli.query})")
    return failures
