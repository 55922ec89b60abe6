"""The GameDay file: its model, every problem at FILE:LINE:COLUMN, the stop policy, the aggregate."""

from __future__ import annotations

import itertools

import pytest

from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.gameday import (
    ExperimentOutcome,
    Role,
    StopPolicy,
    aggregate,
    check_gameday,
    load_gameday,
    note_line,
    parse_notes,
    should_stop,
    unmet,
)
from chaosrunner.core.ports import Reading
from chaosrunner.core.verdict import Verdict
from tests.support import experiment

GOOD = """\
apiVersion: chaosrunner.io/v1alpha1
kind: GameDay
metadata:
  name: monthly-redis
  description: Redis month
spec:
  environment: lab
  participants:
    - {name: Ana, role: facilitator}
    - {name: Bo, role: observer}
    - {name: Cy, role: on-call}
  coolDown: 10s
  steadyTimeout: 1m
  stopOn: continue
  vars: {baseline: 6s}
  experiments:
    - file: a.yaml
      vars: {latency: 800ms, replicas: 3, flag: true}
    - file: ../b.yaml
"""


def test_a_valid_file_is_the_model() -> None:
    g = load_gameday(GOOD, "g.yaml")
    assert g.name == "monthly-redis" and g.environment == "lab"
    assert [p.role for p in g.participants] == [Role.FACILITATOR, Role.OBSERVER, Role.ON_CALL]
    assert (g.cool_down, g.steady_timeout, g.stop_on) == (10.0, 60.0, StopPolicy.CONTINUE)
    assert [e.file for e in g.experiments] == ["a.yaml", "../b.yaml"]
    assert g.experiments[0].vars == (("latency", "800ms"), ("replicas", "3"), ("flag", "true"))
    # the game day's vars, then the experiment's, then the command line's
    assert g.vars_for(0, {"latency": "1s"}) == {
        "baseline": "6s",
        "latency": "1s",
        "replicas": "3",
        "flag": "true",
    }
    assert g.vars_for(1, {}) == {"baseline": "6s"}


def test_defaults_stop_at_the_first_failure() -> None:
    text = GOOD.replace("  stopOn: continue\n", "").replace("  coolDown: 10s\n", "")
    g = load_gameday(text, "g.yaml")
    assert g.stop_on is StopPolicy.FIRST_FAILURE and g.cool_down == 30.0


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        ("kind: GameDay", "kind: GameDays", "g.yaml:2:7: kind:", "expected 'GameDay'"),
        ("name: monthly-redis", "name: Monthly Redis", "g.yaml:4:9: metadata.name:", "lowercase"),
        (
            "role: observer",
            "role: watcher",
            "g.yaml:10:24: spec.participants[1].role:",
            "expected one of facilitator, observer, on-call",
        ),
        (
            "coolDown: 10s",
            "coolDown: 10 seconds",
            "g.yaml:12:13: spec.coolDown:",
            "is not a duration",
        ),
        (
            "stopOn: continue",
            "stopOn: never",
            "g.yaml:14:11: spec.stopOn:",
            "expected one of first-failure, continue",
        ),
        (
            "    - file: ../b.yaml",
            "    - fil: ../b.yaml",
            "g.yaml:19:7: spec.experiments[1].fil:",
            "unknown field; expected one of file, vars",
        ),
        (
            "vars: {baseline: 6s}",
            "vars: {baseline: [6s]}",
            "g.yaml:15:20: spec.vars.baseline:",
            "expected a string or number",
        ),
        (
            "  coolDown: 10s",
            "  cooldown: 10s",
            "g.yaml:12:3: spec.cooldown:",
            "unknown field; expected one of participants, experiments",
        ),
    ],
)
def test_each_problem_names_file_line_column_and_field(
    old: str, new: str, where: str, words: str
) -> None:
    assert old in GOOD
    problems = [str(p) for p in check_gameday(GOOD.replace(old, new), "g.yaml")]
    assert any(p.startswith(where) and words in p for p in problems), problems


def test_no_experiments_is_a_problem_and_every_problem_is_reported() -> None:
    text = GOOD.split("  experiments:", maxsplit=1)[0].replace("stopOn: continue", "stopOn: no")
    with pytest.raises(ExperimentError) as exc:
        load_gameday(text, "g.yaml")
    paths = [p.path for p in exc.value.problems]
    assert "spec.experiments" in paths and "spec.stopOn" in paths


def test_hostile_yaml_is_refused_by_the_bounded_loader() -> None:
    problems = check_gameday("a: &a [*a]\n", "g.yaml")
    assert problems and problems[0].file == "g.yaml"


def test_stop_policy() -> None:
    for verdict in (Verdict.FAILED, Verdict.ABORTED, Verdict.ERROR):
        assert should_stop(StopPolicy.FIRST_FAILURE, verdict)
        assert not should_stop(StopPolicy.CONTINUE, verdict)
    for verdict in (Verdict.PASSED, Verdict.INCONCLUSIVE):
        assert not should_stop(StopPolicy.FIRST_FAILURE, verdict)


