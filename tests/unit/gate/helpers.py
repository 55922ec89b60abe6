"""Small builders for the gate's unit tests: contracts, SLIs and decisions without a run."""

from __future__ import annotations

from chaosrunner.core.gate import Contract, CoverageRequirement
from chaosrunner.core.hypothesis import Outcome, PhaseResult, RecoveryResult
from chaosrunner.core.model import Judge, JudgeRule, NoDataPolicy, Phase, Sli, SliKind
from chaosrunner.core.units import parse_objective
from chaosrunner.core.verdict import Decision, SliAssessment, Verdict


def sli(name: str) -> Sli:
    return Sli(
        name,
        SliKind.QUERY,
        "up",
        parse_objective(">= 1"),
        Judge(JudgeRule.EVERY_TICK),
        NoDataPolicy.INCONCLUSIVE,
    )


def contract(*names: str, coverage: tuple[CoverageRequirement, ...] = ()) -> Contract:
    return Contract("blue", "slo.yaml", tuple(sli(n) for n in names), coverage)


def _phase(name: str, phase: Phase, outcome: Outcome) -> PhaseResult:
    return PhaseResult(name, phase, outcome, 5, 5, 0, 0, 0, 1.0, 1.0, 1.0, 1.0)


def assessed(name: str, observe: Outcome = Outcome.HELD, baseline: Outcome = Outcome.HELD):  # type: ignore[no-untyped-def]
    return SliAssessment(
        name,
        ">= 1",
        _phase(name, Phase.BASELINE, baseline),
        _phase(name, Phase.OBSERVE, observe),
        RecoveryResult(name, Outcome.HELD, True, 0.0, 3),
    )


def decision(verdict: Verdict, *slis: SliAssessment, reasons: tuple[str, ...] = ()) -> Decision:
    return Decision(verdict, reasons, tuple(slis), None, ())
