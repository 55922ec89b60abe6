"""`chaosrunner gameday run` in process, each experiment through the real single-run path
(session.run_experiment on fakes and virtual time), and the live page `--serve` shows."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from chaosrunner.cli import main
from chaosrunner.runner import gameday, session
from chaosrunner.runner import steady as steady_wait
from chaosrunner.runner.gameday_serve import LiveServer, LiveStatus, live_page, parse_addr
from chaosrunner.runner.stop import StopFlag
from tests.support import FakeClock, ScriptedMetrics, steady
from tests.unit.cli.conftest import HEALTHY, Fakes

GAMEDAY = """\
apiVersion: chaosrunner.io/v1alpha1
kind: GameDay
metadata: {name: unit-day}
spec:
  participants: [{name: Ana, role: facilitator}]
  coolDown: 0s
  steadyTimeout: 5s
  experiments:
    - file: exp.yaml
    - file: exp.yaml
"""


@pytest.fixture
def day(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(steady_wait, "PrometheusSource", lambda _cfg, **_kw: fakes.metrics)
    monkeypatch.setattr(steady_wait, "STEADY_POLLS", 1)  # no wait between polls
    path = fakes.file.parent / "gameday.yaml"
    path.write_text(GAMEDAY)
    return path


def test_a_game_day_runs_each_experiment_through_the_single_run_path(
    day: Path, fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["gameday", "run", str(day), "--output-dir", str(out)]) == 0
    text = capsys.readouterr().out
    assert "experiment 2/2: unit-exp" in text and "game day unit-day: PASSED (exit 0)" in text
    for i in (1, 2):
        journal = json.loads((out / f"0{i}-unit-exp" / "journal.json").read_text())
        assert journal["outcome"]["verdict"] == "PASSED"
        assert journal["runId"].endswith(f"-e0{i}")
    assert fakes.driver.calls.count("inject:pause-backend") == 2
    assert fakes.driver.active == set()  # each rolled back
    html = (out / "report.html").read_text()
    assert '<a href="02-unit-exp/report.html">unit-exp</a>' in html
    assert "steady before unit-exp" in (out / "summary.md").read_text()


def test_the_live_page_is_the_running_report_with_a_banner(day: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["gameday", "run", str(day), "--output-dir", str(out)]) == 0
    (out / "notes.jsonl").write_text('{"at": 1, "author": "bo", "text": "p95 up"}\n')
    folder = out / "01-unit-exp"
    lines = (folder / "journal.jsonl").read_text().splitlines(keepends=True)
    cut = [i for i, line in enumerate(lines) if '"phase":"observe"' in line][3]
    running = tmp_path / "running"
    running.mkdir()
    (running / "journal.jsonl").write_text("".join(lines[:cut]))
    status = LiveStatus("unit-day", "experiment 1/2: unit-exp", running)
    page = live_page(out, status)
    assert '<meta http-equiv="refresh" content="3">' in page
    assert 'id="live-experiment">experiment 1/2: unit-exp<' in page
    assert 'id="live-phase">observe<' in page and "p95 up (bo)" in page
    assert ".summary .verdict{display:none}" in page  # nothing decided yet
    assert "<svg" in page and "default-src 'none'" in page and "<script" not in page
    finished = live_page(out, LiveStatus("unit-day", "experiment 1/2: unit-exp", folder))
    assert ".summary .verdict{display:none}" not in finished
    done = live_page(out, LiveStatus("unit-day", done=True))
    assert done == (out / "report.html").read_text()  # the consolidated report at the end

    server = LiveServer(out, status, "127.0.0.1:0")
    server.start()
    try:
        with urllib.request.urlopen(server.url, timeout=5) as answer:
            assert 'id="live-phase">observe<' in answer.read().decode()
        with urllib.request.urlopen(server.url + "status.json", timeout=5) as answer:
            assert json.loads(answer.read()) == {
                "name": "unit-day",
                "experiment": "experiment 1/2: unit-exp",
                "done": False,
            }
    finally:
        server.stop()


def test_serve_addresses() -> None:
    assert parse_addr("127.0.0.1:8642") == ("127.0.0.1", 8642)
    assert parse_addr(":9000") == ("127.0.0.1", 9000)
    assert parse_addr("9000") == ("127.0.0.1", 9000)
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_addr("localhost:http")


def test_a_port_that_cannot_be_served_is_exit_4_before_anything_runs(
    day: Path, fakes: Fakes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "gameday",
            "run",
            str(day),
            "--output-dir",
            str(tmp_path / "o"),
            "--serve-address",
            "nonsense",
        ]
    )
    assert code == 4 and "live page on nonsense" in capsys.readouterr().err
    assert fakes.driver.calls == []


def test_serve_takes_no_value_so_a_file_after_it_is_the_game_day(
    day: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--serve FILE`` once took FILE as the address; the address is ``--serve-address``."""
    served: list[str | None] = []

    def fake_run(prepared: object, **kw: object) -> object:
        served.append(kw["serve"])  # type: ignore[arg-type]
        raise SystemExit(0)

    monkeypatch.setattr(gameday, "run_gameday", fake_run)
    out = ["--output-dir", str(tmp_path / "o")]
    with pytest.raises(SystemExit):
        main(["gameday", "run", "--serve", str(day), *out])
    with pytest.raises(SystemExit):
        main(["gameday", "run", str(day), "--serve-address", "127.0.0.1:9", *out])
    with pytest.raises(SystemExit):
        main(["gameday", "run", str(day), *out])
    assert served == ["127.0.0.1:8642", "127.0.0.1:9", None]


def test_each_experiment_is_kept_and_the_report_says_what_changed_since_the_last_run(
    day: Path, fakes: Fakes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Game days keep their runs in the results store; the next game day's report compares each
    experiment with its earlier runs in words, a table and a sparkline."""
    months: list[FakeClock] = []

    def next_month(stop: StopFlag) -> FakeClock:  # each run a month after the one before
        fakes.driver.clock = FakeClock(stop, start=1_000_000.0 + 30 * 86400 * len(months))
        months.append(fakes.driver.clock)
        return fakes.driver.clock

    monkeypatch.setattr(session, "SystemClock", next_month)
    store, first, second = tmp_path / "results", tmp_path / "first", tmp_path / "second"
    common = ["gameday", "run", str(day), "--results", str(store)]
    assert main([*common, "--output-dir", str(first)]) == 0
    kept = sorted(p.name for p in (store / "unit-exp" / "lab").iterdir())
    assert [k.rsplit("-", 1)[1] for k in kept] == ["e01", "e02"], kept
    slower = ScriptedMetrics(steady({**HEALTHY, "latency": 0.12}))
    monkeypatch.setattr(session, "PrometheusSource", lambda _cfg, **_kw: slower)
    assert main([*common, "--output-dir", str(second)]) == 0
    html = (second / "report.html").read_text()
    md = (second / "summary.md").read_text()
    assert "<h2>Trends</h2>" in html and 'id="trend-1"' in html and '<svg class="spark"' in html
    assert "## Trends" in md and "### 1. unit-exp" in md and "Compared with run" in md
    assert re.search(
        r"latency's worst in the blast window worsened from 50(.0)? ms to 120 ms", md
    ), md
    assert "latency" in html and "trend-worse" in html
    assert "<h2>Trends</h2>" in (first / "report.html").read_text()  # e02 against e01
