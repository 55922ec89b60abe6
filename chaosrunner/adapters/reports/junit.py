"""JUnit XML, so CI systems show each SLI hypothesis and each fault as a test case.

A dry run is one skipped case per planned fault and for the verdict (no failure, no error: a
good dry run must not turn a CI job red); its preflight checks are passing cases. A guardrail
that was blind on some ticks is a skipped case that says how many, so it is seen without failing
the job. An ERROR verdict (bad input, failed preflight, a crash) is an error, not a failure.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.core.freshness import stale_note, stale_ticks
from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.journal import Journal
from chaosrunner.core.model import Phase
from chaosrunner.core.verdict import Decision, Verdict


def render(journal: Journal, decision: Decision) -> str:
    suite = ET.Element("testsuite", name=f"chaosrunner.{journal.experiment}")
    cases = 0
    failures = errors = skipped = 0

    def case(name: str, outcome: str, message: str = "") -> None:
        nonlocal cases, failures, errors, skipped
        cases += 1
        el = ET.SubElement(suite, "testcase", classname=journal.experiment, name=name)
        if outcome == "failure":
            failures += 1
            ET.SubElement(el, "failure", message=message)
        elif outcome == "error":
            errors += 1
            ET.SubElement(el, "error", message=message)
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
        ok = r.confirmed and (r.removal_confirmed or r.one_shot)
        case(
            f"fault {r.fault} injected and removed",
            "pass" if ok else "error",
            r.error or "not confirmed active or not confirmed removed",
        )
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
                case(name, "failure", a.gap or f"violated in the {label}")
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
