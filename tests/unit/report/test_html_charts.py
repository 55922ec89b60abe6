"""Charts of long series: downsampled to the pixel, with no bad or unknown tick hidden."""

from __future__ import annotations

import re

from chaosrunner.adapters.reports.charts import (
    COLUMNS,
    MARK_BAD,
    MARK_MISSED,
    MARK_STALE,
    downsample,
    sli_chart,
)
from chaosrunner.adapters.reports.findings import classify_series
from chaosrunner.core.journal import SampleStatus, Series
from chaosrunner.core.model import Phase
from chaosrunner.core.units import parse_objective
from tests.unit.core.builders import sli_record

DAY = 86_400
T0 = 1_700_000_000.0


def _day(spike_at: int, stale_at: int, missed_at: int) -> Series:
    """A day of good 1-second latency samples with one spike, one stale and one missed tick."""
    series = Series()
    for k in range(DAY):
        if k == stale_at:
            series.append(T0 + k, Phase.OBSERVE, None, SampleStatus.STALE)
        elif k == missed_at:
            series.append(T0 + k, Phase.OBSERVE, None, SampleStatus.MISSED)
        else:
            series.append(T0 + k, Phase.OBSERVE, 2.5 if k == spike_at else 0.05, SampleStatus.OK)
    return series


def test_a_day_is_reduced_to_one_bucket_per_column_and_keeps_every_bad_or_unknown_tick() -> None:
    rec = sli_record("latency", "<= 200ms")
    series = _day(spike_at=40_001, stale_at=50_002, missed_at=60_003)
    classes = classify_series(rec, series)
    buckets = downsample(
        series.times, series.values, series.status, classes, T0, T0 + DAY - 1, COLUMNS
    )
    assert len(buckets) == COLUMNS
    marks = {b.mark for b in buckets} - {None}
    assert marks == {MARK_BAD, MARK_STALE, MARK_MISSED}
    spike = next(b for b in buckets if b.mark == MARK_BAD)
    assert spike.high == 2.5 and spike.low == 0.05  # min and max of the column: the spike shows
    assert spike.column == int(40_001 * COLUMNS / (DAY - 1))


def test_a_bad_tick_outranks_an_unknown_one_in_its_column() -> None:
    times = [0.0, 0.1, 0.2]
    status = [SampleStatus.STALE, SampleStatus.OK, SampleStatus.OK]
    rec = sli_record("latency", "<= 200ms")
    series = Series()
    for t, s, v in zip(times, status, [None, 5.0, 0.1], strict=True):
        series.append(t, Phase.OBSERVE, v, s)
    buckets = downsample(
        series.times, series.values, series.status, classify_series(rec, series), 0.0, 100.0, 10
    )
    assert [(b.column, b.mark, b.low, b.high) for b in buckets] == [(0, MARK_BAD, 0.1, 5.0)]


def test_a_day_long_chart_stays_small() -> None:
    rec = sli_record("latency", "<= 200ms")
    series = _day(spike_at=10, stale_at=20, missed_at=30)
    svg = sli_chart(
        "latency",
        series,
        classify_series(rec, series),
        parse_objective("<= 200ms"),
        "",
        T0,
        T0 + DAY,
    )
    assert len(svg) < 60_000  # ~40 bytes per column, not per sample
    path = re.search(r'class="series" d="([^"]+)"', svg)
    assert path is not None
    # one move at the start and one after each unknown tick's gap, lines in between
    assert path.group(1).count("M") <= 3 and path.group(1).count("L") > COLUMNS // 2


def test_a_series_without_any_value_draws_an_empty_path_and_its_strip() -> None:
    rec = sli_record("latency", "<= 200ms")
    series = Series()
    for k in range(5):
        series.append(T0 + k, Phase.OBSERVE, None, SampleStatus.NO_DATA)
    svg = sli_chart(
        "latency", series, classify_series(rec, series), parse_objective("<= 200ms"), "", T0, T0 + 5
    )
    assert 'class="series" d="M0 0"' in svg and 'class="tick-no-data"' in svg
