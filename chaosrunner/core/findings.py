"""What the reports say about a run, computed once from its journal and verdict (pure).

``report.html``, ``summary.md`` and ``junit.xml`` show the same figures: each SLI's objective,
baseline, worst value in the blast window, degradation from the baseline, budget burned, time to
impact and to recover, and outcome. They are computed here, from the journal alone (with the
pure computations of ``core/degradation.py``, ``core/budget.py`` and ``core/timing.py``), so the
three outputs cannot disagree, and a report rebuilt later from ``journal.json`` or
``journal.jsonl`` says what the run said when it ended. Every value is formatted in its
objective's unit (``core/display.py``); the raw values stay in the journal.

Expected alerts, the faults table and the abort are read from the journal (``core/alerts.py``,
``core/faultlog.py``); goroutine-profile evidence is read by the caller from the files beside it
(``adapters/reports/profiles.py``) and passed in as ``profiles``. A journal that has none of
them (every journal before they were recorded) shows "none expected" / "no profiles captured",
never an empty table that reads as "nothing happened". The rows of the provenance, faults,
alerts, score and profile tables are built here as plain text, so report.html and summary.md
say the same thing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chaosrunner.core.alerts import ExpectedAlertResult, alert_results
from chaosrunner.core.budget import (
    PhaseBurn,
    Slo,
    error_ratios_from_classes,
    error_ratios_from_good,
    phase_burn,
)
from chaosrunner.core.degradation import Degradation, degradation
from chaosrunner.core.display import (
    MISSING,
    Unit,
    format_change,
    format_objective,
    format_share,
    format_value,
    resolve_unit,
)
from chaosrunner.core.faultlog import FaultActivity, abort_offset, fault_activity
from chaosrunner.core.goroutines import Capture, StackGrowth, TargetProfiles
from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.journal import Journal, SampleStatus, Series, SliRecord
from chaosrunner.core.model import NoDataPolicy, Phase
from chaosrunner.core.timeslices import TickClass
from chaosrunner.core.timing import AlertDetection, DetectionStatus, TimeToImpact, TimeToRecover
from chaosrunner.core.timing import time_to_impact as _time_to_impact
from chaosrunner.core.timing import time_to_recover as _time_to_recover
from chaosrunner.core.trends import Trend
from chaosrunner.core.units import Comparator, Objective, format_duration
from chaosrunner.core.verdict import Decision, SliAssessment, Verdict

PHASE_LABELS = {
    Phase.BASELINE: "baseline",
    Phase.OBSERVE: "blast window",
    Phase.RECOVERY: "recovery",
}


@dataclass(frozen=True)
class SliFinding:
    """One SLI's row of the gap table, with the raw figures behind it."""

    record: SliRecord
    assessment: SliAssessment | None
    objective: Objective
    #: Mean of the baseline's known values: the reference the blast window is compared with.
    baseline: float | None
    worst: float | None
    degradation: Degradation | None
    #: The blast window's budget burn; None when the SLI declares no SLO.
    burn: PhaseBurn | None
    impact: TimeToImpact | None
    recovery: TimeToRecover | None
    #: Each tick's class against the objective (no evidence: UNKNOWN), in series order.
    classes: tuple[TickClass, ...]

    @property
    def name(self) -> str:
        return self.record.name

    def fmt(self, value: float | None) -> str:
        return format_value(value, self.record.unit, self.objective)

    @property
    def objective_text(self) -> str:
        return format_objective(self.objective, self.record.unit)

    @property
    def degradation_text(self) -> str:
        d = self.degradation
        if d is None:
            return MISSING
        change = format_change(d.worst - d.reference, self.record.unit, self.objective)
        if d.relative_worst is None or resolve_unit(self.record.unit, self.objective) in (
            Unit.RATIO,
            Unit.PER_HOUR,
        ):
            return change
        if d.reference and abs(d.relative_worst) >= 1:
            return f"{change} ({d.worst / d.reference:.3g}× the baseline)"
        word = "worse" if d.relative_worst > 0 else "better"
        return f"{change} ({format_share(abs(d.relative_worst))} {word})"

    @property
    def budget_text(self) -> str:
        b = self.burn
        if b is None:
            return "no SLO declared"
        text = f"{seconds_text(b.consumed_seconds)} ({format_share(b.consumed_share)} of budget)"
        if b.unknown_seconds > 0:
            text += f", up to {format_share(b.consumed_worst_share)} with unknown time"
        return text

    @property
    def impact_text(self) -> str:
        i = self.impact
        if i is None:
            return MISSING
        if i.seconds is None:
            return "never missed" + (
                f" ({i.unknown_before} unknown tick(s))" if i.unknown_before else ""
            )
        return seconds_text(i.seconds) + (
            f" (after {i.unknown_before} unknown tick(s))" if i.unknown_before else ""
        )

    @property
    def recovery_text(self) -> str:
        r = self.recovery
        if r is None:
            return MISSING
        if not r.recovered or r.seconds is None:
            return "not recovered"
        if not r.missed_after_removal:  # within on the first tick: known to tick resolution
            return f"≤ {seconds_text(r.seconds)} (first tick after removal)"
        return seconds_text(r.seconds)

    @property
    def outcome_text(self) -> str:
        a = self.assessment
        if a is None:
            return MISSING
        if a.observe.outcome is Outcome.VIOLATED or a.recovery.outcome is Outcome.VIOLATED:
            return "missed"
        parts = {a.baseline.outcome, a.observe.outcome, a.recovery.outcome}
        if parts == {Outcome.HELD}:
            return "held"
        unheld = [o.value for o in (a.baseline.outcome, a.observe.outcome, a.recovery.outcome)]
        return "unknown: " + ", ".join(dict.fromkeys(u for u in unheld if u != Outcome.HELD.value))


