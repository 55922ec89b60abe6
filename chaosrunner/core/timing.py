"""The timing figures of a game day: time to impact, to recover, and to detect.

They answer the questions a post-mortem asks first. How long did the service absorb the fault
before an objective was missed (impact)? How long after the fault was removed did it come back
and stay back (recovery)? Did the alert that should catch this fire, and how long after the
fault started (detection)? Each figure is measured on the ticks (or alert samples) the run
recorded, so its resolution is the tick interval, and each says when missing evidence makes it
uncertain instead of guessing:

- time to impact is measured to the first BAD tick at or after the fault was confirmed; if ticks
  without evidence came before it, the true impact may have been earlier (``unknown_before``).
- time to recover is measured to the first tick of the final run of GOOD ticks that lasts to the
  last tick ("back and staying"); an UNKNOWN tick breaks the run, since it is not evidence of
  being back. If the last tick is not GOOD, the SLI did not recover (``seconds`` is None).
- time to detect: an alert counts as fired at its first ``firing`` sample at or after the fault
  started; one with a firing sample before the fault is reported as such (it cannot have
  detected it), one that never fired is a finding (NOT_FIRED), and with no alert evidence at all the
  status is NO_DATA, never "not fired".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.timeslices import TickClass

_EPS = 1e-9


@dataclass(frozen=True)
class TimeToImpact:
    #: Seconds from the fault confirmed to the first tick that missed; None if none missed.
    seconds: float | None
    at: float | None
    #: Ticks without evidence between the confirmation and the first miss (or the last tick).
    unknown_before: int


@dataclass(frozen=True)
class TimeToRecover:
    recovered: bool
    #: Seconds from the fault removed to the first tick of the final all-GOOD run.
    seconds: float | None
    at: float | None
    #: Whether any tick after the removal missed the objective (False: it never went out).
    missed_after_removal: bool


def time_to_impact(
    confirmed_at: float, times: Sequence[float], classes: Sequence[TickClass]
) -> TimeToImpact:
    """From the fault confirmed to the first tick at or after it that missed its objective."""
    _same_length(times, classes)
    unknown = 0
    for t, cls in zip(times, classes, strict=True):
        if t < confirmed_at - _EPS:
            continue
        if cls is TickClass.BAD:
            return TimeToImpact(max(0.0, t - confirmed_at), t, unknown)
        if cls is TickClass.UNKNOWN:
            unknown += 1
    return TimeToImpact(None, None, unknown)


def time_to_recover(
    removed_at: float, times: Sequence[float], classes: Sequence[TickClass]
) -> TimeToRecover:
    """From the fault removed to back within objective and staying there to the last tick."""
    _same_length(times, classes)
    after = [(t, c) for t, c in zip(times, classes, strict=True) if t >= removed_at - _EPS]
    missed = any(c is TickClass.BAD for _, c in after)
    if not after or after[-1][1] is not TickClass.GOOD:
        return TimeToRecover(False, None, None, missed)
    first = len(after) - 1
    while first > 0 and after[first - 1][1] is TickClass.GOOD:
        first -= 1
    at = after[first][0]
    return TimeToRecover(True, max(0.0, at - removed_at), at, missed)


class DetectionStatus(StrEnum):
    DETECTED = "detected"
    #: Fired, but later than the allowed delay.
    LATE = "late"
    #: Never fired during the run: a finding of its own.
    NOT_FIRED = "not-fired"
    #: Already firing before the fault started, so it cannot have detected the fault.
    FIRING_BEFORE_FAULT = "firing-before-fault"
    #: No alert evidence (the ALERTS query failed): unknown, never "not fired".
    NO_DATA = "no-data"


@dataclass(frozen=True)
class AlertSample:
    """One sample of ``ALERTS{alertname=..., alertstate=...}`` at time ``at``."""

    at: float
    alertname: str
    state: str  # "firing" or "pending"


@dataclass(frozen=True)
class AlertDetection:
    alertname: str
    status: DetectionStatus
    #: The first firing sample at or after the fault started.
    fired_at: float | None
    #: Seconds from the fault started to ``fired_at``: the time to detect.
    seconds: float | None
    #: The first pending sample at or after the fault (the rule matched; ``for:`` still running).
    pending_at: float | None

    @property
    def fired(self) -> bool:
        return self.status in (DetectionStatus.DETECTED, DetectionStatus.LATE)


def time_to_detect(
    expected: Sequence[str],
    samples: Sequence[AlertSample] | None,
    fault_started_at: float,
    *,
    within: float | None = None,
) -> tuple[AlertDetection, ...]:
    """Whether and when each expected alert fired; ``samples`` None means no alert evidence.

    ``within`` (seconds after the fault started) turns a slower detection into LATE. An alert
    with any firing sample before the fault started is FIRING_BEFORE_FAULT (it was already
    alerting on something else), with its first firing after the fault still given.
    """
    out = []
    for name in expected:
        if samples is None:
            out.append(AlertDetection(name, DetectionStatus.NO_DATA, None, None, None))
            continue
        mine = sorted((s for s in samples if s.alertname == name), key=lambda s: s.at)
        early = any(s.state == "firing" and s.at < fault_started_at - _EPS for s in mine)
        after = [s for s in mine if s.at >= fault_started_at - _EPS]
        pending_at = next((s.at for s in after if s.state == "pending"), None)
        fired_at = next((s.at for s in after if s.state == "firing"), None)
        seconds = None if fired_at is None else fired_at - fault_started_at
        if early:
            status = DetectionStatus.FIRING_BEFORE_FAULT
        elif seconds is None:
            status = DetectionStatus.NOT_FIRED
        elif within is not None and seconds > within + _EPS:
            status = DetectionStatus.LATE
        else:
            status = DetectionStatus.DETECTED
        out.append(AlertDetection(name, status, fired_at, seconds, pending_at))
    return tuple(out)


def _same_length(times: Sequence[float], classes: Sequence[TickClass]) -> None:
    if len(times) != len(classes):
        raise ValueError(f"{len(times)} times but {len(classes)} classes")
