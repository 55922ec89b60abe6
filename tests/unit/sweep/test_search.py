"""The breaking-point search (core/sweep.py): level choice, judgement, and the honest result."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chaosrunner.core.sweep import (
    Attempt,
    Outcome,
    SliWorst,
    SweepResult,
    conclude,
    next_level,
)
from chaosrunner.core.sweep_range import Strategy, SweepSpec, make_spec, parse_param
from chaosrunner.core.verdict import Verdict

P, F, A, INC, E = (
    Verdict.PASSED,
    Verdict.FAILED,
    Verdict.ABORTED,
    Verdict.INCONCLUSIVE,
    Verdict.ERROR,
)
Service = Callable[[float, int], Verdict]


def bisect(
    param: str = "latency=20ms..2s", resolution: str = "100ms", repeat: int = 1
) -> SweepSpec:
    return make_spec(parse_param(param), Strategy.BISECT, resolution=resolution, repeat=repeat)


def attempt(value: float, verdict: Verdict) -> Attempt:
    broke = verdict is Verdict.FAILED
    slis = (
        SliWorst(
            "p95-latency", "<= 200ms", "", 0.3 if broke else 0.1, broke, 4.0 if broke else None
        ),
        SliWorst(
            "availability", ">= 99.5%", "", 0.6 if broke else 1.0, broke, 2.0 if broke else None
        ),
    )
    return Attempt(value, verdict, f"l-{value}", f"r-{value}", slis)


def sweep(
    spec: SweepSpec, service: Service, stop_after: int | None = None
) -> tuple[list[float], SweepResult]:
    """Drive the search against a fake service (level, how often it ran) → verdict."""
    attempts: list[Attempt] = []
    order: list[float] = []
    while (value := next_level(spec, attempts)) is not None:
        if stop_after is not None and len(order) == stop_after:
            return order, conclude(spec, attempts, interrupted=True)
        order.append(value)
        attempts.append(attempt(value, service(value, order.count(value))))
        assert len(order) < 60, "the search does not end"
    return order, conclude(spec, attempts)


def timeout_at(limit: float) -> Service:
    return lambda v, _n: Verdict.PASSED if v < limit else Verdict.FAILED


def test_bisect_runs_both_ends_then_halves_the_bracket_to_the_resolution() -> None:
    order, result = sweep(bisect(), timeout_at(0.1))
    assert order[:3] == [0.02, 2.0, 1.01]
    assert result.outcome is Outcome.BOUNDARY
    holds, breaks = result.bracket.holds, result.bracket.breaks
    assert holds is not None and breaks is not None
    assert holds.value < 0.1 <= breaks.value
    assert breaks.value - holds.value <= 0.1
    assert len(order) == 7  # 2 ends + 5 halvings of 1.98 s down to 62 ms
    assert result.exit_code == 0


def test_the_sentence_names_the_sli_that_broke_first_and_both_levels() -> None:
    _, result = sweep(bisect("latency=20ms..260ms", "80ms"), timeout_at(0.1))
    assert result.sentence == (
        "availability (>= 99.5 %) holds up to latency 80ms and breaks at 140ms "
        "(p95-latency missed there too)"
    )
    assert result.first_broken == ("availability", "p95-latency")


def test_linear_runs_every_level_in_order_and_bisect_fewer() -> None:
    linear = make_spec(parse_param("workers=1..8"), Strategy.LINEAR, steps=8)
    order, result = sweep(linear, timeout_at(5))
    assert order == [1, 2, 3, 4, 5, 6, 7, 8]
    assert (result.bracket.holds and result.bracket.holds.value) == 4
    assert (result.bracket.breaks and result.bracket.breaks.value) == 5
    b_order, b_result = sweep(bisect("workers=1..8", "1"), timeout_at(5))
    assert b_order == [1, 8, 4, 6, 5]
    assert b_result.bracket == result.bracket


def test_linear_with_resolution_includes_the_top() -> None:
    spec = make_spec(parse_param("latency=20ms..100ms"), Strategy.LINEAR, resolution="30ms")
    assert spec.linear_levels() == (0.02, 0.05, 0.08, 0.1)


def test_everything_passed_is_no_boundary_up_to_the_top() -> None:
    order, result = sweep(bisect(), lambda _v, _n: P)
    assert order == [0.02, 2.0]
    assert result.outcome is Outcome.NO_BOUNDARY
    assert result.sentence.startswith("no boundary up to latency 2s")
    assert result.exit_code == 0


def test_the_lowest_level_already_breaking_is_said() -> None:
    order, result = sweep(bisect("rate=1..20", "2"), lambda _v, _n: F)
    assert order == [1]  # TO is not run: harm grows with intensity
    assert result.outcome is Outcome.BELOW_RANGE
    assert "breaks already at rate 1, the lowest level tried" in result.sentence
    assert result.exit_code == 0


def test_not_monotonic_names_the_levels_and_is_uncertain() -> None:
    spec = make_spec(parse_param("workers=1..5"), Strategy.LINEAR, steps=5)
    _, result = sweep(spec, lambda v, _n: F if v == 3 else P)
    assert result.outcome is Outcome.UNCERTAIN
    assert [(b.value, h.value) for b, h in result.not_monotonic] == [(3, 4), (3, 5)]
    assert "not monotonic: 3 broke (FAILED) but the higher 4 held" in result.sentence
    assert result.exit_code == 3


def test_inconclusive_in_the_bracket_makes_the_boundary_uncertain_there() -> None:
    def service(v: float, _n: int) -> Verdict:
        return INC if 0.5 < v < 1.5 else timeout_at(0.1)(v, _n)

    order, result = sweep(bisect(), service)
    assert 1.01 in order  # uncertain, and the search went on below it
    assert result.outcome is Outcome.BOUNDARY  # the uncertain level lies above the boundary
    assert result.exit_code == 0

    def middle(v: float, _n: int) -> Verdict:
        return INC if 0.1 <= v < 0.6 else timeout_at(0.1)(v, _n)

    _, result = sweep(bisect(), middle)
    assert result.outcome is Outcome.UNCERTAIN
    assert result.uncertain and all(0.1 <= u.value < 0.6 for u in result.uncertain)
    assert "was INCONCLUSIVE" in result.sentence
    assert result.exit_code == 3


def test_an_error_level_is_uncertain_never_a_pass_or_a_break() -> None:
    _, result = sweep(
        bisect("workers=1..8", "1"), lambda v, _n: E if v == 4 else timeout_at(5)(v, _n)
    )
    assert result.outcome is Outcome.UNCERTAIN
    assert [u.value for u in result.uncertain] == [4]


def test_every_level_an_error_exits_4() -> None:
    _, result = sweep(bisect(), lambda _v, _n: E)
    assert result.outcome is Outcome.NO_EVIDENCE
    assert result.exit_code == 4


def test_aborted_breaks_and_caps_the_search() -> None:
    linear = make_spec(parse_param("workers=1..8"), Strategy.LINEAR, steps=8)
    order, result = sweep(linear, lambda v, _n: A if v >= 3 else P)
    assert order == [1, 2, 3]  # never above the ABORTED level
    assert (result.bracket.breaks and result.bracket.breaks.value) == 3
    assert result.outcome is Outcome.BOUNDARY
    assert result.sentence == (
        "the service holds up to workers 2 and breaks at 3 (a guardrail aborted the run)"
    )

    order, _ = sweep(bisect("workers=1..8", "1"), lambda _v, _n: A)
    assert order == [1]  # the lowest level aborted: nothing above it is run


def test_repeat_runs_the_boundary_levels_until_they_agree() -> None:
    order, result = sweep(bisect("workers=1..8", "1", repeat=3), timeout_at(5))
    assert order.count(4) == 3 and order.count(5) == 3
    assert result.outcome is Outcome.BOUNDARY and not result.disagreements


def test_repeat_disagreement_is_reported_and_uncertain() -> None:
    def flaky(v: float, n: int) -> Verdict:
        if v == 5:
            return F if n == 1 else P
        return timeout_at(5)(v, n)

    order, result = sweep(bisect("workers=1..8", "1", repeat=2), flaky)
    assert order.count(5) == 2
    assert [d.value for d in result.disagreements] == [5]
    assert "the runs at 5 disagree (FAILED/PASSED)" in result.sentence
    assert result.outcome is Outcome.UNCERTAIN and result.exit_code == 3


def test_interruption_keeps_what_was_found_and_exits_as_an_interrupted_run() -> None:
    order, result = sweep(bisect(), timeout_at(0.1), stop_after=3)
    assert order == [0.02, 2.0, 1.01]
    assert (result.bracket.breaks and result.bracket.breaks.value) == 1.01
    assert result.interrupted and result.exit_code == 2
    assert result.sentence.startswith("availability (>= 99.5 %) holds up to latency 20ms")
    assert "interrupted: this is what the levels run so far show" in result.sentence


@pytest.mark.parametrize(
    ("text", "low", "high", "shown"),
    [
        pytest.param("latency=20ms..2s", 0.02, 2.0, "latency=20ms..2s", id="durations"),
        pytest.param("workers=1..8", 1, 8, "workers=1..8", id="integers"),
        pytest.param("rate=0.5..10", 0.5, 10, "rate=0.5..10", id="numbers"),
    ],
)
def test_ranges_parse_in_the_variables_unit(text: str, low: float, high: float, shown: str) -> None:
    param = parse_param(text)
    assert (param.low, param.high, param.text) == (low, high, shown)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param("latency", "does not name a variable", id="no-equals"),
        pytest.param("latency=20ms", "has no range FROM..TO", id="no-range"),
        pytest.param("latency=20ms..fast", "'fast' in 'latency=20ms..fast' is not", id="word"),
        pytest.param("latency=20ms..2", "mixes a duration and a number", id="mixed"),
        pytest.param("latency=2s..20ms", "goes nowhere; expected FROM below TO", id="reversed"),
    ],
)
def test_bad_ranges_name_the_flag_and_what_was_expected(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=r"^--param: ") as caught:
        parse_param(text)
    assert said in str(caught.value)
    assert "expected" in str(caught.value)


@pytest.mark.parametrize(
    ("param", "kwargs", "said"),
    [
        ("latency=20ms..2s", {"resolution": "10"}, "--resolution: '10' is not a duration"),
        ("workers=1..8", {"resolution": "0.5"}, "--resolution: '0.5' must be a whole number"),
        ("workers=1..8", {"steps": 3}, "--steps: a bisect sweep stops on --resolution"),
        ("workers=1..8", {"repeat": 0}, "--repeat: 0 runs; expected 1 or more"),
    ],
)
def test_bad_search_options_name_the_flag(param: str, kwargs: dict[str, object], said: str) -> None:
    with pytest.raises(ValueError, match=r"^--") as caught:
        make_spec(parse_param(param), Strategy.BISECT, **kwargs)  # type: ignore[arg-type]
    assert said in str(caught.value)


def test_levels_are_written_back_in_the_variables_unit() -> None:
    latency = parse_param("latency=20ms..2s")
    assert latency.format(latency.rounded(0.14375)) == "144ms"
    assert latency.format(2.0) == "2s"
    workers = parse_param("workers=1..8")
    assert workers.format(workers.rounded(4.5)) == "4"
