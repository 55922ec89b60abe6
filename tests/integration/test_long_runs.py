"""Issue #10 against real processes: a run killed with SIGKILL leaves an appended journal that
`chaosrunner report` turns into its outputs (never PASSED); a query to a real HTTP server that
hangs is a probe error on its tick while the other queries of the tick are answered."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from promlab import PromLab

from chaosrunner.adapters.prometheus import PrometheusSource
from chaosrunner.core.journal import SampleStatus
from chaosrunner.core.model import PrometheusConfig
from chaosrunner.runner.probes import Prober, Query
from tests.integration.runs import start
from tests.integration.test_runs import assert_fault_gone, vars_for


def test_sigkill_mid_blast_leaves_a_journal_that_report_turns_into_error_outputs(
    prom_lab_fresh: PromLab, tmp_path: Path
) -> None:
    lab = prom_lab_fresh
    r = start(
        "fixture-pause.yaml", tmp_path, *vars_for(lab, lab.decoy_pidfile), "--var", "blast=60s"
    )
    r.wait_for_journal(
        lambda j: (
            j["injections"]
            and j["injections"][0]["confirmedAt"]
            and "o" in j["series"]["availability"]["phase"]
        )
    )
    r.proc.kill()
    r.wait(10)
    assert not (r.out / "journal.json").exists()  # written once, at the end: never reached
    proc = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "report", str(r.out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "did not finish" in proc.stdout
    journal = json.loads((r.out / "journal.json").read_text())
    assert journal["outcome"]["verdict"] == "ERROR"
    assert "no end record" in journal["failure"]["message"]
    inj = journal["injections"][0]
    assert inj["fault"] == "pause-victim" and inj["confirmedAt"]
    assert "o" in journal["series"]["availability"]["phase"]  # the evidence it left
    assert (r.out / "summary.md").read_text().startswith("# ")
    assert "ERROR" in (r.out / "summary.md").read_text()
    assert (r.out / "junit.xml").read_text().startswith("<?xml")
    assert_fault_gone(lab, tmp_path, lab.decoy_pid)  # the watchdog ended it


class _Handler(BaseHTTPRequestHandler):
    release: threading.Event

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query).get("query", [""])[0]
        if url.path == "/api/v1/targets":
            self._json({"status": "success", "data": {"activeTargets": []}})
        elif query == "time()":
            self._json(
                {
                    "status": "success",
                    "data": {"resultType": "scalar", "result": [time.time(), str(time.time())]},
                }
            )
        else:
            if query == "vector(2)":
                self.release.wait(10)  # hangs far past the deadline
            self._json(
                {
                    "status": "success",
                    "data": {
                        "resultType": "vector",
                        "result": [{"metric": {}, "value": [time.time(), "1"]}],
                    },
                }
            )

    def _json(self, body: object) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (its timeout): nothing to answer

    def log_message(self, *_args: object) -> None: ...


@pytest.fixture
def hanging_server() -> Iterator[tuple[str, threading.Event]]:
    release = threading.Event()
    handler = type("H", (_Handler,), {"release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", release
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_a_query_that_hangs_is_a_probe_error_while_the_others_answer(
    hanging_server: tuple[str, threading.Event],
) -> None:
    url, _release = hanging_server
    source = PrometheusSource(PrometheusConfig(url=url, timeout=10.0), timeout=0.5)
    prober = Prober(source, 0.5, workers=8)
    queries = [Query("fast", "vector(1)"), Query("hung", "vector(2)"), Query("also", "vector(3)")]
    try:
        started = time.monotonic()
        got = {q.key: r for q, r in prober.ask(queries, time.time())}
        took = time.monotonic() - started
        assert took < 1.5, f"the tick waited {took:.2f}s"
        assert got["fast"].status is SampleStatus.OK and got["fast"].value == 1.0
        assert got["also"].status is SampleStatus.OK
        assert got["hung"].status is SampleStatus.ERROR
        assert "no answer within 0.5 s" in got["hung"].error
        # the next tick starts on time: the hung query is still a probe error, the others answer
        started = time.monotonic()
        again = {q.key: r for q, r in prober.ask(queries, time.time())}
        assert time.monotonic() - started < 1.5
        assert again["fast"].status is SampleStatus.OK
        assert again["hung"].status is SampleStatus.ERROR
    finally:
        prober.close()
