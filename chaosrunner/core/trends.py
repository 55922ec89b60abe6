"""Month over month: what got better or worse since the previous runs of one experiment.

A game day is worth less if nobody can say whether the service held up better than last month.
Each stored run keeps a small :class:`RunSummary` (experiment, environment, start, verdict, score,
and per SLI its objective, worst value in the blast window and time to recover); comparing the
current run with the earlier ones of the same experiment in the same environment is a pure
function over those records (:func:`compare`), so a run's report, a game day's and a sweep's can
share it. It reads no journal and no store: the caller hands it the summaries.

Direction follows the objective: a lower worst is better for ``<=`` objectives, a higher one for
``>=``; a shorter time to recover is better and "not recovered" is the worst time of all; a
higher score is better. Two values that read the same in the objective's unit are "the same"
(``97.10 %`` and ``97.12 %`` shown as ``97.1 %`` did not change for a reader). Runs judged ERROR
say nothing about the service and are never the reference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from chaosrunner.core.display import MISSING, format_value
from chaosrunner.core.units import Comparator, Objective

#: summary.json's format version (the store keeps one beside each journal).
SUMMARY_VERSION = 1
#: How many earlier runs a trend chart shows at most (about a year of monthly game days).
TREND_RUNS = 12


class Direction(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    SAME = "same"
    #: One side was not measured (a new SLI, no recovery measured, no score): no comparison.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SliPoint:
    """One SLI of one run, as the trend compares it."""

    name: str
    objective: str
    comparator: Comparator
    threshold: float
    unit: str = ""
    #: Worst value in the blast window, base units; None without a known value there.
    worst: float | None = None
    #: Seconds from the fault removed to back within the objective; None when not measured.
    recover_seconds: float | None = None
    #: False: measured and never came back within the recovery limit; None: not measured.
    recovered: bool | None = None

    @property
    def as_objective(self) -> Objective:
        return Objective(self.comparator, self.threshold, self.objective)

    def fmt(self, value: float | None) -> str:
        return format_value(value, self.unit, self.as_objective)

    @property
    def missed(self) -> bool:
        """Did the blast window's worst value miss the objective?"""
        return self.worst is not None and not self.comparator.holds(self.worst, self.threshold)

    @property
    def recovery_value(self) -> float | None:
        """Time to recover as a comparable number: not recovered is +inf."""
        if self.recovered is False:
            return math.inf
        return self.recover_seconds


