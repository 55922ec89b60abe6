"""The breaking-point search: which level to run next, and what the levels run so far say.

Pure: the runner gives the attempts (one full run each, judged by its own verdict) and asks
:func:`next_level`, then :func:`conclude`. A verdict becomes a judgement of the level:

- PASSED holds; FAILED breaks; ABORTED (a guardrail fired) breaks and caps the search: no level
  above it is ever run, the guardrail said the service must not go there;
- INCONCLUSIVE and ERROR say nothing about the service: the level is uncertain, and a boundary
  with an uncertain level inside its bracket is uncertain, which the result says.

``bisect`` runs FROM, then TO (unless FROM already broke), then the midpoint of the widest gap
between tried levels inside the bracket (the highest level that held below the lowest that
broke, and that lowest one) until every gap is narrower than the resolution; an uncertain level
splits a gap like any other, so the search goes on around it. ``linear`` runs every level in
order, up to an ABORTED one. Then, with ``--repeat K``, each boundary level is run until it has
K runs; runs of one level that disagree (one held, one broke) make it uncertain, and the search
goes on with the rest.

Bisection assumes harm grows with intensity; the result checks it: a level that held above one
that broke is reported as not monotonic, with both levels, and the boundary is then uncertain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import pairwise

from chaosrunner.core.display import format_objective
from chaosrunner.core.sweep_range import Strategy, SweepSpec
from chaosrunner.core.units import parse_objective
from chaosrunner.core.verdict import EXIT_ERROR, Verdict


class Judgement(StrEnum):
    HOLDS = "holds"
    BREAKS = "breaks"
    UNCERTAIN = "uncertain"


def judge(verdict: Verdict) -> Judgement:
    if verdict is Verdict.PASSED:
        return Judgement.HOLDS
    if verdict in (Verdict.FAILED, Verdict.ABORTED):
        return Judgement.BREAKS
    return Judgement.UNCERTAIN


@dataclass(frozen=True)
class SliWorst:
    """One SLI in one level's blast window: its worst value and whether it missed."""

    name: str
    objective: str
    unit: str
    worst: float | None
    violated: bool
    #: Seconds into the blast window of the first tick that missed (None: none did).
    first_bad: float | None = None


@dataclass(frozen=True)
class Attempt:
    """One run at one level (a level repeated has several)."""

    value: float
    verdict: Verdict
    #: The run's folder, relative to the sweep's output directory.
    folder: str
    run_id: str
    slis: tuple[SliWorst, ...] = ()
    reasons: tuple[str, ...] = ()
    started_at: float = 0.0
    ended_at: float = 0.0
    #: Runs of this level that were not counted because the baseline was not steady.
    unsteady_retries: int = 0

    @property
    def judgement(self) -> Judgement:
        return judge(self.verdict)

    @property
    def broken(self) -> tuple[str, ...]:
        """The SLIs that missed, the one that missed first first."""
        bad = [s for s in self.slis if s.violated]
        bad.sort(key=lambda s: float("inf") if s.first_bad is None else s.first_bad)
        return tuple(s.name for s in bad)


@dataclass(frozen=True)
class Level:
    value: float
    attempts: tuple[Attempt, ...]

    @property
    def judgements(self) -> frozenset[Judgement]:
        return frozenset(a.judgement for a in self.attempts)

    @property
    def judgement(self) -> Judgement:
        """The attempts' common judgement; runs that do not agree are uncertain."""
        found = self.judgements
        return next(iter(found)) if len(found) == 1 else Judgement.UNCERTAIN

    @property
    def disagrees(self) -> bool:
        return {Judgement.HOLDS, Judgement.BREAKS} <= self.judgements

    @property
    def aborted(self) -> bool:
        return any(a.verdict is Verdict.ABORTED for a in self.attempts)

    @property
    def verdicts(self) -> str:
        return "/".join(a.verdict.value for a in self.attempts)


def levels_of(attempts: Sequence[Attempt]) -> tuple[Level, ...]:
    by_value: dict[float, list[Attempt]] = {}
    for a in attempts:
        by_value.setdefault(a.value, []).append(a)
    return tuple(Level(v, tuple(by_value[v])) for v in sorted(by_value))


@dataclass(frozen=True)
class Bracket:
    """The highest level that held below the lowest that broke, and that lowest one."""

    holds: Level | None
    breaks: Level | None

    def inside(self, levels: Sequence[Level]) -> tuple[Level, ...]:
        lo = self.holds.value if self.holds else float("-inf")
        hi = self.breaks.value if self.breaks else float("inf")
        return tuple(lv for lv in levels if lo < lv.value < hi)


