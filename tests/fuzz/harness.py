"""Drive the CLI on one mutant and check the contract every input must keep.

The contract: no traceback and no internal error; exit 0 or 4 only; when the input is refused,
every problem line starts with ``FILE:LINE:COLUMN:``; bounded CPU time and memory. Nothing may
dial beyond loopback: :func:`loopback_only` makes every non-loopback resolve or connect fail
(a mutant can write any address into a URL), and Prometheus and the Kubernetes API are pointed
at a loopback port that nothing listens on.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import re
import resource
import signal
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

CPU_SECONDS = 1.0
WALL_SECONDS = 10.0
RSS_MB = 100
SUMMARY = re.compile(r"^\d+ problem\(s\)")
# What the CLI prints besides problems in a stream that reports them.
_NOT_PROBLEMS = re.compile(r"^(\d+ problem\(s\).*|.*: valid)$")


class Hung(BaseException):
    """Raised by the alarm in a mutant that runs too long (not an Exception: main must not
    swallow it)."""


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int | None
    out: str
    err: str
    cpu: float
    wall: float
    rss_mb: float
    error: str = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def point_at_dead_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every address the experiments read points at a closed loopback port; private state."""
    dead = f"http://127.0.0.1:{free_port()}"
    for name in ("LAB_PROMETHEUS_URL", "LAB_TOXIPROXY_URL", "LAB_DEMO_URL", "PROMETHEUS_URL"):
        monkeypatch.setenv(name, dead)
    monkeypatch.setenv("prom_url", dead)  # the integration and cluster experiments' variables
    monkeypatch.setenv("ns", "fuzz")
    monkeypatch.setenv("app", "fuzz")
    monkeypatch.setenv("victim_pidfile", str(tmp_path / "none.pid"))
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path / "state"))
    # no kubeconfig at all: a dead API server would cost seconds of retries per dry run
    kubeconfig = tmp_path / "no-kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    return dead


def _is_loopback(host: object) -> bool:
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(text.strip("[]").split("%")[0]).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Refuse every DNS lookup and connection that is not loopback, for the duration."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzz: not resolving {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            raise ConnectionRefusedError(f"fuzz: not dialling {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple) and not _is_loopback(address[0]):
            return 111
        return real_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = real_getaddrinfo
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Hung(f"still running after {WALL_SECONDS}s")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_in_process(argv: list[str]) -> Outcome:
    """``chaosrunner ARGV`` in this process, its output captured."""
    from chaosrunner.cli import main

    out, err = io.StringIO(), io.StringIO()
    rss = _rss_mb()
    cpu, wall = time.process_time(), time.perf_counter()
    code: int | None = None
    error = ""
    previous = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, WALL_SECONDS)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except Hung as exc:
        error = str(exc)
    except SystemExit as exc:
        error = f"SystemExit({exc.code}) escaped main()"
    except BaseException as exc:
        error = f"{type(exc).__name__} escaped main(): {exc}"[:500]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return Outcome(
        tuple(argv),
        code,
        out.getvalue(),
        err.getvalue(),
        time.process_time() - cpu,
        time.perf_counter() - wall,
        _rss_mb() - rss,
        error,
    )


def violations(outcome: Outcome, file: Path) -> list[str]:
    """What in ``outcome`` breaks the contract (empty when nothing does)."""
    found = []
    if outcome.error:
        found.append(outcome.error)
    if outcome.code not in (0, 4):
        found.append(f"exit {outcome.code}, expected 0 or 4")
    if "--dry-run" in outcome.argv and outcome.code == 0:
        found.append("a dry run passed preflight with Prometheus unreachable")
    both = outcome.out + outcome.err
    if "Traceback" in both or "internal error" in both:
        found.append("a traceback or internal error")
    if outcome.cpu > CPU_SECONDS:
        found.append(f"{outcome.cpu:.2f}s of CPU, expected at most {CPU_SECONDS}s")
    if outcome.rss_mb > RSS_MB:
        found.append(f"peak RSS grew by {outcome.rss_mb:.0f} MB, expected at most {RSS_MB} MB")
    position = re.compile(re.escape(str(file)) + r":\d+:\d+: \S")
    for stream in (outcome.out, outcome.err):
        lines = stream.splitlines()
        if not any(SUMMARY.match(line) for line in lines):
            continue
        for line in lines:
            if not _NOT_PROBLEMS.match(line) and not position.match(line):
                found.append(f"an error line without FILE:LINE:COLUMN: {line[:300]!r}")
                break
    return found


def excerpt(outcome: Outcome) -> str:
    def cut(text: str) -> str:
        return text if len(text) < 1500 else text[:1000] + "\n[...]\n" + text[-400:]

    return (
        f"$ chaosrunner {' '.join(outcome.argv)}\nexit {outcome.code}\n"
        f"--- stdout\n{cut(outcome.out)}--- stderr\n{cut(outcome.err)}"
    )


def main_guarded() -> int:
    """``python -m tests.fuzz.harness ARGS``: the real CLI in a process of its own, guarded."""
    from chaosrunner.cli import main

    with loopback_only():
        return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main_guarded())
