"""Reading the metric selectors out of a query: every SLI form the README shows, and the odd
corners of PromQL (strings holding braces, subqueries, modifiers), and refusals with a place.

Freshness is judged per selector, so a selector the scanner misses is a selector whose target
could go down unnoticed: these tests pin what is found, and how far back it reads.
"""

from __future__ import annotations

import pytest

from chaosrunner.core.model import SliKind
from chaosrunner.core.promql import Matcher, Selector, compile_sli, promql_duration, selectors

ROUTE = 'route="/items/{id}"'


def found(query: str) -> list[tuple[str, float]]:
    return [(s.text(), s.window) for s in selectors(query)]


@pytest.mark.parametrize(
    ("kind", "spec", "expected"),
    [
        pytest.param(
            SliKind.QUERY,
            {"query": 'sum(go_goroutines{job="demo"})'},
            [('go_goroutines{job="demo"}', 0.0)],
            id="query",
        ),
        pytest.param(
            SliKind.RATIO,
            {
                "ratio": {
                    "good": f'sum(rate(demo_http_requests_total{{{ROUTE},code!~"5.."}}[10s]))',
                    "total": f"sum(rate(demo_http_requests_total{{{ROUTE}}}[10s]))",
                }
            },
            [
                (f'demo_http_requests_total{{{ROUTE},code!~"5.."}}', 10.0),
                (f"demo_http_requests_total{{{ROUTE}}}", 10.0),
            ],
            id="ratio",
        ),
        pytest.param(
            SliKind.QUANTILE,
            {
                "quantile": {
                    "q": 0.95,
                    "histogram": f"demo_http_request_duration_seconds_bucket{{{ROUTE}}}",
                    "window": "30s",
                    "by": ["route"],
                }
            },
            [(f"demo_http_request_duration_seconds_bucket{{{ROUTE}}}", 30.0)],
            id="quantile",
        ),
        pytest.param(
            SliKind.BURN_RATE,
            {
                "burnRate": {
                    "errorRatio": 'sum(rate(http_total{code=~"5.."}[5m])) '
                    "/ sum(rate(http_total[1h]))",
                    "slo": "99.9%",
                }
            },
            [('http_total{code=~"5.."}', 300.0), ("http_total", 3600.0)],
            id="burnRate",
        ),
        pytest.param(
            SliKind.GROWTH,
            {"growth": {"query": 'sum(go_goroutines{job="demo"})', "window": "5m"}},
            # deriv((Q)[5m:]) reads 5 minutes back; the divisor (Q) reads the instant only.
            [('go_goroutines{job="demo"}', 300.0), ('go_goroutines{job="demo"}', 0.0)],
            id="growth",
        ),
    ],
)
def test_every_sli_form_yields_its_selectors(
    kind: SliKind, spec: dict[str, object], expected: list[tuple[str, float]]
) -> None:
    assert found(compile_sli(kind, spec)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("vector(1)", [], id="no-selector"),
        pytest.param("time() - 3 * 2 ^ 1", [], id="arithmetic"),
        pytest.param("1e3 + Inf - NaN + 0x1f + .5", [], id="numbers"),
        pytest.param("up", [("up", 0.0)], id="bare-name"),
        pytest.param("job:rate:sum5m", [("job:rate:sum5m", 0.0)], id="recording-rule-name"),
        pytest.param(
            '{__name__=~"demo_.*", job="demo"}',
            [('{__name__=~"demo_.*",job="demo"}', 0.0)],
            id="name-as-matcher",
        ),
        pytest.param(
            '{"my.metric", job="a"}',
            [('{__name__="my.metric",job="a"}', 0.0)],
            id="quoted-utf8-name",
        ),
        pytest.param(
            'x{a=\'single\', b=`raw{}`, c="esc\\"aped}",}',
            [('x{a=\'single\',b=`raw{}`,c="esc\\"aped}"}', 0.0)],
            id="every-quote-and-trailing-comma",
        ),
        pytest.param(
            "sum by (job, le) (rate(a[1m])) / on (job) group_left (le) sum without (x) (b)",
            [("a", 60.0), ("b", 0.0)],
            id="label-lists-are-not-selectors",
        ),
        pytest.param(
            "sum(a) by (job) and ignoring (x) b unless bool c",
            [("a", 0.0), ("b", 0.0), ("c", 0.0)],
            id="keywords",
        ),
        pytest.param(
            "rate(a[5m] offset 1h) + b offset -5m + c @ 1609746000 + d[1m] @ start()",
            [("a", 300.0), ("b", 0.0), ("c", 0.0), ("d", 60.0)],
            id="offset-and-at-modifiers",
        ),
        pytest.param(
            "max_over_time(rate(a[1m])[5m:30s])",
            [("a", 360.0)],
            id="subquery-adds-its-range",
        ),
        pytest.param(
            "max_over_time(max_over_time(a[1m:])[1h:])",
            [("a", 3660.0)],
            id="nested-subqueries",
        ),
        pytest.param(
            'label_replace(a, "dst", "$1", "src", "(.*)") + count_values("v", b)',
            [("a", 0.0), ("b", 0.0)],
            id="string-arguments",
        ),
        pytest.param(
            "histogram_quantile(0.9, sum by (le) (rate(h_bucket[1h30m])))",
            [("h_bucket", 5400.0)],
            id="compound-duration",
        ),
        pytest.param(
            "# a comment\nsum(\n  a  # another\n)",
            [("a", 0.0)],
            id="comments-and-newlines",
        ),
        pytest.param("topk(3, a) + -b", [("a", 0.0), ("b", 0.0)], id="unary-minus"),
    ],
)
def test_promql_corners(query: str, expected: list[tuple[str, float]]) -> None:
    assert found(query) == expected


def test_matchers_keep_their_literals_and_operators() -> None:
    (sel,) = selectors('x{a="1", b!="2", c=~"3.*", d!~\'4\'}')
    assert sel == Selector(
        "x",
        (
            Matcher("a", "=", '"1"'),
            Matcher("b", "!=", '"2"'),
            Matcher("c", "=~", '"3.*"'),
            Matcher("d", "!~", "'4'"),
        ),
    )


@pytest.mark.parametrize(
    ("query", "where"),
    [
        pytest.param("sum(a", "at the end", id="unclosed-paren"),
        pytest.param("a)", "character 2", id="unbalanced-paren"),
        pytest.param("a{b}", "character 4", id="matcher-without-op"),
        pytest.param("a{b=c}", "character 5", id="unquoted-value"),
        pytest.param("(a)[5m]", "character 4", id="range-of-expression-without-step"),
        pytest.param("a[5x]", "5x", id="bad-duration"),
        pytest.param("{}", "character 1", id="empty-selector"),
        pytest.param("a $ b", "character 3", id="unknown-character"),
        pytest.param("offset 5m", "character 1", id="dangling-offset"),
    ],
)
def test_what_cannot_be_read_is_refused_with_a_place(query: str, where: str) -> None:
    with pytest.raises(ValueError, match=r"cannot read|not a PromQL duration") as info:
        selectors(query)
    assert where in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("10s", 10), ("5m", 300), ("1h30m", 5400), ("1d", 86400), ("90", 90)],
)
def test_promql_durations(text: str, seconds: float) -> None:
    assert promql_duration(text) == seconds
