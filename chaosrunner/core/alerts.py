"""Expected alerts, judged from the journal: did each fire, when, and how soon after the fault.

The engine reads every expected alert on every tick (``core/evidence.py``); this turns those
readings into :class:`~chaosrunner.core.timing.AlertDetection` values with
``core/timing.time_to_detect``, measured from the first fault's confirmation (its creation when
it was never confirmed). An alert that never fired while some of its readings after the fault
were unknown (the query failed, stale data, missed ticks) is NO_DATA, never NOT_FIRED: a blind
spot is not evidence that the alert stayed silent.

In the verdict (``core/verdict.py``) a ``required`` alert that did not fire, or fired later than
``within``, makes the run FAILED; one whose evidence is missing, or that was already firing
before the fault, makes it INCONCLUSIVE. Alerts that are not required are findings only.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaosrunner.core.evidence import AlertState, ExpectedAlertRecord
from chaosrunner.core.journal import Journal
from chaosrunner.core.timing import AlertDetection, AlertSample, DetectionStatus, time_to_detect


@dataclass(frozen=True)
class ExpectedAlertResult:
    expected: ExpectedAlertRecord
    detection: AlertDetection
    #: Readings of this alert that were unknown (after the fault started).
    unknown: int


def fault_started_at(journal: Journal) -> float | None:
    """When the first fault was confirmed active (or created, if never confirmed)."""
    starts = [
        r.confirmed_at if r.confirmed_at is not None else r.created_at
        for r in journal.injections
        if r.confirmed_at is not None or r.created_at is not None
    ]
    return min((t for t in starts if t is not None), default=None)


def alert_results(journal: Journal) -> tuple[ExpectedAlertResult, ...]:
    """Each expected alert's detection; empty when none was expected or no fault started."""
    start = fault_started_at(journal)
    if start is None:
        return ()
    out = []
    for expected in journal.expected_alerts:
        mine = [r for r in journal.alert_readings if r.alert == expected.name]
        samples = [
            AlertSample(r.at, r.alert, "firing") for r in mine if r.state is AlertState.FIRING
        ]
        unknown = sum(1 for r in mine if r.state is AlertState.UNKNOWN and r.at >= start - 1e-3)
        (detection,) = time_to_detect(
            [expected.name], samples if mine else None, start, within=expected.within
        )
        if detection.status is DetectionStatus.NOT_FIRED and unknown:
            detection = AlertDetection(expected.name, DetectionStatus.NO_DATA, None, None, None)
        out.append(ExpectedAlertResult(expected, detection, unknown))
    return tuple(out)
