"""JUnit XML, so CI systems show each SLI hypothesis and each fault as a test case.

A dry run is one skipped case per planned fault and for the verdict (no failure, no error: a
good dry run must not turn a CI job red); its preflight checks are passing cases. A guardrail
that was blind on some ticks is a skipped case that says how many, so it is seen without failing
the job. An ERROR verdict (bad input, failed preflight, a crash) is an error, not a failure.

A failure's or error's text is in its ``message`` attribute and in the element's body too (many CI
viewers show only one of them), with values in the objective's unit. The score and its breakdown
(``score.<sli>.share``/``pointsLost``), each SLI's budget burn and each expected alert
(``alert.<name>.status``/``required``/``timeToDetectSeconds``) are ``<properties>`` of the suite.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.adapters.reports.findings import Findings, SliFinding, findings
from chaosrunner.core.freshness import stale_note, stale_ticks
from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.journal import InjectionRecord, Journal
from chaosrunner.core.model import Phase
from chaosrunner.core.verdict import Decision, Verdict


def render(journal: Journal, decision: Decision, found: Findings | None = None) -> str:
    f = found if found is not None else findings(journal, decision)
    by_name = {s.name: s for s in f.slis}
    suite = ET.Element("testsuite", name=f"chaosrunner.{journal.experiment}")
    _properties(suite, f)
    cases = 0
    failures = errors = skipped = 0

    def case(name: str, outcome: str, message: str = "") -> None:
        nonlocal cases, failures, errors, skipped
        cases += 1
        el = ET.SubElement(suite, "testcase", classname=journal.experiment, name=name)
        if outcome == "failure":
            failures += 1
            ET.SubElement(el, "failure", message=message).text = message
        elif outcome == "error":
            errors += 1
            ET.SubElement(el, "error", message=message).text = message
        elif outcome == "skipped":
            skipped += 1
            ET.SubElement(el, "skipped", message=message)

    if decision.verdict is Verdict.DRY_RUN:
        for c in journal.preflight:
            case(f"preflight: {c.name}", "pass" if c.ok else "error", c.detail)
        for p in journal.plan:
            case(f"fault {p.fault} injected and removed", "skipped", "dry run: not injected")
        case(f"verdict {decision.verdict.value}", "skipped", "; ".join(decision.reasons))
        return _document(suite, cases, failures, errors, skipped)

    recorded = {r.fault for r in journal.injections}
    for p in journal.plan:
        if p.fault not in recorded:
            case(f"fault {p.fault} injected and removed", "error", "planned but never injected")
    for r in journal.injections:
        ok = r.confirmed and (r.removal_confirmed or r.one_shot) and r.escalation is None
        case(f"fault {r.fault} injected and removed", "pass" if ok else "error", _fault_why(r))
    ticks = max((len(s) for s in journal.series.values()), default=0)
    for g in journal.guardrails if ticks else ():
        name = g.get("name", "")
        blind = journal.guardrail_blind_ticks.get(name, 0)
        case(
            f"guardrail {name} could see on every tick",
            "skipped" if blind else "pass",
            f"blind (no data, probe error or stale data) on {blind} of {ticks} ticks: it could "
            "not fire then",
        )
    if len(journal.ticks):
        missed = journal.ticks.missed()
        case(
            "every due tick sampled in time",
            "failure" if missed else "pass",
            f"{missed} of {len(journal.ticks)} due ticks were missed (late or skipped): "
            "their evidence is missing",
        )
    for a in decision.slis:
        for label, res in (
            ("baseline", a.baseline.outcome),
            ("blast window", a.observe.outcome),
            ("recovery", a.recovery.outcome),
        ):
            name = f"{a.name} {a.objective} in {label}"
            if res is Outcome.HELD:
                case(name, "pass")
            elif res is Outcome.VIOLATED:
                text = _violation(by_name[a.name], label) if a.name in by_name else ""
                case(name, "failure", text or a.gap or f"violated in the {label}")
            elif decision.verdict in (Verdict.ERROR, Verdict.ABORTED) and res is Outcome.EMPTY:
                case(name, "skipped", f"not reached: run {decision.verdict.value}")
            else:
                note = stale_note(journal, a.name, _PHASES[label]) if res is Outcome.STALE else ""
                case(name, "error", f"no verdict in the {label}: {res.value}" + _colon(note))
        stale, judged = _stale_ticks(journal, a.name)
        if stale:
            # Stale ticks in the baseline or blast window keep a run from passing; in recovery
            # only the last tick counts, so earlier stale ones are shown without failing.
            case(f"{a.name} data fresh on every tick", "error" if judged else "skipped", stale)
    case(
        f"verdict {decision.verdict.value}",
        {Verdict.PASSED: "pass", Verdict.ERROR: "error"}.get(decision.verdict, "failure"),
        "; ".join(decision.reasons),
    )
    return _document(suite, cases, failures, errors, skipped)


_PHASES = {"baseline": Phase.BASELINE, "blast window": Phase.OBSERVE, "recovery": Phase.RECOVERY}
STALE_TICKS_LISTED = 20


def _violation(s: SliFinding, label: str) -> str:
    """What went wrong, in the objective's unit: ``reached 62.9 % against >= 99.5 %``."""
    a = s.assessment
    if a is None:
        return ""
    if label == "recovery":
        return (
            f"{s.name} did not come back within {s.objective_text} before the recovery limit "
            f"(time to recover: {s.recovery_text})"
        )
    r = a.baseline if label == "baseline" else a.observe
    text = (
        f"{s.name} reached {s.fmt(r.worst)} against {s.objective_text}: "
        f"{r.bad}/{r.ticks} ticks missed in the {label}"
    )
    if label == "blast window":
        text += f"; time to impact {s.impact_text}; degradation {s.degradation_text}"
        if s.burn is not None:
            text += f"; budget burned {s.budget_text}"
    return text


