"""A rule that could never fail is rejected at validation, after variables are resolved; so is
a fault no probe tick would observe.

``judge: {rule: sustained, for: 20s}`` over a 10-second blast window (or a 6-second baseline)
could never be violated, so HELD would mean nothing. Ticks fall at 0, i, 2i, ... up to the
phase's length; the rule must be able to fail within the span they cover.
"""

from __future__ import annotations

import textwrap

import pytest

from chaosrunner.core import validate
from chaosrunner.core.model import Judge, JudgeRule, tick_span
from chaosrunner.core.plan import observing_tick
from tests.support import BASE

SCHEDULE = "  schedule: {baseline: 3s, blast: 5s, recovery: 4s, probeInterval: 1s}"


def text_with(judge_for: str, schedule: str, variables: str = "") -> str:
    text = BASE.replace(
        '        objective: "<= 200ms"\n',
        f'        objective: "<= 200ms"\n        judge: {{rule: sustained, for: {judge_for}}}\n',
    ).replace(SCHEDULE, f"  schedule: {schedule}")
    if variables:
        text = text.replace("spec:\n", f"spec:\n  variables:\n{variables}", 1)
    return text


def problems(text: str, **cli_vars: str) -> list[str]:
    found = validate.check(textwrap.dedent(text), "exp.yaml", cli_vars=cli_vars, environ={})
    return [str(p) for p in found]


def test_the_for_field_is_located() -> None:
    text = text_with("20s", "{baseline: 30s, blast: 10s, recovery: 4s, probeInterval: 2s}")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "rule: sustained" in t)
    column = text.splitlines()[line - 1].index("20s") + 1
    assert problems(text) == [
        f"exp.yaml:{line}:{column}: spec.steadyState.slis[1].judge.for: a breach must last 20s "
        "to count, but the blast window's ticks (10s at a probe interval of 2s) span only 10s, "
        "so this rule could never fail; expected at most 10s, or a longer blast window"
    ]


def test_a_short_baseline_is_named() -> None:
    text = text_with("20s", "{baseline: 6s, blast: 60s, recovery: 4s, probeInterval: 2s}")
    (problem,) = problems(text)
    assert "the baseline's ticks (6s at a probe interval of 2s) span only 6s" in problem
    assert problem.endswith("expected at most 6s, or a longer baseline")


@pytest.mark.parametrize(
    ("judge_for", "schedule", "ok"),
    [
        pytest.param(
            "9s",
            "{baseline: 10s, blast: 10s, recovery: 4s, probeInterval: 3s}",
            True,
            id="ticks-at-0-3-6-9-span-9s",
        ),
        pytest.param(
            "10s",
            "{baseline: 10s, blast: 10s, recovery: 4s, probeInterval: 3s}",
            False,
            id="a-10s-window-at-3s-spans-only-9s",
        ),
        pytest.param(
            "20s",
            "{baseline: 20s, blast: 20s, recovery: 4s, probeInterval: 2s}",
            True,
            id="exactly-the-span",
        ),
        pytest.param(
            "0s",
            "{baseline: 1s, blast: 1s, recovery: 4s, probeInterval: 1s}",
            True,
            id="no-duration-needed",
        ),
    ],
)
def test_the_tick_grid_decides(judge_for: str, schedule: str, ok: bool) -> None:
    assert (problems(text_with(judge_for, schedule)) == []) is ok


def test_variables_are_resolved_first() -> None:
    variables = "    window: {default: 2s}\n    blast: {default: 10s}\n"
    text = text_with(
        "'${window}'",
        "{baseline: 30s, blast: '${blast}', recovery: 4s, probeInterval: 1s}",
        variables,
    )
    assert problems(text) == []
    assert any("could never fail" in p for p in problems(text, window="20s"))
    assert problems(text, window="20s", blast="20s") == []


@pytest.mark.parametrize(
    ("seconds", "interval", "span"),
    [(10.0, 2.0, 10.0), (10.0, 3.0, 9.0), (0.3, 0.1, 0.3), (5.0, 10.0, 0.0), (5.0, 0.0, 0.0)],
)
def test_tick_span(seconds: float, interval: float, span: float) -> None:
    assert tick_span(seconds, interval) == pytest.approx(span)


def test_only_sustained_needs_time() -> None:
    assert not Judge(JudgeRule.SUSTAINED, sustain_seconds=20.0).can_fail_within(10.0)
    assert Judge(JudgeRule.SUSTAINED, sustain_seconds=20.0).can_fail_within(20.0)
    for rule in (JudgeRule.EVERY_TICK, JudgeRule.TICKS_RATIO, JudgeRule.MEAN, JudgeRule.FINAL):
        assert Judge(rule).can_fail_within(0.0)


# -- a fault no probe tick would observe --------------------------------------------------------

