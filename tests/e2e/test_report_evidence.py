"""Issue #11 on the lab: the redis-timeout run records its expected alert (fired or not) and its
provenance; the goroutine-leak run captures profiles whose diff names the leaking stack. The
rendered reports (report.html, summary.md, junit.xml) say the same as the journal: the gap
table's worst value is the journal's own worst tick of the blast window, formatted in the
objective's unit; the alert is reported as fired or as never fired as the readings say; the
goroutine evidence names the leak hook's stack."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from chaosrunner import lab
from chaosrunner.core.display import format_value
from chaosrunner.core.goroutines import Capture, diff_profiles, parse_goroutine_profile
from chaosrunner.core.units import Comparator, Objective
from tests.e2e.test_game_days import ROOT, SHORT, assert_no_fault_left, run_exp


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_redis_timeout_records_its_expected_alert_and_provenance(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/redis-timeout.yaml", tmp_path, *SHORT, "--var", "blast=30s"
    )
    assert code == 1, out  # the alert is not required: the verdict stays as documented
    assert journal["expectedAlerts"] == [
        {"name": "DemoAvailabilityFastBurn", "within": 120.0, "required": False}
    ]
    readings = [r for r in journal["alertReadings"] if r["alert"] == "DemoAvailabilityFastBurn"]
    assert readings, "the expected alert was never read"
    states = {r["state"] for r in readings}
    # the lab's Prometheus answered: firing or not, never only unknown
    assert states & {"firing", "not-firing"}, readings[:5]
    # availability collapses for 30 s: the fast-burn alert (1m/10s windows) fires
    assert "firing" in states, readings
    prov = journal["provenance"]
    assert prov["labProfile"] == "default"
    assert prov["experimentPath"].endswith("experiments/redis-timeout.yaml")
    assert len(prov["experimentSha256"]) == 64
    assert prov["startedAtIso"] and prov["finishedAtIso"]
    assert prov["variables"]["blast"] == "30s"
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_goroutine_leak_profiles_name_the_leaking_stack(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/goroutine-leak.yaml", tmp_path, "--var", "recovery=30s"
    )
    assert code == 1, out
    profiles = {p["label"]: p for p in journal["profiles"]}
    assert set(profiles) == {"baseline", "blast", "recovery"}, journal["profiles"]
    for p in profiles.values():
        assert p["error"] == "", p
    run_dir = tmp_path / "out"
    captures = [
        Capture(label, parse_goroutine_profile((run_dir / profiles[label]["path"]).read_text()))
        for label in ("baseline", "blast", "recovery")
    ]
    growth = diff_profiles(captures)
    assert growth, "no stack grew between the captures"
    top = growth[0]
    assert any("leakhook" in f.function for f in top.frames), top
    assert top.counts[1] is not None and top.counts[0] is not None
    assert top.counts[1] > top.counts[0]
    assert_no_fault_left(lab_state)


def worst_in_blast(journal: dict[str, Any], sli: dict[str, Any]) -> str:
    """The SLI's worst known value in the blast window, straight from the journal's series,
    formatted in its objective's unit (as the gap table must show it)."""
    series = journal["series"][sli["name"]]
    known = [
        v
        for v, status, phase in zip(series["v"], series["status"], series["phase"], strict=True)
        if phase == "o" and status == "o"
    ]
    comparator = Comparator(sli["comparator"])
    worst = max(known) if comparator.wants_low else min(known)
    objective = Objective(comparator, sli["threshold"], sli["objective"])
    return format_value(worst, sli["unit"], objective)


def section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S)
    assert m, f"report.html has no section {anchor}"
    return m.group(1)


