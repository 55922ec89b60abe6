"""Undo actions: how a local fault is ended, written down before it starts.

Records hold plain JSON actions so that three parties can end a fault with no shared memory:
the driver at rollback, the watchdog at expiry or when the orchestrator dies, and
``chaosrunner cleanup`` after a crash. Every action is idempotent: running it twice is harmless.
Standard library only, so the watchdog starts fast and depends on nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from chaosrunner.adapters.local import procs


def signal_action(proc: procs.Proc, sig: signal.Signals) -> dict[str, Any]:
    return {"action": "signal", "pid": proc.pid, "starttime": proc.starttime, "signal": sig.name}


def http_action(
    method: str, url: str, *, body: Any = None, ok_statuses: Iterable[int] = (200, 204, 404)
) -> dict[str, Any]:
    return {"action": "http", "method": method, "url": url, "body": body, "ok": list(ok_statuses)}


def group_kill_action(proc: procs.Proc) -> dict[str, Any]:
    """Kill a process group led by ``proc`` (stress-ng and its workers)."""
    return {"action": "killpg", "pid": proc.pid, "starttime": proc.starttime}


def run_action(action: dict[str, Any], timeout: float = 5.0) -> str:
    """Perform one action; return '' on success or a description of what went wrong."""
    kind = action.get("action")
    if kind == "signal":
        proc = procs.Proc(int(action["pid"]), int(action["starttime"]), "")
        if not procs.alive(proc):
            return ""
        procs.send(proc, signal.Signals[str(action["signal"])])
        return ""
    if kind == "http":
        url = str(action["url"])
        if not url.startswith(("http://", "https://")):
            return f"refusing undo URL {url!r}: expected http(s)"
        body = action.get("body")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=str(action["method"]))  # noqa: S310
        request.add_header("Content-Type", "application/json")
        for name, value in (action.get("headers") or {}).items():
            request.add_header(str(name), str(value))
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            return f"{action['method']} {action['url']}: {exc}"
        return "" if status in action.get("ok", [200, 204]) else f"{action['url']}: HTTP {status}"
    if kind == "killpg":
        leader = procs.Proc(int(action["pid"]), int(action["starttime"]), "")
        if procs.alive(leader):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(leader.pid, signal.SIGKILL)
        return ""
    return f"unknown undo action {kind!r}"


def run_all(actions: Iterable[dict[str, Any]]) -> list[str]:
    return [err for err in (run_action(a) for a in actions) if err]