def _properties(suite: ET.Element, f: Findings) -> None:
    props = ET.SubElement(suite, "properties")

    def prop(name: str, value: str) -> None:
        ET.SubElement(props, "property", name=name, value=value)

    prop("verdict", f.decision.verdict.value)
    prop("score", "" if f.decision.score is None else f"{f.decision.score:g}")
    prop("runId", f.journal.run_id)
    for s in f.slis:
        b = s.burn
        prop(f"sli.{s.name}.budgetBurned", s.budget_text)
        if b is not None:
            prop(f"sli.{s.name}.budgetBurnedMinutes", f"{b.consumed_minutes:.3f}")
            prop(f"sli.{s.name}.budgetBurnedShare", f"{b.consumed_share:.6f}")
        prop(f"sli.{s.name}.worstInBlast", s.fmt(s.worst))
        prop(f"sli.{s.name}.timeToImpact", s.impact_text)
        prop(f"sli.{s.name}.timeToRecover", s.recovery_text)
    r = f.decision.resilience
    for part in r.parts if r is not None else ():
        prop(f"score.{part.sli}.share", f"{part.share:.4f}")
        prop(f"score.{part.sli}.pointsLost", f"{part.points_lost:.1f}")
    if r is not None and r.capped:
        prop("score.capped", "true")
    for a in f.expected:
        d = a.detection
        prop(f"alert.{a.expected.name}.status", d.status.value)
        prop(f"alert.{a.expected.name}.required", "true" if a.expected.required else "false")
        if d.seconds is not None:
            prop(f"alert.{a.expected.name}.timeToDetectSeconds", f"{d.seconds:.1f}")


def _colon(note: str) -> str:
    return f": {note}" if note else ""


def _stale_ticks(journal: Journal, sli: str) -> tuple[str, bool]:
    """Every stale tick of ``sli`` (the first ``STALE_TICKS_LISTED``), with why ('' if none),
    and whether any was in a judged phase (baseline, blast window)."""
    series = journal.series[sli]
    counts = {label: stale_ticks(series, phase) for label, phase in _PHASES.items()}
    total = sum(counts.values())
    if not total:
        return "", False
    where = ", ".join(f"{label} {n}" for label, n in counts.items() if n)
    listed = journal.stale_for(sli)[:STALE_TICKS_LISTED]
    ticks = "; ".join(f"t={r.t:.3f}: {r.reason}" for r in listed)
    more = f"; and {total - len(listed)} more" if total > len(listed) else ""
    judged = bool(counts["baseline"] or counts["blast window"])
    return f"{total} tick(s) read from stale samples ({where}): {ticks}{more}", judged


def _document(suite: ET.Element, cases: int, failures: int, errors: int, skipped: int) -> str:
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _fault_why(r: InjectionRecord) -> str:
    """Why a fault's case is an error: its own error, or an escalated removal."""
    if r.escalation is not None and not r.error:
        return (
            "removed only by taking Chaos Mesh's finalizer off: the target may not have "
            f"recovered ({r.escalation.summary})"
        )
    return r.error or "not confirmed active or not confirmed removed"