def bracket_of(levels: Sequence[Level]) -> Bracket:
    breaking = [lv for lv in levels if lv.judgement is Judgement.BREAKS]
    lowest = breaking[0] if breaking else None
    holding = [
        lv
        for lv in levels
        if lv.judgement is Judgement.HOLDS and (lowest is None or lv.value < lowest.value)
    ]
    return Bracket(holding[-1] if holding else None, lowest)


def _cap(levels: Sequence[Level]) -> float:
    """No level above an ABORTED one is ever run."""
    return min((lv.value for lv in levels if lv.aborted), default=float("inf"))


def next_level(spec: SweepSpec, attempts: Sequence[Attempt]) -> float | None:
    """The level to run next, or None when the search is done."""
    levels = levels_of(attempts)
    tried = {lv.value for lv in levels}
    cap = _cap(levels)
    if spec.strategy is Strategy.LINEAR:
        for value in spec.linear_levels():
            if value > cap:
                break
            if value not in tried:
                return value
    else:
        found = _bisect(spec, levels, tried, cap)
        if found is not None:
            return found
    return _repeat(spec, levels)


def _bisect(
    spec: SweepSpec, levels: Sequence[Level], tried: set[float], cap: float
) -> float | None:
    p = spec.param
    if p.low not in tried:
        return p.low
    bracket = bracket_of(levels)
    if bracket.breaks is not None and bracket.breaks.value == p.low:
        return None  # FROM already broke: the boundary lies below the range
    if p.high not in tried and p.high <= cap:
        return p.high
    if bracket.breaks is None:
        return None  # nothing broke up to TO: no boundary to narrow
    lo = bracket.holds.value if bracket.holds else p.low
    edges = sorted(v for v in tried if lo <= v <= bracket.breaks.value)
    gaps = sorted(
        ((b - a, a, b) for a, b in pairwise(edges)),
        key=lambda g: (-g[0], g[1]),
    )
    for width, a, b in gaps:
        if width <= spec.resolution + 1e-9:
            break
        mid = spec.midpoint(a, b)
        if mid is not None and mid not in tried:
            return mid
    return None


def _repeat(spec: SweepSpec, levels: Sequence[Level]) -> float | None:
    """A boundary level that has fewer than ``repeat`` runs, all agreeing so far."""
    if spec.repeat <= 1:
        return None
    bracket = bracket_of(levels)
    for level in (bracket.holds, bracket.breaks):
        if level is not None and len(level.attempts) < spec.repeat:
            return level.value
    return None


class Outcome(StrEnum):
    BOUNDARY = "boundary"
    NO_BOUNDARY = "no-boundary"
    #: The lowest level tried already broke.
    BELOW_RANGE = "below-range"
    UNCERTAIN = "uncertain"
    #: No level was judged at all (every one INCONCLUSIVE or ERROR).
    NO_EVIDENCE = "no-evidence"


@dataclass(frozen=True)
class SweepResult:
    spec: SweepSpec
    levels: tuple[Level, ...]
    bracket: Bracket
    outcome: Outcome
    #: Uncertain levels inside the bracket (the boundary could be there).
    uncertain: tuple[Level, ...]
    #: (a level that broke, a higher one that held).
    not_monotonic: tuple[tuple[Level, Level], ...]
    #: Levels whose repeated runs disagreed.
    disagreements: tuple[Level, ...]
    interrupted: bool
    #: The SLIs that missed at the lowest breaking level, the first to miss first.
    first_broken: tuple[str, ...]
    sentence: str

    @property
    def exit_code(self) -> int:
        """0 when a boundary (or none in the range) was established; 2 when interrupted (as an
        interrupted run); 3 when it is uncertain; 4 when every level was an ERROR."""
        if self.interrupted:
            return Verdict.ABORTED.exit_code
        if self.outcome is Outcome.NO_EVIDENCE:
            errors = all(a.verdict is Verdict.ERROR for lv in self.levels for a in lv.attempts)
            return EXIT_ERROR if errors else Verdict.INCONCLUSIVE.exit_code
        if self.outcome is Outcome.UNCERTAIN:
            return Verdict.INCONCLUSIVE.exit_code
        return 0


