"""The generic webhook against local HTTP servers on loopback, and through real runs.

A server that records, one that hangs (the timeout bounds each attempt), one that answers 500
(retried, then given up): a notice is delivered or its failure recorded and said, and the
run's exit code is the verdict's either way.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from promlab import PromLab

from chaosrunner.adapters.webhook import WebhookNotifier
from chaosrunner.core.notify import Notice, NoticeEvent, WebhookConfig
from tests.integration.runs import run


class Server:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.bodies: list[dict[str, Any]] = []
        self.hits = 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.hits += 1
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if outer.mode == "hang":
                    outer.release.wait(30)
                    return
                fail = outer.mode == "500" or (outer.mode == "500-then-ok" and outer.hits == 1)
                if not fail:
                    outer.bodies.append(body)
                self.send_response(500 if fail else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    s = Server(request.param)
    yield s
    s.close()


NOTICE = Notice(
    NoticeEvent.VERDICT,
    "experiment",
    "x",
    "run-1",
    "2026-01-01T00:00:00+00:00",
    verdict="FAILED",
    exit_code=1,
    reasons=("availability violated",),
)


@pytest.mark.parametrize("server", ["ok"], indirect=True)
def test_a_notice_is_posted_as_json(server: Server) -> None:
    delivery = WebhookNotifier(WebhookConfig(server.url)).notify(NOTICE)
    assert delivery.ok and delivery.attempts == 1
    assert server.bodies == [
        {
            "event": "verdict",
            "scope": "experiment",
            "name": "x",
            "runId": "run-1",
            "at": "2026-01-01T00:00:00+00:00",
            "verdict": "FAILED",
            "exitCode": 1,
            "reasons": ["availability violated"],
        }
    ]


@pytest.mark.parametrize("server", ["500"], indirect=True)
def test_a_500_is_retried_then_given_up_without_raising(server: Server) -> None:
    notifier = WebhookNotifier(WebhookConfig(server.url, timeout=2, retries=2, backoff=0.01))
    delivery = notifier.notify(NOTICE)
    assert not delivery.ok and delivery.attempts == 3 and server.hits == 3
    assert "HTTP 500" in delivery.error


@pytest.mark.parametrize("server", ["500-then-ok"], indirect=True)
def test_a_retry_delivers_after_one_failure(server: Server) -> None:
    delivery = WebhookNotifier(WebhookConfig(server.url, retries=2, backoff=0.01)).notify(NOTICE)
    assert delivery.ok and delivery.attempts == 2 and len(server.bodies) == 1


@pytest.mark.parametrize("server", ["hang"], indirect=True)
def test_a_hanging_server_costs_at_most_the_timeout_per_attempt(server: Server) -> None:
    notifier = WebhookNotifier(WebhookConfig(server.url, timeout=0.5, retries=1, backoff=0.01))
    began = time.monotonic()
    delivery = notifier.notify(NOTICE)
    assert time.monotonic() - began < 3
    assert not delivery.ok and delivery.attempts == 2 and "timed out" in delivery.error


def test_an_unreachable_url_is_a_failed_delivery_not_an_exception() -> None:
    notifier = WebhookNotifier(WebhookConfig("http://127.0.0.1:9/x", retries=0))
    assert not notifier.notify(NOTICE).ok
    assert not WebhookNotifier(WebhookConfig("not a url", retries=0)).notify(NOTICE).ok


def _run(lab: PromLab, tmp: Path, victim: Path, url: str) -> tuple[int, dict[str, Any], str]:
    return run(
        "fixture-pause.yaml",
        tmp,
        "--var", f"prom_url={lab.prometheus_url}",
        "--var", f"victim_pidfile={victim}",
        "--webhook", url,
        "--webhook-timeout", "1",
        "--webhook-retries", "1",
    )  # fmt: skip


@pytest.mark.parametrize("server", ["ok"], indirect=True)
def test_a_run_posts_start_and_verdict(
    prom_lab_fresh: PromLab, tmp_path: Path, server: Server
) -> None:
    code, journal, out = _run(prom_lab_fresh, tmp_path, prom_lab_fresh.decoy_pidfile, server.url)
    assert code == 0, out
    assert [b["event"] for b in server.bodies] == ["started", "verdict"]
    assert server.bodies[0]["runId"] == server.bodies[1]["runId"] == journal["runId"]
    assert server.bodies[1]["verdict"] == "PASSED" and server.bodies[1]["exitCode"] == 0


@pytest.mark.parametrize("server", ["500", "hang"], indirect=True)
def test_a_broken_webhook_never_changes_the_exit_code(
    prom_lab_fresh: PromLab, tmp_path: Path, server: Server
) -> None:
    code, journal, out = _run(prom_lab_fresh, tmp_path, prom_lab_fresh.backend_pidfile, server.url)
    assert code == 1, out
    assert journal["outcome"]["verdict"] == "FAILED"
    assert server.hits == 4  # start and verdict, each tried twice
    assert "warning: webhook started:" in out and "warning: webhook verdict:" in out
