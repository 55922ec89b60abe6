"""Verdict evaluation over a day of 1-second samples for 10 SLIs: 864,000 samples.

Builds the journal the way the runner does (column-wise series), then times ``decide``.
Prints one JSON line; ``bench/run.py`` formats it.
"""

from __future__ import annotations

import json
import math
import resource
import statistics
import sys
import time

from chaosrunner.core.journal import (
    InjectionRecord,
    Journal,
    PhaseRecord,
    SampleStatus,
    Series,
    SliRecord,
    TargetRecord,
)
from chaosrunner.core.model import JudgeRule, NoDataPolicy, Phase
from chaosrunner.core.units import Comparator
from chaosrunner.core.verdict import decide

DAY = 86_400
SLIS = 10
RULES = [
    JudgeRule.EVERY_TICK,
    JudgeRule.TICKS_RATIO,
    JudgeRule.MEAN,
    JudgeRule.MAX,
    JudgeRule.SUSTAINED,
]


def build() -> Journal:
    t0 = 1_700_000_000.0
    baseline, recovery = 3_600, 3_600
    observe = DAY - baseline - recovery
    journal = Journal(
        run_id="bench",
        experiment="bench",
        source="bench.yaml",
        env="lab",
        driver="local",
        started_at=t0,
        schedule={
            "baseline": baseline,
            "blast": observe,
            "recovery": recovery,
            "probeInterval": 1.0,
            "expiryMargin": 30.0,
        },
    )
    journal.phases = [
        PhaseRecord(Phase.BASELINE, t0, t0 + baseline, baseline, True),
        PhaseRecord(Phase.OBSERVE, t0 + baseline, t0 + baseline + observe, observe, True),
        PhaseRecord(Phase.RECOVERY, t0 + baseline + observe, t0 + DAY, recovery, True),
    ]
    journal.injections = [
        InjectionRecord(
            fault="f",
            kind="process-pause",
            target="t",
            driver="local",
            one_shot=False,
            planned_start=0,
            planned_end=observe,
            expires_at=t0 + DAY,
            created_at=t0 + baseline,
            confirmed_at=t0 + baseline,
            targets=(TargetRecord("pid:1", t0 + baseline),),
            removed_at=t0 + baseline + observe,
            removal_confirmed=True,
        )
    ]
    for i in range(SLIS):
        name = f"sli-{i}"
        journal.slis.append(
            SliRecord(
                name=name,
                query="q",
                objective="<= 0.9",
                comparator=Comparator.LE,
                threshold=0.9,
                rule=RULES[i % len(RULES)],
                min_ratio=0.99,
                sustain_seconds=30.0,
                no_data=NoDataPolicy.INCONCLUSIVE,
            )
        )
        series = Series()
        for k in range(DAY):
            phase = (
                Phase.BASELINE
                if k < baseline
                else (Phase.OBSERVE if k < baseline + observe else Phase.RECOVERY)
            )
            series.append(t0 + k, phase, 0.5 + 0.3 * math.sin(k / 600.0), SampleStatus.OK)
        journal.series[name] = series
    return journal


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    journal = build()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        decision = decide(journal)
        times.append(time.perf_counter() - start)
    assert decision.verdict.value == "PASSED", decision.reasons
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "samples": SLIS * DAY,
                "median_s": statistics.median(times),
                "min_s": min(times),
                "max_s": max(times),
                "peak_rss_mb": peak,
            }
        )
    )


if __name__ == "__main__":
    main()