ONE_FAULT = """    - name: pause-backend
      type: process-pause
      target: backend
"""


def faults_text(faults: str, schedule: str, order: str = "") -> str:
    text = BASE.replace(ONE_FAULT, faults).replace(SCHEDULE, f"  schedule: {schedule}")
    return text.replace("  faults:\n", f"  faultOrder: {order}\n  faults:\n") if order else text


def located(text: str, needle: str, occurrence: int = 1) -> str:
    """FILE:LINE:COLUMN of the ``occurrence``-th line holding ``needle``, at its value."""
    lines = [(i, t) for i, t in enumerate(text.splitlines(), 1) if needle in t]
    line, t = lines[occurrence - 1]
    return f"exp.yaml:{line}:{t.index(needle) + len(needle) + 2}"


def test_a_fault_after_the_last_tick_is_rejected_at_its_after() -> None:
    # Ticks at 0, 2 and 4 seconds into a 5-second window; the fault runs from 4.5s to 5s.
    text = faults_text(
        ONE_FAULT + "      after: 4500ms\n",
        "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
    )
    assert problems(text) == [
        f"{located(text, 'after:')}: spec.faults[0].after: the fault would be active from 4.5s "
        "to 5s, but no probe tick of the blast window (every 2s from 0s to 4s) falls after its "
        "start and before its end, so the hypotheses would never see the system under this "
        "fault; expected it to start before 4s, the blast window's last tick"
    ]


def test_a_fault_between_two_ticks_is_rejected_at_its_duration() -> None:
    # Ticks every 2s; the fault runs from 2.5s to 3.5s, removed before the tick at 4s.
    text = faults_text(
        ONE_FAULT + "      after: 2500ms\n      duration: 1s\n",
        "{baseline: 4s, blast: 10s, recovery: 4s, probeInterval: 2s}",
    )
    (problem,) = problems(text)
    assert problem.startswith(f"{located(text, 'duration:')}: spec.faults[0].duration: ")
    assert problem.endswith("expected it to last past 4s, the next tick after its start")


def test_serial_faults_are_each_held_to_a_tick() -> None:
    # The second fault starts when the first ends, at 2s: the tick due then samples before
    # it is confirmed, and it is removed at 3.5s, before the tick at 4s.
    text = faults_text(
        ONE_FAULT
        + "      duration: 2s\n"
        + ONE_FAULT.replace("pause-backend", "second")
        + "      duration: 1500ms\n",
        "{baseline: 4s, blast: 10s, recovery: 4s, probeInterval: 2s}",
        order="serial",
    )
    (problem,) = problems(text)
    assert problem.startswith(f"{located(text, 'duration:', 2)}: spec.faults[1].duration: ")
    assert "active from 2s to 3.5s" in problem


@pytest.mark.parametrize(
    ("fault", "schedule", "ok"),
    [
        pytest.param(
            ONE_FAULT + "      after: 3500ms\n",
            "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
            True,
            id="the-last-tick-sees-it",
        ),
        pytest.param(
            ONE_FAULT + "      after: 4s\n",
            "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
            False,
            id="starting-on-the-last-tick-is-too-late",
        ),
        pytest.param(
            ONE_FAULT + "      duration: 100ms\n",
            "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
            True,
            id="at-0s-the-first-tick-sees-it",
        ),
        pytest.param(
            ONE_FAULT + "      after: 1s\n      duration: 1s\n",
            "{baseline: 4s, blast: 5s, recovery: 4s, probeInterval: 2s}",
            False,
            id="removed-before-the-tick-at-its-end",
        ),
        pytest.param(
            ONE_FAULT + "      after: 3s\n",
            "{baseline: 4s, blast: 4s, recovery: 4s, probeInterval: 2s}",
            True,
            id="to-the-window-end-the-last-tick-sees-it",
        ),
    ],
)
def test_a_tick_must_fall_under_every_fault(fault: str, schedule: str, ok: bool) -> None:
    found = problems(faults_text(fault, schedule))
    assert (found == []) is ok, found


@pytest.mark.parametrize(
    ("start", "end", "blast", "interval", "tick"),
    [
        (0.0, 0.1, 5.0, 2.0, 0.0),
        (0.5, 5.0, 5.0, 2.0, 2.0),
        (2.0, 5.0, 5.0, 2.0, 4.0),
        (4.5, 5.0, 5.0, 2.0, None),
        (2.5, 4.0, 10.0, 2.0, None),
        (2.5, 4.001, 10.0, 2.0, 4.0),
        (0.3, 0.6, 1.0, 0.1, 0.4),
        (3.0, 4.0, 4.0, 2.0, 4.0),
    ],
)
def test_observing_tick(
    start: float, end: float, blast: float, interval: float, tick: float | None
) -> None:
    found = observing_tick(start, end, blast, interval)
    assert found == (None if tick is None else pytest.approx(tick))
