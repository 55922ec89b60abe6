"""A misbehaving front for the real kube-apiserver: a TEST tool, listening on 127.0.0.1 only.

It forwards every request to the test cluster's API server, except those a rule picks: for
those it answers 429 (with Retry-After) or 503 without forwarding, forwards and then answers
500 (the create happened, the client hears it failed), or cuts a watch stream after its first
event. Rules are matched on (method, path substring, watch or not) and fire a set number of
times, so a test can say "the first create of a NetworkChaos gets a 429" and then check both
what chaosrunner did and what it sent (``log``).
"""

from __future__ import annotations

import base64
import http.client
import http.server
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Rule:
    method: str
    path_has: str
    action: str  # "429" | "503" | "500-after-forward" | "cut-watch"
    times: int = 1
    watch: bool = False
    fired: int = 0


@dataclass
class FlakyApi:
    upstream: str
    ca_file: str
    rules: list[Rule] = field(default_factory=list)
    log: list[tuple[str, str, int]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rule_for(self, method: str, path: str) -> Rule | None:
        is_watch = "watch=true" in path
        with self.lock:
            for rule in self.rules:
                if (
                    rule.fired < rule.times
                    and rule.method == method
                    and rule.path_has in path
                    and rule.watch == is_watch
                ):
                    rule.fired += 1
                    return rule
        return None

    def record(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.log.append((method, path, status))


def _handler(api: FlakyApi) -> type[http.server.BaseHTTPRequestHandler]:
    target = urlsplit(api.upstream)
    context = ssl.create_default_context(cafile=api.ca_file)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def _answer(self, status: int, extra: dict[str, str] | None = None) -> None:
            body = (
                '{"kind":"Status","apiVersion":"v1","status":"Failure",'
                f'"message":"injected by the flaky front","code":{status}}}'
            ).encode()
            self.send_response(status)
            for k, v in {"Content-Type": "application/json", **(extra or {})}.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            rule = api.rule_for(self.command, self.path)
            if rule and rule.action in ("429", "503"):
                api.record(self.command, self.path, int(rule.action))
                self._answer(
                    int(rule.action), {"Retry-After": "1"} if rule.action == "429" else None
                )
                return
            conn = http.client.HTTPSConnection(
                target.hostname, target.port, context=context, timeout=120
            )
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            if rule and rule.action == "500-after-forward":
                resp.read()
                conn.close()
                api.record(self.command, self.path, 500)
                self._answer(500)
                return
            api.record(self.command, self.path, resp.status)
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in _HOP:
                    self.send_header(k, v)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            cut = rule is not None and rule.action == "cut-watch"
            while chunk := resp.read1(65536):
                self.wfile.write(chunk)
                self.wfile.flush()
                if cut:
                    break  # one event through, then the connection drops
            conn.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    return Handler


@contextmanager
def flaky_front(kubeconfig: Path, out: Path) -> Iterator[tuple[FlakyApi, Path]]:
    """Start the front on a free loopback port; yields it and a kubeconfig that goes through it."""
    doc = yaml.safe_load(kubeconfig.read_text())
    cluster = doc["clusters"][0]["cluster"]
    ca = out.parent / "flaky-ca.crt"
    ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    api = FlakyApi(cluster["server"], str(ca))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="flaky-api", daemon=True)
    thread.start()
    cluster.pop("certificate-authority-data")
    cluster["server"] = f"http://127.0.0.1:{api.port}"
    out.write_text(yaml.safe_dump(doc))
    try:
        yield api, out
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
