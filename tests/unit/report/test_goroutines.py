"""Goroutine-profile diffing on real debug=1 captures from the demo service.

The fixtures were captured from ``.cache/bin/demo-service`` (with its ``/debug/pprof/``):
``goroutine-leak.*``: before the leak hook started (baseline), 6 s and 10 s into a leak at 20
goroutines/s (blast, blast-late), and after ``/release`` (recovered); ``no-timeout.*``: with
``--redis-timeout 0`` against a Redis address that accepts and never answers, before and while
30 GET requests hung.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosrunner.core.errors import EvidenceError
from chaosrunner.core.goroutines import (
    Capture,
    Frame,
    diff_profiles,
    parse_goroutine_profile,
    top_user_frame,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEAK_FUNCTION = "chaosrunner.dev/demo/leakhook.(*leak).spawn.func1"


def profile(name: str) -> Capture:
    label = name.split(".", 1)[1]
    return Capture(label, parse_goroutine_profile((FIXTURES / f"{name}.txt").read_text()))


def test_parse_a_real_profile() -> None:
    blast = profile("goroutine-leak.blast").profile
    assert blast is not None
    assert blast.total == 127
    assert sum(s.count for s in blast.stacks) == blast.total
    top = blast.stacks[0]
    assert top.count == 120
    assert top.frames == (Frame(LEAK_FUNCTION, "/work/main/demo/leakhook/leak.go", 153),)
    assert str(top.frames[0]) == f"{LEAK_FUNCTION} (leak.go:153)"


def test_the_diff_names_the_leaking_stack_with_counts_per_capture() -> None:
    captures = [
        profile("goroutine-leak.baseline"),
        profile("goroutine-leak.blast"),
        profile("goroutine-leak.blast-late"),
        profile("goroutine-leak.recovered"),
    ]
    grown = diff_profiles(captures)
    leak = grown[0]
    assert leak.top is not None and leak.top.function == LEAK_FUNCTION
    assert leak.counts == (0, 120, 235, 0)
    assert leak.growth == 235
    assert all(g.growth < 5 for g in grown[1:])


def test_the_no_timeout_diff_points_at_the_hung_redis_call() -> None:
    grown = diff_profiles(
        [profile("no-timeout.baseline"), profile("no-timeout.blast")], own=("main.",)
    )
    by_top = {g.top.function: g for g in grown if g.top is not None}
    # 20 requests wait for Redis' reply and 10 wait for a pool connection, all from the handler
    hung = [g for g in grown if g.top is not None and g.top.function == "main.(*redisStore).Get"]
    assert sorted(g.growth for g in hung) == [10, 20]
    assert "github.com/redis/go-redis/v9/internal/proto.(*Reader).PeekReplyType" in {
        f.function for g in hung for f in g.frames
    }
    # the connection readers of the 30 hung requests: a standard-library-only stack, named by
    # the function its goroutines started in
    assert by_top["net/http.(*connReader).backgroundRead"].counts == (1, 31)


def test_without_own_prefixes_the_first_non_standard_frame_names_a_stack() -> None:
    grown = diff_profiles([profile("no-timeout.baseline"), profile("no-timeout.blast")])
    tops = {g.top.function for g in grown if g.top is not None}
    assert "github.com/redis/go-redis/v9/internal/proto.(*Reader).PeekReplyType" in tops


def test_a_missing_capture_is_none_not_zero() -> None:
    captures = [
        profile("goroutine-leak.baseline"),
        Capture("blast", None, "GET /debug/pprof/goroutine: connection refused"),
        profile("goroutine-leak.blast-late"),
    ]
    leak = diff_profiles(captures)[0]
    assert leak.counts == (0, None, 235)
    assert diff_profiles(captures[:2]) == ()  # one capture: nothing to diff


@pytest.mark.parametrize(
    ("function", "standard"),
    [
        pytest.param("runtime.gopark", True, id="runtime"),
        pytest.param("net/http.(*conn).serve", True, id="std-path"),
        pytest.param("internal/poll.runtime_pollWait", True, id="internal"),
        pytest.param("main.run.func1", False, id="main"),
        pytest.param("github.com/redis/go-redis/v9.(*baseClient).process", False, id="module"),
        pytest.param("chaosrunner.dev/demo/leakhook.(*leak).spawn.func1", False, id="own"),
    ],
)
def test_standard_library_frames(function: str, standard: bool) -> None:
    assert Frame(function, "x.go", 1).standard is standard


def test_top_user_frame_skips_the_standard_library() -> None:
    frames = (
        Frame("internal/poll.runtime_pollWait", "netpoll.go", 1),
        Frame("github.com/x/y.Read", "y.go", 2),
        Frame("main.handler", "main.go", 3),
    )
    assert top_user_frame(frames) == frames[1]
    assert top_user_frame(frames, own=("main.",)) == frames[2]
    assert top_user_frame(frames[:1]) == frames[0]
    assert top_user_frame(()) is None


def test_labelled_entries_of_one_stack_merge() -> None:
    text = (
        "goroutine profile: total 5\n"
        '2 @ 0x1 0x2\n# labels: {"a":"1"}\n#\t0x1\tmain.work+0x1\t/m.go:3\n\n'
        '3 @ 0x1 0x2\n# labels: {"a":"2"}\n#\t0x1\tmain.work+0x1\t/m.go:3\n'
    )
    parsed = parse_goroutine_profile(text)
    assert [(s.count, s.frames[0].function) for s in parsed.stacks] == [(5, "main.work")]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        pytest.param("", "line 1", id="empty"),
        pytest.param("goroutine 1 [running]:\nmain.main()\n", "line 1", id="debug-2-format"),
        pytest.param("goroutine profile: total 1\n1 @ 0x1\nnonsense\n", "line 3", id="junk"),
    ],
)
def test_not_a_profile_is_an_evidence_error_naming_the_line(text: str, where: str) -> None:
    with pytest.raises(EvidenceError, match=where):
        parse_goroutine_profile(text)
