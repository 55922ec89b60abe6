"""The freshness rule as pure functions: which selector stands for a target, the one query that
checks a reading, how its answer is judged against the bound, and how the bound is derived."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pytest

from chaosrunner.core.freshness import (
    TERM_LABEL,
    FreshnessBound,
    Row,
    freshness_check,
    scrape_intervals,
    scraped_within_bound,
    stale_reason,
    stale_reasons,
    target_selector,
)
from chaosrunner.core.model import SliKind
from chaosrunner.core.promql import compile_sli, selectors

AT = 1_700_000_100.0
LAB = FreshnessBound({"demo": 1.0, "loadgen": 1.0})  # the lab scrapes every second: bound 3 s
DEMO = {"job": "demo", "instance": "127.0.0.1:18080"}
AVAILABILITY = compile_sli(
    SliKind.RATIO,
    {
        "ratio": {
            "good": 'sum(rate(demo_http_requests_total{route="/items/{id}",code!~"5.."}[10s]))',
            "total": 'sum(rate(demo_http_requests_total{route="/items/{id}"}[10s]))',
        }
    },
)


def row(kind: str, index: int, value: float, labels: Mapping[str, str] = DEMO) -> Row:
    return Row({**labels, TERM_LABEL: f"{kind}:{index}"}, value)


# -- which selector stands for the target -------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "target"),
    [
        pytest.param('x{code=~"5.."}', "x", id="bad-events-widen-to-the-family"),
        pytest.param(
            'x{job="demo",route="/a",instance=~"h:.*"}',
            'x{job="demo",instance=~"h:.*"}',
            id="target-labels-stay",
        ),
        pytest.param(
            'x{namespace="demo",pod!="p",code="500"}',
            'x{namespace="demo",pod!="p"}',
            id="kubernetes-target-labels-stay",
        ),
        pytest.param(
            '{__name__=~"demo_.*",code="500"}', '{__name__=~"demo_.*"}', id="name-matcher-stays"
        ),
        pytest.param('{code="500"}', '{code="500"}', id="nameless-selector-unchanged"),
    ],
)
def test_target_selector(selector: str, target: str) -> None:
    (sel,) = selectors(selector)
    assert target_selector(sel).text() == target


def test_a_bad_events_selector_and_its_total_share_one_target_level_check() -> None:
    check = freshness_check(AVAILABILITY, LAB)
    assert [s.text() for s in check.selectors] == ["demo_http_requests_total"]
    # One query for the whole reading: the newest sample per target; and the targets, among
    # those that exported the family within the 5 min lookback plus the 10 s range, that had no
    # successful scrape within their job's bound.
    assert check.query == (
        "label_replace(max by (job, instance) (timestamp(demo_http_requests_total)), "
        '"chaosrunner_term", "newest:0", "", "") or '
        "label_replace(max by (job, instance) ("
        '(max_over_time(up{job=~"demo|loadgen"}[3000ms]) '
        'or max_over_time(up{job!~"demo|loadgen"}[3000ms])) == 0 '
        "and on (job, instance) count_over_time(demo_http_requests_total[310s])), "
        '"chaosrunner_term", "down:0", "", "")'
    )


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        pytest.param(FreshnessBound(), "max_over_time(up[121000ms])", id="nothing-discovered"),
        pytest.param(
            FreshnessBound({"demo": 1.0}, override=2.5),
            "max_over_time(up[2500ms])",
            id="override",
        ),
        pytest.param(
            FreshnessBound({"a.b": 1.0, "c": 1.0, 'd"e': 15.0}),
            'max_over_time(up{job=~"a\\\\.b|c"}[3000ms]) '
            'or max_over_time(up{job=~"d\\"e"}[31000ms]) '
            'or max_over_time(up{job!~"a\\\\.b|c|d\\"e"}[31000ms])',
            id="jobs-grouped-by-bound-and-escaped",
        ),
    ],
)
def test_successful_scrapes_are_looked_for_within_each_jobs_bound(
    bound: FreshnessBound, expected: str
) -> None:
    assert scraped_within_bound(bound) == expected


def test_the_widest_window_of_a_repeated_selector_is_kept() -> None:
    growth = compile_sli(
        SliKind.GROWTH, {"growth": {"query": 'sum(go_goroutines{job="demo"})', "window": "5m"}}
    )
    check = freshness_check(growth)
    assert [(s.text(), s.window) for s in check.selectors] == [('go_goroutines{job="demo"}', 300)]
    assert "[600s]" in check.query


def test_a_query_without_selectors_needs_no_check() -> None:
    assert freshness_check("vector(1)").query == ""


def test_an_unreadable_query_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        freshness_check("sum(rate(x[5m])")


# -- judging the answer ---------------------------------------------------------------------


def test_a_recent_sample_from_an_up_target_is_fresh() -> None:
    check = freshness_check(AVAILABILITY)
    assert stale_reasons(check, [row("newest", 0, AT - 1.2)], AT, LAB) == ()
    assert stale_reason(check, [row("newest", 0, AT - 3.0)], AT, LAB) == ""


def test_a_sample_older_than_the_bound_is_stale_and_says_how_old() -> None:
    check = freshness_check(AVAILABILITY)
    assert stale_reasons(check, [row("newest", 0, AT - 7.24)], AT, LAB) == (
        "newest sample of demo_http_requests_total from demo 127.0.0.1:18080 is 7.2 s old at "
        "the tick (bound 3 s)",
    )


def test_a_down_target_is_stale_although_no_sample_is_old() -> None:
    # A failed scrape marks the target's series stale: no live sample is left to be old.
    check = freshness_check(AVAILABILITY)
    assert stale_reasons(check, [row("down", 0, 0.0)], AT, LAB) == (
        "target demo 127.0.0.1:18080 is down (up == 0: no scrape of it succeeded within the last 3 s) and the query "
        "reads demo_http_requests_total from it",
    )


def test_no_series_at_all_is_not_stale() -> None:
    # A bad-events family that never had a series, on a target that is up: nothing is old.
    check = freshness_check("sum(rate(demo_panics_total[10s])) or vector(0)")
    assert stale_reasons(check, [], AT, LAB) == ()


def test_one_stale_replica_among_fresh_ones_is_stale() -> None:
    check = freshness_check("sum(rate(x[10s]))")
    rows = [
        row("newest", 0, AT - 0.5, {"job": "demo", "instance": "a"}),
        row("newest", 0, AT - 9.0, {"job": "demo", "instance": "b"}),
        row("newest", 0, AT - 0.7, {"job": "demo", "instance": "c"}),
    ]
    (reason,) = stale_reasons(check, rows, AT, LAB)
    assert "from demo b is 9.0 s old" in reason


def test_each_job_has_its_own_bound() -> None:
    bound = FreshnessBound({"fast": 1.0, "slow": 30.0})
    check = freshness_check("a + b")
    rows = [
        row("newest", 0, AT - 20.0, {"job": "slow", "instance": "s"}),  # bound 61 s: fresh
        row("newest", 1, AT - 4.0, {"job": "fast", "instance": "f"}),  # bound 3 s: stale
    ]
    (reason,) = stale_reasons(check, rows, AT, bound)
    assert reason.startswith("newest sample of b from fast f is 4.0 s old")


def test_down_targets_come_first_and_are_grouped_and_the_line_is_bounded() -> None:
    check = freshness_check("a + b + c + d + e")
    rows = [row("down", i, 0.0) for i in range(2)] + [
        row("newest", i, AT - 100, {"job": "j", "instance": str(i)}) for i in range(5)
    ]
    reasons = stale_reasons(check, rows, AT, LAB)
    assert reasons[0] == (
        "target demo 127.0.0.1:18080 is down (up == 0: no scrape of it succeeded within the last 3 s) and the query "
        "reads a, b from it"
    )
    assert len(reasons) == 6
    line = stale_reason(check, rows, AT, LAB)
    assert line.count("; ") == 3 and line.endswith("and 3 more")


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param({}, id="no-term-label"),
        pytest.param({TERM_LABEL: "newest:7"}, id="index-out-of-range"),
        pytest.param({TERM_LABEL: "newest:x"}, id="index-not-a-number"),
        pytest.param({TERM_LABEL: "other:0"}, id="unknown-kind"),
    ],
)
def test_rows_that_are_not_ours_are_ignored(labels: dict[str, str]) -> None:
    check = freshness_check("a")
    assert stale_reasons(check, [Row({**DEMO, **labels}, AT - 1000)], AT, LAB) == ()


def test_a_nan_timestamp_is_ignored() -> None:
    assert stale_reasons(freshness_check("a"), [row("newest", 0, math.nan)], AT, LAB) == ()


# -- the bound ------------------------------------------------------------------------------


def test_the_bound_is_twice_the_jobs_scrape_interval_plus_one_second() -> None:
    bound = FreshnessBound({"demo": 1.0, "slow": 15.0})
    assert bound.seconds("demo") == 3.0
    assert bound.seconds("slow") == 31.0
    assert bound.seconds("unknown") == 31.0  # the largest interval found
    assert bound.seconds("") == 31.0


def test_without_discovered_intervals_the_bound_is_from_prometheus_default() -> None:
    assert FreshnessBound().seconds("demo") == 121.0
    assert "scrape intervals unknown" in FreshnessBound().describe()


def test_the_override_wins() -> None:
    bound = FreshnessBound({"demo": 1.0}, override=5.0)
    assert bound.seconds("demo") == bound.seconds("x") == 5.0
    assert bound.describe() == "freshness bound 5 s (prometheus.maxSampleAge)"


def test_the_bound_describes_itself_per_job() -> None:
    assert LAB.describe() == "freshness bound 2 × scrape interval + 1 s: demo 3 s, loadgen 3 s"


def test_scrape_intervals_keep_the_largest_per_job_and_skip_unreadable_ones() -> None:
    intervals = scrape_intervals(
        [("demo", "1s"), ("demo", "2s"), ("slow", "1m30s"), ("bad", "soon"), ("zero", "0s")]
    )
    assert dict(intervals) == {"demo": 2.0, "slow": 90.0}
