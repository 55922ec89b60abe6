"""An experiment that takes its steady-state hypothesis from a contract (``steadyState.contract``).

The contract's path is relative to the experiment file; reading it is the caller's job (the core
does no I/O), through a :data:`ContractFiles` function that returns the text of the file, or of
each YAML file of a folder. The contract's SLIs come first, then the experiment's own ``slis``
(which may be absent, or add to them; a name in both is an error, not an override). The
contract's alerts join ``spec.alerts`` as expected alerts for the report's time to detect, not
required; an alert the experiment declares itself keeps its own ``within`` and ``required``.
A timeslices rule from a contract must fit the experiment's schedule, as one written in the
experiment must.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

from chaosrunner.core.build import seconds
from chaosrunner.core.contracts import Contract, read_contract
from chaosrunner.core.contracts.mapping import DEFAULT_RATE_WINDOW
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.model import Experiment, JudgeRule, tick_span
from chaosrunner.core.source import Document, Path
from chaosrunner.core.timeslices import judgeable

#: The contract's files for its path as written: ``[(file name, text), ...]``. Raises
#: ValueError (what is wrong) when it cannot be read, or ExperimentError for a file's problems.
ContractFiles = Callable[[str], Sequence[tuple[str, str]]]

_FIELD: Path = ("spec", "steadyState", "contract")
_EXPECTED = "an OpenSLO v1 or Sloth file, or a folder of them, relative to the experiment file"


def _get(data: object, *keys: str) -> object:
    for key in keys:
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def read_contract_of(doc: Document, files: ContractFiles | None) -> Contract | None:
    """The contract the document names, or None (none named, or its problems recorded)."""
    steady = _get(doc.data, "spec", "steadyState")
    if not isinstance(steady, Mapping):
        return None
    name = steady.get("contract")
    if name is None:
        if "slis" not in steady:
            doc.problem(
                ("spec", "steadyState"),
                "missing slis; expected slis, or contract: <an SLO file> (or both)",
            )
        return None
    if not isinstance(name, str) or not name:
        return None  # the schema has said what is wrong
    if files is None:
        doc.problem(_FIELD, f"a contract cannot be read here; expected {_EXPECTED}")
        return None
    window = seconds(steady.get("rateWindow"), DEFAULT_RATE_WINDOW)
    try:
        return read_contract(files(name), rate_window=window)
    except ValueError as exc:
        doc.problem(_FIELD, f"cannot read {name!r}: {exc}; expected {_EXPECTED}")
    except ExperimentError as exc:
        doc.problems.extend(exc.problems)
    return None


def with_contract(doc: Document, experiment: Experiment, contract: Contract) -> Experiment:
    """``experiment`` with the contract's SLIs and alerts; a clash is a problem on ``doc``."""
    own = {sli.name: i for i, sli in enumerate(experiment.slis)}
    for hyp in contract.hypotheses:
        if hyp.sli.name in own:
            doc.problem(
                ("spec", "steadyState", "slis", own[hyp.sli.name], "name"),
                f"SLI {hyp.sli.name!r} is also SLO {hyp.slo!r} of the contract "
                f"({hyp.file}:{hyp.line}); expected names unique across both",
            )
    doc.problems.extend(_unjudgeable(experiment, contract))
    declared = {alert.name for alert in experiment.alerts}
    alerts = experiment.alerts + tuple(a for a in contract.alerts if a.name not in declared)
    return dataclasses.replace(experiment, slis=contract.slis + experiment.slis, alerts=alerts)


def _unjudgeable(experiment: Experiment, contract: Contract) -> list[Problem]:
    sched = experiment.schedule
    out: list[Problem] = []
    for hyp in contract.hypotheses:
        judge = hyp.sli.judge
        if judge.rule is not JudgeRule.TIMESLICES:
            continue
        for length, label in ((sched.baseline, "baseline"), (sched.blast, "blast window")):
            why = judgeable(
                tick_span(length, sched.probe_interval), judge.slice_window, sched.probe_interval
            )
            if why is not None:
                message = f"in the experiment's {label}: {why}"
                field = f"{hyp.field}.timeSliceWindow" if hyp.field else "timeSliceWindow"
                out.append(Problem(hyp.file, hyp.line, hyp.column, field, message))
                break
    return out