@dataclass(frozen=True)
class Findings:
    journal: Journal
    decision: Decision
    slis: tuple[SliFinding, ...]
    #: Detections of the alerts the experiment expected (none recorded: empty).
    alerts: tuple[AlertDetection, ...] = ()
    captures: tuple[Capture, ...] = ()
    growth: tuple[StackGrowth, ...] = ()
    fault_windows: tuple[tuple[float, float], ...] = field(default=())
    #: This run against the earlier stored runs of its experiment and environment; None when
    #: no results store was consulted (``core/trends.py``).
    trend: Trend | None = None
    #: The expected alerts with what the experiment asked of them (required, within).
    expected: tuple[ExpectedAlertResult, ...] = ()
    #: Goroutine-profile evidence per target (``captures``/``growth`` given directly: one
    #: unnamed target).
    profiles: tuple[TargetProfiles, ...] = ()
    faults: tuple[FaultActivity, ...] = ()
    #: Seconds into the blast window at which the run was aborted; None: not aborted there.
    abort_offset: float | None = None

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict


def seconds_text(seconds: float) -> str:
    if seconds < 60:
        return (
            f"{seconds:.1f} s"
            if seconds < 10 and not float(seconds).is_integer()
            else f"{seconds:.0f} s"
        )
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def utc(t: float | None) -> str:
    if t is None:
        return MISSING
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def objective_of(rec: SliRecord) -> Objective:
    return Objective(rec.comparator, rec.threshold, rec.objective)


def slo_of(rec: SliRecord) -> Slo | None:
    """The SLO an SLI declares, when the journal records one; None otherwise.

    Read as the record's ``slo_target``/``slo_window_seconds``, or an ``slo`` with ``target`` and
    ``window_seconds`` (``core.model.SloSpec``'s shape): journals before SLOs have neither."""
    slo = getattr(rec, "slo", None)
    if isinstance(slo, Slo):
        return slo
    target = getattr(slo, "target", getattr(rec, "slo_target", None))
    window = getattr(slo, "window_seconds", getattr(rec, "slo_window_seconds", None))
    if isinstance(target, int | float) and isinstance(window, int | float):
        return Slo(float(target), float(window))
    return None


def classify_series(rec: SliRecord, series: Series) -> tuple[TickClass, ...]:
    """Each tick against the objective; no data counts as BAD under ``noData: fail``."""
    no_data_bad = rec.no_data is NoDataPolicy.FAIL
    holds = rec.comparator.holds
    threshold = rec.threshold
    out = []
    for v, s in zip(series.values, series.status, strict=True):
        if s == SampleStatus.OK:
            out.append(TickClass.GOOD if holds(v, threshold) else TickClass.BAD)
        elif s == SampleStatus.NO_DATA and no_data_bad:
            out.append(TickClass.BAD)
        else:
            out.append(TickClass.UNKNOWN)
    return tuple(out)


def fault_windows(journal: Journal) -> tuple[tuple[float, float], ...]:
    """When each fault was active: confirmed (or created) to removed (or the blast end)."""
    observe = journal.phase(Phase.OBSERVE)
    fallback_end = (observe.ended_at if observe else None) or journal.finished_at
    out = []
    for r in journal.injections:
        start = r.confirmed_at or r.created_at
        if start is None:
            continue
        end = r.removed_at or fallback_end or start
        out.append((start, max(start, end)))
    return tuple(out)


