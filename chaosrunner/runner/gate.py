"""The red-blue acceptance gate: every red-team experiment, judged by the blue team's contract.

Everything is read and checked first (the contract, every experiment for the environment), so
bad input is exit 4 before anything is injected; the contract's coverage is checked against the
experiments' planned faults next, and missing coverage is FAILED with nothing run. Then each
experiment runs in order, through the same single-run entry point as ``chaosrunner run``, with
its steady-state SLIs replaced by the contract's, its full outputs in its own directory under
the gate's. A run that crashes is that experiment's ERROR; the others still run. Interrupted,
the running experiment rolls back (ABORTED) and the rest are recorded as not run
(INCONCLUSIVE, as in a game day); the interruption makes the gate ABORTED (exit 2).
The gate's junit.xml and summary.md go next to them; the verdict is
``core.gate.GateResult.verdict`` and nothing written afterwards changes it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from chaosrunner.adapters.reports.gate import render_junit, render_markdown
from chaosrunner.adapters.reports.journal_file import prepare_output_dir, write_atomic
from chaosrunner.core.gate import (
    CaseStatus,
    Contract,
    Exercised,
    GateEntry,
    GateResult,
    slo_outcomes,
    uncovered,
)
from chaosrunner.core.model import Experiment
from chaosrunner.core.notify import Notice, NoticeEvent, Notifier
from chaosrunner.core.ports import Progress
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner import contracts, session
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.gate")
GATE_JUNIT = "junit.xml"
GATE_SUMMARY = "summary.md"
NOT_RUN = "not run: the gate was interrupted before it"


def load_contract(path: Path) -> Contract:
    """The contract in ``path``: chaosrunner's own ``kind: SLOContract`` form, or OpenSLO v1 /
    Sloth files (a file or a folder), read by ``core/contracts`` (see ``runner/contracts``)."""
    return contracts.gate_contract(path)


@dataclass(frozen=True)
class GateRun:
    result: GateResult
    output_dir: Path
    outputs: tuple[Path, ...]
    report_errors: tuple[str, ...] = ()
    notify_errors: tuple[str, ...] = ()


def load_experiments(
    files: Sequence[Path], contract: Contract, env: str | None, cli_vars: Mapping[str, str]
) -> list[Experiment]:
    """Every experiment, resolved for ``env``, its hypothesis replaced by the contract's SLIs."""
    return [
        dataclasses.replace(session.load_experiment(p, env, cli_vars), slis=contract.slis)
        for p in files
    ]


def run_gate(
    contract: Contract,
    files: Sequence[Path],
    experiments: Sequence[Experiment],
    *,
    output_dir: Path,
    progress: Callable[[], Progress],
    stop: StopFlag,
    notifier: Notifier | None = None,
) -> GateRun:
    prepare_output_dir(output_dir, (GATE_JUNIT, GATE_SUMMARY))
    gate_id = session.new_run_id()
    errors: list[str] = []
    _notify(notifier, errors, NoticeEvent.STARTED, contract.name, gate_id, None, output_dir)
    exercised = [
        Exercised(e.metadata.name, f.type, f.target) for e in experiments for f in e.faults
    ]
    gaps = uncovered(contract.coverage, exercised)
    entries: list[GateEntry] = []
    if gaps:
        log.warning("coverage missing", gaps=[g.describe() for g in gaps])
    for index, (path, experiment) in enumerate(zip(files, experiments, strict=True), start=1):
        if gaps:
            break
        name = experiment.metadata.name
        if stop.is_set():
            entries.append(_not_run(contract, path, name, Verdict.INCONCLUSIVE, NOT_RUN))
            continue
        out = output_dir / f"{index:02d}-{name}"
        entries.append(_run_one(contract, path, experiment, out, progress, stop, notifier, errors))
    result = GateResult(contract.name, tuple(entries), gaps, interrupted=stop.is_set())
    outputs, report_errors = _write(result, output_dir)
    verdict = result.verdict
    event = NoticeEvent.ABORTED if verdict is Verdict.ABORTED else NoticeEvent.VERDICT
    _notify(notifier, errors, event, contract.name, gate_id, result, output_dir)
    return GateRun(result, output_dir, outputs, report_errors, tuple(errors))


