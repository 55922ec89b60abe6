"""Is the data behind a reading fresh? The rule, and the one query per reading that asks.

A ``rate(x[10s])`` keeps answering for ten seconds after its target stopped being scraped
(frozen, crashed, cut off from Prometheus): every tick would "hold" on samples taken before the
fault. So every reading with a value is checked, at the same evaluation time, against the
targets its query reads. The rule, per metric selector of the query:

1. The selector is widened to its *target-level* form: the metric name, and only the matchers
   on labels that name a scraped target (``TARGET_LABELS``: job, instance, namespace, pod, ...).
   A selector of bad events (``x{code=~"5.."}``) may rightly have no series while nothing fails;
   its target-level form (``x``) still has the good events of the same target, so a missing
   bad-events series is never read as stale.
2. **Old sample.** For every target (job, instance) with live series of that form, the newest
   sample must be at most the freshness bound old at the tick.
3. **Target down.** No target that exported the form within the lookback (Prometheus' 5 min
   instant lookback plus the selector's range and enclosing subquery ranges) may have gone
   without a successful scrape (``up == 1``) for longer than the bound: what the query reads of
   it is then older than the bound.

A failed scrape also makes Prometheus mark the target's series stale, so rule 2 alone would miss
a frozen or crashed target (there is no live sample left to be old); rule 3 catches it once its
last successful scrape is older than the bound, for as long as it stays down. One failed scrape
within the bound is not stale: the data read is still within the bound. A target that left
service discovery (a replaced pod) has no ``up`` series any more and is not counted: its series
are no longer read.

The bound (``FreshnessBound``): ``prometheus.maxSampleAge`` when the environment sets it;
otherwise 2 * the scrape interval of the target's job + 1 s, the interval discovered at preflight
from Prometheus' active targets (a job not found there: the largest interval found; nothing
found: Prometheus' default of 1 min). Limits: a recording rule's series are judged by their own
evaluation, not their inputs; series whose job/instance labels differ from their target's
(``honor_labels``) are judged by rule 2 only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from chaosrunner.core.journal import Journal, SampleStatus, Series
from chaosrunner.core.model import Phase
from chaosrunner.core.promql import Selector, promql_duration, selectors

#: Labels that name the scraped target rather than what a series counts.
TARGET_LABELS = frozenset(
    {"job", "instance", "namespace", "pod", "service", "endpoint", "node", "cluster", "container"}
)
#: Prometheus' default instant-vector lookback (``--query.lookback-delta``).
LOOKBACK_SECONDS = 300.0
#: Prometheus' default scrape interval, the bound's basis when nothing could be discovered.
DEFAULT_SCRAPE_INTERVAL = 60.0
TERM_LABEL = "chaosrunner_term"
MAX_REASONS = 3


def target_selector(sel: Selector) -> Selector:
    """The selector narrowed to what names its target: metric name and target-label matchers.

    A selector with no metric name keeps its matchers as written (there is no family to widen
    to without one).
    """
    named = sel.name or any(m.label == "__name__" for m in sel.matchers)
    if not named:
        return Selector("", sel.matchers, sel.window)
    kept = tuple(m for m in sel.matchers if m.label == "__name__" or m.label in TARGET_LABELS)
    return Selector(sel.name, kept, sel.window)


@dataclass(frozen=True)
class FreshnessCheck:
    """The target-level selectors a query reads, and the one query that checks them all."""

    selectors: tuple[Selector, ...]
    query: str

    def subject(self, index: int) -> str:
        return self.selectors[index].text()


@dataclass(frozen=True)
class FreshnessBound:
    """How old the newest sample may be at a tick, per job."""

    intervals: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    override: float | None = None

    def seconds(self, job: str) -> float:
        if self.override is not None:
            return self.override
        interval = self.intervals.get(job) or max(
            self.intervals.values(), default=DEFAULT_SCRAPE_INTERVAL
        )
        return 2 * interval + 1.0

    def describe(self) -> str:
        if self.override is not None:
            return f"freshness bound {_fmt(self.override)} (prometheus.maxSampleAge)"
        if not self.intervals:
            return (
                f"freshness bound {_fmt(self.seconds(''))} (scrape intervals unknown: 2 × "
                f"Prometheus' default {_fmt(DEFAULT_SCRAPE_INTERVAL)} + 1 s; "
                "set prometheus.maxSampleAge)"
            )
        jobs = ", ".join(f"{job} {_fmt(self.seconds(job))}" for job in sorted(self.intervals)[:10])
        more = f" and {len(self.intervals) - 10} more" if len(self.intervals) > 10 else ""
        return f"freshness bound 2 × scrape interval + 1 s: {jobs}{more}"


def _seconds_literal(seconds: float) -> str:
    return f"{math.ceil(seconds)}s"


def _ms_literal(seconds: float) -> str:
    return f"{max(1, math.ceil(seconds * 1000))}ms"


def _term(expr: str, kind: str, index: int) -> str:
    return f'label_replace({expr}, "{TERM_LABEL}", "{kind}:{index}", "", "")'


_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")


def _job_regex(jobs: Iterable[str]) -> str:
    """A PromQL string literal of an anchored RE2 alternation matching exactly ``jobs``."""
    alternation = "|".join("".join("\\" + c if c in _RE2_SPECIAL else c for c in j) for j in jobs)
    return '"' + alternation.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scraped_within_bound(bound: FreshnessBound) -> str:
    """Per target, 1 if any scrape of it succeeded within its job's bound, 0 if none did."""
    if bound.override is not None or not bound.intervals:
        return f"max_over_time(up[{_ms_literal(bound.seconds(''))}])"
    groups: dict[float, list[str]] = {}
    for job in sorted(bound.intervals):
        groups.setdefault(bound.seconds(job), []).append(job)
    parts = [
        f"max_over_time(up{{job=~{_job_regex(jobs)}}}[{_ms_literal(seconds)}])"
        for seconds, jobs in sorted(groups.items())
    ]
    others = f"up{{job!~{_job_regex(sorted(bound.intervals))}}}"
    parts.append(f"max_over_time({others}[{_ms_literal(bound.seconds(''))}])")
    return " or ".join(parts)


