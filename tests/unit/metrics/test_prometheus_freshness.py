"""The Prometheus adapter's freshness check, against an in-test stand-in for the client library
(the real Prometheus is in tests/integration/test_freshness_prometheus.py): which requests it
makes, at which time, and how their answers become OK, STALE or ERROR readings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.core.freshness import TERM_LABEL
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import PrometheusConfig

AT = 1_700_000_100.0
QUERY = 'sum(rate(demo_http_requests_total{code!~"5.."}[10s])) / sum(rate(demo_http_requests_total[10s]))'
DEMO = {"job": "demo", "instance": "127.0.0.1:18080"}
TARGETS = {
    "activeTargets": [
        {"labels": DEMO, "scrapeInterval": "1s"},
        {"labels": {"job": "loadgen", "instance": "x"}, "scrapeInterval": "15s"},
        {"labels": {"job": "old"}, "discoveredLabels": {"__scrape_interval__": "2s"}},
    ]
}


def series(kind: str, value: float, labels: dict[str, str] = DEMO) -> dict[str, Any]:
    return {"metric": {**labels, TERM_LABEL: f"{kind}:0"}, "value": [AT, repr(value)]}


class FakeClient:
    """Answers ``custom_query`` from a function of the query; records every call."""

    def __init__(self, answer: Callable[[str], Any], targets: Any = TARGETS) -> None:
        self.answer = answer
        self.targets = targets
        self.calls: list[tuple[str, str | None]] = []

    def custom_query(self, query: str, params: dict[str, str] | None = None) -> Any:
        self.calls.append((query, (params or {}).get("time")))
        result = self.answer(query)
        if isinstance(result, Exception):
            raise result
        return result

    def get_targets(self, state: str | None = None) -> Any:
        if isinstance(self.targets, Exception):
            raise self.targets
        return self.targets


def source(answer: Callable[[str], Any], **kw: Any) -> tuple[PrometheusSource, FakeClient]:
    config = PrometheusConfig("http://127.0.0.1:9", max_sample_age=kw.pop("age", None))
    client = FakeClient(answer, **kw)
    src = PrometheusSource(config, client=client)
    return src, client


def answers(value: Any, freshness: Any, behind: float = 0.0) -> Callable[[str], Any]:
    """``value`` for the reading, ``freshness`` for its check; Prometheus' clock is ``behind``."""

    def answer(query: str) -> Any:
        now = time.time() - behind
        if query == "time()":
            return [now, repr(now)]
        if query == "vector(1)":
            return [{"metric": {}, "value": [now, "1"]}]
        if TERM_LABEL in query:
            return freshness
        return value

    return answer


VALUE = [{"metric": {}, "value": [AT, "0.998"]}]


def test_fresh_data_gives_the_value_and_both_queries_are_pinned_to_the_tick() -> None:
    src, client = source(answers(VALUE, [series("newest", AT - 0.8)]))
    reading = src.instant(QUERY, AT)
    assert reading.status is SampleStatus.OK and reading.value == 0.998
    asked = [(q, t) for q, t in client.calls if q != "time()"]
    assert asked[0] == (QUERY, f"{AT:.3f}")
    assert TERM_LABEL in asked[1][0] and asked[1][1] == f"{AT:.3f}"
    assert len(asked) == 2  # one extra request per reading


def test_a_down_target_makes_the_reading_stale_with_why() -> None:
    src, _ = source(answers(VALUE, [series("down", 0.0)]))
    reading = src.instant(QUERY, AT)
    assert reading.status is SampleStatus.STALE and reading.value is None
    assert reading.error == (
        "target demo 127.0.0.1:18080 is down (up == 0: no scrape of it succeeded within the last 3 s) and the query "
        "reads demo_http_requests_total from it (the query still answered 0.998)"
    )


def test_an_old_sample_is_judged_against_the_discovered_bound_of_its_job() -> None:
    src, _ = source(answers(VALUE, [series("newest", AT - 3.5)]))
    assert src.ping().endswith(
        "freshness bound 2 × scrape interval + 1 s: demo 3 s, loadgen 31 s, old 5 s"
    )
    reading = src.instant(QUERY, AT)
    assert reading.status is SampleStatus.STALE
    assert "is 3.5 s old at the tick (bound 3 s)" in reading.error
    loadgen = {"job": "loadgen", "instance": "x"}
    src2, _ = source(answers(VALUE, [series("newest", AT - 3.5, loadgen)]))
    src2.ping()
    assert src2.instant(QUERY, AT).status is SampleStatus.OK  # 3.5 s is fresh at 15 s scrapes


def test_the_environment_override_wins_over_discovery() -> None:
    src, _ = source(answers(VALUE, [series("newest", AT - 4.0)]), age=5.0)
    assert src.ping().endswith("freshness bound 5 s (prometheus.maxSampleAge)")
    assert src.instant(QUERY, AT).status is SampleStatus.OK


def test_without_targets_the_bound_falls_back_and_says_so() -> None:
    src, _ = source(answers(VALUE, [series("newest", AT - 100)]), targets=RuntimeError("403"))
    assert "scrape intervals unknown" in src.ping()
    assert src.instant(QUERY, AT).status is SampleStatus.OK  # 100 s < 121 s


def test_prometheus_clock_offset_is_measured_and_applied() -> None:
    # Prometheus' clock is 10 s behind ours: its newest sample, 0.5 s old on its clock, is
    # stamped 10.5 s before our tick, and is fresh.
    src, _ = source(answers(VALUE, [series("newest", AT - 10.5)], behind=10.0))
    assert "its clock is -10.0 s from ours" in src.ping()
    assert src.instant(QUERY, AT).status is SampleStatus.OK


def test_no_data_and_errors_are_returned_as_they_are_without_a_freshness_request() -> None:
    src, client = source(answers([], [series("down", 0.0)]))
    assert src.instant(QUERY, AT).status is SampleStatus.NO_DATA
    src2, client2 = source(answers(RuntimeError("HTTP Status Code 400"), []))
    assert src2.instant(QUERY, AT).status is SampleStatus.ERROR
    assert all(TERM_LABEL not in q for q, _ in client.calls + client2.calls)


def test_a_failed_freshness_request_is_a_probe_error() -> None:
    src, _ = source(answers(VALUE, RuntimeError("HTTP Status Code 503")))
    reading = src.instant(QUERY, AT)
    assert reading.status is SampleStatus.ERROR
    assert reading.error == "the freshness check failed: HTTP Status Code 503"


def test_an_odd_freshness_answer_is_a_probe_error() -> None:
    src, _ = source(answers(VALUE, [{"metric": {}, "value": "x"}]))
    assert src.instant(QUERY, AT).status is SampleStatus.ERROR


def test_a_query_whose_selectors_cannot_be_read_is_a_probe_error_that_says_so() -> None:
    src, _ = source(answers(VALUE, []))
    reading = src.instant("sum(x) $ 2", AT)
    assert reading.status is SampleStatus.ERROR
    assert reading.error.startswith("cannot check the freshness of its data: cannot read")


def test_a_query_without_selectors_needs_no_check() -> None:
    src, client = source(answers(VALUE, []))
    assert src.instant("vector(1)", AT).status is SampleStatus.OK
    assert all(TERM_LABEL not in q for q, _ in client.calls)