def _o(verdict: Verdict | None) -> ExperimentOutcome:
    return ExperimentOutcome(0, "x", "x.yaml", verdict)


@pytest.mark.parametrize(
    ("verdicts", "interrupted", "expected", "code"),
    [
        ([Verdict.PASSED, Verdict.PASSED], False, Verdict.PASSED, 0),
        ([Verdict.PASSED, Verdict.INCONCLUSIVE], False, Verdict.INCONCLUSIVE, 3),
        ([Verdict.INCONCLUSIVE, Verdict.FAILED], False, Verdict.FAILED, 1),
        ([Verdict.FAILED, Verdict.ABORTED], False, Verdict.ABORTED, 2),
        ([Verdict.ABORTED, Verdict.ERROR, Verdict.FAILED], False, Verdict.ERROR, 4),
        ([Verdict.PASSED, None], False, Verdict.INCONCLUSIVE, 3),  # not run: missing evidence
        ([Verdict.PASSED, None], True, Verdict.ABORTED, 2),  # interrupted between experiments
        ([Verdict.FAILED, None], True, Verdict.ABORTED, 2),
        ([], False, Verdict.INCONCLUSIVE, 3),
        # core/aggregate's rules, the same as the gate's: a dry run is not a pass
        ([Verdict.DRY_RUN, Verdict.PASSED], False, Verdict.INCONCLUSIVE, 3),
        ([Verdict.DRY_RUN, Verdict.DRY_RUN], False, Verdict.DRY_RUN, 0),
        ([Verdict.DRY_RUN, None], False, Verdict.INCONCLUSIVE, 3),
    ],
)
def test_aggregate_verdict_and_exit_code(
    verdicts: list[Verdict | None], interrupted: bool, expected: Verdict, code: int
) -> None:
    got = aggregate([_o(v) for v in verdicts], interrupted=interrupted)
    assert got is expected and got.exit_code == code


def test_notes_round_trip_and_garbage_is_skipped() -> None:
    text = note_line(100.0, "redis\nlatency up", "ana") + '{"at": 1, "te' + "\n"
    text += note_line(101.5, "ok") + "not json\n[1]\n"
    notes = parse_notes(text)
    assert [(n.at, n.text, n.author) for n in notes] == [
        (100.0, "redis latency up", "ana"),
        (101.5, "ok", ""),
    ]
    with pytest.raises(ValueError, match="empty"):
        note_line(1.0, "  \n ")


def test_unmet_slis_are_those_off_objective_or_without_data() -> None:
    slis = experiment().slis  # availability >= 99%, latency <= 200ms
    assert unmet(slis, {"availability": Reading.ok(1.0), "latency": Reading.ok(0.1)}) == ()
    got = unmet(slis, {"availability": Reading.ok(0.5), "latency": Reading.failed("refused")})
    assert got[0].startswith("availability = 0.5, objective >= 99%")
    assert got[1] == "latency (refused)"
    assert unmet(slis, {"availability": Reading.ok(1.0)}) == ("latency (no data)",)


def test_the_committed_schema_matches_the_code_and_the_validator() -> None:
    import json
    from pathlib import Path

    import jsonschema
    import yaml

    from chaosrunner.core.gameday_schema import gameday_schema

    root = Path(__file__).resolve().parents[3]
    committed = json.loads((root / "schemas" / "gameday-v1alpha1.json").read_text())
    assert committed == gameday_schema(), (
        "run: chaosrunner schema --kind GameDay > schemas/gameday-v1alpha1.json"
    )
    validator = jsonschema.Draft202012Validator(committed)
    assert not list(validator.iter_errors(yaml.safe_load(GOOD)))
    for old, new in [
        ("role: observer", "role: watcher"),
        ("coolDown: 10s", "coolDown: 10 seconds"),
        ("stopOn: continue", "stopOn: never"),
        ("  coolDown: 10s", "  cooldown: 10s"),
        ("name: monthly-redis", "name: Monthly Redis"),
    ]:
        bad = GOOD.replace(old, new)
        assert check_gameday(bad, "g.yaml"), old  # both refuse it
        assert list(validator.iter_errors(yaml.safe_load(bad))), old


def test_the_shipped_example_game_day_and_its_experiments_are_valid(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pathlib import Path

    from chaosrunner.cli import main

    example = Path(__file__).resolve().parents[3] / "gamedays" / "lab-monthly.yaml"
    assert main(["validate", str(example)]) == 0, capsys.readouterr().out


def test_the_game_day_and_the_gate_aggregate_alike() -> None:
    """One aggregate (core/aggregate): the game day's verdict is the gate's for the same runs."""
    from chaosrunner.core.aggregate import aggregate as gate_aggregate

    for combo in itertools.product([*Verdict, None], repeat=2):
        as_run = [v if v is not None else Verdict.INCONCLUSIVE for v in combo]
        assert aggregate([_o(v) for v in combo]) is gate_aggregate(as_run), combo