def _run_one(
    contract: Contract,
    path: Path,
    experiment: Experiment,
    out: Path,
    progress: Callable[[], Progress],
    stop: StopFlag,
    notifier: Notifier | None,
    errors: list[str],
) -> GateEntry:
    name = experiment.metadata.name
    view = progress()
    began = time.monotonic()
    try:
        run = session.run_experiment(
            experiment, progress=view, stop=stop, output_dir=out, notifier=notifier
        )
    except Exception as exc:  # noqa: BLE001 - one experiment's crash is its ERROR, not the gate's
        log.error("experiment crashed", experiment=name, error=f"{type(exc).__name__}: {exc}")
        why = f"chaosrunner crashed: {type(exc).__name__}: {exc}"
        return dataclasses.replace(
            _not_run(contract, path, name, Verdict.ERROR, why),
            output_dir=str(out),
            seconds=time.monotonic() - began,
        )
    finally:
        try:
            view.close()
        except Exception as exc:  # noqa: BLE001 - the view is not the verdict
            log.warning("could not close the progress view", error=str(exc))
    errors.extend(run.notify_errors)
    decision = run.decision
    verdict = Verdict.ERROR if run.journal_error else decision.verdict
    reasons = (run.journal_error,) if run.journal_error else decision.reasons
    return GateEntry(
        name,
        str(path),
        verdict,
        reasons,
        slo_outcomes(contract.slis, decision, "; ".join(reasons)),
        output_dir=str(out),
        seconds=time.monotonic() - began,
    )


def _not_run(contract: Contract, path: Path, name: str, verdict: Verdict, why: str) -> GateEntry:
    outcomes = slo_outcomes(contract.slis, None, why)
    if verdict is not Verdict.ERROR:
        outcomes = tuple(
            dataclasses.replace(o, status=CaseStatus.FAILED, label="not run") for o in outcomes
        )
    return GateEntry(name, str(path), verdict, (why,), outcomes)


def _write(result: GateResult, out: Path) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    written: list[Path] = []
    problems: list[str] = []
    renders: tuple[tuple[str, Callable[[], str]], ...] = (
        (GATE_JUNIT, lambda: render_junit(result, stamp)),
        (GATE_SUMMARY, lambda: render_markdown(result)),
    )
    for name, render in renders:
        try:
            write_atomic(out / name, render())
        except Exception as exc:  # noqa: BLE001 - a report is not the verdict
            problems.append(f"{out / name} was not written: {type(exc).__name__}: {exc}")
        else:
            written.append(out / name)
    return tuple(written), tuple(problems)


def _notify(
    notifier: Notifier | None,
    errors: list[str],
    event: NoticeEvent,
    name: str,
    gate_id: str,
    result: GateResult | None,
    out: Path,
) -> None:
    if notifier is None:
        return
    verdict = result.verdict if result else None
    reasons = (
        ()
        if result is None
        else tuple(g.describe() for g in result.gaps)
        + tuple(f"{e.experiment}: {e.verdict.value}" for e in result.entries)
    )
    notice = Notice(
        event,
        "gate",
        name,
        gate_id,
        datetime.now(UTC).isoformat(timespec="seconds"),
        verdict=verdict.value if verdict else "",
        exit_code=verdict.exit_code if verdict else None,
        reasons=reasons,
        output_dir=str(out),
    )
    try:
        delivery = notifier.notify(notice)
    except Exception as exc:  # noqa: BLE001 - a notice never fails the gate
        errors.append(f"webhook {event.value}: {type(exc).__name__}: {exc}")
        return
    if not delivery.ok:
        errors.append(f"webhook {event.value}: {delivery.error}")
