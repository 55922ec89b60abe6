"""JUnit XML, so CI systems show each SLI hypothesis and each fault as a test case."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.core.hypothesis import Outcome
from chaosrunner.core.journal import Journal
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

    for r in journal.injections:
        ok = r.confirmed and (r.removal_confirmed or r.one_shot)
        case(
            f"fault {r.fault} injected and removed",
            "pass" if ok else "error",
            r.error or "not confirmed active or not confirmed removed",
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
                case(name, "error", f"no verdict in the {label}: {res.value}")
    case(
        f"verdict {decision.verdict.value}",
        "pass" if decision.verdict is Verdict.PASSED else "failure",
        "; ".join(decision.reasons),
    )
    suite.set("tests", str(cases))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", str(skipped))
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
