"""report.html in a real browser: Debian's headless Chromium opens it from disk, draws every SLI's
chart, loads nothing (the page's CSP is ``default-src 'none'``, so any fetch would be a logged
violation), and leaves a screenshot in the test's output folder for a person to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from chaosrunner.adapters.reports import html
from chaosrunner.adapters.reports.findings import findings
from chaosrunner.cli import main
from chaosrunner.core.model import Phase
from chaosrunner.core.verdict import decide
from tests.unit.core.builders import ERR, MS, ND, journal_with

CHROMIUM = shutil.which("chromium")
V1 = Path(__file__).resolve().parents[1] / "unit" / "report" / "fixtures" / "journal-v1.json"
#: What Chromium logs when a page tries to load something (blocked or failed).
LOAD_PROBLEMS = re.compile(
    r"violates the following Content Security Policy|Failed to load resource|net::ERR_", re.I
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (scripts/install-system-deps.sh)"
)


def _chromium(page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            f"--user-data-dir={page.parent / '.chromium'}",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def _check(page: Path, slis: set[str]) -> None:
    text = page.read_text()
    external = {
        u
        for u in re.findall(r"(?:src|href)=\"([^\"]+)\"", text)
        if not u.startswith(("#", "data:")) and "/graph?g0.expr=" not in u
    }
    assert not external, external  # only the (never loaded) links to Prometheus' graph page
    dom = _chromium(page, "--dump-dom")
    assert not LOAD_PROBLEMS.search(dom.stderr), dom.stderr
    drawn = dict(re.findall(r'<svg class="chart" data-sli="([^"]+)"(.*?)</svg>', dom.stdout, re.S))
    assert set(drawn) == slis
    for name, body in drawn.items():
        d = re.search(r'<path class="series" d="([^"]+)"', body)
        assert d and "L" in d.group(1), name
    shot = page.with_suffix(".png")
    _chromium(page, f"--screenshot={shot}", "--window-size=1280,4000", "--hide-scrollbars")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_a_failed_run_report_renders_in_chromium(tmp_path: Path) -> None:
    journal = journal_with(
        {
            "availability": {Phase.OBSERVE: [1.0, 0.62, 0.6288, ND, 0.7]},
            "latency": {Phase.OBSERVE: [0.001, ERR, 0.15, 0.3, MS]},
        }
    )
    journal.prometheus_url = "http://127.0.0.1:9090"
    page = tmp_path / "report.html"
    page.write_text(html.render(findings(journal, decide(journal))))
    _check(page, {"availability", "latency"})


def test_a_version_1_journal_report_renders_in_chromium(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(V1, run / "journal.json")
    assert main(["report", str(run), "--format", "html"]) == 1
    _check(run / "report.html", {"availability", "p95-latency"})


def test_a_page_that_loads_something_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a page that fetches an image is seen doing so."""
    page = tmp_path / "bad.html"
    journal = journal_with()
    good = html.render(findings(journal, decide(journal)))
    page.write_text(good.replace("<body>", '<body><img src="http://127.0.0.2:9/x.png">', 1))
    dom = _chromium(page, "--dump-dom")
    assert LOAD_PROBLEMS.search(dom.stderr)
