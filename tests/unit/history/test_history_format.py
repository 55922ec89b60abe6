"""`chaosrunner history`'s lines: newest first, verdict and score, and the main gaps in the
objective's unit."""

from __future__ import annotations

from chaosrunner.core.history import history_lines, main_gaps
from chaosrunner.core.trends import RunSummary, SliPoint
from chaosrunner.core.units import Comparator

OCT_29 = 1_793_232_000.0  # 2026-10-29 00:00 UTC
NOV_29 = OCT_29 + 31 * 86_400 + 10 * 3600


def avail(worst: float | None, recovered: bool | None = True) -> SliPoint:
    return SliPoint(
        "availability", ">= 99.5%", Comparator.GE, 0.995, "ratio", worst, 12.0, recovered
    )


def latency(worst: float | None) -> SliPoint:
    return SliPoint("latency", "<= 200ms", Comparator.LE, 0.2, "seconds", worst, 3.0, True)


def test_runs_are_listed_newest_first_with_their_gaps() -> None:
    old = RunSummary(
        "redis-timeout", "lab", "r-old", OCT_29, "FAILED", 40.0, (avail(0.6288), latency(0.9))
    )
    new = RunSummary(
        "redis-timeout", "lab", "r-new", NOV_29, "PASSED", 100.0, (avail(0.999), latency(0.05))
    )
    assert history_lines([old, new]) == [
        "2026-11-29 10:00 UTC  redis-timeout  env lab  PASSED       score 100   run r-new",
        "    every objective held in the blast window; recovered within 12.0 s",
        "2026-10-29 00:00 UTC  redis-timeout  env lab  FAILED       score 40    run r-old",
        "    missed: availability worst 62.9 % (>= 99.5%), latency worst 900 ms (<= 200ms); "
        "recovered within 12.0 s",
    ]


def test_gaps_are_limited_and_say_what_did_not_recover() -> None:
    slis = tuple(
        SliPoint(f"s{i}", "<= 1", Comparator.LE, 1.0, "", 2.0, None, False) for i in range(5)
    )
    run = RunSummary("e", "lab", "r", OCT_29, "FAILED", 0.0, slis)
    assert main_gaps(run) == (
        "missed: s0 worst 2 (<= 1), s1 worst 2 (<= 1), s2 worst 2 (<= 1), and 2 more; "
        "not recovered: s0, s1, s2, s3, s4"
    )


def test_a_run_without_evidence_says_so() -> None:
    run = RunSummary("e", "lab", "r", OCT_29, "ERROR", None, (avail(None, None),))
    assert main_gaps(run) == "no value in the blast window"
    assert "score —" in history_lines([run])[0]
    assert main_gaps(RunSummary("e", "lab", "r", OCT_29, "ERROR", None)) == "no SLIs recorded"
