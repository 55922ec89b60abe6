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


def verdict_figure(repeats: int = 5) -> None:
    out = subprocess.run(
        [PY, str(ROOT / "bench" / "verdict_bench.py"), str(repeats)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    data = json.loads(out.stdout)
    print(
        f"verdict over 24h of 1s samples x 10 SLIs ({data['samples']:,} samples): "
        f"median {data['median_s']:.3f} s (min {data['min_s']:.3f}, "
        f"max {data['max_s']:.3f}, n={repeats}); "
        f"peak RSS {data['peak_rss_mb']:.0f} MB (journal + verdict, interpreter included); "
        f"targets <= 2 s, <= 300 MB"
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
    help_figure()
    extra = sorted((ROOT / "bench").glob("lab_bench.py")) + sorted(
        (ROOT / "bench").glob("cluster_bench.py")
    )
    for script in extra:  # lab_bench.py, then cluster_bench.py (private cluster, up and down)
        sys.stdout.flush()  # our lines first, also when stdout is a pipe
        subprocess.run([PY, str(script)], check=False, cwd=ROOT)


if __name__ == "__main__":
    main()
