"""Finding and signalling local processes, safely against pid reuse.

A pid alone is not an identity: after a kill the number may be handed to an unrelated process.
We pair every pid with its start time (field 22 of /proc/PID/stat) and refuse to signal a pid
whose start time changed. Linux only, like the lab.
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    starttime: int
    cmdline: str

    @property
    def id(self) -> str:
        return f"pid:{self.pid}"


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'.
    head, _, tail = raw.rpartition(")")
    return [head.split(" ", 1)[0], head, *tail.split()]


def state_of(pid: int) -> str | None:
    """The one-letter process state (R, S, T, Z...), or None if gone."""
    fields = _stat_fields(pid)
    return fields[2] if fields else None


def starttime_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[21]) if fields and len(fields) > 21 else None


def cmdline_of(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def lookup(pid: int) -> Proc | None:
    start = starttime_of(pid)
    if start is None or state_of(pid) in (None, "Z", "X"):
        return None
    return Proc(pid, start, cmdline_of(pid))


def alive(proc: Proc) -> bool:
    """Whether the same process (pid and start time) still exists and is not a zombie."""
    return starttime_of(proc.pid) == proc.starttime and state_of(proc.pid) not in (None, "Z", "X")


def _ancestors() -> set[int]:
    out = set()
    pid = os.getpid()
    while pid > 1:
        out.add(pid)
        fields = _stat_fields(pid)
        if not fields:
            break
        pid = int(fields[3])
    return out


def find(pid_file: str | None = None, match: str | None = None) -> list[Proc]:
    """Live processes named by a pid file or whose command line matches a regex."""
    if pid_file is not None:
        try:
            pid = int(Path(pid_file).read_text().strip())
        except (OSError, ValueError):
            return []
        found = lookup(pid)
        return [found] if found else []
    pattern = re.compile(match or "")
    skip = _ancestors()
    procs = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) in skip:
            continue
        cmd = cmdline_of(int(entry.name))
        if cmd and pattern.search(cmd) and "chaosrunner.adapters.local.watchdog" not in cmd:
            found = lookup(int(entry.name))
            if found:
                procs.append(found)
    return procs


def send(proc: Proc, sig: signal.Signals) -> bool:
    """Signal ``proc`` if it is still the same process; False if it is gone."""
    if not alive(proc):
        return False
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        return False
    return True


_LISTEN = "0A"


def tcp_sockets() -> list[tuple[int, bool, str]]:
    """Every TCP socket of this network namespace as (local port, listening, inode)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 10 or cols[9] == "0":
                continue
            found.append((int(cols[1].rsplit(":", 1)[1], 16), cols[3] == _LISTEN, cols[9]))
    return found


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets ``pid`` holds open (empty if we may not look)."""
    inodes: set[str] = set()
    try:
        fds = list((PROC / str(pid) / "fd").iterdir())
    except OSError:
        return inodes
    for fd in fds:
        try:
            link = str(fd.readlink())
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def listening_ports(pid: int) -> set[int]:
    """The TCP ports ``pid`` listens on: what a client of the process reaches it by."""
    held = socket_inodes(pid)
    return {port for port, listening, inode in tcp_sockets() if listening and inode in held}
