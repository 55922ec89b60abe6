"""Issue #11's evidence in a run: expected alerts read every tick (and judged when required),
goroutine profiles captured beside the journal (a failed capture recorded), provenance."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from chaosrunner.core.errors import EvidenceError
from chaosrunner.core.evidence import AlertState, CaptureLabel, Provenance
from chaosrunner.core.faultlog import abort_offset, fault_activity
from chaosrunner.core.goroutines import diff_profiles
from chaosrunner.core.journal import Journal
from chaosrunner.core.model import Binding
from chaosrunner.core.ports import ProfileText, Reading
from chaosrunner.core.verdict import Verdict
from chaosrunner.runner.captures import load_captures
from chaosrunner.runner.engine import Runner
from chaosrunner.runner.provenance import masked_argv, provenance_of
from chaosrunner.runner.stop import StopFlag
from tests.support import (
    BASE,
    FakeClock,
    FakeDriver,
    MemorySink,
    RecordingProgress,
    ScriptedMetrics,
    experiment,
    steady,
)

HEALTHY = {"ok": 1.0, "latency": 0.05, "errors_ratio": 0.0}
FIXTURES = Path(__file__).parents[1] / "report" / "fixtures"


def with_alert(required: bool, within: str = "") -> str:
    extra = f", within: {within}" if within else ""
    entry = f"    - {{name: DemoFastBurn, required: {str(required).lower()}{extra}}}\n"
    return BASE.replace("  faults:", f"  alerts:\n{entry}  faults:")


def run(
    text: str,
    alert: str,
    *,
    fetcher: object = None,
    out: Path | None = None,
    provenance: Provenance | None = None,
) -> tuple[Runner, MemorySink, RecordingProgress, ScriptedMetrics]:
    """``alert``: "fires" while the fault is active, "fires-late" from 3 s after, "silent",
    or "errors" (the ALERTS query fails)."""
    stop = StopFlag()
    clock = FakeClock(stop)
    driver = FakeDriver()
    driver.clock = clock
    first_active: list[float] = []

    def script(query: str, t: float) -> Reading:
        if "ALERTS" not in query:
            return steady(HEALTHY)(query, t)
        if driver.active and not first_active:
            first_active.append(t)
        if alert == "errors":
            return Reading.failed("connection refused")
        firing = bool(driver.active) and (
            alert == "fires" or (alert == "fires-late" and t - first_active[0] >= 3)
        )
        return Reading.ok(1.0) if firing else Reading.no_data()

    metrics = ScriptedMetrics(script)
    sink, progress = MemorySink(), RecordingProgress()
    runner = Runner(
        experiment(text),
        run_id="r1",
        metrics=metrics,
        driver=driver,
        clock=clock,
        sink=sink,
        progress=progress,
        stop=stop,
        profiles=fetcher,  # type: ignore[arg-type]
        output_dir=out,
        provenance=provenance,
    )
    runner.run()
    return runner, sink, progress, metrics


def test_expected_alerts_are_read_every_tick_and_journalled() -> None:
    runner, sink, _, metrics = run(with_alert(required=False), "fires")
    asked = [q for q, _ in metrics.asked if "ALERTS" in q]
    assert asked and asked[0] == 'count(ALERTS{alertname="DemoFastBurn",alertstate="firing"})'
    journal = runner.journal
    assert [a.name for a in journal.expected_alerts] == ["DemoFastBurn"]
    states = {r.state for r in journal.alert_readings}
    assert states == {AlertState.FIRING, AlertState.NOT_FIRING}
    # the appended form replays to the same readings
    assert sink.journal is not None and sink.journal.alert_readings == journal.alert_readings
    again = Journal.from_dict(json.loads(json.dumps(journal.to_dict())))
    assert again.alert_readings == journal.alert_readings
    assert again.expected_alerts == journal.expected_alerts


@pytest.mark.parametrize(
    ("required", "alert", "within", "verdict", "reason"),
    [
        pytest.param(True, "fires", "", Verdict.PASSED, "", id="required-fired"),
        pytest.param(
            True,
            "silent",
            "",
            Verdict.FAILED,
            "required alert 'DemoFastBurn' never fired",
            id="required-silent-fails",
        ),
        pytest.param(
            True,
            "errors",
            "",
            Verdict.INCONCLUSIVE,
            "required alert 'DemoFastBurn': no evidence whether it fired",
            id="required-no-data-inconclusive",
        ),
        pytest.param(
            True, "fires-late", "1s", Verdict.FAILED, "later than 1s", id="required-late-fails"
        ),
        pytest.param(False, "silent", "", Verdict.PASSED, "", id="not-required-is-a-finding"),
        pytest.param(False, "errors", "", Verdict.PASSED, "", id="not-required-blind"),
    ],
)
def test_required_alerts_in_the_verdict(
    required: bool, alert: str, within: str, verdict: Verdict, reason: str
) -> None:
    runner, *_ = run(with_alert(required, within), alert)
    decision = runner.decision
    assert decision is not None
    assert decision.verdict is verdict, decision.reasons
    if reason:
        assert any(reason in r for r in decision.reasons), decision.reasons
    if verdict is not Verdict.PASSED:
        assert decision.score is not None and decision.score < 100


class FakeFetcher:
    """Answers the baseline and blast captures; the third (recovery) fails."""

    def __init__(self) -> None:
        self.texts = [
            (FIXTURES / "goroutine-leak.baseline.txt").read_text(),
            (FIXTURES / "goroutine-leak.blast.txt").read_text(),
        ]
        self.calls = 0

    def goroutines(self, binding: Binding) -> Sequence[ProfileText]:
        self.calls += 1
        if not self.texts:
            raise EvidenceError("GET http://127.0.0.1:9/debug/pprof/goroutine?debug=1: refused")
        return (ProfileText("http://127.0.0.1:9/debug/pprof", self.texts.pop(0)),)


PPROF = BASE.replace(
    "lab: {process: {pidFile: /tmp/none.pid}}",
    "lab: {process: {pidFile: /tmp/none.pid}, pprof: {url: 'http://127.0.0.1:9/debug/pprof'}}",
)


def test_profiles_are_captured_beside_the_journal_and_a_failure_is_recorded(
    tmp_path: Path,
) -> None:
    fetcher = FakeFetcher()
    runner, sink, progress, _ = run(PPROF, "silent", fetcher=fetcher, out=tmp_path)
    profiles = runner.journal.profiles
    assert [p.label for p in profiles] == [
        CaptureLabel.BASELINE,
        CaptureLabel.BLAST,
        CaptureLabel.RECOVERY,
    ]
    baseline, blast, recovery = profiles
    assert baseline.path == "profiles/backend-baseline.txt" and baseline.error == ""
    assert (tmp_path / baseline.path).read_text().startswith("goroutine profile: total ")
    assert blast.goroutines is not None and baseline.goroutines is not None
    assert blast.goroutines > baseline.goroutines
    assert recovery.path == "" and "refused" in recovery.error and recovery.goroutines is None
    assert any("not captured" in e and "refused" in e for e in progress.events)
    assert sink.journal is not None and sink.journal.profiles == profiles
    # read back for the report: the diff names the leaking stack; the failed one stays failed
    captures = load_captures(profiles, tmp_path, "backend")
    assert [c.profile is None for c in captures] == [False, False, True]
    growth = diff_profiles(captures)
    assert growth and any("leakhook" in f.function for f in growth[0].frames)
    # a capture never changes the verdict of a run that held
    assert runner.decision is not None and runner.decision.verdict is Verdict.PASSED


def test_a_pprof_binding_without_a_fetcher_is_recorded_not_skipped() -> None:
    runner, *_ = run(PPROF, "silent")
    assert [p.error for p in runner.journal.profiles] == ["no profile fetcher for this run"] * 3


def test_no_pprof_binding_no_capture() -> None:
    runner, *_ = run(BASE, "silent")
    assert runner.journal.profiles == []


SECRET = (
    BASE.replace("  owner: sre\n", "  owner: ${who}\n")
    .replace(
        "spec:\n",
        "spec:\n  variables:\n    token: {default: s3cr3t-value, secret: true}\n    who: {default: sre}\n",
    )
    .replace(
        'prometheus: {url: "http://127.0.0.1:9"}',
        'prometheus: {url: "http://127.0.0.1:9", bearerToken: "${token}"}',
    )
)


def test_provenance_round_trips_with_secrets_masked(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(SECRET)
    exp = experiment(SECRET)
    exp = type(exp)(**{**exp.__dict__, "source": str(path)})
    prov = provenance_of(exp, ["chaosrunner", "run", str(path), "--var", "token=s3cr3t-value"])
    assert dict(prov.variables) == {"token": "***", "who": "sre"}
    assert prov.command_line[-1] == "token=***"
    assert len(prov.experiment_sha256) == 64 and prov.driver == "local" and prov.host
    runner, sink, *_ = run(SECRET, "silent", provenance=prov)
    raw = json.loads(json.dumps(runner.journal.to_dict()))
    assert "s3cr3t-value" not in json.dumps(raw)
    header = raw["provenance"]
    assert header["variables"] == {"token": "***", "who": "sre"}
    assert header["experimentSha256"] == prov.experiment_sha256
    # ISO 8601 with the offset: 1970-01-12T13:46:40+00:00 (the fake clock starts at 1e6)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", header["startedAtIso"])
    assert header["finishedAtIso"] is not None
    assert Journal.from_dict(raw).provenance == prov
    assert sink.journal is not None and sink.journal.provenance == prov


def test_masked_argv_hides_every_secret_value() -> None:
    assert masked_argv(["--var", "a=xyz", "xyzxyz"], frozenset({"xyz"})) == (
        "--var",
        "a=***",
        "******",
    )


def test_the_faults_record_says_what_ran_how_long_and_where_an_abort_came() -> None:
    runner, *_ = run(BASE, "silent")
    (fault,) = fault_activity(runner.journal)
    assert fault.fault == "pause-backend" and fault.kind == "process-pause"
    assert fault.params == {} and fault.removal_confirmed
    (target,) = fault.targets
    assert target.target == "pid:1" and not target.open_ended
    assert target.active_seconds is not None and 4.0 <= target.active_seconds <= 6.0
    again = Journal.from_dict(json.loads(json.dumps(runner.journal.to_dict())))
    assert fault_activity(again) == fault_activity(runner.journal)
    assert abort_offset(runner.journal) is None


def test_an_abort_says_how_far_into_the_blast_window_it_came() -> None:
    stop = StopFlag()
    clock = FakeClock(stop)
    driver = FakeDriver()
    driver.clock = clock
    observe_start: list[float] = []

    def script(query: str, t: float) -> Reading:
        if driver.active and not observe_start:
            observe_start.append(t)
        breach = bool(observe_start) and t - observe_start[0] >= 2
        if "errors_ratio" in query:
            return Reading.ok(0.9 if breach else 0.0)
        return steady(HEALTHY)(query, t)

    runner = Runner(
        experiment(BASE),
        run_id="r1",
        metrics=ScriptedMetrics(script),
        driver=driver,
        clock=clock,
        sink=MemorySink(),
        progress=RecordingProgress(),
        stop=stop,
    )
    assert runner.run().verdict is Verdict.ABORTED
    offset = abort_offset(runner.journal)
    assert offset is not None and 1.5 <= offset <= 3.5