def freshness_check(query: str, bound: FreshnessBound | None = None) -> FreshnessCheck:
    """The check for ``query`` under ``bound`` (default: nothing discovered); ValueError when
    its selectors cannot be read."""
    widest: dict[str, Selector] = {}
    for sel in selectors(query):
        t = target_selector(sel)
        key = t.text()
        if key not in widest or widest[key].window < t.window:
            widest[key] = t
    found = tuple(widest.values())
    scraped = scraped_within_bound(bound or FreshnessBound())
    terms = []
    for i, t in enumerate(found):
        text = t.text()
        lookback = _seconds_literal(LOOKBACK_SECONDS + t.window)
        terms.append(_term(f"max by (job, instance) (timestamp({text}))", "newest", i))
        terms.append(
            _term(
                f"max by (job, instance) (({scraped}) == 0 and on (job, instance) "
                f"count_over_time({text}[{lookback}]))",
                "down",
                i,
            )
        )
    return FreshnessCheck(found, " or ".join(terms))


@dataclass(frozen=True)
class Row:
    """One series of the freshness query's answer."""

    labels: Mapping[str, str]
    value: float


def scrape_intervals(targets: Iterable[tuple[str, str]]) -> Mapping[str, float]:
    """Per job, the largest scrape interval among its active targets, from (job, interval)
    pairs as Prometheus' targets API gives them ("1s", "1m30s"); unreadable ones are skipped."""
    out: dict[str, float] = {}
    for job, text in targets:
        try:
            seconds = promql_duration(text)
        except ValueError:
            continue
        if seconds > 0:
            out[job] = max(out.get(job, 0.0), seconds)
    return MappingProxyType(out)


def _fmt(seconds: float) -> str:
    return f"{seconds:.3g} s" if seconds < 100 else f"{seconds:.0f} s"


def _target(labels: Mapping[str, str]) -> str:
    parts = [labels.get("job", ""), labels.get("instance", "")]
    return " ".join(p for p in parts if p) or "(no job or instance label)"


def stale_reasons(
    check: FreshnessCheck, rows: Sequence[Row], at: float, bound: FreshnessBound
) -> tuple[str, ...]:
    """Why the data behind a reading at ``at`` is stale; empty when it is fresh.

    ``at`` is the tick on Prometheus' clock. Rows that do not belong to the check are ignored.
    Targets that are down come first, then samples that are too old, each in a stable order.
    """
    down: dict[tuple[str, str], list[str]] = {}
    old: list[str] = []
    for row in rows:
        kind, _, index_text = row.labels.get(TERM_LABEL, "").partition(":")
        try:
            index = int(index_text)
            subject = check.subject(index)
        except (ValueError, IndexError):
            continue
        target = _target(row.labels)
        if kind == "down":
            subjects = down.setdefault((target, row.labels.get("job", "")), [])
            if subject not in subjects:
                subjects.append(subject)
        elif kind == "newest" and math.isfinite(row.value):
            age = at - row.value
            limit = bound.seconds(row.labels.get("job", ""))
            if age > limit:
                old.append(
                    f"newest sample of {subject} from {target} is {age:.1f} s old at the tick "
                    f"(bound {_fmt(limit)})"
                )
    reasons = [
        f"target {target} is down (up == 0: no scrape of it succeeded within the last "
        f"{_fmt(bound.seconds(job))}) and the query reads {', '.join(subjects)} from it"
        for (target, job), subjects in sorted(down.items())
    ]
    return (*reasons, *sorted(old))


def stale_reason(
    check: FreshnessCheck, rows: Sequence[Row], at: float, bound: FreshnessBound
) -> str:
    """``stale_reasons`` as one bounded line ('' when fresh)."""
    reasons = stale_reasons(check, rows, at, bound)
    shown = "; ".join(reasons[:MAX_REASONS])
    if len(reasons) > MAX_REASONS:
        shown += f"; and {len(reasons) - MAX_REASONS} more"
    return shown if len(shown) <= 600 else shown[:600] + "…"


# -- what the outputs say about stale ticks ---------------------------------------------------


def stale_ticks(series: Series, phase: Phase) -> int:
    """How many of ``phase``'s ticks were stale."""
    span = series.span(phase)
    return series.status[span.start : span.stop].count(SampleStatus.STALE)


def stale_note(journal: Journal, sli: str, phase: Phase) -> str:
    """'N of M ticks ... ; first: why' for an SLI's phase ('' when none was stale)."""
    series = journal.series[sli]
    stale = stale_ticks(series, phase)
    if not stale:
        return ""
    recorded = journal.stale_for(sli, phase)
    first = f"; first: {recorded[0].reason}" if recorded else ""
    return (
        f"{stale} of {len(series.span(phase))} ticks were read from samples older than the "
        f"freshness bound (judged unknown, never held){first}"
    )
