"""Issue #11's evidence in the rendered reports: a run's expected alerts, goroutine profiles,
provenance, faults table and score breakdown reach report.html, summary.md and junit.xml, at the
end of the run and when ``chaosrunner report`` rebuilds them from the run directory."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

from chaosrunner.adapters.redact import Redactor
from chaosrunner.adapters.reports import html as html_report
from chaosrunner.adapters.reports.findings import findings
from chaosrunner.core.goroutines import (
    Capture,
    Frame,
    GoroutineProfile,
    Stack,
    own_prefixes,
    target_profiles,
)
from chaosrunner.core.journal import Journal
from chaosrunner.core.verdict import Verdict, decide
from chaosrunner.runner.provenance import provenance_of
from chaosrunner.runner.session import rebuild_outputs, write_outputs
from tests.support import experiment
from tests.unit.run.test_report_evidence import PPROF, SECRET, FakeFetcher, run, with_alert


def outputs(out: Path) -> tuple[str, str, ET.Element]:
    return (
        (out / "report.html").read_text(),
        (out / "summary.md").read_text(),
        ET.parse(out / "junit.xml").getroot(),
    )


def props(junit: ET.Element) -> dict[str, str]:
    return {p.get("name", ""): p.get("value", "") for p in junit.iter("property")}


def section(html: str, anchor: str) -> str:
    m = re.search(rf'<section id="{anchor}">(.*?)</section>', html, re.S)
    assert m, f"no section {anchor}"
    return m.group(1)


def test_a_required_alert_that_never_fired_is_a_finding_in_every_report(tmp_path: Path) -> None:
    runner, *_ = run(with_alert(required=True), "silent")
    decision = runner.decision
    assert decision is not None and decision.verdict is Verdict.FAILED
    write_outputs(tmp_path, runner.journal, decision, Redactor())
    html, md, junit = outputs(tmp_path)
    sentence = (
        "The alert DemoFastBurn that should have fired never fired (required by the experiment)."
    )
    assert sentence in section(html, "alerts") and sentence in md
    assert "<td>DemoFastBurn</td><td>yes</td><td>never fired</td>" in section(html, "alerts")
    assert "| DemoFastBurn | yes | never fired |" in md
    p = props(junit)
    assert p["alert.DemoFastBurn.status"] == "not-fired"
    assert p["alert.DemoFastBurn.required"] == "true"


def test_a_fired_alert_says_when_and_how_long_after_the_fault(tmp_path: Path) -> None:
    runner, *_ = run(with_alert(required=False), "fires")
    assert runner.decision is not None
    write_outputs(tmp_path, runner.journal, runner.decision, Redactor())
    html, md, junit = outputs(tmp_path)
    assert "never fired" not in html
    assert re.search(r"\| DemoFastBurn \| no \| detected \| 1970-01-12 [\d:]+ UTC \| \d+ s \|", md)
    assert float(props(junit)["alert.DemoFastBurn.timeToDetectSeconds"]) <= 1.0


def test_goroutine_evidence_names_the_leaking_stack_and_the_failed_capture(
    tmp_path: Path,
) -> None:
    run_dir = tmp_path / "run"
    runner, *_ = run(PPROF, "silent", fetcher=FakeFetcher(), out=run_dir)
    assert runner.decision is not None
    write_outputs(run_dir, runner.journal, runner.decision, Redactor())
    html, md, _ = outputs(run_dir)
    evidence = section(html, "goroutine-profiles")
    assert "chaosrunner.dev/demo/leakhook.(*leak).spawn.func1 (leak.go:153)" in evidence
    assert '<td class="num">+120</td><td class="num">0</td><td class="num">120</td>' in evidence
    assert "capture recovery failed</b>: GET http://127.0.0.1:9/debug/pprof" in evidence
    assert "chaosrunner.dev/demo/leakhook.(*leak).spawn.func1 (leak.go:153)" in md
    # rebuilt elsewhere from the run directory: the profiles are read from beside the journal
    rebuilt = tmp_path / "rebuilt"
    rebuild_outputs(run_dir / "journal.json", output_dir=rebuilt)
    assert "leakhook.(*leak).spawn.func1" in section(outputs(rebuilt)[0], "goroutine-profiles")
    # a profile file gone later is stated, not dropped
    shutil.rmtree(run_dir / "profiles")
    rebuild_outputs(run_dir / "journal.json", output_dir=rebuilt)
    gone = section(outputs(rebuilt)[0], "goroutine-profiles")
    assert "capture baseline failed</b>: cannot read profiles/backend-baseline.txt" in gone


def test_what_was_tested_the_faults_table_and_the_score_breakdown(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(SECRET)
    exp = experiment(SECRET)
    exp = type(exp)(**{**exp.__dict__, "source": str(path)})
    prov = provenance_of(exp, ["chaosrunner", "run", str(path), "--var", "token=s3cr3t-value"])
    runner, *_ = run(SECRET, "silent", provenance=prov)
    assert runner.decision is not None
    out = tmp_path / "out"
    out.mkdir()
    write_outputs(out, runner.journal, runner.decision, Redactor())
    html, md, junit = outputs(out)
    tested = section(html, "what-was-tested")
    assert prov.experiment_sha256 in tested and prov.experiment_sha256 in md
    assert "token=***, who=sre" in tested and "s3cr3t-value" not in html + md
    assert "1970-01-12T13:46:40+00:00" in tested or re.search(r"T\d\d:\d\d:\d\d[+-]", tested)
    assert "--var token=***" in md
    faults = section(html, "timeline")
    assert "<td>pid:1</td>" in faults and "really active" in faults
    assert re.search(r"\| pause-backend \| process-pause \| backend \| .* \| pid:1 \| \d s \|", md)
    score = section(html, "score")
    assert (
        "points lost" in score
        and '<td>latency</td><td>critical</td><td class="num">3</td>' in score
    )
    assert props(junit)["score.latency.share"] == "1.0000"


def _frame(function: str, file: str) -> Frame:
    return Frame(function, file, 10)


def test_the_services_own_code_is_derived_from_the_profile() -> None:
    redis = _frame(
        "github.com/redis/go-redis/v9/internal/pool.(*ConnPool).Get",
        "/root/go/pkg/mod/github.com/redis/go-redis/v9@v9.5.1/internal/pool/pool.go",
    )
    handler = _frame("main.handleOrders", "/src/demo/cmd/demo-service/server.go")
    mine = _frame("example.com/shop/cart.(*Cart).Load", "/src/shop/cart/cart.go")
    parked = _frame("runtime.gopark", "/usr/local/go/src/runtime/proc.go")

    def capture(label: str, n: int) -> Capture:
        stacks = (Stack(n, (parked, redis, handler)), Stack(1, (parked, redis, mine)))
        return Capture(label, GoroutineProfile(n + 1, stacks))

    captures = [capture("baseline", 1), capture("blast", 40)]
    assert own_prefixes([c.profile for c in captures if c.profile]) == (
        "example.com/shop/cart.",
        "main.",
    )
    evidence = target_profiles("backend", captures)
    # without the derived prefixes the third-party pool would name the stack
    assert evidence.growth[0].top == handler and evidence.growth[0].counts == (1, 40)


def test_a_journal_from_before_provenance_says_so_instead_of_an_empty_section() -> None:
    fixture = Path(__file__).parents[1] / "report" / "fixtures" / "journal-v1.json"
    journal = Journal.from_dict(json.loads(fixture.read_text()))
    page = html_report.render(findings(journal, decide(journal)))
    tested = section(page, "what-was-tested")
    assert "not recorded (a journal written before chaosrunner recorded it)" in tested
    assert "No profiles captured" in section(page, "goroutine-profiles")
    assert "None expected" in section(page, "alerts")