def _values(series: Series, span: range) -> list[float | None]:
    values = series.values
    status = series.status
    return [values[i] if status[i] == SampleStatus.OK else None for i in span]


def blast_errors(
    rec: SliRecord, series: Series, classes: Sequence[TickClass]
) -> tuple[list[float], tuple[float | None, ...]]:
    """The blast window's tick times and error ratios: ``1 - value`` for an availability-style
    ratio SLI (``>=`` a percentage), else 1 per tick that missed and 0 per tick that met it."""
    span = series.span(Phase.OBSERVE)
    times = [series.times[i] for i in span]
    ratio = resolve_unit(rec.unit, objective_of(rec)) is Unit.RATIO and not rec.comparator.wants_low
    errors = (
        error_ratios_from_good(_values(series, span))
        if ratio
        else error_ratios_from_classes([classes[i] for i in span])
    )
    return times, errors


def _burn(
    rec: SliRecord, series: Series, classes: Sequence[TickClass], journal: Journal
) -> PhaseBurn | None:
    slo = slo_of(rec)
    observe = journal.phase(Phase.OBSERVE)
    if slo is None or observe is None:
        return None
    times, errors = blast_errors(rec, series, classes)
    if not times:
        return None
    end = observe.ended_at if observe.ended_at is not None else times[-1]
    return phase_burn(times, errors, max(end, times[-1]), slo)


def sli_finding(journal: Journal, rec: SliRecord, assessment: SliAssessment | None) -> SliFinding:
    series = journal.series.get(rec.name, Series())
    objective = objective_of(rec)
    classes = classify_series(rec, series)
    base = _values(series, series.span(Phase.BASELINE))
    blast = _values(series, series.span(Phase.OBSERVE))
    deg = degradation(base, blast, objective)
    known_base = [v for v in base if v is not None]
    known_blast = [v for v in blast if v is not None]
    worst = None
    if known_blast:
        worst = max(known_blast) if rec.comparator.wants_low else min(known_blast)
        if rec.comparator in (Comparator.EQ, Comparator.NE) and deg is not None:
            worst = deg.worst
    windows = fault_windows(journal)
    times = list(series.times)
    impact = recovery = None
    if windows:
        confirmed = min(w[0] for w in windows)
        impact = _time_to_impact(confirmed, times, classes)
        removed = max(
            (r.removed_at for r in journal.injections if r.removed_at is not None), default=None
        )
        if removed is not None and any(t >= removed for t in times[-1:]):
            recovery = _time_to_recover(removed, times, classes)
    return SliFinding(
        record=rec,
        assessment=assessment,
        objective=objective,
        baseline=math.fsum(known_base) / len(known_base) if known_base else None,
        worst=worst,
        degradation=deg,
        burn=_burn(rec, series, classes, journal),
        impact=impact,
        recovery=recovery,
        classes=classes,
    )


def findings(
    journal: Journal,
    decision: Decision,
    *,
    profiles: Sequence[TargetProfiles] = (),
    alerts: Sequence[AlertDetection] | None = None,
    captures: Sequence[Capture] = (),
    growth: Sequence[StackGrowth] = (),
) -> Findings:
    """The report's figures. Expected alerts come from the journal unless ``alerts`` is given;
    goroutine-profile evidence is ``profiles`` (per target), or ``captures``/``growth`` of one
    unnamed target."""
    by_name = {a.name: a for a in decision.slis}
    expected = alert_results(journal) if alerts is None else ()
    if captures or growth:
        profiles = (TargetProfiles("", tuple(captures), tuple(growth)),)
    return Findings(
        journal,
        decision,
        tuple(sli_finding(journal, rec, by_name.get(rec.name)) for rec in journal.slis),
        tuple(r.detection for r in expected) if alerts is None else tuple(alerts),
        tuple(c for p in profiles for c in p.captures),
        tuple(g for p in profiles for g in p.growth),
        fault_windows(journal),
        expected=expected,
        profiles=tuple(profiles),
        faults=fault_activity(journal),
        abort_offset=abort_offset(journal),
    )


def run_range(journal: Journal) -> tuple[float, float]:
    """The run's time range: its start to its end (or its last tick)."""
    end = journal.finished_at
    last = [p.ended_at or p.started_at for p in journal.phases]
    last += [s.times[-1] for s in journal.series.values() if len(s)]
    end = max([journal.started_at + 1.0, *(t for t in [end, *last] if t is not None)])
    return journal.started_at, end