def assert_reports_match_the_journal(run_dir: Path, journal: dict[str, Any]) -> None:
    html = (run_dir / "report.html").read_text()
    md = (run_dir / "summary.md").read_text()
    gap = section(html, "gap-table")
    for sli in journal["slis"]:
        worst = worst_in_blast(journal, sli)
        row = re.search(
            rf"<tr><td>{re.escape(escape(sli['name']))}</td><td>[^<]*</td>"
            r'<td class="num">[^<]*</td><td class="num">([^<]*)</td>',
            gap,
        )
        assert row and row.group(1) == escape(worst), (sli["name"], worst, gap[:2000])
        md_row = re.search(
            rf"^\| {re.escape(sli['name'])} \| [^|]+ \| [^|]+ \| ([^|]+) \|", md, re.M
        )
        assert md_row and md_row.group(1).strip() == worst, (sli["name"], worst)
    tested = section(html, "what-was-tested")
    prov = journal["provenance"]
    assert prov["experimentSha256"] in tested and escape(prov["startedAtIso"]) in tested
    assert f"<dd>{prov['labProfile']}</dd>" in tested
    verdict = journal["outcome"]["verdict"]
    assert f'<span class="verdict v-{verdict}">{verdict}</span>' in html
    assert md.startswith(f"# {journal['experiment']}: {verdict}")


def assert_alert_reported(run_dir: Path, journal: dict[str, Any], name: str) -> bool:
    """The alert's row in every report agrees with its readings; returns whether it fired."""
    html = section((run_dir / "report.html").read_text(), "alerts")
    md = (run_dir / "summary.md").read_text()
    props = {
        p.get("name"): p.get("value")
        for p in ET.parse(run_dir / "junit.xml").getroot().iter("property")
    }
    start = min(i["confirmedAt"] or i["createdAt"] for i in journal["injections"])
    fired = any(
        r["state"] == "firing" and r["at"] >= start - 1e-3
        for r in journal["alertReadings"]
        if r["alert"] == name
    )
    if fired:
        assert re.search(rf"<td>{name}</td><td>no</td><td>(detected|late)</td>", html), html
        first = min(
            r["at"]
            for r in journal["alertReadings"]
            if r["alert"] == name and r["state"] == "firing" and r["at"] >= start - 1e-3
        )
        assert float(props[f"alert.{name}.timeToDetectSeconds"] or "nan") == pytest.approx(
            first - start, abs=0.1
        )
        assert f"The alert {name} that should have fired never fired" not in md
    else:
        sentence = f"The alert {name} that should have fired never fired."
        assert sentence in html and sentence in md
        assert props[f"alert.{name}.status"] == "not-fired"
    return fired


@pytest.mark.parametrize(
    ("lab_up", "exit_code"),
    [
        pytest.param("default", 1, id="default-FAILED"),
        pytest.param("resilient", 0, id="resilient-PASSED"),
    ],
    indirect=["lab_up"],
)
def test_the_redis_timeout_report_matches_its_journal(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path, exit_code: int
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/redis-timeout.yaml", tmp_path, *SHORT, "--var", "blast=30s"
    )
    assert code == exit_code, out
    run_dir = tmp_path / "out"
    assert_reports_match_the_journal(run_dir, journal)
    fired = assert_alert_reported(run_dir, journal, "DemoAvailabilityFastBurn")
    if exit_code == 1:
        assert fired, "availability collapsed for 30 s but the fast-burn alert did not fire"
    html = (run_dir / "report.html").read_text()
    faults = section(html, "timeline")
    (inj,) = journal["injections"]
    assert f"<td>{inj['fault']}</td>" in faults and "latency=" in faults, faults
    assert_no_fault_left(lab_state)


@pytest.mark.parametrize("lab_up", ["default"], indirect=True)
def test_the_goroutine_leak_report_names_the_leaking_stack(
    lab_up: lab.LabStatus, lab_state: Path, tmp_path: Path
) -> None:
    code, journal, out = run_exp(
        ROOT / "experiments/goroutine-leak.yaml", tmp_path, "--var", "recovery=30s"
    )
    assert code == 1, out
    run_dir = tmp_path / "out"
    assert_reports_match_the_journal(run_dir, journal)
    evidence = section((run_dir / "report.html").read_text(), "goroutine-profiles")
    top = re.search(r'<tbody><tr><td>([^<]*)</td><td class="num">\+(\d+)</td>', evidence)
    assert top, evidence
    assert "leakhook" in top.group(1) and int(top.group(2)) > 10, top.group(0)
    assert "leakhook" in (run_dir / "summary.md").read_text().split("## Goroutine profiles")[1]
    assert_no_fault_left(lab_state)
