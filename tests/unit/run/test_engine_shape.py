"""Issue #9, "the engine reads like the run": checked on the engine's source, since these are
properties of its shape (one tick loop, one commit step, the journal the only writer of its
state, the verdict kept typed), not of any one run."""

from __future__ import annotations

import ast
import inspect

from chaosrunner.core.journal import Journal, VerdictRecord
from chaosrunner.runner import engine
from tests.support import steady
from tests.unit.run.test_engine import HEALTHY, make

TREE = ast.parse(inspect.getsource(engine))
RUNNER = next(n for n in TREE.body if isinstance(n, ast.ClassDef) and n.name == "Runner")


def _calls(name: str) -> list[str]:
    """The Runner methods that call ``self.<name>(...)``."""
    out = []
    for fn in RUNNER.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == name
                and isinstance(node.func.value, ast.Name | ast.Attribute)
            ):
                out.append(fn.name)
    return out


def test_every_sampling_phase_runs_the_one_tick_loop() -> None:
    assert _calls("_tick") == ["_sample"]
    assert sorted(_calls("_sample")) == ["_baseline", "_observe", "_recovery"]


def test_recovery_is_in_the_main_sequence_not_in_the_verdict_step() -> None:
    assert _calls("_recovery") == ["_sequence"]
    finish = next(f for f in RUNNER.body if isinstance(f, ast.FunctionDef) and f.name == "_finish")
    assert not any(isinstance(n, ast.Try) for n in ast.walk(finish))


def test_one_commit_step_hands_the_journal_to_the_sink() -> None:
    users = [
        fn.name
        for fn in RUNNER.body
        if isinstance(fn, ast.FunctionDef)
        for n in ast.walk(fn)
        if isinstance(n, ast.Attribute)
        and n.attr in ("append", "write")
        and isinstance(n.value, ast.Attribute)
        and n.value.attr == "sink"
    ]
    assert users == ["_commit"]


def test_the_engine_never_assigns_the_journals_fields() -> None:
    assigned = [
        ast.unparse(target)
        for node in ast.walk(TREE)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        for t in ast.walk(target)
        if isinstance(t, ast.Attribute)
        and isinstance(t.value, ast.Attribute)
        and t.value.attr == "journal"
    ]
    assert assigned == []
    mutated = [
        ast.unparse(n)
        for n in ast.walk(TREE)
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr in ("append", "extend", "pop", "insert")
        and "journal." in ast.unparse(n.func.value)
    ]
    assert mutated == []


def test_the_verdict_is_kept_typed() -> None:
    runner, *_ = make(steady(HEALTHY))
    decision = runner.run()
    assert isinstance(runner.journal, Journal)
    assert isinstance(runner.journal.outcome, VerdictRecord)
    assert runner.journal.outcome.verdict == decision.verdict.value
    assert runner.journal.to_dict()["outcome"] == decision.to_dict()
