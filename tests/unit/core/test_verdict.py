"""verdict.decide: every way a run can end, and every path that could produce a false pass.

Each case starts from ``journal_with()`` (a run that passes) and changes one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import pytest

from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.journal import FailureStage, Journal, PlannedFaultRecord, TargetRecord
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from chaosrunner.core.verdict import EXIT_CODES, Verdict, decide
from tests.unit.core.builders import (
    AVAILABILITY,
    ERR,
    LATENCY,
    ND,
    at,
    failure,
    full_phases,
    guardrail_abort,
    injection,
    journal_with,
    signal_abort,
    sli_record,
)

G = 0.05  # latency, good
B = 2.0  # latency, bad
CLEANUP = "chaosrunner cleanup --run-id run-1"

Build = Callable[[], Journal]


def planned(
    fault: str = "pause-backend", *, start: float = 0.0, one_shot: bool = False
) -> PlannedFaultRecord:
    return PlannedFaultRecord(fault, "process-pause", "backend", one_shot, start, 5.0, 35.0)


def with_plan(journal: Journal, *plan: PlannedFaultRecord) -> Journal:
    journal.plan = list(plan)
    return journal


# -- the one way to pass -------------------------------------------------------------------


def test_the_only_passed_path() -> None:
    decision = decide(journal_with())
    assert decision.verdict is Verdict.PASSED
    assert decision.verdict.exit_code == 0
    assert decision.reasons == ("every fault was confirmed active and every hypothesis held",)
    assert decision.faults_left == ()
    assert decision.score == 100.0
    assert [a.name for a in decision.slis] == ["availability", "latency"]
    for a in decision.slis:
        assert (a.baseline.outcome, a.observe.outcome, a.recovery.outcome) == (
            Outcome.HELD,
            Outcome.HELD,
            Outcome.HELD,
        )
        assert a.recovery.seconds == 0.0
        assert a.gap == ""


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: journal_with(injections=[injection("a"), injection("b")]), id="two"),
        pytest.param(
            lambda: journal_with(injections=[injection(one_shot=True, removal_confirmed=False)]),
            id="one-shot-needs-no-removal",
        ),
        pytest.param(
            lambda: journal_with({"latency": {Phase.RECOVERY: [B, B, G]}}),
            id="recovered-within-the-limit",
        ),
        pytest.param(
            lambda: journal_with(
                {"latency": {Phase.OBSERVE: [G] * 9 + [ND]}},
                slis=[AVAILABILITY, sli_record(rule=JudgeRule.TICKS_RATIO, min_ratio=0.9)],
                ticks=10,
            ),
            id="ticks-ratio-holds-even-reading-the-gap-as-bad",
        ),
        pytest.param(
            lambda: journal_with(
                {"latency": {Phase.OBSERVE: [G, B, B, G]}},
                slis=[AVAILABILITY, sli_record(rule=JudgeRule.SUSTAINED, sustain=3.0)],
            ),
            id="short-breach-under-sustained",
        ),
    ],
)
def test_other_passing_runs(build: Build) -> None:
    decision = decide(build())
    assert decision.verdict is Verdict.PASSED, decision.reasons


# -- INCONCLUSIVE: missing evidence never passes ---------------------------------------------


def _confirmed_without_targets() -> Journal:
    return journal_with(injections=[replace(injection(), targets=())])


def _confirmed_targets_never_injected() -> Journal:
    return journal_with(injections=[replace(injection(), targets=(TargetRecord("pid:1"),))])


def _confirmed_at_missing() -> Journal:
    return journal_with(injections=[replace(injection(), confirmed_at=None)])


INCONCLUSIVE_CASES = [
    pytest.param(
        lambda: journal_with(injections=[injection(confirmed=False)]),
        "fault never confirmed active on any target: pause-backend",
        id="fault-never-confirmed",
    ),
    pytest.param(
        _confirmed_at_missing,
        "fault never confirmed active on any target: pause-backend",
        id="confirmed-at-missing-though-target-injected",
    ),
    pytest.param(
        _confirmed_without_targets,
        "fault never confirmed active on any target: pause-backend",
        id="confirmed-but-no-target",
    ),
    pytest.param(
        _confirmed_targets_never_injected,
        "fault never confirmed active on any target: pause-backend",
        id="confirmed-but-no-target-injected",
    ),
    pytest.param(
        lambda: journal_with(injections=[injection("a"), injection("b", confirmed=False)]),
        "fault never confirmed active on any target: b",
        id="one-of-two-faults-unconfirmed",
    ),
    pytest.param(
        lambda: journal_with(injections=[injection(created=False, confirmed=False)]),
        "fault never confirmed active on any target: pause-backend",
        id="fault-never-created",
    ),
    pytest.param(
        lambda: journal_with(injections=[]),
        "fault never confirmed active on any target: none were created",
        id="no-injections-at-all",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.BASELINE: [G, ND, G]}}),
        "steady state not established before injection: SLI 'latency' was no-data in the "
        "baseline (<= 200ms)",
        id="no-data-in-baseline",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.BASELINE: [G, ERR, G]}}),
        "SLI 'latency' was probe-errors in the baseline",
        id="probe-error-in-baseline",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.BASELINE: []}}),
        "SLI 'latency' was no-ticks in the baseline",
        id="no-baseline-ticks",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.BASELINE: [G, B, G]}}),
        "SLI 'latency' was violated in the baseline",
        id="baseline-not-held",
    ),
    pytest.param(
        lambda: journal_with(
            {"latency": {Phase.BASELINE: [G, ND], Phase.OBSERVE: [B, B]}},
        ),
        "SLI 'latency' was no-data in the baseline",
        id="violated-but-no-steady-state-to-compare",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.OBSERVE: [G, G, ND, G, G]}}),
        "SLI 'latency' has no verdict in the blast window: no-data",
        id="no-data-in-observe",
    ),
    pytest.param(
        lambda: journal_with({"availability": {Phase.OBSERVE: [1.0, ERR, 1.0]}}),
        "SLI 'availability' has no verdict in the blast window: probe-errors",
        id="probe-error-in-observe",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.OBSERVE: []}}),
        "SLI 'latency' has no verdict in the blast window: no-ticks",
        id="no-observe-ticks",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.RECOVERY: [B, ND]}}),
        "SLI 'latency' has no verdict in the recovery: no-data",
        id="no-data-at-the-end-of-recovery",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.RECOVERY: [B, ERR]}}),
        "SLI 'latency' has no verdict in the recovery: probe-errors",
        id="probe-error-at-the-end-of-recovery",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.RECOVERY: []}}),
        "SLI 'latency' has no verdict in the recovery: no-ticks",
        id="no-recovery-ticks",
    ),
    pytest.param(
        lambda: journal_with(phases=full_phases(without=[Phase.RECOVERY])),
        "SLI 'latency' has no verdict in the recovery: no-ticks",
        id="recovery-phase-never-started",
    ),
    pytest.param(
        lambda: journal_with(phases=full_phases(completed={Phase.OBSERVE: False})),
        "the blast window did not run to its end",
        id="partial-blast-window",
    ),
    pytest.param(
        lambda: journal_with(phases=full_phases(without=[Phase.OBSERVE])),
        "the blast window did not run to its end",
        id="no-blast-window",
    ),
    pytest.param(
        lambda: journal_with(
            {"latency": {Phase.OBSERVE: [B, B]}},
            phases=full_phases(completed={Phase.OBSERVE: False}),
        ),
        "the blast window did not run to its end",
        id="violated-in-a-partial-blast-window",
    ),
    pytest.param(
        lambda: journal_with(failure=failure(FailureStage.RUN, "driver crashed")),
        "the run failed: driver crashed",
        id="run-failure-after-injection",
    ),
    pytest.param(
        lambda: journal_with(failure=failure(FailureStage.PREFLIGHT, "late")),
        "the run failed: late",
        id="preflight-failure-but-something-was-injected",
    ),
    pytest.param(
        lambda: journal_with(dry_run=True),
        "dry run, yet a fault was created: nothing to judge",
        id="dry-run-that-injected",
    ),
    pytest.param(
        lambda: journal_with(
            dry_run=True, injections=[], phases=full_phases(completed={Phase.PREFLIGHT: False})
        ),
        "dry run: preflight did not run to its end",
        id="dry-run-with-unfinished-preflight",
    ),
    pytest.param(
        lambda: with_plan(journal_with(), planned("pause-backend"), planned("late", start=4.5)),
        "planned fault 'late' (process-pause on backend at +4500ms) was never injected",
        id="planned-fault-never-injected",
    ),
    pytest.param(
        lambda: with_plan(journal_with(injections=[]), planned("pause-backend")),
        "planned fault 'pause-backend' (process-pause on backend at +0ms) was never injected",
        id="no-planned-fault-injected",
    ),
    pytest.param(
        lambda: journal_with(
            {"latency": {Phase.BASELINE: [G] * 21, Phase.OBSERVE: [G, G, G]}},
            slis=[AVAILABILITY, sli_record(rule=JudgeRule.SUSTAINED, sustain=20.0)],
        ),
        "SLI 'latency' has no verdict in the blast window: too-short: the rule (no breach "
        "sustained for 20s) could not have failed, because the blast window's ticks spanned "
        "only 2s",
        id="sustained-longer-than-the-blast-window",
    ),
    pytest.param(
        lambda: journal_with(
            {"latency": {Phase.BASELINE: [G] * 6, Phase.OBSERVE: [G] * 30}},
            slis=[AVAILABILITY, sli_record(rule=JudgeRule.SUSTAINED, sustain=20.0)],
        ),
        "SLI 'latency' was too-short in the baseline (<= 200ms): the rule (no breach sustained "
        "for 20s) could not have failed, because the baseline's ticks spanned only 5s",
        id="sustained-longer-than-the-baseline",
    ),
]


@pytest.mark.parametrize(("build", "reason"), INCONCLUSIVE_CASES)
def test_inconclusive(build: Build, reason: str) -> None:
    decision = decide(build())
    assert decision.verdict is Verdict.INCONCLUSIVE, decision.reasons
    assert decision.verdict.exit_code == 3
    assert any(reason in r for r in decision.reasons), decision.reasons


def test_inconclusive_names_only_the_unconfirmed_fault() -> None:
    journal = journal_with(injections=[injection("a"), injection("b", confirmed=False)])
    assert decide(journal).reasons == ("fault never confirmed active on any target: b",)


def test_every_sli_lacking_baseline_evidence_is_named() -> None:
    journal = journal_with(
        {"latency": {Phase.BASELINE: [ND]}, "availability": {Phase.BASELINE: [ERR]}}
    )
    reasons = decide(journal).reasons
    assert len(reasons) == 2
    assert "'availability' was probe-errors" in reasons[0]
    assert "'latency' was no-data" in reasons[1]


def test_missing_evidence_in_observe_and_recovery_are_both_named() -> None:
    journal = journal_with({"latency": {Phase.OBSERVE: [G, ND], Phase.RECOVERY: [G, ERR]}})
    assert decide(journal).reasons == (
        "SLI 'latency' has no verdict in the blast window: no-data",
        "SLI 'latency' has no verdict in the recovery: probe-errors",
    )


# -- FAILED -----------------------------------------------------------------------------------


FAILED_CASES = [
    pytest.param(
        lambda: journal_with({"latency": {Phase.OBSERVE: [G, B, G, B, G]}}),
        "2/5 ticks missed <= 200 ms, worst 2.0 s",
        id="violated",
    ),
    pytest.param(
        lambda: journal_with(
            {
                "latency": {Phase.OBSERVE: [G, B, G]},
                "availability": {Phase.OBSERVE: [1.0, ND, 1.0]},
            }
        ),
        "SLI 'latency' violated in the blast window",
        id="violated-while-another-sli-lacks-data",
    ),
    pytest.param(
        lambda: journal_with(
            {
                "latency": {Phase.OBSERVE: [G, B, G]},
                "availability": {Phase.OBSERVE: [ERR, ERR]},
            }
        ),
        "SLI 'latency' violated in the blast window",
        id="violated-while-another-sli-errors",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.OBSERVE: [G, B, ND]}}),
        "SLI 'latency' violated in the blast window",
        id="violated-beside-its-own-gap",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.RECOVERY: [B, B, B]}}),
        "SLI 'latency' did not recover within 10s (<= 200ms)",
        id="not-recovered",
    ),
    pytest.param(
        lambda: journal_with({"latency": {Phase.RECOVERY: [G, G, B]}}, recovery_limit=90.0),
        "SLI 'latency' did not recover within 1m30s (<= 200ms)",
        id="relapsed-at-the-end-of-recovery",
    ),
    pytest.param(
        lambda: journal_with(
            {"latency": {Phase.OBSERVE: [G, ND, G]}},
            slis=[AVAILABILITY, sli_record(no_data=NoDataPolicy.FAIL)],
        ),
        "1/3 ticks missed <= 200 ms",
        id="no-data-under-fail-policy",
    ),
    pytest.param(
        lambda: journal_with(
            {"latency": {Phase.OBSERVE: [G, B]}},
            injections=[injection(removal_confirmed=False)],
        ),
        "SLI 'latency' violated in the blast window",
        id="violated-and-fault-left-behind",
    ),
]


@pytest.mark.parametrize(("build", "reason"), FAILED_CASES)
def test_failed(build: Build, reason: str) -> None:
    decision = decide(build())
    assert decision.verdict is Verdict.FAILED, decision.reasons
    assert decision.verdict.exit_code == 1
    assert any(reason in r for r in decision.reasons), decision.reasons


def test_failed_names_every_violation_and_nothing_else() -> None:
    journal = journal_with(
        {
            "latency": {Phase.OBSERVE: [B, B], Phase.RECOVERY: [B]},
            "availability": {Phase.OBSERVE: [1.0, 0.5], Phase.RECOVERY: [ND]},
        }
    )
    reasons = decide(journal).reasons
    assert len(reasons) == 3, reasons
    assert reasons[0].startswith("SLI 'availability' violated in the blast window: ")
    assert reasons[0].endswith("1/2 ticks missed >= 99 %, worst 50.0 %")
    assert reasons[1].startswith("SLI 'latency' violated in the blast window: ")
    assert "2/2 ticks missed <= 200 ms, worst 2.0 s" in reasons[1]
    assert reasons[2] == "SLI 'latency' did not recover within 10s (<= 200ms)"


# -- ABORTED and ERROR ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        pytest.param(
            lambda: journal_with(abort=guardrail_abort()),
            "guardrail fired: guardrail 'hard-stop': 0.9 > 0.5; faults were removed early",
            id="guardrail",
        ),
        pytest.param(
            lambda: journal_with(abort=signal_abort("SIGTERM")),
            "interrupted: SIGTERM; faults were removed early",
            id="signal",
        ),
        pytest.param(
            lambda: journal_with(
                {"latency": {Phase.OBSERVE: [B, B]}},
                abort=guardrail_abort(),
                phases=full_phases(completed={Phase.OBSERVE: False}),
            ),
            "guardrail fired",
            id="abort-beats-violation",
        ),
        pytest.param(
            lambda: journal_with(abort=signal_abort(), dry_run=True),
            "interrupted",
            id="abort-beats-dry-run",
        ),
        pytest.param(
            lambda: journal_with(
                abort=signal_abort(), failure=failure(FailureStage.RUN, "driver crashed")
            ),
            "interrupted",
            id="abort-beats-run-failure",
        ),
        pytest.param(
            lambda: journal_with(
                abort=guardrail_abort(), failure=failure(FailureStage.PREFLIGHT, "late")
            ),
            "guardrail fired",
            id="abort-beats-preflight-failure-after-injection",
        ),
    ],
)
def test_aborted(build: Build, reason: str) -> None:
    decision = decide(build())
    assert decision.verdict is Verdict.ABORTED, decision.reasons
    assert decision.verdict.exit_code == 2
    assert decision.reasons[0] == reason or decision.reasons[0].startswith(reason)


@pytest.mark.parametrize(
    ("build", "reason"),
    [
        pytest.param(
            lambda: journal_with(failure=failure(FailureStage.PREFLIGHT, "no data"), injections=[]),
            "preflight failed: no data",
            id="preflight-nothing-injected",
        ),
        pytest.param(
            lambda: journal_with(failure=failure(FailureStage.VALIDATE, "bad file"), injections=[]),
            "validate failed: bad file",
            id="validate",
        ),
        pytest.param(
            lambda: journal_with(
                failure=failure(FailureStage.PREFLIGHT, "no data"),
                injections=[injection(created=False, confirmed=False)],
            ),
            "preflight failed: no data",
            id="preflight-fault-recorded-but-never-created",
        ),
        pytest.param(
            lambda: journal_with(
                failure=failure(FailureStage.PREFLIGHT, "no data"),
                injections=[],
                abort=signal_abort(),
            ),
            "preflight failed: no data",
            id="error-beats-abort",
        ),
    ],
)
def test_error(build: Build, reason: str) -> None:
    decision = decide(build())
    assert decision.verdict is Verdict.ERROR, decision.reasons
    assert decision.verdict.exit_code == 4
    assert decision.reasons == (reason,)
    assert decision.score is None


# -- faults left behind -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "verdict"),
    [
        pytest.param(
            lambda: journal_with(injections=[injection(removal_confirmed=False)]),
            Verdict.INCONCLUSIVE,
            id="would-have-passed",
        ),
        pytest.param(
            lambda: journal_with(
                {"latency": {Phase.OBSERVE: [B]}}, injections=[injection(removal_confirmed=False)]
            ),
            Verdict.FAILED,
            id="failed",
        ),
        pytest.param(
            lambda: journal_with(
                abort=guardrail_abort(), injections=[injection(removal_confirmed=False)]
            ),
            Verdict.ABORTED,
            id="aborted",
        ),
        pytest.param(
            lambda: journal_with(injections=[injection(confirmed=False, removal_confirmed=False)]),
            Verdict.INCONCLUSIVE,
            id="never-confirmed",
        ),
    ],
)
def test_unconfirmed_removal_is_never_passed_and_names_cleanup(
    build: Build, verdict: Verdict
) -> None:
    decision = decide(build())
    assert decision.verdict is verdict
    assert decision.faults_left == ("pause-backend",)
    assert decision.reasons[-1] == (
        f"fault 'pause-backend' was not confirmed removed; run `{CLEANUP}`"
    )


def test_only_the_faults_left_behind_are_named() -> None:
    journal = journal_with(
        injections=[
            injection("removed"),
            injection("stuck", removal_confirmed=False),
            injection("killed", one_shot=True, removal_confirmed=False),
            injection("never-created", created=False, confirmed=False, removal_confirmed=False),
        ]
    )
    decision = decide(journal)
    assert decision.faults_left == ("stuck",)
    assert sum(CLEANUP in r for r in decision.reasons) == 1
    assert decision.verdict is not Verdict.PASSED


# -- exit codes, score, serialised decision ---------------------------------------------------


@pytest.mark.parametrize(
    ("verdict", "code"),
    [
        pytest.param(Verdict.PASSED, 0, id="passed"),
        pytest.param(Verdict.FAILED, 1, id="failed"),
        pytest.param(Verdict.ABORTED, 2, id="aborted"),
        pytest.param(Verdict.INCONCLUSIVE, 3, id="inconclusive"),
        pytest.param(Verdict.ERROR, 4, id="error"),
    ],
)
def test_exit_codes_are_stable(verdict: Verdict, code: int) -> None:
    assert verdict.exit_code == code
    assert EXIT_CODES[verdict] == code


def test_every_verdict_has_an_exit_code() -> None:
    assert set(EXIT_CODES) == set(Verdict)
    assert sorted(EXIT_CODES.values()) == [0, 0, 1, 2, 3, 4]
    assert Verdict.DRY_RUN.exit_code == 0 and Verdict.DRY_RUN.value == "DRY-RUN"


@pytest.mark.parametrize(
    ("build", "score"),
    [
        pytest.param(journal_with, 100.0, id="all-good"),
        pytest.param(lambda: journal_with({"latency": {Phase.OBSERVE: [B] * 5}}), 50.0, id="half"),
        pytest.param(
            # per-tick slices [G] [ND] [ERR] [G, G]: latency 2 of 4, weighted with availability
            lambda: journal_with({"latency": {Phase.OBSERVE: [G, ND, ERR, G, G]}}),
            75.0,
            id="missing-ticks-count-as-missed",
        ),
        pytest.param(lambda: journal_with(injections=[]), None, id="nothing-injected"),
        pytest.param(
            lambda: journal_with(
                {"latency": {Phase.OBSERVE: []}, "availability": {Phase.OBSERVE: []}}
            ),
            0.0,  # injected but nothing judged: missing evidence scores 0, never "no score"
            id="no-observe-ticks",
        ),
        pytest.param(
            lambda: journal_with(abort=guardrail_abort(), injections=[injection(confirmed=False)]),
            99.0,  # not PASSED: never 100
            id="created-though-unconfirmed",
        ),
    ],
)
def test_score(build: Build, score: float | None) -> None:
    assert decide(build()).score == score


def test_decision_to_dict() -> None:
    journal = journal_with(
        {"latency": {Phase.OBSERVE: [G, B, G], Phase.RECOVERY: [B, B, G]}},
        injections=[injection(removal_confirmed=False)],
    )
    out = decide(journal).to_dict()
    reasons = out.pop("reasons")
    assert isinstance(reasons, list)
    assert len(reasons) == 2
    assert reasons[0].startswith("SLI 'latency' violated in the blast window: ")
    assert reasons[0].endswith("1/3 ticks missed <= 200 ms, worst 2.0 s")
    assert reasons[1] == f"fault 'pause-backend' was not confirmed removed; run `{CLEANUP}`"
    assert out == {
        "verdict": "FAILED",
        "exitCode": 1,
        "score": 75.0,  # availability 4 of 4 slices, latency 1 of 2 ([G], [B, G]), equal weights
        "faultsLeft": ["pause-backend"],
        "slis": [
            {
                "name": "availability",
                "objective": ">= 99%",
                "baseline": "held",
                "observe": "held",
                "recovery": "held",
                "recoverySeconds": 0.0,
                "gap": "",
            },
            {
                "name": "latency",
                "objective": "<= 200ms",
                "baseline": "held",
                "observe": "violated",
                "recovery": "held",
                "recoverySeconds": 2.0,
                "gap": "blast window: 1/3 ticks missed <= 200 ms, worst 2.0 s",
            },
        ],
    }


def test_gap_names_both_blast_window_and_recovery() -> None:
    journal = journal_with({"latency": {Phase.OBSERVE: [B, ND], Phase.RECOVERY: [B]}})
    latency = decide(journal).slis[1]
    assert latency.gap == (
        "blast window: 1/2 ticks missed <= 200 ms, worst 2.0 s; "
        "did not recover within the recovery limit"
    )


def test_gap_without_a_worst_value() -> None:
    journal = journal_with(
        {"latency": {Phase.OBSERVE: [ND, ND]}},
        slis=[AVAILABILITY, replace(LATENCY, no_data=NoDataPolicy.FAIL)],
    )
    assert decide(journal).slis[1].gap == "blast window: 2/2 ticks missed <= 200 ms"


# -- purity -----------------------------------------------------------------------------------


PURITY_CASES = [
    pytest.param(journal_with, id="passed"),
    *INCONCLUSIVE_CASES[:3],
    *FAILED_CASES[:2],
]


@pytest.mark.parametrize(
    "build", [p.values[0] for p in PURITY_CASES], ids=[p.id for p in PURITY_CASES]
)
def test_decide_is_pure(build: Build) -> None:
    journal = build()
    before = copy.deepcopy(journal.to_dict())
    first = decide(journal)
    second = decide(journal)
    assert first == second
    assert journal.to_dict() == before
    assert decide(build()) == first


# -- bugs found -------------------------------------------------------------------------------


def test_a_target_injected_at_time_zero_is_confirmed() -> None:
    rec = replace(injection(), targets=(TargetRecord("pid:1", injected_at=0.0),))
    assert rec.confirmed
    assert decide(journal_with(injections=[rec])).verdict is Verdict.PASSED


def test_a_journal_without_slis_is_never_passed() -> None:
    decision = decide(journal_with(slis=[]))
    assert decision.verdict is Verdict.INCONCLUSIVE


def test_recovery_after_the_limit_is_not_in_time() -> None:
    journal = journal_with({"latency": {Phase.RECOVERY: [B] * 12 + [G]}}, recovery_limit=10.0)
    decision = decide(journal)
    assert decision.slis[1].recovery.seconds == 12.0
    assert decision.verdict is Verdict.FAILED


def test_failed_reason_says_blast_window_once() -> None:
    journal = journal_with({"latency": {Phase.OBSERVE: [B, B], Phase.RECOVERY: [B]}})
    assert decide(journal).reasons == (
        "SLI 'latency' violated in the blast window: 2/2 ticks missed <= 200 ms, worst 2.0 s",
        "SLI 'latency' did not recover within 10s (<= 200ms)",
    )


def test_probe_errors_under_fail_policy_are_inconclusive_not_failed() -> None:
    journal = journal_with(
        {"latency": {Phase.OBSERVE: [G, ERR, G]}},
        slis=[AVAILABILITY, sli_record(rule=JudgeRule.MEAN, no_data=NoDataPolicy.FAIL)],
    )
    decision = decide(journal)
    assert decision.verdict is Verdict.INCONCLUSIVE, decision.reasons


# -- issue 8: the plan, crashes, dry runs ------------------------------------------------------


def test_a_plan_fully_injected_passes() -> None:
    journal = with_plan(
        journal_with(injections=[injection("a"), injection("b", one_shot=True)]),
        planned("a"),
        planned("b", start=2.5, one_shot=True),
    )
    assert decide(journal).verdict is Verdict.PASSED


def test_every_planned_fault_never_injected_is_named() -> None:
    journal = with_plan(
        journal_with(injections=[injection("a", confirmed=False)]),
        planned("a"),
        planned("b", start=3.0),
        planned("c", start=4.0),
    )
    decision = decide(journal)
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (
        "fault never confirmed active on any target: a",
        "planned fault 'b' (process-pause on backend at +3s) was never injected",
        "planned fault 'c' (process-pause on backend at +4s) was never injected",
    )


def test_the_plan_survives_a_round_trip_and_a_version_1_journal_still_reads() -> None:
    journal = with_plan(journal_with(), planned("a"), planned("late", start=4.5))
    raw = journal.to_dict()
    assert raw["plan"][1] == {
        "fault": "late",
        "kind": "process-pause",
        "target": "backend",
        "oneShot": False,
        "plannedStart": 4.5,
        "plannedEnd": 5.0,
        "expiry": 35.0,
    }
    again = Journal.from_dict(raw)
    assert again.plan == journal.plan
    assert decide(again) == decide(journal)
    assert decide(again).verdict is Verdict.INCONCLUSIVE
    old = journal_with().to_dict()
    old["schemaVersion"] = 1
    for key in ("plan", "guardrailBlindTicks"):
        del old[key]
    v1 = Journal.from_dict(old)
    assert v1.plan == [] and v1.guardrail_blind_ticks == {}
    assert decide(v1).verdict is Verdict.PASSED


CRASH = "unexpected RuntimeError during observe: boom"


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda: journal_with(failure=failure(FailureStage.CRASH, CRASH)), id="after-injection"
        ),
        pytest.param(
            lambda: journal_with(failure=failure(FailureStage.CRASH, CRASH), injections=[]),
            id="before-injection",
        ),
        pytest.param(
            lambda: journal_with(
                {"latency": {Phase.OBSERVE: [B, B]}}, failure=failure(FailureStage.CRASH, CRASH)
            ),
            id="beats-a-violation",
        ),
        pytest.param(
            lambda: journal_with(
                abort=guardrail_abort(), failure=failure(FailureStage.CRASH, CRASH)
            ),
            id="beats-an-abort",
        ),
        pytest.param(
            lambda: journal_with(
                dry_run=True, injections=[], failure=failure(FailureStage.CRASH, CRASH)
            ),
            id="in-a-dry-run",
        ),
    ],
)
def test_a_crash_is_error_whatever_else_happened(build: Build) -> None:
    decision = decide(build())
    assert decision.verdict is Verdict.ERROR, decision.reasons
    assert decision.verdict.exit_code == 4
    assert decision.reasons[0] == (
        f"chaosrunner crashed: {CRASH}; whatever was injected was rolled back"
    )


def test_a_crash_that_left_a_fault_names_the_cleanup() -> None:
    journal = journal_with(
        failure=failure(FailureStage.CRASH, CRASH), injections=[injection(removal_confirmed=False)]
    )
    decision = decide(journal)
    assert decision.verdict is Verdict.ERROR
    assert decision.reasons[-1] == (
        f"fault 'pause-backend' was not confirmed removed; run `{CLEANUP}`"
    )


def test_a_dry_run_whose_preflight_passed() -> None:
    journal = with_plan(journal_with(dry_run=True, injections=[]), planned("a"), planned("b"))
    decision = decide(journal)
    assert decision.verdict is Verdict.DRY_RUN
    assert decision.verdict.exit_code == 0
    assert decision.reasons == ("dry run: preflight passed, nothing injected (2 fault(s) planned)",)
    assert decision.score is None
    assert decision.to_dict()["verdict"] == "DRY-RUN"


def test_a_dry_run_whose_preflight_failed_is_error() -> None:
    journal = journal_with(
        dry_run=True, injections=[], failure=failure(FailureStage.PREFLIGHT, "no data")
    )
    assert decide(journal).verdict is Verdict.ERROR


# -- issue 8: a fault no tick observed --------------------------------------------------------


def observed_between(confirmed: float, removed: float | None) -> Journal:
    """A second fault, 'late', confirmed and removed at these offsets into the blast window
    (None: removed by rollback, after the window); ticks fall at +0, +1, ... +4."""
    late = replace(
        injection("late"),
        confirmed_at=at(Phase.OBSERVE, confirmed),
        removed_at=at(Phase.ROLLBACK, 1.0) if removed is None else at(Phase.OBSERVE, removed),
    )
    return journal_with(injections=[injection(), late])


@pytest.mark.parametrize(
    ("confirmed", "removed", "reason"),
    [
        pytest.param(
            4.5,
            None,
            "fault 'late' was active from +4.5s to +5.0s but no tick observed it",
            id="after-the-last-tick",
        ),
        pytest.param(
            1.5,
            1.9,
            "fault 'late' was active from +1.5s to +1.9s but no tick observed it",
            id="between-two-ticks",
        ),
        pytest.param(
            4.002,
            None,
            "fault 'late' was active from +4.002s to +5.0s but no tick observed it",
            id="beyond-the-millisecond-grid",
        ),
        pytest.param(
            1.25,
            2.0,
            "fault 'late' was active from +1.25s to +2.0s but no tick observed it",
            id="removed-on-the-tick",
        ),
    ],
)
def test_a_fault_no_tick_observed_is_inconclusive(
    confirmed: float, removed: float | None, reason: str
) -> None:
    decision = decide(observed_between(confirmed, removed))
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.reasons == (reason,)


@pytest.mark.parametrize(
    ("confirmed", "removed"),
    [
        pytest.param(1.5, 2.5, id="one-tick-inside"),
        pytest.param(4.0, None, id="confirmed-on-the-last-tick"),
        pytest.param(3.9995, 4.2, id="confirmed-just-before-a-tick"),
        pytest.param(4.0005, None, id="a-tick-on-the-millisecond-grid-below-it"),
    ],
)
def test_a_fault_one_tick_observed_passes(confirmed: float, removed: float | None) -> None:
    decision = decide(observed_between(confirmed, removed))
    assert decision.verdict is Verdict.PASSED, decision.reasons


def test_a_violation_still_fails_when_a_fault_went_unobserved() -> None:
    journal = observed_between(4.5, None)
    journal.series["latency"] = journal_with({"latency": {Phase.OBSERVE: [G, B, B, G, G]}}).series[
        "latency"
    ]
    assert decide(journal).verdict is Verdict.FAILED
