"""``gameday run --serve``: the live page people watch on a screen during a game day.

It is the running experiment's own report page (report.html, rebuilt from its appended journal
on every request: each SLI's chart with its objective line and the fault window, the
guardrails), with a banner on top (the game day, which experiment, its phase, the notes) and a
``<meta http-equiv="refresh">`` so the browser reloads it every few seconds. No script and no
external asset: the report's own Content-Security-Policy (``default-src 'none'``) still holds.
While a run is going, its verdict badge is hidden: nothing is decided until it ends. Once the
game day ends, the page is the consolidated report.

Stdlib ``http.server`` on a daemon thread, loopback by default; GET only; one page and a JSON
status (``/status.json``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import structlog

from chaosrunner.adapters.reports import html
from chaosrunner.adapters.reports.findings import findings
from chaosrunner.adapters.reports.journal_log import JOURNAL_LOG, read_log
from chaosrunner.core.verdict import decide
from chaosrunner.runner.gameday_notes import read_notes

log = structlog.get_logger("chaosrunner.gameday.serve")
DEFAULT_ADDR = "127.0.0.1:8642"
REFRESH_SECONDS = 3
_BANNER_CSS = (
    "#live{position:sticky;top:0;z-index:9;background:#0b3d91;color:#fff;padding:8px 14px;"
    "border-radius:0 0 8px 8px;margin:-16px -8px 12px}#live a{color:#fff}"
    "#live ul{margin:4px 0 0;padding-left:18px;font-size:13px}"
)
_HIDE_VERDICT = ".summary .verdict{display:none}"


@dataclass
class LiveStatus:
    """What the sequencer is doing now; written by it, read by the server's threads."""

    name: str
    header: str = "starting"
    #: The running experiment's output directory (None between experiments).
    folder: Path | None = None
    done: bool = False


def parse_addr(text: str) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``PORT`` (host 127.0.0.1); ValueError if not."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{text!r} is not an address; expected HOST:PORT, e.g. {DEFAULT_ADDR}")
    return host.strip("[]") or "127.0.0.1", int(port)


def live_page(out: Path, status: LiveStatus) -> str:
    """The page as it is now."""
    notes = read_notes(out)
    report = out / "report.html"
    if status.done and report.exists():
        return report.read_text(encoding="utf-8")
    phase, page, running = "", "", False
    if status.folder is not None and (status.folder / JOURNAL_LOG).exists():
        contents = read_log(status.folder / JOURNAL_LOG)
        journal = contents.journal
        page = html.render(findings(journal, decide(journal)))
        phase = journal.phases[-1].phase.value if journal.phases else "preflight"
        running = not contents.finished
    if not page:
        page = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
            "style-src 'unsafe-inline'\">"
            f"<title>{escape(status.name)}</title></head><body></body></html>\n"
        )
    items = "".join(
        f"<li>{escape(n.text)}{escape(f' ({n.author})' if n.author else '')}</li>" for n in notes
    )
    banner = (
        f'<div id="live"><strong>game day {escape(status.name)}</strong> · '
        f'<span id="live-experiment">{escape(status.header)}</span>'
        + (f' · phase <span id="live-phase">{escape(phase)}</span>' if phase else "")
        + (" · running: the verdict is decided when the run ends" if running else "")
        + (f'<ul id="live-notes">{items}</ul>' if items else "")
        + "</div>"
    )
    style = _BANNER_CSS + (_HIDE_VERDICT if running else "")
    head = f'<head><meta http-equiv="refresh" content="{REFRESH_SECONDS}"><style>{style}</style>'
    return page.replace("<head>", head, 1).replace("<body>", f"<body>{banner}", 1)


class LiveServer:
    def __init__(self, out: Path, status: LiveStatus, addr: str = DEFAULT_ADDR) -> None:
        self.out = out
        self.status = status
        host, port = parse_addr(addr)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="gameday-serve", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        shown = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{shown}:{port}/"

    def start(self) -> str:
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                try:
                    if path == "/":
                        self._send(200, "text/html", live_page(server.out, server.status))
                    elif path == "/status.json":
                        s = server.status
                        body = {"name": s.name, "experiment": s.header, "done": s.done}
                        self._send(200, "application/json", json.dumps(body))
                    else:
                        self._send(404, "text/plain", "not found\n")
                except Exception as exc:  # noqa: BLE001 - a page error must not touch the run
                    log.warning("live page failed", error=f"{type(exc).__name__}: {exc}")
                    self._send(500, "text/plain", f"the page could not be built: {exc}\n")

            def _send(self, code: int, kind: str, text: str) -> None:
                data = text.encode("utf-8")
                self.send_response(code)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("live page request", line=format % args)

        return Handler