def conclude(
    spec: SweepSpec, attempts: Sequence[Attempt], interrupted: bool = False
) -> SweepResult:
    levels = levels_of(attempts)
    bracket = bracket_of(levels)
    uncertain = tuple(lv for lv in bracket.inside(levels) if lv.judgement is Judgement.UNCERTAIN)
    if bracket.breaks is None and levels and levels[-1].judgement is Judgement.UNCERTAIN:
        uncertain = tuple(
            lv
            for lv in levels
            if lv.judgement is Judgement.UNCERTAIN
            and (bracket.holds is None or lv.value > bracket.holds.value)
        )
    not_monotonic = tuple(
        (b, h)
        for b in levels
        if b.judgement is Judgement.BREAKS
        for h in levels
        if h.judgement is Judgement.HOLDS and h.value > b.value
    )
    disagreements = tuple(lv for lv in levels if lv.disagrees)
    if bracket.holds is None and bracket.breaks is None:
        outcome = Outcome.NO_EVIDENCE
    elif uncertain or not_monotonic or disagreements:
        outcome = Outcome.UNCERTAIN
    elif bracket.breaks is None:
        outcome = Outcome.NO_BOUNDARY
    elif bracket.holds is None and bracket.breaks.value == levels[0].value:
        outcome = Outcome.BELOW_RANGE
    elif bracket.holds is None:
        outcome = Outcome.UNCERTAIN
    else:
        outcome = Outcome.BOUNDARY
    first = _first_broken(bracket.breaks)
    partial = SweepResult(
        spec,
        levels,
        bracket,
        outcome,
        uncertain,
        not_monotonic,
        disagreements,
        interrupted,
        first,
        "",
    )
    return replace(partial, sentence=sentence(partial))


def _first_broken(level: Level | None) -> tuple[str, ...]:
    if level is None:
        return ()
    for attempt in level.attempts:
        if attempt.broken:
            return attempt.broken
    return ()


def _objective_of(level: Level | None, sli: str) -> str:
    """``availability (>= 99.5 %)``: the SLI and its objective in its own unit."""
    for attempt in level.attempts if level else ():
        for s in attempt.slis:
            if s.name == sli:
                try:
                    return f"{sli} ({format_objective(parse_objective(s.objective), s.unit)})"
                except ValueError:
                    return f"{sli} ({s.objective})"
    return sli


def _why_broken(result: SweepResult) -> tuple[str, str]:
    """Who breaks (the SLI that missed first at the lowest breaking level, else what broke),
    and the other SLIs that missed there, as a trailing note."""
    level = result.bracket.breaks
    if result.first_broken:
        more = result.first_broken[1:]
        also = f" ({', '.join(more)} missed there too)" if more else ""
        return _objective_of(level, result.first_broken[0]), also
    if level is not None and level.aborted:
        return "the service", " (a guardrail aborted the run)"
    return "the service", ""


def sentence(result: SweepResult) -> str:
    """The one sentence a team can act on, with what makes it uncertain after it."""
    p = result.spec.param
    fmt = p.format
    lv, br = result.bracket.holds, result.bracket.breaks
    who, also = _why_broken(result)
    match result.outcome:
        case Outcome.BOUNDARY:
            assert lv is not None and br is not None
            text = f"{who} holds up to {p.name} {fmt(lv.value)} and breaks at {fmt(br.value)}{also}"
        case Outcome.NO_BOUNDARY:
            assert lv is not None
            text = f"no boundary up to {p.name} {fmt(lv.value)}: every level tried held"
        case Outcome.BELOW_RANGE:
            assert br is not None
            text = f"{who} breaks already at {p.name} {fmt(br.value)}, the lowest level tried{also}"
        case Outcome.NO_EVIDENCE:
            text = f"no boundary found: no level of {p.name} was judged PASSED or FAILED"
        case _:
            low = f"holds up to {p.name} {fmt(lv.value)}" if lv else "no level held"
            high = f"breaks at {fmt(br.value)}" if br else "no level broke"
            text = f"the boundary is uncertain: {who} {low}, {high}{also if br else ''}"
    notes = [f"{p.name} {fmt(u.value)} was {u.verdicts}" for u in result.uncertain]
    notes += [
        f"not monotonic: {fmt(b.value)} broke ({b.verdicts}) but the higher {fmt(h.value)} held"
        for b, h in result.not_monotonic
    ]
    notes += [f"the runs at {fmt(d.value)} disagree ({d.verdicts})" for d in result.disagreements]
    if result.interrupted:
        notes.insert(0, "interrupted: this is what the levels run so far show")
    return text + ("; " + "; ".join(notes) if notes else "")