@dataclass(frozen=True)
class RunSummary:
    """What history and trends keep of a run; ``started`` is epoch seconds (UTC)."""

    experiment: str
    env: str
    run_id: str
    started: float
    verdict: str
    score: float | None
    slis: tuple[SliPoint, ...] = ()

    def sli(self, name: str) -> SliPoint | None:
        return next((s for s in self.slis if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summaryVersion": SUMMARY_VERSION,
            "experiment": self.experiment,
            "env": self.env,
            "runId": self.run_id,
            "started": self.started,
            "verdict": self.verdict,
            "score": self.score,
            "slis": [
                {
                    "name": s.name,
                    "objective": s.objective,
                    "comparator": s.comparator.value,
                    "threshold": s.threshold,
                    "unit": s.unit,
                    "worst": _finite(s.worst),
                    "recoverSeconds": _finite(s.recover_seconds),
                    "recovered": s.recovered,
                }
                for s in self.slis
            ],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RunSummary:
        """KeyError/ValueError/TypeError on a record that is not a summary."""
        if raw.get("summaryVersion") != SUMMARY_VERSION:
            raise ValueError(f"unknown summaryVersion {raw.get('summaryVersion')!r}")
        return cls(
            experiment=str(raw["experiment"]),
            env=str(raw["env"]),
            run_id=str(raw["runId"]),
            started=float(raw["started"]),
            verdict=str(raw["verdict"]),
            score=_number(raw.get("score")),
            slis=tuple(
                SliPoint(
                    name=str(s["name"]),
                    objective=str(s["objective"]),
                    comparator=Comparator(s["comparator"]),
                    threshold=float(s["threshold"]),
                    unit=str(s.get("unit", "")),
                    worst=_number(s.get("worst")),
                    recover_seconds=_number(s.get("recoverSeconds")),
                    recovered=s.get("recovered") if isinstance(s.get("recovered"), bool) else None,
                )
                for s in raw.get("slis", ())
            ),
        )


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class Measure(StrEnum):
    WORST = "worst in the blast window"
    RECOVERY = "time to recover"
    SCORE = "score"


@dataclass(frozen=True)
class Change:
    """One figure of the current run against the same figure of the reference run."""

    measure: Measure
    #: The SLI's name; "" for the score.
    sli: str
    direction: Direction
    previous: str
    current: str
    #: The figure over the compared runs, oldest first, the current run last (None: unknown).
    history: tuple[float | None, ...]
    #: Where the objective sits on the chart (worst values only).
    objective: float | None
    lower_is_better: bool
    sentence: str


@dataclass(frozen=True)
class Trend:
    experiment: str
    env: str
    #: The run compared with: the latest earlier run of the same experiment and environment
    #: that was not an ERROR; None when there is none.
    previous: RunSummary | None
    #: The earlier runs charted, oldest first (at most TREND_RUNS).
    runs: tuple[RunSummary, ...]
    changes: tuple[Change, ...]

    @property
    def sentences(self) -> tuple[str, ...]:
        if self.previous is None:
            return (
                f"No earlier run of {self.experiment} in {self.env} is stored: "
                "nothing to compare with yet.",
            )
        return tuple(c.sentence for c in self.changes)

    def of(self, direction: Direction) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.direction is direction)


def day(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d")


def earlier_runs(current: RunSummary, past: Iterable[RunSummary]) -> list[RunSummary]:
    """The runs of the same experiment in the same environment before ``current``, oldest
    first (the current run itself, stored already, is left out)."""
    return sorted(
        (
            p
            for p in past
            if p.experiment == current.experiment
            and p.env == current.env
            and p.run_id != current.run_id
            and p.started < current.started
        ),
        key=lambda p: (p.started, p.run_id),
    )


def compare(current: RunSummary, past: Iterable[RunSummary], limit: int = TREND_RUNS) -> Trend:
    """``current`` against the earlier runs of its experiment and environment in ``past``."""
    earlier = earlier_runs(current, past)
    judged = [p for p in earlier if p.verdict != "ERROR"]
    previous = judged[-1] if judged else None
    runs = tuple(earlier[-limit:])
    if previous is None:
        return Trend(current.experiment, current.env, None, runs, ())
    since = day(previous.started)
    changes: list[Change] = []
    for sli in current.slis:
        before = previous.sli(sli.name)
        changes.append(_worst_change(sli, before, runs, since))
        changes.append(_recovery_change(sli, before, runs, since))
    changes.append(_score_change(current, previous, runs, since))
    return Trend(current.experiment, current.env, previous, runs, tuple(changes))


def _direction(
    previous: float | None, current: float | None, same_text: bool, lower_is_better: bool
) -> Direction:
    if previous is None or current is None:
        return Direction.UNKNOWN
    if same_text or previous == current:
        return Direction.SAME
    better = current < previous if lower_is_better else current > previous
    return Direction.BETTER if better else Direction.WORSE


def _sentence(
    subject: str, direction: Direction, previous: str, current: str, since: str, suffix: str = ""
) -> str:
    match direction:
        case Direction.BETTER:
            text = f"{subject} improved from {previous} to {current} since {since}"
        case Direction.WORSE:
            text = f"{subject} worsened from {previous} to {current} since {since}"
        case Direction.SAME:
            text = f"{subject} stayed at {current}, as on {since}"
        case _:
            if current == MISSING and previous == MISSING:
                text = f"{subject} was not measured in this run nor on {since}"
            elif current == MISSING:
                text = f"{subject} was not measured in this run ({previous} on {since})"
            else:
                text = f"{subject} is {current}; it was not measured on {since}"
    return text + suffix + "."


def _worst_change(
    sli: SliPoint, before: SliPoint | None, runs: Sequence[RunSummary], since: str
) -> Change:
    distance = sli.comparator in (Comparator.EQ, Comparator.NE)
    lower = sli.comparator.wants_low or sli.comparator is Comparator.EQ

    def key(v: float | None) -> float | None:
        return abs(v - sli.threshold) if distance and v is not None else v

    prev = before.worst if before is not None else None
    prev_text, cur_text = sli.fmt(prev), sli.fmt(sli.worst)
    direction = _direction(key(prev), key(sli.worst), prev_text == cur_text, lower)
    suffix = ""
    if before is not None and before.objective != sli.objective:
        suffix = f" (the objective changed from {before.objective} to {sli.objective})"
    history = [_sli_value(r, sli.name, lambda s: s.worst) for r in runs]
    return Change(
        Measure.WORST,
        sli.name,
        direction,
        prev_text,
        cur_text,
        (*history, sli.worst),
        sli.threshold,
        sli.comparator.wants_low,
        _sentence(
            f"{sli.name}'s {Measure.WORST.value}", direction, prev_text, cur_text, since, suffix
        ),
    )


def _recovery_text(s: SliPoint | None) -> str:
    if s is None or s.recovery_value is None:
        return MISSING
    if math.isinf(s.recovery_value):
        return "not recovered"
    return format_value(s.recovery_value, "seconds")


def _recovery_change(
    sli: SliPoint, before: SliPoint | None, runs: Sequence[RunSummary], since: str
) -> Change:
    prev = before.recovery_value if before is not None else None
    prev_text, cur_text = _recovery_text(before), _recovery_text(sli)
    direction = _direction(prev, sli.recovery_value, prev_text == cur_text, True)
    history = [_sli_value(r, sli.name, lambda s: s.recovery_value) for r in runs]
    return Change(
        Measure.RECOVERY,
        sli.name,
        direction,
        prev_text,
        cur_text,
        tuple(
            None if v is not None and math.isinf(v) else v for v in (*history, sli.recovery_value)
        ),
        None,
        True,
        _sentence(f"{sli.name}'s {Measure.RECOVERY.value}", direction, prev_text, cur_text, since),
    )


def _score_text(score: float | None) -> str:
    return MISSING if score is None else f"{score:g}"


def _score_change(
    current: RunSummary, previous: RunSummary, runs: Sequence[RunSummary], since: str
) -> Change:
    prev_text, cur_text = _score_text(previous.score), _score_text(current.score)
    direction = _direction(previous.score, current.score, prev_text == cur_text, False)
    return Change(
        Measure.SCORE,
        "",
        direction,
        prev_text,
        cur_text,
        (*(r.score for r in runs), current.score),
        None,
        False,
        _sentence("The score", direction, prev_text, cur_text, since),
    )


def _sli_value(
    run: RunSummary, name: str, pick: Callable[[SliPoint], float | None]
) -> float | None:
    s = run.sli(name)
    return None if s is None else pick(s)
