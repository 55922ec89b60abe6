"""The engine with a driver whose removal had to be escalated past the fault's owner.

The removal is confirmed (the object is gone), but the journal keeps the escalation, the
progress view says it loudly, and a run that would have passed is INCONCLUSIVE.
"""

from __future__ import annotations

from chaosrunner.core.journal import EscalationRecord
from chaosrunner.core.ports import Removal
from chaosrunner.core.verdict import Verdict
from tests.support import FakeDriver
from tests.unit.run.test_engine import HEALTHY, make, steady

ESC = EscalationRecord(
    1.0,
    ("cleanFinalizer=forced did not release it within 10s", "finalizer removed by chaosrunner"),
    ("demo/redis-0 (Injected, injected 1x, recovered 0x)",),
    (),
    ("PodNetworkChaos demo/redis-0: owned by Pod redis-0",),
)


class EscalatingDriver(FakeDriver):
    def remove(self, *args, **kwargs) -> Removal:  # type: ignore[no-untyped-def]
        removal = super().remove(*args, **kwargs)
        return Removal(removal.removed_at, True, "escalated", ESC)


def test_an_escalated_removal_is_journaled_shown_and_never_passed() -> None:
    runner, _, _, sink, *_ = make(steady(HEALTHY), EscalatingDriver())
    decision = runner.run()
    assert decision.verdict is Verdict.INCONCLUSIVE, decision.reasons
    assert any("needed its finalizer taken off by chaosrunner" in r for r in decision.reasons)
    (rec,) = runner.journal.injections
    assert rec.removal_confirmed and rec.escalation == ESC
    assert sink.last is not None and sink.last["injections"][0]["escalation"]["notRecovered"] == [
        "demo/redis-0 (Injected, injected 1x, recovered 0x)"
    ]
    progress = runner.progress.events  # type: ignore[attr-defined]
    (loud,) = [e for e in progress if e.startswith("WARNING: removing pause-backend")]
    assert "may not have recovered" in loud and "PodNetworkChaos demo/redis-0" in loud


def test_the_same_run_without_escalation_passes() -> None:
    runner, *_ = make(steady(HEALTHY), FakeDriver())
    assert runner.run().verdict is Verdict.PASSED