def plain_why(f: Findings) -> list[str]:
    """The verdict in plain words a non-specialist can read, one sentence per line: why, then
    the expected alerts that did not fire and how far into the blast window an abort came."""
    lines = _plain_verdict(f)
    if f.verdict is Verdict.DRY_RUN:
        return lines
    lines += [alert_sentence(r) for r in f.expected if not r.detection.fired]
    if f.abort_offset is not None and f.journal.abort is not None:
        lines.append(
            f"The run was aborted {seconds_text(f.abort_offset)} into the blast window: "
            f"{f.journal.abort.detail}."
        )
    return lines


def alert_sentence(r: ExpectedAlertResult) -> str:
    """An expected alert's finding in one sentence ("never fired" is a finding of its own)."""
    name, d = r.expected.name, r.detection
    need = " (required by the experiment)" if r.expected.required else ""
    match d.status:
        case DetectionStatus.NOT_FIRED:
            return f"The alert {name} that should have fired never fired{need}."
        case DetectionStatus.NO_DATA:
            return (
                f"Whether the alert {name} fired is unknown{need}: "
                f"{r.unknown} reading(s) after the fault started were missing."
            )
        case DetectionStatus.FIRING_BEFORE_FAULT:
            return f"The alert {name} was already firing before the fault{need}."
        case DetectionStatus.LATE:
            return (
                f"The alert {name} fired {seconds_text(d.seconds or 0.0)} after the fault "
                f"started, later than the {seconds_text(r.expected.within or 0.0)} allowed{need}."
            )
        case _:
            return (
                f"The alert {name} fired {seconds_text(d.seconds or 0.0)} after the fault started."
            )


def _plain_verdict(f: Findings) -> list[str]:
    verdict = f.verdict
    missed = [
        s
        for s in f.slis
        if s.assessment is not None and s.assessment.observe.outcome is Outcome.VIOLATED
    ]
    stuck = [
        s
        for s in f.slis
        if s.assessment is not None and s.assessment.recovery.outcome is Outcome.VIOLATED
    ]
    match verdict:
        case Verdict.PASSED:
            lines = ["The service kept every objective while the fault was active."]
            slowest = max(
                (
                    s.recovery.seconds
                    for s in f.slis
                    if s.recovery and s.recovery.seconds is not None
                ),
                default=None,
            )
            if slowest:
                lines.append(
                    f"After the fault was removed it was back within {seconds_text(slowest)}."
                )
            return lines
        case Verdict.FAILED:
            lines = ["The service did not hold up under the fault."]
            lines += [
                f"{s.name} reached {s.fmt(s.worst)} against an objective of {s.objective_text}"
                + (
                    f", {s.impact_text} after the fault took effect"
                    if s.impact and s.impact.seconds is not None
                    else ""
                )
                + "."
                for s in missed
            ]
            lines += [
                f"{s.name} had not come back within its objective ({s.objective_text}) "
                "when the recovery time ran out."
                for s in stuck
            ]
            return lines
        case Verdict.INCONCLUSIVE:
            return [
                "chaosrunner cannot say whether the service held up: some evidence it needs "
                "is missing, so it does not report a pass.",
                *[f"{r}." if not r.endswith(".") else r for r in f.decision.reasons],
            ]
        case Verdict.ABORTED:
            return [
                "The run was stopped early and the faults were removed, so the blast window "
                "was not completed.",
                *f.decision.reasons,
            ]
        case Verdict.ERROR:
            return [
                "The run could not be carried out (bad input, a failed preflight check or a "
                "crash): this says nothing about the service.",
                *f.decision.reasons,
            ]
        case _:
            return ["A dry run: preflight passed and nothing was injected.", *f.decision.reasons]


def provenance_rows(journal: Journal) -> list[tuple[str, str]]:
    """ "What was tested": everything a reader needs to trust and reproduce the run."""
    p = journal.provenance
    rows = [
        ("experiment", journal.experiment),
        ("run id", journal.run_id),
        ("environment", f"{journal.env} (driver {journal.driver})"),
    ]
    if p is None:
        rows += [
            ("experiment file", journal.source or MISSING),
            ("started", utc(journal.started_at)),
            ("finished", utc(journal.finished_at)),
            ("provenance", "not recorded (a journal written before chaosrunner recorded it)"),
        ]
        return rows
    variables = ", ".join(f"{k}={v}" for k, v in p.variables) or "none"
    rows += [
        ("chaosrunner version", p.version),
        ("experiment file", p.experiment_path or journal.source or MISSING),
        ("file SHA-256", p.experiment_sha256 or "unknown (the file could not be read)"),
        ("variables (secrets masked)", variables),
        ("command line", " ".join(p.command_line) or MISSING),
        ("lab profile", p.lab_profile or "not the lab"),
        ("host / user", f"{p.host or MISSING} / {p.user or MISSING}"),
        ("started", p.iso(journal.started_at) or MISSING),
        ("finished", p.iso(journal.finished_at) or "not finished"),
    ]
    return rows


