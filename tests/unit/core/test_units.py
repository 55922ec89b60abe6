"""Durations, percentages, objectives and comparators: the small value languages."""

from __future__ import annotations

import math

import pytest

from chaosrunner.core.units import (
    Comparator,
    Objective,
    format_duration,
    parse_duration,
    parse_objective,
    parse_percent,
)

NAN = math.nan
INF = math.inf


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("500ms", 0.5, id="ms"),
        pytest.param("30s", 30.0, id="s"),
        pytest.param("1.5s", 1.5, id="fractional-s"),
        pytest.param("5m", 300.0, id="m"),
        pytest.param("1m30s", 90.0, id="m-s"),
        pytest.param("2h", 7200.0, id="h"),
        pytest.param("1h30m", 5400.0, id="h-m"),
        pytest.param("1h1m1s250ms", 3661.25, id="every-unit"),
        pytest.param("0s", 0.0, id="zero"),
        pytest.param("1.5h", 5400.0, id="fractional-h"),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds, abs=1e-12)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("30", id="no-unit"),
        pytest.param("30x", id="unknown-unit"),
        pytest.param("-1s", id="negative"),
        pytest.param("1 s", id="inner-space"),
        pytest.param(" 1s", id="leading-space"),
        pytest.param("s", id="unit-only"),
        pytest.param(".5s", id="no-leading-digit"),
        pytest.param("1w", id="weeks"),
        pytest.param("1S", id="uppercase"),
        pytest.param("1s\n", id="trailing-newline"),
    ],
)
def test_parse_duration_rejects_with_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration; expected e\.g\. 500ms") as info:
        parse_duration(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(0.0, "0ms", id="zero"),
        pytest.param(0.5, "500ms", id="sub-second"),
        pytest.param(1.5, "1500ms", id="fractional"),
        pytest.param(1.0, "1s", id="one-second"),
        pytest.param(30.0, "30s", id="seconds"),
        pytest.param(60.0, "1m", id="minute"),
        pytest.param(90.0, "1m30s", id="minute-seconds"),
        pytest.param(3600.0, "1h", id="hour"),
        pytest.param(3601.0, "1h1s", id="hour-second"),
        pytest.param(7260.0, "2h1m", id="hours-minutes"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    "seconds",
    [0.0, 0.001, 0.25, 1.0, 1.5, 59.0, 59.999, 60.0, 61.0, 90.0, 3599.0, 3600.0, 3661.0, 86400.0],
)
def test_format_then_parse_round_trips(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-9)


@pytest.mark.parametrize("text", ["500ms", "30s", "1m30s", "2h", "1h1m1s", "1m", "250ms"])
def test_parse_then_format_is_canonical(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        pytest.param("95%", 0.95, id="whole"),
        pytest.param("99.5%", 0.995, id="fractional"),
        pytest.param("100%", 1.0, id="hundred"),
        pytest.param("0%", 0.0, id="zero"),
        pytest.param("0.1%", 0.001, id="small"),
    ],
)
def test_parse_percent(text: str, fraction: float) -> None:
    assert parse_percent(text) == pytest.approx(fraction, abs=1e-15)


@pytest.mark.parametrize("text", ["", "95", "-5%", "abc%", "95 %", "%", "9.5.1%", "95%%"])
def test_parse_percent_rejects_with_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a percentage; expected e\.g\. 95%"):
        parse_percent(text)


@pytest.mark.parametrize(
    ("text", "comparator", "threshold", "normalised"),
    [
        pytest.param(">= 99.5%", Comparator.GE, 0.995, ">= 99.5%", id="percent"),
        pytest.param("<= 200ms", Comparator.LE, 0.2, "<= 200ms", id="milliseconds"),
        pytest.param("< 0.7%", Comparator.LT, 0.007, "< 0.7%", id="small-percent"),
        pytest.param("> 1e3", Comparator.GT, 1000.0, "> 1e3", id="exponent"),
        pytest.param("> 2.5E-2", Comparator.GT, 0.025, "> 2.5E-2", id="exponent-upper"),
        pytest.param("== 0", Comparator.EQ, 0.0, "== 0", id="equal"),
        pytest.param("!= -1", Comparator.NE, -1.0, "!= -1", id="negative"),
        pytest.param("<= 2s", Comparator.LE, 2.0, "<= 2s", id="seconds"),
        pytest.param("<= 5m", Comparator.LE, 300.0, "<= 5m", id="minutes"),
        pytest.param("<= 1h", Comparator.LE, 3600.0, "<= 1h", id="hours"),
        pytest.param("<= 14.4", Comparator.LE, 14.4, "<= 14.4", id="plain-number"),
        pytest.param("  >=   99%  ", Comparator.GE, 0.99, ">= 99%", id="spaces-collapsed"),
        pytest.param(">=99%", Comparator.GE, 0.99, ">=99%", id="no-space"),
        pytest.param("<= 200 ms", Comparator.LE, 0.2, "<= 200 ms", id="space-before-unit"),
    ],
)
def test_parse_objective(
    text: str, comparator: Comparator, threshold: float, normalised: str
) -> None:
    objective = parse_objective(text)
    assert objective.comparator is comparator
    assert objective.threshold == pytest.approx(threshold, rel=1e-12, abs=1e-15)
    assert objective.text == normalised
    assert str(objective) == normalised


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("99.5%", id="no-comparator"),
        pytest.param(">=", id="no-number"),
        pytest.param("=> 1", id="reversed-comparator"),
        pytest.param("= 1", id="single-equals"),
        pytest.param(">= abc", id="not-a-number"),
        pytest.param(">= 1.2.3", id="two-dots"),
        pytest.param(">= 5x", id="unknown-unit"),
        pytest.param(">= 5 %%", id="double-percent"),
        pytest.param(">= 1 or 2", id="trailing-words"),
        pytest.param("<= nan", id="nan"),
        pytest.param("<= inf", id="inf"),
        pytest.param(">= 1e999", id="exponent-overflows"),
        pytest.param(">= " + "9" * 400, id="digits-overflow"),
    ],
)
def test_parse_objective_rejects_with_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected a comparator and a number") as info:
        parse_objective(text)
    assert "'>= 99.5%'" in str(info.value)


