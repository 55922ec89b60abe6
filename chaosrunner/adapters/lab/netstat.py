"""Is a loopback port free, and if not, who holds it?

Checked before anything starts, so a taken port is a clear error naming the port, the component
that wanted it and (when /proc lets us see it) the process that has it, instead of a component
crash-looping behind the supervisor until a timeout.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from chaosrunner.adapters.lab.model import HOST
from chaosrunner.adapters.local.procs import cmdline_of

_LISTEN = "0A"


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _socket_inodes(port: int) -> list[str]:
    """Inodes of sockets bound to ``port``, listening ones first."""
    found: list[tuple[bool, str]] = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) < 10:
                continue
            local_port = int(cols[1].rsplit(":", 1)[1], 16)
            if local_port == port and cols[9] != "0":
                found.append((cols[3] != _LISTEN, cols[9]))
    return [inode for _, inode in sorted(found)]


def _owner(inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) == target:
                        return int(entry.name)
    return None


def holder(port: int) -> str | None:
    """``pid N (command line)`` of the process holding ``port``, if visible."""
    for inode in _socket_inodes(port):
        pid = _owner(inode)
        if pid is not None:
            cmd = cmdline_of(pid) or "?"
            return f"pid {pid} ({cmd[:120]})"
    return None
