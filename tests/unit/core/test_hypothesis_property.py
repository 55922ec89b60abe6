"""judge_phase against a reference, over random tick sequences (a fixed seed, no library).

For each sequence every unknown tick (a probe error, a missed tick, or no data under
``noData: inconclusive``)
is filled in every way from a small set of values (far below, on, far above the threshold), and a
reference that only knows fully-known ticks judges each completion. Then:

- HELD means every completion holds (the pessimistic reading holds);
- VIOLATED means every completion is violated (the optimistic reading is violated);
- with no unknown tick the outcome is decided and equals the reference;
- for the rules that read ticks one by one (and a mean under an ordering comparator), an
  undecided outcome means some completion holds and some is violated (the judge is not
  needlessly inconclusive). Max and min are left out of this check: they are knowingly
  conservative (see test_hypothesis.py).

No data under ``noData: fail`` is a fixed bad tick, not an unknown one.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from chaosrunner.core.hypothesis import Outcome, judge_phase
from chaosrunner.core.journal import SliRecord
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from tests.unit.core.builders import ERR, MS, ND, Missing, Tick, series_of, sli_record

SEED = 20_240_611
SEQUENCES = 100
THRESHOLD = 1.0
VALUES = (0.0, 0.5, 0.999, 1.0, 1.001, 1.5, 2.0)
FILLS = (THRESHOLD - 100.0, THRESHOLD, THRESHOLD + 100.0)
MAX_UNKNOWN = 3
ORDERED = ("<=", "<", ">=", ">")
EQUALITY = ("==", "!=")
TICK_RULES = (
    JudgeRule.EVERY_TICK,
    JudgeRule.TICKS_RATIO,
    JudgeRule.SUSTAINED,
    JudgeRule.FINAL,
    JudgeRule.TIMESLICES,
)


class _FixedBad:
    """A no-data tick under ``noData: fail``: bad whatever the rule."""


FIXED_BAD = _FixedBad()
Known = float | _FixedBad


@dataclass(frozen=True)
class Case:
    rec: SliRecord
    ticks: tuple[Tick, ...]

    def __str__(self) -> str:
        r = self.rec
        shown = ", ".join(t.name if isinstance(t, Missing) else f"{t:g}" for t in self.ticks)
        return (
            f"{r.rule} {r.objective} ratio={r.min_ratio} sustain={r.sustain_seconds} "
            f"noData={r.no_data} ticks=[{shown}]"
        )


def reference_holds(rec: SliRecord, values: Sequence[Known]) -> bool:
    """The rule over fully-known ticks (one second apart), written independently of the core."""
    good = [not isinstance(v, _FixedBad) and rec.holds(v) for v in values]
    numbers = [v for v in values if not isinstance(v, _FixedBad)]
    match rec.rule:
        case JudgeRule.EVERY_TICK:
            return all(good)
        case JudgeRule.TICKS_RATIO:
            return sum(good) >= rec.min_ratio * len(good) - 1e-9
        case JudgeRule.SUSTAINED:
            # Violated when some stretch of consecutive bad ticks lasts >= sustain seconds.
            for i, j in itertools.combinations_with_replacement(range(len(good)), 2):
                if not any(good[i : j + 1]) and (j - i) >= rec.sustain_seconds - 1e-9:
                    return False
            return True
        case JudgeRule.FINAL:
            return good[-1]
        case JudgeRule.TIMESLICES:
            # Slices of slice_window seconds from the first tick; the tick at the last second
            # closes the last full slice; a shorter tail is left out. A slice is good when all
            # of its ticks are.
            w = rec.slice_window
            full = int((len(good) - 1) // w)
            slices = [[] for _ in range(full)]  # type: list[list[bool]]
            for t, g in enumerate(good):
                k = int(t // w)
                if k == full and (len(good) - 1) % w == 0 and full:
                    k = full - 1
                if k < full:
                    slices[k].append(g)
            return sum(all(s) and bool(s) for s in slices) >= rec.slice_target * full - 1e-9
    if len(numbers) < len(values):
        return False  # no data under noData: fail breaks an aggregate
    match rec.rule:
        case JudgeRule.MEAN:
            return rec.holds(math.fsum(numbers) / len(numbers))
        case JudgeRule.MAX:
            return rec.holds(max(numbers))
        case JudgeRule.MIN:
            return rec.holds(min(numbers))
    raise AssertionError(rec.rule)


def completions(case: Case) -> list[list[Known]]:
    unknown = [
        i
        for i, t in enumerate(case.ticks)
        if t in (ERR, MS) or (t is ND and case.rec.no_data is NoDataPolicy.INCONCLUSIVE)
    ]
    out = []
    for fill in itertools.product(FILLS, repeat=len(unknown)):
        values: list[Known] = [FIXED_BAD if t is ND else t for t in case.ticks]  # type: ignore[misc]
        for i, v in zip(unknown, fill, strict=True):
            values[i] = v
        out.append(values)
    return out


def random_case(
    rng: random.Random,
    rule: JudgeRule,
    policy: NoDataPolicy,
    comparators: Sequence[str],
    missing: Sequence[Tick],
) -> Case:
    n = rng.randint(1, 8)
    ticks: list[Tick] = []
    unknown = 0
    for _ in range(n):
        if missing and unknown < MAX_UNKNOWN and rng.random() < 0.3:
            ticks.append(rng.choice(missing))
            unknown += 1
        else:
            ticks.append(rng.choice(VALUES))
    rec = sli_record(
        "s",
        f"{rng.choice(comparators)} {THRESHOLD:g}",
        rule,
        min_ratio=rng.choice((0.5, 0.75, 0.8, 0.9, 1.0)),
        sustain=rng.choice((0.0, 1.0, 2.0, 2.5, 3.0)),
        no_data=policy,
        slice_window=rng.choice((1.0, 2.0, 3.0)),
        slice_target=rng.choice((0.5, 0.75, 1.0)),
    )
    return Case(rec, tuple(ticks))


VARIANTS = {
    "inconclusive": (NoDataPolicy.INCONCLUSIVE, (ND, ERR)),
    "fail-no-data": (NoDataPolicy.FAIL, (ND,)),
    "fail-errors": (NoDataPolicy.FAIL, (ND, ERR)),
    "inconclusive-missed": (NoDataPolicy.INCONCLUSIVE, (ND, ERR, MS)),
    "fail-missed": (NoDataPolicy.FAIL, (ND, MS)),
}
FAMILIES = {"ordered": ORDERED, "equality": EQUALITY}


def _params() -> list[object]:
    out: list[object] = []
    for rule in JudgeRule:
        for variant in VARIANTS:
            for family in FAMILIES:
                out.append(pytest.param(rule, variant, family, id=f"{rule}-{variant}-{family}"))
    return out


@pytest.mark.parametrize(("rule", "variant", "family"), _params())
def test_judge_phase_agrees_with_every_reading_of_the_unknown_ticks(
    rule: JudgeRule, variant: str, family: str
) -> None:
    policy, missing = VARIANTS[variant]
    rng = random.Random(f"{SEED}-{rule}-{variant}-{family}")
    seen = {o: 0 for o in Outcome}
    for _ in range(SEQUENCES):
        case = random_case(rng, rule, policy, FAMILIES[family], missing)
        outcome = judge_phase(case.rec, series_of(case.ticks), Phase.OBSERVE).outcome
        seen[outcome] += 1
        readings = [reference_holds(case.rec, values) for values in completions(case)]
        # Ticks one second apart span len-1 seconds: too short for a longer sustained breach.
        too_short = (
            rule is JudgeRule.SUSTAINED and len(case.ticks) - 1 < case.rec.sustain_seconds
        ) or (rule is JudgeRule.TIMESLICES and len(case.ticks) - 1 < case.rec.slice_window)
        assert (outcome is Outcome.TOO_SHORT) == too_short, case
        if outcome is Outcome.TOO_SHORT:
            assert all(readings), f"too-short, yet a reading is violated: {case}"
        elif outcome is Outcome.HELD:
            assert all(readings), f"HELD although a reading is violated: {case}"
        elif outcome is Outcome.VIOLATED:
            assert not any(readings), f"VIOLATED although a reading holds: {case}"
        else:
            assert outcome in (Outcome.NO_DATA, Outcome.ERRORED, Outcome.MISSED), case
            assert len(readings) > 1, f"undecided without an unknown tick: {case}"
            if ND not in case.ticks and MS not in case.ticks:
                assert outcome is Outcome.ERRORED, case
            if ERR not in case.ticks and MS not in case.ticks:
                assert outcome is Outcome.NO_DATA, case
            if MS in case.ticks and rule is not JudgeRule.FINAL:
                assert outcome is Outcome.MISSED, case  # named before no data and errors
            if rule in TICK_RULES or (rule is JudgeRule.MEAN and family == "ordered"):
                assert any(readings), f"{outcome} although every reading is violated: {case}"
                assert not all(readings), f"{outcome} although every reading holds: {case}"
    # The generator must reach the interesting outcomes, or the test proves little.
    assert seen[Outcome.HELD] > 0
    assert seen[Outcome.VIOLATED] > 0
    if any(policy is NoDataPolicy.INCONCLUSIVE or t is ERR for t in missing):
        assert seen[Outcome.NO_DATA] + seen[Outcome.ERRORED] > 0
    if MS in missing:
        assert seen[Outcome.MISSED] > 0
