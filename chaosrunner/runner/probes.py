"""Ask every query of a tick at once, each with its own deadline; never wait for a hung one.

A tick's SLI and guardrail queries run concurrently on a thread pool, all pinned to the tick's
timestamp, so a tick costs the slowest query, not the sum of them. Each query has a deadline
shorter than the probe interval: an answer that is not in by then is a probe error for that
tick, and the loop moves on without waiting for the thread (the metrics source's own request
timeout frees it later). A query whose previous call is still running is not asked again (it
is a probe error on this tick too), so hung calls cannot pile up threads: at most one thread per
query. Answers are handed back as they arrive, so a guardrail is judged as soon as its own
answer is in.

The core stays pure: threads and real time live here, in the runner.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from chaosrunner.core.ports import MetricsSource, Reading

#: A query's deadline as a share of the probe interval: the rest is left for the bookkeeping.
DEADLINE_SHARE = 0.8


def query_deadline(probe_interval: float, configured: float | None = None) -> float:
    """Seconds a query may take before it is a probe error: ``min(configured, 0.8 x
    interval)``."""
    bound = DEADLINE_SHARE * probe_interval
    return bound if configured is None else min(configured, bound)


@dataclass(frozen=True)
class Query:
    """One query to ask on a tick; ``key`` says whose it is (an SLI's or a guardrail's name)."""

    key: str
    text: str
    guardrail: bool = False


class Prober:
    def __init__(
        self,
        metrics: MetricsSource,
        deadline: float,
        *,
        workers: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metrics = metrics
        self.deadline = deadline
        self._monotonic = monotonic
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="probe")
        self._running: dict[str, Future[Reading]] = {}

    def ask(
        self, queries: Sequence[Query], at: float, hurry: Callable[[], bool] = lambda: False
    ) -> Iterator[tuple[Query, Reading]]:
        """Each query's reading as it arrives; those not in by the deadline, as probe errors.

        Once ``hurry()`` is true (a guardrail breached), only the answers already in are
        handed back, and the rest are dropped, not waited for. An exception raised by the
        source (a bug, not a probe error) is raised here.
        """
        until = self._monotonic() + self.deadline
        futures: dict[Future[Reading], Query] = {}
        for q in queries:
            previous = self._running.get(q.key)
            if previous is not None and not previous.done():
                yield (
                    q,
                    Reading.failed(
                        f"the previous query has not answered yet (over {self.deadline:.3g} s)"
                    ),
                )
                continue
            future = self._pool.submit(self.metrics.instant, q.text, at)
            self._running[q.key] = future
            futures[future] = q
        pending = set(futures)
        while pending:
            left = 0.0 if hurry() else max(0.0, until - self._monotonic())
            done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
            if not done:
                break
            for future in done:
                yield futures[future], future.result()
        if hurry():
            return
        for future in pending:
            yield (
                futures[future],
                Reading.failed(f"no answer within {self.deadline:.3g} s (the probe's deadline)"),
            )

    def close(self) -> None:
        """Stop without waiting for hung queries (their threads end at their own timeout)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
