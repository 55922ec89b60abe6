"""runner/sweep.py with a fake service: folders, journal, steadiness reruns, interruption,
the reports and the results store; and the `chaosrunner sweep` command's errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chaosrunner.adapters.progress import NullProgress
from chaosrunner.cli import main
from chaosrunner.core.hypothesis import Outcome, PhaseResult, RecoveryResult
from chaosrunner.core.model import Experiment, Phase
from chaosrunner.core.sweep_range import Strategy, make_spec, parse_param
from chaosrunner.core.verdict import Decision, SliAssessment, Verdict
from chaosrunner.runner import session, sweep
from chaosrunner.runner.stop import StopFlag

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENT = ROOT / "experiments/redis-timeout.yaml"


def phase(outcome: Outcome, worst: float, p: Phase) -> PhaseResult:
    bad = 0 if outcome is Outcome.HELD else 3
    return PhaseResult("availability", p, outcome, 5, 5 - bad, bad, 0, 0, 1.0, worst, worst, worst)


def decision(verdict: Verdict, *, unsteady: bool = False) -> Decision:
    broke = verdict is Verdict.FAILED
    sli = SliAssessment(
        "availability",
        ">= 99.5%",
        phase(Outcome.VIOLATED if unsteady else Outcome.HELD, 0.9, Phase.BASELINE),
        phase(Outcome.VIOLATED if broke else Outcome.HELD, 0.6 if broke else 1.0, Phase.OBSERVE),
        RecoveryResult("availability", Outcome.HELD, True, 2.0, 3),
        "ratio",
    )
    return Decision(verdict, (f"fake {verdict.value}",), (sli,), None, ())


class FakeService:
    """Runs a level: availability breaks from 100 ms of latency; scripted exceptions first."""

    def __init__(self, script: list[Callable[[float], Decision]] | None = None) -> None:
        self.script = script or []
        self.levels: list[str] = []
        self.stop_on: str | None = None

    def __call__(self, experiment: Experiment, **kw: Any) -> session.RunResult:
        level = dict(experiment.variables)["latency"]
        self.levels.append(level)
        out: Path = kw["output_dir"]
        out.mkdir(parents=True)
        (out / "report.html").write_text("<html></html>")
        stop: StopFlag = kw["stop"]
        if self.stop_on == level:
            stop.set("SIGINT")
            return session.RunResult(decision(Verdict.ABORTED), kw["run_id"], out, ())
        seconds = float(level[:-2]) / 1000 if level.endswith("ms") else float(level[:-1])
        if self.script:
            return session.RunResult(self.script.pop(0)(seconds), kw["run_id"], out, ())
        verdict = Verdict.PASSED if seconds < 0.1 else Verdict.FAILED
        return session.RunResult(decision(verdict), kw["run_id"], out, ())


def run(
    tmp_path: Path, service: FakeService, *, results: Path | None = None, cooldown: float = 0.0
) -> sweep.SweepOutput:
    spec = make_spec(parse_param("latency=20ms..260ms"), Strategy.BISECT, resolution="80ms")
    prepared = sweep.prepare(EXPERIMENT, None, {"blast": "10s"}, spec)
    return sweep.run_sweep(
        prepared,
        progress=NullProgress(),
        stop=StopFlag(),
        output_dir=tmp_path / "out",
        results=results,
        cooldown=cooldown,
        steady_timeout=1.0,
        steady_check=lambda _e: (),
        run_one=service,
        steady_poll=0.01,
    )


def journal(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "sweep.jsonl").read_text().splitlines()]


def test_each_level_is_a_run_in_its_own_folder_and_the_journal_has_every_level(
    tmp_path: Path,
) -> None:
    service = FakeService()
    out = run(tmp_path, service)
    assert service.levels == ["20ms", "260ms", "140ms", "80ms"]
    assert out.exit_code == 0
    assert out.result.sentence == (
        "availability (>= 99.5 %) holds up to latency 80ms and breaks at 140ms"
    )
    records = journal(out.output_dir)
    assert [r["kind"] for r in records] == ["start", "level", "level", "level", "level", "result"]
    assert [r["folder"] for r in records[1:5]] == [
        "01-latency-20ms",
        "02-latency-260ms",
        "03-latency-140ms",
        "04-latency-80ms",
    ]
    assert records[3]["slis"][0] == {
        "name": "availability",
        "objective": ">= 99.5%",
        "unit": "ratio",
        "worst": 0.6,
        "violated": True,
        "firstBad": None,
    }
    assert records[-1]["highestPassed"] == "80ms" and records[-1]["lowestFailed"] == "140ms"
    saved = json.loads((out.output_dir / "sweep.json").read_text())
    assert saved["result"]["sentence"] == out.result.sentence
    assert [lv["level"] for lv in saved["levels"]] == ["20ms", "260ms", "140ms", "80ms"]


def test_the_report_answers_first_charts_each_sli_and_links_each_level(tmp_path: Path) -> None:
    out = run(tmp_path, FakeService())
    html = (out.output_dir / "report.html").read_text()
    answer = html.index('id="answer"')
    assert answer < html.index('<svg class="sweep" data-sli="availability"')
    assert "holds up to latency 80ms and breaks at 140ms" in html[answer : answer + 200]
    for folder in ("01-latency-20ms", "03-latency-140ms"):
        assert f'href="{folder}/report.html"' in html
    assert 'class="boundary"' in html and "objective &gt;= 99.5%" in html
    md = (out.output_dir / "summary.md").read_text()
    assert "**availability (>= 99.5 %) holds up to latency 80ms and breaks at 140ms**" in md
    assert "| [140ms](03-latency-140ms/report.html) | FAILED | lowest level that broke | 60" in md


def test_an_unsteady_baseline_is_rerun_and_not_counted(tmp_path: Path) -> None:
    unsteady = [lambda _s: decision(Verdict.INCONCLUSIVE, unsteady=True)]
    service = FakeService(list(unsteady))
    out = run(tmp_path, service)
    assert service.levels[:2] == ["20ms", "20ms"]
    assert out.exit_code == 0 and out.result.outcome.value == "boundary"
    kinds = [r["kind"] for r in journal(out.output_dir)]
    assert kinds[:3] == ["start", "unsteady", "level"]
    assert [a.folder for a in out.record.not_counted] == ["01-latency-20ms"]
    first = out.result.levels[0].attempts
    assert [(a.verdict, a.folder, a.unsteady_retries) for a in first] == [
        (Verdict.PASSED, "02-latency-20ms", 1)
    ]


def test_a_level_never_steady_counts_as_uncertain_after_its_reruns(tmp_path: Path) -> None:
    never = [lambda _s: decision(Verdict.INCONCLUSIVE, unsteady=True)] * (
        sweep.UNSTEADY_RETRIES + 1
    )
    out = run(tmp_path, FakeService(list(never)))
    assert len(out.record.not_counted) == sweep.UNSTEADY_RETRIES
    assert out.result.levels[0].verdicts == "INCONCLUSIVE"


def test_an_interrupted_sweep_keeps_what_it_found_and_exits_2(tmp_path: Path) -> None:
    service = FakeService()
    service.stop_on = "140ms"
    out = run(tmp_path, service)
    assert service.levels == ["20ms", "260ms", "140ms"]
    assert out.exit_code == 2
    assert out.result.interrupted
    assert [lv.value for lv in out.result.levels] == [
        0.02,
        0.26,
    ]  # the running level is not counted
    kinds = [r["kind"] for r in journal(out.output_dir)]
    assert kinds == ["start", "level", "level", "interrupted", "result"]
    assert "interrupted" in (out.output_dir / "report.html").read_text()


def test_a_crashing_level_is_an_error_never_a_judgement(tmp_path: Path) -> None:
    def crash(_s: float) -> Decision:
        raise RuntimeError("boom")

    out = run(tmp_path, FakeService([crash]))
    first = out.result.levels[0]
    assert first.verdicts == "ERROR"
    assert first.attempts[0].reasons == ("chaosrunner crashed: RuntimeError: boom",)
    assert out.result.bracket.holds is not None and out.result.bracket.holds.value == 0.08
    assert out.exit_code == 0  # the ERROR lies below the boundary, not inside its bracket


def test_the_sweep_is_kept_in_the_results_store_and_history_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    first = run(tmp_path / "a", FakeService(), results=results)
    second = run(tmp_path / "b", FakeService(), results=results)
    assert not first.report_errors and not second.report_errors
    assert [s.sweep_id for s in second.record.earlier] == [first.record.sweep_id]
    assert "Earlier sweeps" in (second.output_dir / "report.html").read_text()
    assert main(["history", "--results", str(results)]) == 0
    shown = capsys.readouterr().out
    assert "sweep latency=20ms..260ms" in shown
    assert "holds 80ms  breaks 140ms" in shown
    assert shown.count("holds up to latency 80ms and breaks at 140ms") == 2


def test_the_command_rejects_a_variable_the_experiment_does_not_declare(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["sweep", str(EXPERIMENT), "--param", "speed=1..8"])
    assert code == 4
    err = capsys.readouterr().err
    assert "--param: 'speed' is not a variable of" in err and "latency" in err


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--param", "latency=20ms..2"], "--param: 'latency=20ms..2' mixes a duration"),
        (["--param", "latency=20ms..2s", "--resolution", "5"], "--resolution: '5' is not"),
        (["--param", "latency=20ms..2s", "--cooldown", "soon"], "--cooldown: 'soon' is not"),
        (["--param", "latency=20ms..2s", "--var", "latency=1s"], "the sweep sets latency"),
    ],
)
def test_the_command_says_which_flag_is_wrong(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", str(EXPERIMENT), *args]) == 4
    assert said in capsys.readouterr().err


class Events(NullProgress):
    def __init__(self) -> None:
        self.events: list[str] = []

    def event(self, message: str) -> None:
        self.events.append(message)


def test_between_levels_the_cooldown_then_the_steady_wait(tmp_path: Path) -> None:
    checks: list[str] = []

    def steady_check(experiment: Experiment) -> tuple[str, ...]:
        checks.append(dict(experiment.variables)["latency"])
        return ("availability: 90 %",) if len(checks) == 1 else ()

    spec = make_spec(parse_param("latency=20ms..260ms"), Strategy.BISECT, resolution="80ms")
    progress = Events()
    sweep.run_sweep(
        sweep.prepare(EXPERIMENT, None, {}, spec),
        progress=progress,
        stop=StopFlag(),
        output_dir=tmp_path / "out",
        cooldown=0.01,
        steady_timeout=5.0,
        steady_check=steady_check,
        run_one=FakeService(),
        steady_poll=0.01,
    )
    shown = [e for e in progress.events if e.startswith(("cool-down", "level "))]
    assert shown[:4] == [
        "level 1 (of about 4): latency=20ms",
        "level 1 (of about 4): latency=20ms: PASSED",
        "cool-down 10ms",
        "level 2 (of about 4): latency=260ms",
    ]
    assert shown.count("cool-down 10ms") == 3  # between levels, not before the first
    # the first poll was not steady: three steady polls in a row follow, at the next level's value
    assert checks[:4] == ["260ms"] * 4


def test_history_says_which_stored_sweep_was_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "results"
    service = FakeService()
    service.stop_on = "260ms"
    run(tmp_path, service, results=results)
    assert main(["history", "redis-timeout", "--results", str(results)]) == 0
    assert "no-boundary (interrupted) holds 20ms  breaks —" in capsys.readouterr().out


def test_a_crash_between_levels_still_writes_the_result_and_the_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_at = sweep.Prepared.at

    def at(self: sweep.Prepared, value: float) -> Experiment:
        if value == 0.14:  # the third level: both ends were checked and ran
            raise OSError("disk gone")
        return real_at(self, value)

    monkeypatch.setattr(sweep.Prepared, "at", at)
    with pytest.raises(OSError, match="disk gone"):
        run(tmp_path, FakeService())
    out = tmp_path / "out"
    last = journal(out)[-1]
    assert last["kind"] == "result" and last["crashed"] == "OSError: disk gone"
    assert last["interrupted"] is True
    assert (out / "report.html").is_file() and (out / "sweep.json").is_file()
