"""An escalated removal (chaosrunner took Chaos Mesh's finalizer off itself) is never PASSED.

The rule, last in verdict.py's order: what would have PASSED is INCONCLUSIVE (the fault may
still be active on a target nobody saw recover); every other verdict stays what it was, with
the escalation's reason added. Each case starts from ``journal_with()`` (a run that passes).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from chaosrunner.core.journal import EscalationRecord, FailureStage, InjectionRecord, Journal
from chaosrunner.core.model import Phase
from chaosrunner.core.verdict import Verdict, decide
from tests.unit.core.builders import (
    at,
    failure,
    guardrail_abort,
    injection,
    journal_with,
)

ESCALATION = EscalationRecord(
    at(Phase.ROLLBACK, 2.0),
    (
        "chaos-mesh.chaos-mesh.org/cleanFinalizer=forced did not release it within 10s",
        "finalizer chaos-mesh/records removed by chaosrunner",
    ),
    not_recovered=("demo/redis-0 (Injected, injected 1x, recovered 0x)",),
    may_remain=("PodNetworkChaos demo/redis-0: owned by Pod redis-0",),
)


def escalated(fault: str = "pause-backend") -> InjectionRecord:
    return replace(injection(fault), escalation=ESCALATION)


def _reason(decision_reasons: tuple[str, ...]) -> str:
    (found,) = [r for r in decision_reasons if "needed its finalizer taken off" in r]
    return found


def test_a_run_that_would_have_passed_is_inconclusive() -> None:
    assert decide(journal_with()).verdict is Verdict.PASSED  # the same run, not escalated
    decision = decide(journal_with(injections=[escalated()]))
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.verdict.exit_code == 3
    reason = _reason(decision.reasons)
    assert reason.startswith("removing fault 'pause-backend' needed its finalizer taken off")
    assert "may not have recovered" in reason
    assert "not recovered: demo/redis-0 (Injected" in reason
    assert "may be left: PodNetworkChaos demo/redis-0" in reason
    assert decision.faults_left == ()  # gone: nothing for cleanup, but not a pass


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [
        pytest.param({"series": {"latency": {Phase.OBSERVE: [0.05, 2.0]}}}, Verdict.FAILED,
                     id="failed-stays-failed"),
        pytest.param({"abort": guardrail_abort()}, Verdict.ABORTED, id="aborted-stays-aborted"),
        pytest.param({"failure": failure(FailureStage.CRASH)}, Verdict.ERROR,
                     id="error-stays-error"),
    ],
)  # fmt: skip
def test_every_other_verdict_is_kept_with_the_reason_added(
    changes: dict[str, object], verdict: Verdict
) -> None:
    series = changes.pop("series", None)
    args = (series,) if series is not None else ()
    decision = decide(journal_with(*args, injections=[escalated()], **changes))  # type: ignore[arg-type]
    assert decision.verdict is verdict, decision.reasons
    assert _reason(decision.reasons)


def test_only_the_escalated_fault_is_named() -> None:
    decision = decide(journal_with(injections=[injection("clean"), escalated("stuck")]))
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert "'stuck'" in _reason(decision.reasons)
    assert not any("'clean'" in r for r in decision.reasons)


def test_the_escalation_survives_the_journals_round_trip() -> None:
    journal = journal_with(injections=[escalated()])
    again = Journal.from_dict(journal.to_dict())
    assert again.injections[0].escalation == ESCALATION
    assert decide(again).verdict is Verdict.INCONCLUSIVE
    plain = journal_with().to_dict()
    assert "escalation" not in plain["injections"][0]  # absent, as version 4 always wrote it
