"""The gate's own reports: JUnit XML (one case per experiment x SLO) and a pull-request comment.

JUnit keeps to the shape GitLab, GitHub (test-reporter actions) and Jenkins all read: a
``<testsuites>`` root with ``tests``/``failures``/``errors``/``skipped``/``time`` counts, one
``<testsuite>`` per experiment (its name, the same counts, ``timestamp``), and ``<testcase
classname=EXPERIMENT name=SLO time=...>`` holding at most one ``<failure>`` or ``<error>`` with
``message`` and ``type`` attributes and the text in the body. A run that proves nothing
(INCONCLUSIVE, ABORTED) is a failure, never a skip: a skip shows green in some viewers. Missing
coverage is a ``coverage`` suite whose cases fail. The Markdown is sized for a comment: one
table row per experiment, the first reasons, and a link to each full report.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from chaosrunner.core.gate import CaseStatus, GateEntry, GateResult
from chaosrunner.core.verdict import Verdict

#: Rows in the comment before the table is cut (a comment must stay readable).
MAX_ROWS = 30
_ICON = {
    Verdict.PASSED: "✅",
    Verdict.FAILED: "❌",
    Verdict.ABORTED: "🛑",
    Verdict.INCONCLUSIVE: "❔",
    Verdict.ERROR: "💥",
    Verdict.DRY_RUN: "➖",
}


def render_junit(result: GateResult, timestamp: str) -> str:
    root = ET.Element("testsuites", name=f"chaosrunner gate {result.contract}")
    totals = [0, 0, 0]
    for entry in result.entries:
        suite = ET.SubElement(root, "testsuite", name=entry.experiment, timestamp=timestamp)
        counts = [0, 0, 0]
        share = f"{entry.seconds / max(1, len(entry.slos)):.3f}"
        for slo in entry.slos:
            case = ET.SubElement(
                suite, "testcase", classname=entry.experiment, name=slo.slo, time=share
            )
            counts[0] += 1
            if slo.status is CaseStatus.PASSED:
                continue
            tag = "failure" if slo.status is CaseStatus.FAILED else "error"
            counts[1 if tag == "failure" else 2] += 1
            message = f"{slo.label}: {slo.message}" if slo.message else slo.label
            el = ET.SubElement(case, tag, message=message, type=entry.verdict.value)
            el.text = f"{message}\nreport: {entry.output_dir}" if entry.output_dir else message
        _counts(suite, counts, entry.seconds)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    if result.gaps:
        suite = ET.SubElement(root, "testsuite", name="coverage", timestamp=timestamp)
        for gap in result.gaps:
            name = gap.fault_class + (f" on {gap.target}" if gap.target else "")
            case = ET.SubElement(suite, "testcase", classname="coverage", name=name, time="0")
            message = f"required by the contract: {gap.describe()}"
            ET.SubElement(case, "failure", message=message, type="COVERAGE").text = message
        _counts(suite, [len(result.gaps), len(result.gaps), 0], 0.0)
        totals = [totals[0] + len(result.gaps), totals[1] + len(result.gaps), totals[2]]
    _counts(root, totals, sum(e.seconds for e in result.entries))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _counts(el: ET.Element, counts: list[int], seconds: float) -> None:
    el.set("tests", str(counts[0]))
    el.set("failures", str(counts[1]))
    el.set("errors", str(counts[2]))
    el.set("skipped", "0")
    el.set("time", f"{seconds:.3f}")


def render_markdown(result: GateResult) -> str:
    verdict = result.verdict
    lines = [
        f"### {_ICON[verdict]} chaosrunner gate: {verdict.value} (exit {verdict.exit_code})",
        "",
        f"Contract `{result.contract}`: {len(result.entries)} experiment(s); the gate passes "
        "only if every one PASSES and the contract's coverage is met.",
        "",
    ]
    if result.gaps:
        lines.append("**Coverage missing** (the gate fails):")
        lines += [f"- {gap.describe()}" for gap in result.gaps[:10]]
        if len(result.gaps) > 10:
            lines.append(f"- ... and {len(result.gaps) - 10} more")
        lines.append("")
    if result.entries:
        lines += ["| experiment | verdict | SLOs |", "|---|---|---|"]
        for entry in result.entries[:MAX_ROWS]:
            lines.append(_row(entry))
        if len(result.entries) > MAX_ROWS:
            lines.append(f"| ... {len(result.entries) - MAX_ROWS} more | | |")
        lines.append("")
    notes = [e for e in result.entries if e.verdict is not Verdict.PASSED][:5]
    for entry in notes:
        reason = _cell(entry.reasons[0]) if entry.reasons else ""
        where = f" ([report]({entry.output_dir}/summary.md))" if entry.output_dir else ""
        lines.append(f"- **{entry.experiment}** {entry.verdict.value}: {reason}{where}")
    return "\n".join(lines).rstrip() + "\n"


def _row(entry: GateEntry) -> str:
    slos = "<br>".join(
        f"{'✅' if s.status is CaseStatus.PASSED else '❌'} {_cell(s.slo)}: {_cell(s.label)}"
        for s in entry.slos[:8]
    )
    if len(entry.slos) > 8:
        slos += f"<br>... {len(entry.slos) - 8} more"
    icon = _ICON[entry.verdict]
    return f"| {_cell(entry.experiment)} | {icon} {entry.verdict.value} | {slos} |"


def _cell(text: str) -> str:
    one = " ".join(text.split()).replace("|", "\\|")
    return one if len(one) <= 160 else one[:157] + "..."
