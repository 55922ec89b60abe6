"""``chaosrunner cleanup``: the runner sweeps and types each outcome; the CLI words and judges it.

The exit code is decided on outcomes: a run or fault whose name holds the word FAILED does not
make a clean sweep fail (it did, when the CLI searched its own lines for that word).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chaosrunner.adapters.local import records, state
from chaosrunner.adapters.local.records import FaultRecord, UndoAction, UnknownAction
from chaosrunner.cli import main
from chaosrunner.cli.commands import cleanup_line
from chaosrunner.core.leftovers import Leftover, Outcome, Place
from chaosrunner.runner.cleanup import clean_up


@pytest.fixture
def state_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path))  # no lab runs here either
    return tmp_path


def _record(run_id: str, fault: str, undo: tuple[UndoAction, ...] = ()) -> Path:
    now = time.time()
    path = state.record_path(run_id, fault)
    records.write(path, FaultRecord(run_id, "exp", fault, "cpu-stress", now, now + 60, 1, 1, undo))
    return path


def test_the_runner_returns_what_it_ended_and_what_it_could_not(state_root: Path) -> None:
    ended = _record("r1", "slow")
    stuck = _record("r1", "stuck", (UnknownAction("teleport"),))
    done = clean_up("r1")
    assert [(i.where, i.what, i.outcome) for i in done.items] == [
        (Place.LOCAL, "r1/slow", Outcome.ENDED),
        (Place.LOCAL, "r1/stuck", Outcome.FAILED),
    ]
    assert done.left_behind == (done.items[1],)
    assert done.items[1].detail
    assert not ended.exists() and stuck.exists()


def test_a_clean_sweep_is_exit_0_whatever_the_names_say(
    state_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _record("FAILED-1", "FAILED-too")
    assert main(["cleanup", "--run-id", "FAILED-1"]) == 0
    assert capsys.readouterr().out == "local: FAILED-1/FAILED-too: ended\n"


def test_something_left_behind_is_exit_4(
    state_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _record("r2", "stuck", (UnknownAction("teleport"),))
    assert main(["cleanup", "--all"]) == 4
    assert capsys.readouterr().out.startswith("local: r2/stuck: FAILED: ")


def test_nothing_found_is_said_and_exit_0(
    state_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cleanup", "--all"]) == 0
    assert capsys.readouterr().out.startswith("nothing left behind")


@pytest.mark.parametrize(
    ("item", "line"),
    [
        (
            Leftover(Place.CLUSTER, "Lease ns/chaosrunner (run r1)", Outcome.DELETED),
            "cluster: deleted Lease ns/chaosrunner (run r1)",
        ),
        (
            Leftover(Place.CLUSTER, "PodChaos ns/x (run r1)", Outcome.UNCONFIRMED, "held"),
            "cluster: FAILED to confirm the deletion of PodChaos ns/x (run r1) (held)",
        ),
        (
            Leftover(Place.LAB, "toxic redis/cr-r1-x", Outcome.FAILED, "HTTP 500"),
            "lab: toxic redis/cr-r1-x: FAILED: HTTP 500",
        ),
        (Leftover(Place.LAB, "leak of run r1", Outcome.RELEASED), "lab: leak of run r1: released"),
    ],
)
def test_each_outcome_has_its_line(item: Leftover, line: str) -> None:
    assert cleanup_line(item) == line
    assert item.outcome.left_behind == ("FAILED" in line)


@pytest.mark.parametrize(
    ("item", "line"),
    [
        (
            Leftover(Place.CLUSTER, "NetworkChaos ns/x (run r1)", Outcome.ESCALATED, "why"),
            "cluster: deleted NetworkChaos ns/x (run r1) only by removing its finalizer: "
            "ESCALATED, its targets may not have recovered (why)",
        ),
        (
            Leftover(Place.CLUSTER, "PodNetworkChaos ns/p: owned by Pod p", Outcome.MAY_REMAIN),
            "cluster: MAY REMAIN: PodNetworkChaos ns/p: owned by Pod p",
        ),
    ],
)
def test_an_escalation_and_what_may_remain_are_left_behind(item: Leftover, line: str) -> None:
    """Gone only by escalation, its targets may still carry the fault: cleanup exits 4."""
    assert cleanup_line(item) == line
    assert item.outcome.left_behind
