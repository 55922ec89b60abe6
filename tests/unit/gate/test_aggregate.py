from __future__ import annotations

import itertools

import pytest

from chaosrunner.core.aggregate import aggregate
from chaosrunner.core.verdict import Verdict

V = Verdict


@pytest.mark.parametrize(
    ("verdicts", "expected", "code"),
    [
        ([V.PASSED, V.PASSED], V.PASSED, 0),
        ([V.PASSED, V.INCONCLUSIVE], V.INCONCLUSIVE, 3),
        ([V.INCONCLUSIVE, V.FAILED, V.PASSED], V.FAILED, 1),
        ([V.FAILED, V.ABORTED], V.ABORTED, 2),
        ([V.ABORTED, V.ERROR, V.FAILED], V.ERROR, 4),
        ([], V.INCONCLUSIVE, 3),
        ([V.DRY_RUN, V.DRY_RUN], V.DRY_RUN, 0),
        ([V.DRY_RUN, V.PASSED], V.INCONCLUSIVE, 3),
    ],
)
def test_the_worst_outcome_wins_and_nothing_passes_by_default(
    verdicts: list[Verdict], expected: Verdict, code: int
) -> None:
    assert aggregate(verdicts) is expected
    assert aggregate(verdicts).exit_code == code


def test_an_inconclusive_run_never_lets_the_aggregate_pass_in_any_order() -> None:
    for n in range(1, 4):
        for combo in itertools.product([V.PASSED, V.INCONCLUSIVE], repeat=n):
            if V.INCONCLUSIVE in combo:
                assert aggregate(iter(combo)) is V.INCONCLUSIVE
