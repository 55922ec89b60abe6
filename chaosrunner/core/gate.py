"""The red-blue acceptance gate, judged: contract coverage and one verdict for every experiment.

The blue team's contract (its SLIs, and the fault classes it wants exercised) is the hypothesis
of every red-team experiment; the service ships only if every experiment PASSES and the
contract's coverage is met. Coverage is read from the experiments' planned faults before
anything runs: a gate whose experiments cannot cover the contract is FAILED without injecting
anything, since no result could make it pass. Per-SLO outcomes are what JUnit and the pull
request comment show; a SLO that held in a run whose verdict is not a judgement (INCONCLUSIVE,
ABORTED, ERROR) is not shown as passed, because nothing was proven.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.aggregate import aggregate
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.model import Sli
from chaosrunner.core.verdict import Decision, Verdict

#: Which fault class each fault kind exercises (a kind missing here covers no class).
#: Which fault class each fault kind exercises, as each kind declares it (a kind with none, such
#: as raw-manifest, covers no class).
FAULT_CLASSES: Mapping[str, str] = {
    name: kind.fault_class for name, kind in REGISTRY.items() if kind.fault_class
}

FAULT_CLASS_NAMES = tuple(sorted(set(FAULT_CLASSES.values())))

#: ``targets: all-dependencies``: every dependency the contract declares.
ALL_DEPENDENCIES = "all-dependencies"


@dataclass(frozen=True)
class CoverageRequirement:
    """A fault class that must be exercised; on each of ``targets`` (empty: on any target)."""

    fault_class: str
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contract:
    """The blue team's contract: the SLIs every experiment is judged by, and the coverage."""

    name: str
    source: str
    slis: tuple[Sli, ...]
    coverage: tuple[CoverageRequirement, ...] = ()
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercised:
    """One planned fault of one experiment, by class and logical target."""

    experiment: str
    fault_kind: str
    target: str

    @property
    def fault_class(self) -> str:
        return FAULT_CLASSES.get(self.fault_kind, "")


@dataclass(frozen=True)
class Gap:
    """A required fault class no experiment exercises (on ``target``, when one is required)."""

    fault_class: str
    target: str = ""

    def describe(self) -> str:
        where = f" against {self.target!r}" if self.target else ""
        return f"fault class {self.fault_class!r} is not exercised{where}"


def uncovered(
    requirements: Iterable[CoverageRequirement], exercised: Iterable[Exercised]
) -> tuple[Gap, ...]:
    """The required (class, target) pairs no planned fault exercises, in the contract's order."""
    done = {(e.fault_class, e.target) for e in exercised}
    classes = {c for c, _ in done}
    gaps: list[Gap] = []
    for req in requirements:
        if not req.targets:
            if req.fault_class not in classes:
                gaps.append(Gap(req.fault_class))
            continue
        gaps.extend(
            Gap(req.fault_class, t) for t in req.targets if (req.fault_class, t) not in done
        )
    return tuple(gaps)


class CaseStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


@dataclass(frozen=True)
class SloOutcome:
    """One experiment x SLO: the JUnit test case and the comment's table cell."""

    slo: str
    status: CaseStatus
    #: What the cell says: held, violated, no-data, ... or the run's verdict.
    label: str
    message: str = ""


@dataclass(frozen=True)
class GateEntry:
    """One experiment of the gate: its verdict, its reasons, where its reports are."""

    experiment: str
    file: str
    verdict: Verdict
    reasons: tuple[str, ...]
    slos: tuple[SloOutcome, ...]
    output_dir: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class GateResult:
    contract: str
    entries: tuple[GateEntry, ...]
    gaps: tuple[Gap, ...]
    #: Stopped by a signal: counts as an ABORTED run (as a game day's interruption does), so
    #: an interruption between two experiments is exit 2 too.
    interrupted: bool = False

    @property
    def verdict(self) -> Verdict:
        """Missing coverage is FAILED; otherwise the honest aggregate of the experiments (a
        not-run one is INCONCLUSIVE, an interruption one more ABORTED)."""
        coverage = (Verdict.FAILED,) if self.gaps else ()
        stopped = (Verdict.ABORTED,) if self.interrupted else ()
        return aggregate((*(e.verdict for e in self.entries), *coverage, *stopped))

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code


#: Run verdicts whose SLO results prove nothing, and the case status they give a held SLO.
_UNJUDGED = {
    Verdict.INCONCLUSIVE: CaseStatus.FAILED,
    Verdict.ABORTED: CaseStatus.FAILED,
    Verdict.ERROR: CaseStatus.ERROR,
    Verdict.DRY_RUN: CaseStatus.FAILED,
}


def slo_outcomes(
    slis: Iterable[Sli], decision: Decision | None, reason: str
) -> tuple[SloOutcome, ...]:
    """Each contract SLO's outcome in one run (``decision`` None: the run never started)."""
    assessed = {a.name: a for a in decision.slis} if decision else {}
    verdict = decision.verdict if decision else Verdict.ERROR
    why = "; ".join(decision.reasons) if decision and decision.reasons else reason
    out = []
    for sli in slis:
        a = assessed.get(sli.name)
        if a is None:
            status = CaseStatus.ERROR if verdict is Verdict.ERROR else CaseStatus.FAILED
            out.append(SloOutcome(sli.name, status, f"not judged ({verdict.value})", why))
            continue
        outcomes = (a.baseline.outcome, a.observe.outcome, a.recovery.outcome)
        if Outcome.VIOLATED in outcomes:
            gap = a.gap or f"violated in the baseline ({a.objective})"
            out.append(SloOutcome(sli.name, CaseStatus.FAILED, Outcome.VIOLATED.value, gap))
            continue
        undecided = next((o for o in outcomes if not o.decided), None)
        if undecided is not None:
            out.append(SloOutcome(sli.name, CaseStatus.FAILED, undecided.value, why))
        elif verdict in _UNJUDGED:
            out.append(SloOutcome(sli.name, _UNJUDGED[verdict], f"held ({verdict.value})", why))
        else:
            out.append(SloOutcome(sli.name, CaseStatus.PASSED, Outcome.HELD.value))
    return tuple(out)
