"""Durations, percentages and objectives: the schema and the parsers accept exactly the same text.

The schema is read by Python's ``re.search`` (our validator) and by editors; the parsers by
``re.match``. A string one accepts and the other refuses is a crash waiting in the builder (the
schema once accepted ``"30s\\n"`` and ``parse_duration`` then raised).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from chaosrunner.core.schema import experiment_schema
from chaosrunner.core.units import parse_duration, parse_objective, parse_percent

ODD = [
    "30s\n", "30s\r\n", "\n30s", " 30s", "30s ", "30s\t", "3 0s", "٣٠s", "30s\n\n", "",
    "99.5%\n", " 99.5% ", "99.5 %", "٩٩%", "99.5%\n",
    ">= 99%\n", "\t>= 99%", ">=\n99%", ">= ٩٩%", "\n>= 99%",
]  # fmt: skip
GOOD = [
    "30s",
    "1m30s",
    "500ms",
    "1.5h",
    "99.5%",
    "0%",
    ">= 99%",
    "  >=   99%  ",
    "<= 200ms",
    "< 0.7%",
]


def _patterns() -> dict[str, str]:
    schema = experiment_schema()
    sched = schema["properties"]["spec"]["properties"]["schedule"]["properties"]
    radius = schema["properties"]["spec"]["properties"]["blastRadius"]["properties"]
    sli = schema["properties"]["spec"]["properties"]["steadyState"]["properties"]["slis"]
    return {
        "duration": sched["blast"]["pattern"],
        "percent": radius["maxPercent"]["pattern"],
        "objective": sli["items"]["properties"]["objective"]["pattern"],
    }


PARSERS: dict[str, Callable[[str], Any]] = {
    "duration": parse_duration,
    "percent": parse_percent,
    "objective": parse_objective,
}


def _parses(kind: str, text: str) -> bool:
    try:
        PARSERS[kind](text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("text", ODD + GOOD)
def test_schema_and_parser_agree(kind: str, text: str) -> None:
    in_schema = re.search(_patterns()[kind], text) is not None
    assert in_schema == _parses(kind, text), (kind, text)


@pytest.mark.parametrize("text", ODD)
def test_odd_whitespace_and_digits_are_refused_by_the_parsers(text: str) -> None:
    assert not any(_parses(kind, text) for kind in PARSERS), text


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        pytest.param(parse_duration, "30s\n", id="duration"),
        pytest.param(parse_percent, " 99.5% ", id="percent"),
        pytest.param(parse_objective, ">= 99%\n", id="objective"),
    ],
)
def test_the_parsers_say_what_was_expected(parse: Callable[[str], Any], text: str) -> None:
    with pytest.raises(ValueError, match=r"expected .*e\.g\."):
        parse(text)


def test_an_objective_with_many_spaces_is_not_a_regex_bomb() -> None:
    import time

    text = "<= 1" + " " * 200_000 + "x"
    started = time.process_time()
    assert re.search(_patterns()["objective"], text) is None
    assert not _parses("objective", text)
    assert time.process_time() - started < 0.5
