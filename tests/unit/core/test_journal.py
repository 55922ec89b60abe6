"""The journal: column-wise series, recording helpers, and the to_dict/from_dict round trip."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from types import MappingProxyType

import pytest

from chaosrunner.core.journal import (
    MAX_PROBE_ERRORS,
    SCHEMA_VERSION,
    AbortReason,
    CheckRecord,
    FailureStage,
    GuardrailEvent,
    InjectionRecord,
    Journal,
    PhaseRecord,
    SampleStatus,
    Series,
    SliRecord,
    TargetRecord,
)
from chaosrunner.core.model import (
    BlastRadius,
    DriverKind,
    Environment,
    Experiment,
    Fault,
    FaultOrder,
    Guardrail,
    Judge,
    JudgeRule,
    Metadata,
    NoDataPolicy,
    Phase,
    PrometheusConfig,
    Schedule,
    Sli,
    SliKind,
)
from chaosrunner.core.units import parse_objective
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import (
    ERR,
    ND,
    append_ticks,
    at,
    failure,
    full_phases,
    guardrail_abort,
    injection,
    journal_with,
    series_of,
    sli_record,
)

G = 0.05
B = 2.0


def roundtrip(journal: Journal) -> Journal:
    """Through JSON text exactly as the journal file adapter writes and reads it."""
    return Journal.from_dict(json.loads(json.dumps(journal.to_dict(), allow_nan=False)))


def rich_journal() -> Journal:
    """Every part of a journal filled in, with gaps (NaN values) in the series."""
    journal = journal_with(
        {
            "latency": {
                Phase.BASELINE: [G, G, G],
                Phase.OBSERVE: [G, ND, B, ERR, 0.125],
                Phase.RECOVERY: [B, ND, G],
            },
            "availability": {Phase.OBSERVE: [1.0, 0.5, ERR]},
        },
        slis=[
            sli_record("availability", ">= 99.5%", JudgeRule.TICKS_RATIO, min_ratio=0.9),
            sli_record(
                "latency", "<= 200ms", JudgeRule.SUSTAINED, sustain=2.5, no_data=NoDataPolicy.FAIL
            ),
        ],
        injections=[
            injection("pause-backend", details={"pids": [4242, 4243], "signal": "SIGSTOP"}),
            injection(
                "kill-backend",
                one_shot=True,
                targets=[
                    TargetRecord("pid:1", injected_at=at(Phase.INJECT, 1.0)),
                    TargetRecord("pid:2"),
                ],
                removal_confirmed=False,
                error="one target vanished",
            ),
        ],
        phases=full_phases(completed={Phase.OBSERVE: False}),
        abort=guardrail_abort(),
        failure=failure(FailureStage.RUN, "driver crashed"),
    )
    journal.preflight = [CheckRecord("metrics source answers", True, "2.45.0")]
    journal.guardrail_events = [
        GuardrailEvent("hard-stop", at(Phase.OBSERVE, 2.0), 0.9, True, "0.9 > 0.5"),
        GuardrailEvent("hard-stop", at(Phase.OBSERVE, 3.0), None, False),
    ]
    journal.record_probe_error("latency", at(Phase.OBSERVE, 3.0), "connection refused")
    journal.metadata = {"description": "d", "owner": "sre", "tags": ["a", "b"]}
    journal.judged(decide(journal).record(), at(Phase.VERDICT, 1.0))
    return journal


# -- round trip ---------------------------------------------------------------------------


def test_to_dict_is_strict_json() -> None:
    text = json.dumps(rich_journal().to_dict(), allow_nan=False)
    assert "NaN" not in text
    assert "Infinity" not in text


def test_to_dict_from_dict_round_trip() -> None:
    journal = rich_journal()
    raw = journal.to_dict()
    again = roundtrip(journal)
    assert again.to_dict() == raw
    assert again.slis == journal.slis
    assert again.phases == journal.phases
    assert again.injections == journal.injections
    assert again.abort == journal.abort
    assert again.failure == journal.failure
    assert again.preflight == journal.preflight
    assert again.guardrail_events == journal.guardrail_events
    assert again.probe_errors == journal.probe_errors
    assert again.probe_error_count == 1
    assert again.schedule == journal.schedule
    assert again.outcome == journal.outcome


def test_round_trip_restores_enums_not_strings() -> None:
    again = roundtrip(rich_journal())
    # The verdict compares with `is`: a plain string would never match.
    assert again.phases[0].phase is Phase.PREFLIGHT
    assert again.abort is not None and again.abort.reason is AbortReason.GUARDRAIL
    assert again.failure is not None and again.failure.stage is FailureStage.RUN
    sli = again.slis[1]
    assert sli.rule is JudgeRule.SUSTAINED
    assert sli.no_data is NoDataPolicy.FAIL
    assert sli.comparator.value == "<="
    assert type(again.injections[1].targets) is tuple
    assert again.injections[1].targets[0] == TargetRecord("pid:1", at(Phase.INJECT, 1.0))


def test_round_trip_keeps_gaps_as_nan_and_statuses() -> None:
    journal = rich_journal()
    series = roundtrip(journal).series["latency"]
    original = journal.series["latency"]
    assert list(series.times) == list(original.times)
    assert series.status == original.status
    assert series.phases == original.phases
    for got, want in zip(series.values, original.values, strict=True):
        assert (math.isnan(got) and math.isnan(want)) or got == want
    assert [math.isnan(v) for v in series.values] == [
        False, False, False,  # baseline
        False, True, False, True, False,  # observe: G ND B ERR 0.125
        False, True, False,  # recovery: B ND G
    ]  # fmt: skip


def test_series_to_dict_encoding() -> None:
    series = append_ticks(series_of([G, ND], Phase.BASELINE), Phase.OBSERVE, [ERR, B])
    raw = series.to_dict()
    assert raw == {
        "t": [at(Phase.BASELINE), at(Phase.BASELINE, 1.0), at(Phase.OBSERVE), at(Phase.OBSERVE, 1)],
        "v": [G, None, None, B],
        "status": "oneo",
        "phase": "bboo",
    }
    assert Series.from_dict(raw).to_dict() == raw


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(journal_with, id="passed"),
        pytest.param(rich_journal, id="rich"),
        pytest.param(lambda: journal_with({"latency": {Phase.OBSERVE: [G, B]}}), id="failed"),
        pytest.param(lambda: journal_with({"latency": {Phase.OBSERVE: [G, ND]}}), id="no-data"),
        pytest.param(
            lambda: journal_with({"latency": {Phase.RECOVERY: [B, B, G]}}), id="recovery-time"
        ),
        pytest.param(
            lambda: journal_with(failure=failure(FailureStage.PREFLIGHT), injections=[]),
            id="error",
        ),
        pytest.param(
            lambda: journal_with(injections=[injection(removal_confirmed=False)]), id="left"
        ),
    ],
)
def test_decide_is_the_same_after_a_round_trip(build: Callable[[], Journal]) -> None:
    journal = build()
    assert decide(roundtrip(journal)) == decide(journal)
    assert decide(Journal.from_dict(journal.to_dict())) == decide(journal)


@pytest.mark.parametrize("version", [None, 0, 5, "1"], ids=repr)
def test_from_dict_rejects_another_schema_version(version: object) -> None:
    raw = journal_with().to_dict()
    raw["schemaVersion"] = version
    with pytest.raises(ValueError, match=f"unsupported journal schemaVersion {version!r}"):
        Journal.from_dict(raw)


def test_schema_version_is_written() -> None:
    assert journal_with().to_dict()["schemaVersion"] == SCHEMA_VERSION == 4


def test_from_dict_of_a_minimal_journal() -> None:
    raw = journal_with(injections=[]).to_dict()
    for optional in ("injections", "guardrailEvents", "probeErrors", "preflight", "abort"):
        del raw[optional]
    again = Journal.from_dict(raw)
    assert again.injections == []
    assert again.abort is None
    assert again.probe_error_count == 0
    assert decide(again).verdict is Verdict.INCONCLUSIVE


# -- series -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status", "stored_status", "stored_nan"),
    [
        pytest.param(0.5, SampleStatus.OK, SampleStatus.OK, False, id="ok"),
        pytest.param(0.0, SampleStatus.OK, SampleStatus.OK, False, id="ok-zero"),
        pytest.param(None, SampleStatus.OK, SampleStatus.NO_DATA, True, id="ok-without-value"),
        pytest.param(math.nan, SampleStatus.OK, SampleStatus.NO_DATA, True, id="ok-nan"),
        pytest.param(None, SampleStatus.NO_DATA, SampleStatus.NO_DATA, True, id="no-data"),
        pytest.param(0.5, SampleStatus.NO_DATA, SampleStatus.NO_DATA, True, id="no-data-value"),
        pytest.param(None, SampleStatus.ERROR, SampleStatus.ERROR, True, id="error"),
        pytest.param(0.5, SampleStatus.ERROR, SampleStatus.ERROR, True, id="error-with-value"),
    ],
)
def test_series_append_normalises(
    value: float | None, status: SampleStatus, stored_status: SampleStatus, stored_nan: bool
) -> None:
    series = Series()
    series.append(10.0, Phase.OBSERVE, value, status)
    assert len(series) == 1
    assert series.status[0] == stored_status
    assert math.isnan(series.values[0]) is stored_nan
    assert series.phases[0] == 1


def test_series_span() -> None:
    series = Series()
    append_ticks(series, Phase.BASELINE, [G, G])
    append_ticks(series, Phase.OBSERVE, [G, G, G])
    assert series.span(Phase.BASELINE) == range(0, 2)
    assert series.span(Phase.OBSERVE) == range(2, 5)
    assert series.span(Phase.RECOVERY) == range(0)
    assert len(series) == 5


@pytest.mark.parametrize("phase", [Phase.VALIDATE, Phase.INJECT, Phase.ROLLBACK], ids=str)
def test_series_only_holds_sampled_phases(phase: Phase) -> None:
    with pytest.raises(KeyError):
        Series().append(1.0, phase, 1.0, SampleStatus.OK)


# -- recording ------------------------------------------------------------------------------


def test_begin_end_and_phase() -> None:
    journal = journal_with(phases=[])
    journal.begin(Phase.BASELINE, 1.0, planned=5.0)
    journal.begin(Phase.OBSERVE, 7.0)
    journal.end(Phase.BASELINE, 6.0, completed=True)
    journal.end(Phase.OBSERVE, 8.0, completed=False, note="interrupted")
    journal.end(Phase.RECOVERY, 9.0, completed=True)  # never begun: ignored
    assert journal.phases == [
        PhaseRecord(Phase.BASELINE, 1.0, 6.0, 5.0, True, ""),
        PhaseRecord(Phase.OBSERVE, 7.0, 8.0, None, False, "interrupted"),
    ]
    assert journal.phase(Phase.OBSERVE) == journal.phases[1]
    assert journal.phase(Phase.RECOVERY) is None


def test_end_closes_the_latest_open_record_of_a_phase() -> None:
    journal = journal_with(phases=[])
    journal.begin(Phase.INJECT, 1.0)
    journal.end(Phase.INJECT, 2.0, completed=True)
    journal.begin(Phase.INJECT, 3.0)
    journal.end(Phase.INJECT, 4.0, completed=False)
    assert [(p.started_at, p.ended_at, p.completed) for p in journal.phases] == [
        (1.0, 2.0, True),
        (3.0, 4.0, False),
    ]
    assert journal.phase(Phase.INJECT) == journal.phases[1]


def test_probe_errors_are_counted_but_kept_bounded() -> None:
    journal = journal_with()
    for i in range(MAX_PROBE_ERRORS + 5):
        journal.record_probe_error("latency", 1.23456 + i, f"boom {i}")
    assert journal.probe_error_count == MAX_PROBE_ERRORS + 5
    assert len(journal.probe_errors) == MAX_PROBE_ERRORS
    assert journal.probe_errors[0] == {"sli": "latency", "t": 1.235, "message": "boom 0"}


def test_update_injection() -> None:
    journal = journal_with(injections=[injection("a"), injection("b", removal_confirmed=False)])
    rec = journal.update_injection("b", removal_confirmed=True, removed_at=5.0)
    assert rec.removal_confirmed and rec.removed_at == 5.0
    assert journal.injection("b") is rec
    assert journal.injections[0] == injection("a")
    with pytest.raises(KeyError):
        journal.update_injection("c", removal_confirmed=True)


@pytest.mark.parametrize(
    ("rec", "confirmed", "needs_removal"),
    [
        pytest.param(injection(), True, False, id="confirmed-and-removed"),
        pytest.param(injection(removal_confirmed=False), True, True, id="left-behind"),
        pytest.param(injection(one_shot=True, removal_confirmed=False), True, False, id="one-shot"),
        pytest.param(injection(confirmed=False), False, False, id="unconfirmed-removed"),
        pytest.param(injection(created=False, confirmed=False), False, False, id="never-created"),
        pytest.param(
            injection(targets=[TargetRecord("pid:1"), TargetRecord("pid:2", injected_at=5.0)]),
            True,
            False,
            id="one-of-two-targets",
        ),
        pytest.param(injection(targets=[TargetRecord("pid:1")]), False, False, id="no-target-hit"),
    ],
)
def test_injection_record_properties(
    rec: InjectionRecord, confirmed: bool, needs_removal: bool
) -> None:
    assert rec.confirmed is confirmed
    assert rec.needs_removal is needs_removal


def _experiment() -> Experiment:
    prom = PrometheusConfig("http://127.0.0.1:9090")
    return Experiment(
        source="exp.yaml",
        metadata=Metadata("unit-exp", "d", "sre", ("t1",)),
        env=Environment("lab", DriverKind.LOCAL, prom),
        targets={},
        slis=(
            Sli(
                "latency",
                SliKind.QUERY,
                "lat",
                parse_objective("<= 200ms"),
                Judge(JudgeRule.TICKS_RATIO, min_ratio=0.95),
                NoDataPolicy.FAIL,
                unit="s",
            ),
        ),
        guardrails=(Guardrail("hard-stop", "err", parse_objective("> 0.5")),),
        faults=(Fault("pause", "process-pause", "backend", MappingProxyType({}), 0.0, None),),
        fault_order=FaultOrder.PARALLEL,
        schedule=Schedule(3.0, 5.0, 4.0, 1.0, 30.0),
        blast_radius=BlastRadius(),
    )


def test_start_records_the_slis_as_judged() -> None:
    journal = Journal.start(_experiment(), "r1", 100.0, dry_run=True)
    assert journal.run_id == "r1"
    assert journal.started_at == 100.0
    assert journal.dry_run is True
    assert journal.driver == "local"
    assert journal.schedule == {
        "baseline": 3.0,
        "blast": 5.0,
        "recovery": 4.0,
        "probeInterval": 1.0,
        "expiryMargin": 30.0,
    }
    assert journal.slis == [
        SliRecord(
            "latency", "lat", "<= 200ms", parse_objective("<= 200ms").comparator, 0.2,
            JudgeRule.TICKS_RATIO, 0.95, 0.0, NoDataPolicy.FAIL, unit="s",
        )
    ]  # fmt: skip
    assert journal.guardrails == [{"name": "hard-stop", "query": "err", "abortIf": "> 0.5"}]
    assert list(journal.series) == ["latency"]
    assert len(journal.series["latency"]) == 0
    assert journal.metadata == {"description": "d", "owner": "sre", "tags": ["t1"]}
    json.dumps(journal.to_dict(), allow_nan=False)


# -- bugs found -------------------------------------------------------------------------------


def test_an_infinite_sample_survives_strict_json() -> None:
    journal = journal_with({"latency": {Phase.OBSERVE: [G, math.inf, G]}})
    assert math.inf in list(journal.series["latency"].values)
    again = roundtrip(journal)
    assert list(again.series["latency"].values) == list(journal.series["latency"].values)
    assert decide(again) == decide(journal)


def test_sub_millisecond_times_do_not_change_the_verdict_after_a_round_trip() -> None:
    journal = journal_with(
        slis=[sli_record("latency", "<= 200ms", JudgeRule.SUSTAINED, sustain=3.0)],
    )
    series = Series()
    append_ticks(series, Phase.BASELINE, [G, G])
    # A breach from +0.0004s to +3s lasts 2.9996s: not sustained for 3s.
    append_ticks(series, Phase.OBSERVE, [B], start=at(Phase.OBSERVE, 0.0004))
    append_ticks(series, Phase.OBSERVE, [B, B, B, G], start=at(Phase.OBSERVE, 1.0))
    append_ticks(series, Phase.RECOVERY, [G])
    journal.series["latency"] = series
    # Times are rounded to the millisecond when sampled, so the stored journal and the one in
    # memory are judged alike (the 0.4 ms offset is gone in both).
    assert series.times[2] == at(Phase.OBSERVE, 0.0)
    assert decide(roundtrip(journal)) == decide(journal)
