from __future__ import annotations

from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.gate import (
    FAULT_CLASSES,
    CoverageRequirement,
    Exercised,
    Gap,
    uncovered,
)

REQ = (
    CoverageRequirement("network-latency", ("redis", "postgres")),
    CoverageRequirement("pod-kill"),
    CoverageRequirement("goroutine-leak"),
)


def test_every_required_class_and_target_is_reported_when_nothing_covers_it() -> None:
    assert uncovered(REQ, []) == (
        Gap("network-latency", "redis"),
        Gap("network-latency", "postgres"),
        Gap("pod-kill"),
        Gap("goroutine-leak"),
    )


def test_fault_kinds_cover_their_class_on_their_target_only() -> None:
    exercised = [
        Exercised("redis-timeout", "network-delay", "redis"),
        Exercised("demo-kill", "process-kill", "demo"),
        Exercised("leak", "goroutine-leak", "demo"),
    ]
    assert uncovered(REQ, exercised) == (Gap("network-latency", "postgres"),)
    assert (
        "'network-latency' is not exercised against 'postgres'"
        in Gap("network-latency", "postgres").describe()
    )


def test_a_class_is_not_covered_by_another_class_on_the_right_target() -> None:
    exercised = [Exercised("p", "network-partition", "redis")]
    assert Gap("network-latency", "redis") in uncovered(REQ, exercised)


def test_pod_kill_is_covered_by_a_pod_or_process_kill() -> None:
    for kind in ("pod-kill", "process-kill", "container-kill"):
        assert uncovered([CoverageRequirement("pod-kill")], [Exercised("e", kind, "x")]) == ()


def test_every_fault_kind_maps_to_a_class() -> None:
    unmapped = set(REGISTRY) - set(FAULT_CLASSES) - {"raw-manifest"}
    assert unmapped == set()
