"""report.html for a day of 1-second samples for 10 SLIs (864,000 samples): time and size.

Builds the 24-hour journal of ``verdict_bench.py`` (with some ticks that missed their objective
and some without evidence, so the charts' marks are exercised), writes it as journal.json, then
times three things: the rendering of report.html from the journal and verdict (figures + HTML,
as the end of a run does), ``chaosrunner report --format html``'s whole path (read journal.json,
judge it, compute the figures, render, write), and the same for every output. Prints one JSON
line; ``bench/run.py`` formats it.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from chaosrunner.adapters.reports import html
from chaosrunner.adapters.reports.findings import findings
from chaosrunner.adapters.reports.journal_file import write_journal
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.verdict import decide
from chaosrunner.runner.session import rebuild_outputs

sys.path.insert(0, str(Path(__file__).resolve().parent))
from verdict_bench import DAY, SLIS, build


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    journal = build()
    for i, series in enumerate(journal.series.values()):
        for k in range(5_000 + i, DAY, 7_919):  # a bad tick, then an unknown one, now and then
            series.values[k] = 2.0
            series.status[k + 1] = SampleStatus.NO_DATA if i % 2 else SampleStatus.STALE
            series.values[k + 1] = math.nan
    decision = decide(journal)
    render_times, rebuild_times, all_times = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "run" / "journal.json"
        source.parent.mkdir()
        write_journal(source, journal)
        out = Path(tmp) / "out"
        for _ in range(repeats):
            start = time.perf_counter()
            page = html.render(findings(journal, decision))
            render_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            rebuilt = rebuild_outputs(source, formats=("html",), output_dir=out)
            rebuild_times.append(time.perf_counter() - start)
            assert not rebuilt.written.report_errors, rebuilt.written.report_errors
            start = time.perf_counter()
            rebuild_outputs(source, output_dir=Path(tmp) / "all")
            all_times.append(time.perf_counter() - start)
        size = (out / "report.html").stat().st_size
        journal_mb = source.stat().st_size / 1e6
    assert page.count('<svg class="chart"') == SLIS
    print(
        json.dumps(
            {
                "samples": SLIS * DAY,
                "render_median_s": statistics.median(render_times),
                "rebuild_median_s": statistics.median(rebuild_times),
                "rebuild_min_s": min(rebuild_times),
                "rebuild_max_s": max(rebuild_times),
                "html_mb": size / 1e6,
                "all_formats_median_s": statistics.median(all_times),
                "journal_mb": journal_mb,
                "repeats": repeats,
            }
        )
    )


if __name__ == "__main__":
    main()
