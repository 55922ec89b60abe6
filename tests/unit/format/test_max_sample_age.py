"""``prometheus.maxSampleAge``: the environment's override of the freshness bound."""

from __future__ import annotations

import pytest

from chaosrunner.core import validate
from tests.support import BASE, experiment

URL = 'prometheus: {url: "http://127.0.0.1:9"}'


def with_age(age: str) -> str:
    assert URL in BASE
    return BASE.replace(URL, f'prometheus: {{url: "http://127.0.0.1:9", maxSampleAge: {age}}}')


def test_unset_means_derived_from_the_scrape_interval() -> None:
    assert experiment().env.prometheus.max_sample_age is None


def test_a_duration_sets_the_bound() -> None:
    assert experiment(with_age("5s")).env.prometheus.max_sample_age == 5.0
    assert experiment(with_age("1m30s")).env.prometheus.max_sample_age == 90.0


@pytest.mark.parametrize(
    ("age", "message"),
    [
        ("0s", "'0s' would make every reading stale; expected a duration above 0s"),
        ("soon", "expected a duration such as 500ms, 30s, 1m30s"),
    ],
)
def test_a_bound_that_cannot_work_is_refused_with_its_position(age: str, message: str) -> None:
    problems = validate.check(with_age(age), "exp.yaml", env=None, cli_vars={}, environ={})
    texts = [str(p) for p in problems]
    assert any(
        ".prometheus.maxSampleAge: " in t and message in t and t.startswith("exp.yaml:12:")
        for t in texts
    ), texts
