"""Sequencing a game day with fake single runs: order, stop policy, interruption, steady wait,
notes from another terminal, and the consolidated report with relative links."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chaosrunner.cli import main
from chaosrunner.core.errors import ChaosRunnerError, ExperimentError
from chaosrunner.core.model import Experiment
from chaosrunner.core.verdict import Decision, Verdict
from chaosrunner.runner import gameday
from chaosrunner.runner.gameday_notes import (
    NOTES,
    append_note,
    read_notes,
    running_dir,
    state_file,
)
from chaosrunner.runner.session import RunResult
from chaosrunner.runner.stop import StopFlag
from tests.support import BASE, RecordingProgress

GAMEDAY = """\
apiVersion: chaosrunner.io/v1alpha1
kind: GameDay
metadata: {{name: monthly}}
spec:
  participants:
    - {{name: Ana, role: facilitator}}
    - {{name: Cy, role: on-call}}
  coolDown: 0s
  steadyTimeout: {steady}
  stopOn: {stop_on}
  experiments:
    - file: exps/one.yaml
    - file: exps/two.yaml
    - file: exps/three.yaml
"""


def write_gameday(tmp: Path, stop_on: str = "first-failure", steady: str = "1s") -> Path:
    (tmp / "exps").mkdir(parents=True, exist_ok=True)
    for name in ("one", "two", "three"):
        (tmp / "exps" / f"{name}.yaml").write_text(BASE.replace("unit-exp", name))
    path = tmp / "gameday.yaml"
    path.write_text(GAMEDAY.format(stop_on=stop_on, steady=steady))
    return path


@dataclass
class FakeRuns:
    """Stands in for session.run_experiment: a verdict per experiment, a report.html each."""

    verdicts: dict[str, Verdict]
    during: dict[str, Callable[[StopFlag, Path], None]] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

    def __call__(
        self,
        experiment: Experiment,
        *,
        progress: Any,
        stop: StopFlag,
        output_dir: Path,
        run_id: str,
        results: Path | None = None,
        notifier: Any = None,
    ) -> RunResult:
        name = experiment.metadata.name
        self.ran.append(name)
        self.run_ids.append(run_id)
        progress.phase("baseline", 0.0, 1.0)
        if name in self.during:
            self.during[name](stop, output_dir)
        verdict = Verdict.ABORTED if stop.is_set() else self.verdicts.get(name, Verdict.PASSED)
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "report.html").write_text("<html></html>")
        reasons = (f"{name} reason",)
        decision = Decision(verdict, reasons, (), 87.0, ())
        return RunResult(decision, run_id, output_dir, (output_dir / "report.html",))


def run(
    tmp: Path,
    runs: FakeRuns,
    *,
    stop_on: str = "first-failure",
    steady: Callable[[Experiment], tuple[str, ...]] = lambda _e: (),
    steady_timeout: str = "1s",
    stop: StopFlag | None = None,
) -> tuple[gameday.GameDayResult, RecordingProgress]:
    prepared = gameday.prepare(write_gameday(tmp, stop_on, steady_timeout), None, {})
    progress = RecordingProgress()
    result = gameday.run_gameday(
        prepared,
        progress=progress,
        stop=stop or StopFlag(),
        output_dir=tmp / "out",
        steady_check=steady,
        run_one=runs,
        state_root=tmp / "state",
        steady_poll=0.01,
    )
    return result, progress


def verdicts(result: gameday.GameDayResult) -> list[str]:
    return [o.verdict.value if o.verdict else "not run" for o in result.record.outcomes]


def test_all_run_in_order_with_one_view_and_a_report_linking_each(tmp_path: Path) -> None:
    runs = FakeRuns({})
    checked: list[str] = []

    def steady(e: Experiment) -> tuple[str, ...]:
        checked.append(e.metadata.name)
        return ()

    result, progress = run(tmp_path, runs, steady=steady)
    assert runs.ran == ["one", "two", "three"] and result.exit_code == 0
    assert checked == ["two"] * 3 + ["three"] * 3  # steady on 3 polls in a row, before 2 and 3
    assert "experiment 2/3: two" in progress.events
    assert "experiment 3/3: three · baseline" in progress.phases
    assert len(set(runs.run_ids)) == 3
    out = tmp_path / "out"
    html = (out / "report.html").read_text()
    for i, name in enumerate(("one", "two", "three"), 1):
        assert (out / f"0{i}-{name}" / "report.html").exists()
        assert f'<a href="0{i}-{name}/report.html">{name}</a>' in html
    assert "Ana" in html and "facilitator" in html and "on-call" in html
    assert "default-src 'none'" in html and "<script" not in html
    md = (out / "summary.md").read_text()
    assert md.startswith("# Game day monthly: PASSED (exit 0)")
    assert "| 2 | [two](02-two/report.html) | PASSED | 87 | — |" in md  # its reason is no gap
    assert result.outputs == (out / "report.html", out / "summary.md")


def test_first_failure_stops_and_the_rest_are_not_run(tmp_path: Path) -> None:
    result, _ = run(tmp_path, FakeRuns({"two": Verdict.FAILED}))
    assert verdicts(result) == ["PASSED", "FAILED", "not run"]
    assert result.exit_code == 1
    assert "stopOn first-failure: two was FAILED" in result.record.outcomes[2].note
    md = (tmp_path / "out" / "summary.md").read_text()
    assert "| 3 | three | NOT RUN |" in md and "two reason" in md


def test_continue_runs_every_experiment_and_aggregates(tmp_path: Path) -> None:
    runs = FakeRuns({"one": Verdict.FAILED, "two": Verdict.INCONCLUSIVE})
    result, _ = run(tmp_path, runs, stop_on="continue")
    assert verdicts(result) == ["FAILED", "INCONCLUSIVE", "PASSED"] and result.exit_code == 1


def test_an_interruption_rolls_back_the_running_one_and_records_the_rest(tmp_path: Path) -> None:
    runs = FakeRuns({}, during={"two": lambda stop, _out: stop.set("SIGTERM")})
    result, _ = run(tmp_path, runs, stop_on="continue")
    assert verdicts(result) == ["PASSED", "ABORTED", "not run"]
    assert result.record.interrupted and result.exit_code == 2
    assert result.record.outcomes[2].note == "not run: interrupted"
    html = (tmp_path / "out" / "report.html").read_text()
    assert "interrupted (SIGTERM)" in html and "NOT RUN" in html


def test_an_interruption_between_experiments_is_aborted_too(tmp_path: Path) -> None:
    stop = StopFlag()

    def steady(_e: Experiment) -> tuple[str, ...]:
        stop.set("SIGINT")
        return ("availability (no data)",)

    result, _ = run(tmp_path, FakeRuns({}), steady=steady, stop=stop)
    assert verdicts(result) == ["PASSED", "not run", "not run"] and result.exit_code == 2


def test_an_unsteady_system_is_waited_for_then_its_baseline_decides(tmp_path: Path) -> None:
    answers = iter([("latency = 0.5",)] * 2 + [()] * 100)
    result, _ = run(tmp_path, FakeRuns({}), steady=lambda _e: next(answers))
    assert result.exit_code == 0
    texts = [e.text for e in result.record.events]
    assert "steady before two" in texts
    never, _ = run(
        tmp_path / "b", FakeRuns({}), steady=lambda _e: ("latency = 0.5",), steady_timeout="50ms"
    )
    texts = [e.text for e in never.record.events]
    assert any(
        t.startswith("not steady after 50ms: latency = 0.5; starting two anyway") for t in texts
    )
    assert verdicts(never) == ["PASSED"] * 3  # started anyway: its own baseline judges


def test_notes_from_another_terminal_land_in_the_timeline(tmp_path: Path) -> None:
    found: list[Path] = []

    def add(_stop: StopFlag, _out: Path) -> None:
        found.append(running_dir(tmp_path / "state"))  # what `gameday note` finds
        append_note(found[0], "redis latency visible on the dashboard", author="ana")

    result, _ = run(tmp_path, FakeRuns({}, during={"two": add}))
    out = tmp_path / "out"
    assert found == [out.resolve()]
    assert [(n.text, n.author) for n in result.record.notes] == [
        ("redis latency visible on the dashboard", "ana")
    ]
    kinds = [e.kind.value for e in result.record.timeline()]
    assert kinds.index("note") > kinds.index("experiment") and "end" in kinds
    assert "redis latency visible on the dashboard (ana)" in (out / "report.html").read_text()
    assert not state_file(tmp_path / "state").exists()  # the game day is over
    with pytest.raises(ChaosRunnerError, match="no game day is running"):
        running_dir(tmp_path / "state")


def test_a_note_file_is_appended_never_rewritten(tmp_path: Path) -> None:
    append_note(tmp_path, "first", at=10.0)
    (tmp_path / NOTES).open("a").write('{"at": 11, "text": "cut sho')  # a crash mid-line
    append_note(tmp_path, "second", at=12.0)
    assert [n.text for n in read_notes(tmp_path)] == ["first"]  # the cut line swallowed one
    append_note(tmp_path, "third", at=13.0)
    assert [n.text for n in read_notes(tmp_path)][-1] == "third"
    with pytest.raises(ChaosRunnerError, match="not a directory"):
        append_note(tmp_path / "missing", "x")


def test_every_experiment_is_loaded_before_anything_runs(tmp_path: Path) -> None:
    path = write_gameday(tmp_path)
    (tmp_path / "exps" / "three.yaml").write_text(
        BASE.replace("probeInterval: 1s", "probeInterval: 1 s")
    )
    with pytest.raises(ExperimentError) as exc:
        gameday.prepare(path, None, {})
    assert any(p.file.endswith("three.yaml") for p in exc.value.problems)


def test_a_missing_experiment_file_is_reported_at_its_line_in_the_game_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_gameday(tmp_path)
    (tmp_path / "exps" / "two.yaml").unlink()
    (tmp_path / "exps" / "three.yaml").unlink()
    (tmp_path / "exps" / "three.yaml").mkdir()
    where = f"{path}:13:13: spec.experiments[1].file: 'exps/two.yaml' does not exist; expected"
    with pytest.raises(ExperimentError) as exc:
        gameday.prepare(path, None, {})
    shown = [str(p) for p in exc.value.problems]
    assert shown[0].startswith(where), shown
    assert shown[1].startswith(f"{path}:14:13: spec.experiments[2].file: 'exps/three.yaml' is")
    assert main(["validate", str(path)]) == 4
    assert where in capsys.readouterr().out


def test_cli_validate_checks_the_gameday_and_each_experiment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_gameday(tmp_path)
    assert main(["validate", str(path)]) == 0
    assert f"{path}: valid" in capsys.readouterr().out
    (tmp_path / "exps" / "two.yaml").write_text(BASE.replace('"<= 200ms"', '"<= 200 parsecs"'))
    assert main(["validate", str(path)]) == 4
    out = capsys.readouterr().out
    assert re.search(r"exps/two\.yaml:\d+:\d+: spec\.steadyState\.slis\[1\]\.objective: ", out), out
    path.write_text(path.read_text().replace("stopOn: first-failure", "stopOn: sometimes"))
    assert main(["validate", str(path)]) == 4
    assert "gameday.yaml:10:11: spec.stopOn: got 'sometimes'" in capsys.readouterr().out


def test_cli_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path / "state"))
    assert main(["gameday", "note", "hello", "--dir", str(tmp_path)]) == 0
    assert [n.text for n in read_notes(tmp_path)] == ["hello"]
    assert main(["gameday", "note", "nobody listens"]) == 4
    assert "no game day is running" in capsys.readouterr().err


def test_a_state_file_left_by_a_dead_game_day_is_not_followed(tmp_path: Path) -> None:
    from chaosrunner.runner.gameday_notes import register

    path = register(tmp_path / "out", "monthly", tmp_path / "state")
    assert running_dir(tmp_path / "state") == (tmp_path / "out").resolve()
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "start": record["start"] + 1}))  # the pid was reused
    with pytest.raises(ChaosRunnerError, match="has ended"):
        running_dir(tmp_path / "state")
