"""Freshness against the real Prometheus fixture: a frozen exporter whose old samples still feed
``rate()`` gives STALE readings, not values; a bad-events selector without series is not stale
while its target is up; every query the shipped experiments ask can be checked.
"""

from __future__ import annotations

import time
from pathlib import Path

import yaml
from promlab import PromLab, paused, prom_query, prom_value

from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.core.freshness import freshness_check
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import PrometheusConfig, SliKind
from chaosrunner.core.promql import compile_sli

ROOT = Path(__file__).resolve().parents[2]
#: A 10 s rate window: Prometheus keeps answering it for seconds after the exporter froze.
AVAILABILITY = (
    'sum(rate(fixture_requests_total{code="200"}[10s])) / sum(rate(fixture_requests_total[10s]))'
)
#: Bad events that never happen here: the exporter has no code="500" series.
NO_500S = 'sum(rate(fixture_requests_total{code="500"}[10s])) or vector(0)'
NEVER = "sum(rate(fixture_never_exported_total[10s])) or vector(0)"


def source(lab: PromLab) -> PrometheusSource:
    src = PrometheusSource(PrometheusConfig(lab.prometheus_url, timeout=2.0))
    src.ping()
    return src


def test_preflight_learns_the_scrape_interval(prom_lab_fresh: PromLab) -> None:
    text = PrometheusSource(PrometheusConfig(prom_lab_fresh.prometheus_url)).ping()
    assert text.endswith("freshness bound 2 × scrape interval + 1 s: fixture 3 s"), text


def test_fresh_data_reads_as_ok(prom_lab_fresh: PromLab) -> None:
    src = source(prom_lab_fresh)
    for query in (AVAILABILITY, NO_500S, NEVER):
        reading = src.instant(query, time.time())
        assert reading.status is SampleStatus.OK, (query, reading)


def test_a_bad_events_selector_without_series_is_not_stale(prom_lab_fresh: PromLab) -> None:
    url = prom_lab_fresh.prometheus_url
    assert prom_query(url, 'fixture_requests_total{code="500"}') == []
    src = source(prom_lab_fresh)
    reading = src.instant('sum(rate(fixture_requests_total{code="500"}[10s]))', time.time())
    assert reading.status is SampleStatus.NO_DATA  # nothing to judge, and not called stale
    assert src.instant(NO_500S, time.time()).status is SampleStatus.OK


def test_a_frozen_exporter_gives_stale_readings_not_old_values(prom_lab_fresh: PromLab) -> None:
    lab = prom_lab_fresh
    src = source(lab)
    seen: list[tuple[float, float | None, SampleStatus, str]] = []
    with paused(lab.exporter_pid) as stopped_at:
        deadline = stopped_at + 9.0
        while time.monotonic() < deadline:
            at = time.time()
            raw = prom_value(lab.prometheus_url, f"({AVAILABILITY})")
            reading = src.instant(AVAILABILITY, at)
            seen.append((time.monotonic() - stopped_at, raw, reading.status, reading.error))
            time.sleep(0.3)
        bad_events = src.instant(NO_500S, time.time())
    # The bug this guards against: Prometheus still answers from samples taken before the
    # freeze, and every such tick would have been judged.
    answered_from_old = [s for s in seen if s[1] is not None and s[0] > 3.5]
    assert answered_from_old, seen
    assert all(status is SampleStatus.STALE for _, _, status, _ in answered_from_old), seen
    # Past the bound (3 s) plus a scrape timeout, no reading is OK.
    assert not [s for s in seen if s[0] > 4.5 and s[2] is SampleStatus.OK], seen
    reasons = {why for *_, status, why in seen if status is SampleStatus.STALE}
    assert any(
        why.startswith("target fixture 127.0.0.1:")
        and "is down (up == 0: no scrape of it succeeded within the last 3 s)" in why
        and "reads fixture_requests_total from it" in why
        for why in reasons
    ), reasons
    # The bad-events form reads the same (frozen) target: stale too, though it has no series.
    assert bad_events.status is SampleStatus.STALE, bad_events


def test_every_shipped_query_can_be_checked(prom_lab_fresh: PromLab) -> None:
    url = prom_lab_fresh.prometheus_url
    queries = []
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]
        for sli in spec["steadyState"]["slis"]:
            kind = next(k for k in SliKind if k.value in sli)
            queries.append(compile_sli(kind, sli))
        queries += [g["query"] for g in spec.get("guardrails", [])]
    assert len(queries) >= 10
    for query in queries:
        check = freshness_check(query)
        assert check.selectors, query
        prom_query(url, check.query)  # raises LabError unless Prometheus accepts it
