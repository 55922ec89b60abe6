"""`make bench`: print the figures the issues set targets for. Medians; the machines are noisy.

Each figure runs in a fresh subprocess so memory peaks are its own (ru_maxrss of the child).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _bench_json(script: str, *args: str) -> dict[str, float]:
    """Run ``bench/<script>`` in its own process; its last line of output is its JSON."""
    out = subprocess.run(
        [PY, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def verdict_figure(repeats: int = 5) -> None:
    data = _bench_json("verdict_bench.py", str(repeats))
    print(
        f"verdict over 24h of 1s samples x 10 SLIs ({data['samples']:,} samples): "
        f"median {data['median_s']:.3f} s (min {data['min_s']:.3f}, "
        f"max {data['max_s']:.3f}, n={repeats}); "
        f"peak RSS {data['peak_rss_mb']:.0f} MB (journal + verdict, interpreter included); "
        f"targets <= 2 s, <= 300 MB"
    )


def soak_figure(repeats: int = 3) -> None:
    """The simulated day, ``repeats`` times (sub-millisecond p99s are noisy on a shared
    machine): the median of each figure."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [PY, str(ROOT / "bench" / "soak_bench.py"), "24"],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    data = {k: statistics.median(r[k] for r in runs) for k in runs[0] if k != "verdict"}
    ratio = statistics.median(r["last_p99_ms"] / r["first_p99_ms"] for r in runs)
    print(
        f"simulated 24 h run, 10 SLIs + 2 guardrails at 1 s ticks ({data['ticks']:,} ticks, "
        f"real runner and journal writer): cost per tick first hour median "
        f"{data['first_median_ms']:.3f} ms / p99 {data['first_p99_ms']:.3f} ms, last hour "
        f"median {data['last_median_ms']:.3f} ms / p99 {data['last_p99_ms']:.3f} ms "
        f"(last/first p99 {ratio:.2f}; target <= 1.5); peak RSS {data['run_peak_rss_mb']:.0f} MB "
        f"during the run, {data['peak_rss_mb']:.0f} MB with the final journal.json "
        f"({data['final_write_s']:.2f} s; target <= 300 MB); journal.jsonl "
        f"{data['log_mb']:.0f} MB; wall time {data['wall_s']:.1f} s (n={repeats})"
    )


def report_figure(repeats: int = 3) -> None:
    data = _bench_json("report_bench.py", str(repeats))
    print(
        f"report.html for 24h of 1s samples x 10 SLIs ({data['samples']:,} samples): rendered "
        f"in median {data['render_median_s']:.2f} s; `chaosrunner report --format html` from "
        f"journal.json ({data['journal_mb']:.0f} MB) median {data['rebuild_median_s']:.2f} s "
        f"(min {data['rebuild_min_s']:.2f}, max {data['rebuild_max_s']:.2f}), every output "
        f"{data['all_formats_median_s']:.2f} s (n={repeats}); HTML {data['html_mb']:.2f} MB; "
        f"targets <= 3 s, <= 5 MB"
    )


def help_figure(repeats: int = 21) -> None:
    exe = str(Path(PY).parent / "chaosrunner")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    print(
        f"chaosrunner --help wall time: median {statistics.median(times) * 1000:.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={repeats}); target <= 250 ms"
    )


def main() -> None:
    print(
        f"chaosrunner benchmarks ({time.strftime('%Y-%m-%d %H:%M:%S')}, "
        f"python {sys.version.split()[0]})"
    )
    verdict_figure()
    soak_figure()
    report_figure()
    help_figure()
    extra = [
        ROOT / "bench" / name
        for name in ("lab_bench.py", "slow_prom_bench.py", "cluster_bench.py")
        if (ROOT / "bench" / name).exists()
    ]
    # the lab, the lab behind a slow Prometheus, then a private cluster (each up and down)
    for script in extra:
        sys.stdout.flush()  # our lines first, also when stdout is a pipe
        subprocess.run([PY, str(script)], check=False, cwd=ROOT)


if __name__ == "__main__":
    main()
