"""score_of: the share of blast-window ticks that met their objectives, 0 to 100."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chaosrunner.core.hypothesis import judge_phase
from chaosrunner.core.model import JudgeRule, Phase
from chaosrunner.core.score import score_of
from tests.unit.core.builders import ERR, ND, series_of, sli_record


@dataclass(frozen=True)
class _Observe:
    ticks: int
    good: int


@dataclass(frozen=True)
class _Assessment:
    observe: _Observe


def of(*pairs: tuple[int, int]) -> list[_Assessment]:
    return [_Assessment(_Observe(ticks, good)) for ticks, good in pairs]


@pytest.mark.parametrize(
    ("assessments", "score"),
    [
        pytest.param(of(), None, id="no-slis"),
        pytest.param(of((0, 0)), None, id="no-ticks"),
        pytest.param(of((0, 0), (0, 0)), None, id="no-ticks-anywhere"),
        pytest.param(of((10, 10)), 100.0, id="all-good"),
        pytest.param(of((10, 0)), 0.0, id="none-good"),
        pytest.param(of((4, 3)), 75.0, id="three-quarters"),
        pytest.param(of((10, 10), (10, 0)), 50.0, id="pooled-over-slis"),
        pytest.param(of((1, 1), (3, 0)), 25.0, id="weighted-by-ticks-not-by-sli"),
        pytest.param(of((0, 0), (4, 2)), 50.0, id="an-sli-without-ticks"),
        pytest.param(of((3, 2)), 66.7, id="rounded-to-one-decimal"),
        pytest.param(of((3, 1)), 33.3, id="rounded-down"),
        pytest.param(of((1000, 999)), 99.9, id="fine-grained"),
        pytest.param(of((2000, 1999)), 100.0, id="rounds-up-to-100"),
    ],
)
def test_score_of(assessments: list[_Assessment], score: float | None) -> None:
    assert score_of(assessments) == score


def test_missing_ticks_lower_the_score() -> None:
    rec = sli_record("s", "<= 200ms", JudgeRule.EVERY_TICK)
    full = judge_phase(rec, series_of([0.05] * 4), Phase.OBSERVE)
    gaps = judge_phase(rec, series_of([0.05, ND, ERR, 0.05]), Phase.OBSERVE)
    assert score_of([_Assessment(full)]) == 100.0  # type: ignore[arg-type]
    assert score_of([_Assessment(gaps)]) == 50.0  # type: ignore[arg-type]
