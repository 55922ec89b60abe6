"""schedule_faults (parallel and serial) and make_plan."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import (
    BlastRadius,
    DriverKind,
    Environment,
    Experiment,
    Fault,
    FaultOrder,
    Metadata,
    PrometheusConfig,
    Schedule,
)
from chaosrunner.core.plan import ScheduleError, make_plan, schedule_faults

PARALLEL = FaultOrder.PARALLEL
SERIAL = FaultOrder.SERIAL

Items = list[tuple[float, float | None]]


@pytest.mark.parametrize(
    ("items", "order", "spans"),
    [
        pytest.param([], PARALLEL, [], id="no-faults"),
        pytest.param([(0.0, None)], PARALLEL, [(0.0, 60.0)], id="parallel-whole-window"),
        pytest.param([(10.0, None)], PARALLEL, [(10.0, 60.0)], id="parallel-after-to-the-end"),
        pytest.param([(50.0, 10.0)], PARALLEL, [(50.0, 60.0)], id="parallel-exact-fit"),
        pytest.param(
            [(0.0, 10.0), (5.0, 20.0), (30.0, None)],
            PARALLEL,
            [(0.0, 10.0), (5.0, 25.0), (30.0, 60.0)],
            id="parallel-all-count-from-the-start",
        ),
        pytest.param([(0.0, None)], SERIAL, [(0.0, 60.0)], id="serial-single"),
        pytest.param([(10.0, 20.0)], SERIAL, [(10.0, 30.0)], id="serial-single-after"),
        pytest.param(
            [(0.0, 10.0), (5.0, 20.0), (0.0, None)],
            SERIAL,
            [(0.0, 10.0), (15.0, 35.0), (35.0, 60.0)],
            id="serial-after-counts-from-the-previous-end",
        ),
        pytest.param(
            [(0.0, 30.0), (0.0, 30.0)],
            SERIAL,
            [(0.0, 30.0), (30.0, 60.0)],
            id="serial-exact-fit",
        ),
        pytest.param(
            [(0.0, 0.1), (0.0, 0.2)],
            SERIAL,
            [(0.0, 0.1), (0.1, pytest.approx(0.3))],
            id="serial-float-sums",
        ),
    ],
)
def test_schedule_faults(items: Items, order: FaultOrder, spans: list[tuple[float, float]]) -> None:
    assert schedule_faults(items, 60.0, order) == spans


@pytest.mark.parametrize(
    ("items", "order", "index", "field", "message"),
    [
        pytest.param(
            [(0.0, None), (0.0, 10.0)],
            SERIAL,
            0,
            "duration",
            "in serial order every fault but the last needs a duration",
            id="serial-open-ended-not-last",
        ),
        pytest.param(
            [(0.0, 10.0), (0.0, None), (0.0, 10.0)],
            SERIAL,
            1,
            "duration",
            "in serial order every fault but the last needs a duration",
            id="serial-open-ended-in-the-middle",
        ),
        pytest.param(
            [(0.0, 10.0), (30.0, 40.0)],
            PARALLEL,
            1,
            "duration",
            "the fault would run from 30s to 70s; expected it to fit the blast window of 1m",
            id="parallel-too-long",
        ),
        pytest.param(
            [(0.0, 30.0), (0.0, 40.0)],
            SERIAL,
            1,
            "duration",
            "the fault would run from 30s to 70s; expected it to fit the blast window of 1m",
            id="serial-overflows",
        ),
        pytest.param(
            [(0.0, 30.0), (40.0, None)],
            SERIAL,
            1,
            "after",
            "the fault would run from 70s to 60s; expected it to fit the blast window of 1m",
            id="serial-starts-after-the-window",
        ),
        pytest.param(
            [(70.0, None)],
            PARALLEL,
            0,
            "after",
            "the fault would run from 70s to 60s; expected it to fit the blast window of 1m",
            id="parallel-starts-after-the-window",
        ),
        pytest.param(
            [(0.0, 10.0), (60.0, None)],
            PARALLEL,
            1,
            "after",
            "the fault would run from 60s to 60s; expected it to fit the blast window of 1m",
            id="parallel-starts-at-the-end",
        ),
    ],
)
def test_schedule_errors_name_the_fault(
    items: Items, order: FaultOrder, index: int, field: str, message: str
) -> None:
    with pytest.raises(ScheduleError) as info:
        schedule_faults(items, 60.0, order)
    assert info.value.index == index
    assert info.value.field == field
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


def test_an_explicit_zero_duration_blames_the_duration() -> None:
    with pytest.raises(ScheduleError) as info:
        schedule_faults([(0.0, 0.0)], 60.0, PARALLEL)
    assert info.value.field == "duration"


def _fault(name: str, kind: str, after: float, duration: float | None, **params: str) -> Fault:
    return Fault(name, kind, "backend", MappingProxyType(params), after, duration)


def _experiment(order: FaultOrder, *faults: Fault) -> Experiment:
    return Experiment(
        source="exp.yaml",
        metadata=Metadata("unit-exp"),
        env=Environment("lab", DriverKind.LOCAL, PrometheusConfig("http://127.0.0.1:9090")),
        targets={},
        slis=(),
        guardrails=(),
        faults=faults,
        fault_order=order,
        schedule=Schedule(
            baseline=10.0, blast=60.0, recovery=30.0, probe_interval=1.0, expiry_margin=15.0
        ),
        blast_radius=BlastRadius(),
    )


def test_make_plan() -> None:
    plan = make_plan(
        _experiment(
            SERIAL,
            _fault("pause-a", "process-pause", 0.0, 20.0),
            _fault("kill-b", "process-kill", 5.0, None, signal="KILL"),
        )
    )
    assert plan.total_seconds == 100.0
    first, second = plan.faults
    assert (first.start, first.end, first.duration, first.expiry) == (0.0, 20.0, 20.0, 35.0)
    assert (second.start, second.end, second.duration, second.expiry) == (25.0, 60.0, 35.0, 50.0)
    assert first.kind is REGISTRY["process-pause"]
    assert second.kind is REGISTRY["process-kill"]
    assert first.describe() == (
        "pause-a: process-pause on target backend at +0ms..+20s (no parameters); "
        "expires on its own after 35s"
    )
    assert second.describe() == (
        "kill-b: process-kill on target backend at +25s..+1m (signal=KILL); "
        "expires on its own after 50s"
    )


def test_make_plan_raises_the_schedule_error() -> None:
    experiment = _experiment(PARALLEL, _fault("pause-a", "process-pause", 0.0, 90.0))
    with pytest.raises(ScheduleError) as info:
        make_plan(experiment)
    assert info.value.index == 0
    ok = replace(experiment, schedule=replace(experiment.schedule, blast=90.0))
    assert [(p.start, p.end) for p in make_plan(ok).faults] == [(0.0, 90.0)]
