"""Wait until a system is steady again before the next run (game days, sweeps).

Steady means every SLI of the next experiment holds its objective on :data:`STEADY_POLLS` polls
in a row, polled every probe interval (at least :data:`MIN_POLL`), for at most a time limit. A
steady check that fails to answer counts as not steady: not knowing is no reason to go on as if
the system were fine. Not steady in time is not an error: the caller decides (a game day starts
the experiment anyway and lets its baseline judge; a sweep does the same, and a level whose
baseline was not steady is retried, never counted against the service).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.gameday import unmet
from chaosrunner.core.model import Experiment
from chaosrunner.core.ports import Reading
from chaosrunner.runner.probes import query_deadline
from chaosrunner.runner.stop import StopFlag

log = structlog.get_logger("chaosrunner.steady")

#: Polls in a row every SLI must hold on before the next experiment counts as steady.
STEADY_POLLS = 3
#: The shortest time between two steady polls (each is one query per SLI).
MIN_POLL = 1.0

#: The SLIs of an experiment not within their objective right now (the steady check).
SteadyCheck = Callable[[Experiment], tuple[str, ...]]


@dataclass(frozen=True)
class Steadiness:
    steady: bool
    interrupted: bool
    #: What was not steady on the last poll ('' when steady).
    last: tuple[str, ...] = ()


def wait_steady(
    experiment: Experiment,
    check: SteadyCheck,
    stop: StopFlag,
    timeout: float,
    poll: float | None = None,
) -> Steadiness:
    deadline = time.time() + timeout
    interval = poll or max(MIN_POLL, experiment.schedule.probe_interval)
    in_a_row = 0
    last: tuple[str, ...] = ()
    while True:
        last = _checked(check, experiment)
        in_a_row = 0 if last else in_a_row + 1
        if in_a_row >= STEADY_POLLS:
            return Steadiness(True, False)
        if time.time() + interval > deadline:
            return Steadiness(False, False, last or ("not held on enough polls in a row",))
        if stop.wait(interval):
            return Steadiness(False, True, last)


def prometheus_steady_check(experiment: Experiment) -> tuple[str, ...]:
    """The SLIs of ``experiment`` not within their objective now, asked of its Prometheus."""
    config = experiment.env.prometheus
    source = PrometheusSource(
        config, timeout=query_deadline(experiment.schedule.probe_interval, config.timeout)
    )
    now = time.time()
    readings: dict[str, Reading] = {}
    for sli in experiment.slis:
        try:
            readings[sli.name] = source.instant(sli.query, now)
        except ChaosRunnerError as exc:
            readings[sli.name] = Reading.failed(str(exc))
    return unmet(experiment.slis, readings)


def _checked(check: SteadyCheck, experiment: Experiment) -> tuple[str, ...]:
    try:
        return check(experiment)
    except Exception as exc:  # noqa: BLE001 - not knowing is not steady; the baseline judges
        log.warning("steady check failed", error=f"{type(exc).__name__}: {exc}")
        return (f"the steady check failed: {type(exc).__name__}: {exc}",)
