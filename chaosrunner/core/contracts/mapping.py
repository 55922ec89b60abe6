"""From an SLO as its team wrote it to the hypothesis chaosrunner judges: one place, one rule each.

The readers (``openslo``, ``sloth``) say *what* an SLO asks for as a :class:`SloIntent`: a ratio
of events or a threshold on a value, the objective, the budgeting method. This module says *how*
an experiment checks it, and words the mapping for ``validate`` and the report, so nobody has to
guess what was checked:

- **Counters become rates over a window the experiment controls.** An SLO period is 28 days; an
  experiment's phases last seconds to minutes. A counter selector ``x`` (OpenSLO
  ``counter: true``) is read as ``sum(rate(x[W]))`` and Sloth's ``{{.window}}`` becomes ``W``,
  the contract's rate window (``steadyState.rateWindow``, default :data:`DEFAULT_RATE_WINDOW`).
  Each tick's value is then the SLI over the last ``W`` seconds.
- **Occurrences** (and Sloth, whose SLOs count events): a ratio SLI is judged on *every tick*:
  no ``W``-long stretch of the phase may fall below the target. A ratio over the whole phase
  would let a short outage hide in a long phase, which is the outage an experiment exists to
  find. A threshold SLI's occurrences are its samples, so it is judged *ticks-ratio*: at least
  ``target`` of the ticks meet ``op value``.
- **Timeslices**: the timeslices rule (``core/timeslices.py``) with the objective's
  ``timeSliceWindow``; a tick is good when the ratio reaches ``timeSliceTarget`` (threshold:
  ``op value``), and ``target`` of the slices must be good. A slice is good only when every tick
  in it is, so a threshold SLI's ``timeSliceTarget`` below 1 cannot be mapped (an error).
- **RatioTimeslices**: the mean of per-slice ratios: the ratio is read over ``timeSliceWindow``
  (instead of ``W``) and judged by its *mean* against ``target``. It needs events to count, so a
  threshold SLI with RatioTimeslices cannot be mapped (an error).
- The SLO's target and window (``timeWindow``; Sloth: 30 days) become the SLI's ``slo``, which
  the report turns into error-budget burn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from chaosrunner.core.model import (
    ExpectedAlert,
    Judge,
    JudgeRule,
    NoDataPolicy,
    Sli,
    SliKind,
    SloSpec,
)
from chaosrunner.core.units import Comparator, Objective, format_duration

#: The rate window when the experiment does not set ``steadyState.rateWindow``.
DEFAULT_RATE_WINDOW = 30.0
#: One vector selector with no range: ``name``, ``name{...}`` or ``{...}``; a label value may
#: hold any character, braces too (``route="/items/{id}"``).
_MATCHERS = r"""\{(?:[^{}"'`]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)*\}"""
_SELECTOR = re.compile(rf"[A-Za-z_:][A-Za-z0-9_:]*(?:\s*{_MATCHERS})?|{_MATCHERS}")
_NAME_BAD = re.compile(r"[^a-z0-9-]+")


class Budgeting(StrEnum):
    OCCURRENCES = "Occurrences"
    TIMESLICES = "Timeslices"
    RATIO_TIMESLICES = "RatioTimeslices"


class RatioSide(StrEnum):
    """Which events the numerator counts: ``good/total`` or ``bad/total`` (1 - bad/total)."""

    GOOD = "good"
    BAD = "bad"


@dataclass(frozen=True)
class Ratio:
    """Events: a numerator (good or bad) and the total. ``counter``: raw counter selectors."""

    side: RatioSide
    numerator: str
    total: str
    counter: bool = False


@dataclass(frozen=True)
class Threshold:
    """A value compared with ``op value`` (an OpenSLO ``thresholdMetric``)."""

    query: str
    comparator: Comparator
    value: float


@dataclass(frozen=True)
class Raw:
    """A precomputed ratio (OpenSLO ``raw`` with ``rawType``, Sloth ``error_ratio_query``)."""

    query: str
    side: RatioSide


@dataclass(frozen=True)
class Slices:
    window: float
    #: Timeslices: what each tick must reach (the ratio) for its slice to be good.
    tick_target: float = 1.0


@dataclass(frozen=True)
class SloIntent:
    """One objective of one SLO, as its contract states it (not yet how we check it)."""

    slo: str
    sli_name: str
    metric: Ratio | Threshold | Raw
    #: The share of good events (ratio) or good samples/slices (threshold) required.
    target: float
    budgeting: Budgeting
    #: The SLO's period in seconds, for the budget burn (None: not stated).
    period: float | None
    file: str
    line: int
    column: int
    #: The field a mapping error stands at (the objective, as ``spec.objectives[0]``).
    field: str = ""
    #: How a ratio must compare with its target (OpenSLO ``op`` on a ratio; default >=).
    comparator: Comparator = Comparator.GE
    slices: Slices | None = None
    description: str = ""
    #: Sloth writes ``{{.window}}`` in its queries; OpenSLO ratios with ``counter: true`` need
    #: their selectors wrapped.
    templated: bool = False


@dataclass(frozen=True)
class Hypothesis:
    """An SLO mapped to the SLI an experiment judges, and where the SLO was written."""

    slo: str
    sli: Sli
    file: str
    line: int
    column: int
    #: The objective's field in its file (``spec.objectives[0]``).
    field: str = ""

    def describe(self) -> str:
        """``contract slo.yaml: SLO 'x' → SLI 'x': <PromQL> <objective>, judged by <rule>``."""
        sli = self.sli
        query = re.sub(r"\s*\n\s*", " ", sli.query)
        return (
            f"contract {self.file}: SLO {self.slo!r} → SLI {sli.name!r}: {query} "
            f"{sli.objective}, judged by {sli.judge.describe()}"
        )


@dataclass(frozen=True)
class Contract:
    """What a set of contract files asks of every experiment that takes it as its hypothesis."""

    files: tuple[str, ...]
    hypotheses: tuple[Hypothesis, ...]
    alerts: tuple[ExpectedAlert, ...] = ()

    @property
    def slis(self) -> tuple[Sli, ...]:
        return tuple(h.sli for h in self.hypotheses)

    def lines(self) -> tuple[str, ...]:
        alerts = tuple(f"contract: alert {a.name!r} expected (time to detect)" for a in self.alerts)
        return tuple(h.describe() for h in self.hypotheses) + alerts


class MappingError(ValueError):
    """An SLO chaosrunner cannot check as written; the message says why and what would do."""


def sli_name(name: str) -> str:
    """A valid SLI name (a lower-case DNS label) for an SLO's name as written."""
    out = _NAME_BAD.sub("-", name.lower()).strip("-")[:63].strip("-")
    return out or "slo"


def with_window(query: str, window: float) -> str:
    """Sloth's ``{{.window}}`` (any spacing) replaced by the rate window."""
    return re.sub(r"\{\{\s*\.window\s*\}\}", format_duration(window), query)


def counter_rate(query: str, window: float) -> str:
    """``sum(rate(q[W]))`` for a counter selector ``q``; MappingError for anything else."""
    text = query.strip()
    if not _SELECTOR.fullmatch(text):
        raise MappingError(
            f"counter: true needs a plain counter selector such as "
            f'http_requests_total{{code!~"5.."}} (read as sum(rate(...[W]))); got {text[:80]!r}'
        )
    return f"sum(rate({text}[{format_duration(window)}]))"


def _ratio_query(metric: Ratio | Raw, window: float, templated: bool) -> str:
    if isinstance(metric, Raw):
        query = with_window(metric.query, window) if templated else metric.query
        return f"({query})" if metric.side is RatioSide.GOOD else f"1 - ({query})"
    numerator, total = metric.numerator, metric.total
    if templated:
        numerator, total = with_window(numerator, window), with_window(total, window)
    elif metric.counter:
        numerator, total = counter_rate(numerator, window), counter_rate(total, window)
    if metric.side is RatioSide.GOOD:
        return f"({numerator}) / ({total})"
    return f"1 - (({numerator}) / ({total}))"


def _objective(comparator: Comparator, threshold: float) -> Objective:
    return Objective(comparator, threshold, f"{comparator.value} {threshold:.10g}")


def to_hypothesis(intent: SloIntent, rate_window: float) -> Hypothesis:
    """The SLI an experiment judges for ``intent``; MappingError when it cannot be checked."""
    metric = intent.metric
    is_ratio = not isinstance(metric, Threshold)
    slices = intent.slices
    window = rate_window
    if intent.budgeting is not Budgeting.OCCURRENCES and slices is None:
        raise MappingError(f"budgetingMethod {intent.budgeting.value} needs timeSliceWindow")
    if intent.budgeting is Budgeting.RATIO_TIMESLICES:
        if not is_ratio:
            raise MappingError(
                "RatioTimeslices averages the ratio of good to total events in each slice, so "
                "it needs a ratioMetric; a thresholdMetric cannot be mapped (expected "
                "Occurrences or Timeslices)"
            )
        assert slices is not None
        window = slices.window
    if isinstance(metric, Threshold):
        query = metric.query
        objective = _objective(metric.comparator, metric.value)
    else:
        query = _ratio_query(metric, window, intent.templated)
        objective = _objective(intent.comparator, intent.target)
    match intent.budgeting:
        case Budgeting.OCCURRENCES:
            judge = (
                Judge(JudgeRule.EVERY_TICK)
                if is_ratio
                else Judge(JudgeRule.TICKS_RATIO, min_ratio=intent.target)
            )
        case Budgeting.TIMESLICES:
            assert slices is not None
            if is_ratio:
                objective = _objective(intent.comparator, slices.tick_target)
            elif slices.tick_target < 1.0:
                raise MappingError(
                    f"timeSliceTarget {slices.tick_target:g} on a thresholdMetric cannot be "
                    "mapped: chaosrunner counts a slice good only when every tick in it meets "
                    "the objective; expected timeSliceTarget: 1"
                )
            judge = Judge(
                JudgeRule.TIMESLICES, slice_window=slices.window, slice_target=intent.target
            )
        case Budgeting.RATIO_TIMESLICES:
            judge = Judge(JudgeRule.MEAN)
    slo = (
        SloSpec(intent.target, intent.period)
        if is_ratio and intent.period and 0 < intent.target < 1
        else None
    )
    sli = Sli(
        name=intent.sli_name,
        kind=SliKind.RATIO if is_ratio else SliKind.QUERY,
        query=query,
        objective=objective,
        judge=judge,
        no_data=NoDataPolicy.INCONCLUSIVE,
        description=f"contract {intent.file}:{intent.line}: SLO {intent.slo!r}"
        + (f": {intent.description}" if intent.description else ""),
        unit="ratio" if is_ratio else "",
        slo=slo,
    )
    return Hypothesis(intent.slo, sli, intent.file, intent.line, intent.column, intent.field)