def test_objective_holds_uses_comparator_and_threshold() -> None:
    objective = Objective(Comparator.LE, 0.2, "<= 200ms")
    assert objective.holds(0.2)
    assert not objective.holds(0.2000001)


@pytest.mark.parametrize(
    ("comparator", "value", "threshold", "expected"),
    [
        pytest.param(Comparator.LE, 1.0, 1.0, True, id="le-equal"),
        pytest.param(Comparator.LE, 0.9, 1.0, True, id="le-below"),
        pytest.param(Comparator.LE, 1.1, 1.0, False, id="le-above"),
        pytest.param(Comparator.LT, 1.0, 1.0, False, id="lt-equal"),
        pytest.param(Comparator.LT, 0.9, 1.0, True, id="lt-below"),
        pytest.param(Comparator.LT, 1.1, 1.0, False, id="lt-above"),
        pytest.param(Comparator.GE, 1.0, 1.0, True, id="ge-equal"),
        pytest.param(Comparator.GE, 0.9, 1.0, False, id="ge-below"),
        pytest.param(Comparator.GE, 1.1, 1.0, True, id="ge-above"),
        pytest.param(Comparator.GT, 1.0, 1.0, False, id="gt-equal"),
        pytest.param(Comparator.GT, 0.9, 1.0, False, id="gt-below"),
        pytest.param(Comparator.GT, 1.1, 1.0, True, id="gt-above"),
        pytest.param(Comparator.EQ, 1.0, 1.0, True, id="eq-equal"),
        pytest.param(Comparator.EQ, 1.1, 1.0, False, id="eq-differs"),
        pytest.param(Comparator.NE, 1.0, 1.0, False, id="ne-equal"),
        pytest.param(Comparator.NE, 1.1, 1.0, True, id="ne-differs"),
        pytest.param(Comparator.LE, INF, 1.0, False, id="le-inf"),
        pytest.param(Comparator.GE, INF, 1.0, True, id="ge-inf"),
        pytest.param(Comparator.GE, -INF, 1.0, False, id="ge-minus-inf"),
    ],
)
def test_comparator_holds(
    comparator: Comparator, value: float, threshold: float, expected: bool
) -> None:
    assert comparator.holds(value, threshold) is expected


@pytest.mark.parametrize("comparator", list(Comparator), ids=lambda c: c.name)
@pytest.mark.parametrize("threshold", [0.0, 1.0, -1.0, INF], ids=["0", "1", "-1", "inf"])
def test_nan_never_holds(comparator: Comparator, threshold: float) -> None:
    assert comparator.holds(NAN, threshold) is False


@pytest.mark.parametrize(
    ("comparator", "wants_low"),
    [
        pytest.param(Comparator.LE, True, id="le"),
        pytest.param(Comparator.LT, True, id="lt"),
        pytest.param(Comparator.GE, False, id="ge"),
        pytest.param(Comparator.GT, False, id="gt"),
        pytest.param(Comparator.EQ, False, id="eq"),
        pytest.param(Comparator.NE, False, id="ne"),
    ],
)
def test_wants_low(comparator: Comparator, wants_low: bool) -> None:
    assert comparator.wants_low is wants_low


def test_every_comparator_is_covered() -> None:
    assert {c.value for c in Comparator} == {"<=", "<", ">=", ">", "==", "!="}


def test_parse_duration_reads_days_for_slo_windows() -> None:
    assert parse_duration("30d") == 30 * 86400.0
    assert parse_duration("1d12h") == 36 * 3600.0