FAULT_HEADER = (
    "fault",
    "kind",
    "target",
    "confirmed by",
    "parameters",
    "instance",
    "really active",
    "injected",
    "ended",
)
#: The confirmation cell of a planned fault that was never injected (bold in the reports).
NEVER_INJECTED = "NEVER INJECTED"


def _params_text(params: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or MISSING


def fault_rows(f: Findings) -> list[list[str]]:
    """The faults table: one row per fault and instance, with how long it was really active."""
    rows = []
    recorded = {a.fault for a in f.faults}
    for p in f.journal.plan:
        if p.fault not in recorded:
            planned = f"{NEVER_INJECTED} (planned at +{format_duration(p.planned_start)})"
            rows.append([p.fault, p.kind, p.target, planned, MISSING, MISSING, MISSING, "", ""])
    targets_of = {r.fault: r.target for r in f.journal.injections}
    one_shot = {r.fault for r in f.journal.injections if r.one_shot}
    escalated = {r.fault for r in f.journal.injections if r.escalation is not None}
    for a in f.faults:
        confirmed = a.confirmation or MISSING
        if a.confirmed_at is None:
            confirmed += " (never confirmed active)"
        if a.error:
            confirmed += f"; {a.error}"
        head = [a.fault, a.kind, targets_of.get(a.fault, ""), confirmed, _params_text(a.params)]
        if not a.targets:
            rows.append([*head, MISSING, "never active", "", ""])
        for t in a.targets:
            if t.active_seconds is None:
                active = "never active"
            elif a.fault in one_shot:
                active = "one-shot"
            else:
                active = seconds_text(t.active_seconds) + (
                    " (still active at the end: removal not recorded)" if t.open_ended else ""
                )
            ended = utc(t.ended_at) if t.ended_at is not None else MISSING
            if not a.removal_confirmed and a.removed_at is not None:
                ended += " (removal NOT confirmed)"
            elif a.fault in escalated:
                ended += (
                    " (removal NOT confirmed by Chaos Mesh: chaosrunner took its finalizer off)"
                )
            rows.append([*head, t.target, active, utc(t.injected_at), ended])
    return rows


ALERT_HEADER = ("alert", "required", "status", "fired at", "after the fault started")


def alert_rows(f: Findings) -> list[list[str]]:
    if f.expected:
        return [
            [
                r.expected.name,
                "yes"
                + (
                    f", within {seconds_text(r.expected.within)}"
                    if r.expected.within is not None
                    else ""
                )
                if r.expected.required
                else "no",
                "never fired"
                if r.detection.status is DetectionStatus.NOT_FIRED
                else r.detection.status.value,
                utc(r.detection.fired_at),
                MISSING if r.detection.seconds is None else seconds_text(r.detection.seconds),
            ]
            for r in f.expected
        ]
    return [
        [
            a.alertname,
            MISSING,
            a.status.value,
            utc(a.fired_at),
            MISSING if a.seconds is None else seconds_text(a.seconds),
        ]
        for a in f.alerts
    ]


SCORE_HEADER = (
    "hypothesis (SLI)",
    "severity",
    "weight",
    "good slices",
    "bad",
    "unknown",
    "share good",
    "points lost",
)


def score_rows(f: Findings) -> list[list[str]]:
    """The score's breakdown (``core/resilience.py``): each hypothesis' share and cost."""
    r = f.decision.resilience
    if r is None:
        return []
    return [
        [
            p.sli,
            p.severity.value,
            f"{p.weight:g}",
            str(p.good),
            str(p.bad),
            str(p.unknown),
            format_share(p.share),
            f"{p.points_lost:.1f}",
        ]
        for p in r.parts
    ]


def score_note(f: Findings) -> str:
    r = f.decision.resilience
    if r is None or r.score is None:
        return "No score: nothing was injected or no hypothesis was judged."
    note = (
        f"score {r.score:g} / 100 = 100 - the points lost below (weighted share of good "
        "blast-window timeslices; an unknown slice counts as bad)"
    )
    if r.capped:
        note += "; capped at 99 because the verdict is not PASSED"
    return note


def profile_header(p: TargetProfiles) -> list[str]:
    return ["stack (top frame of the service's own code)", "growth", *(c.label for c in p.captures)]


def profile_rows(p: TargetProfiles) -> list[list[str]]:
    return [
        [
            str(g.top) if g.top else "(a stack without symbolized frames)",
            f"+{g.growth}",
            *(MISSING if n is None else str(n) for n in g.counts),
        ]
        for g in p.growth
    ]
