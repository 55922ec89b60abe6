"""Is a loopback port free, and if not, who holds it?

Checked before anything starts, so a taken port is a clear error naming the port, the component
that wanted it and (when /proc lets us see it) the process that has it, instead of a component
crash-looping behind the supervisor until a timeout.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

from chaosrunner.adapters.local.procs import cmdline_of, tcp_sockets
from chaosrunner.lab.model import HOST


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
    found = [(not listening, inode) for p, listening, inode in tcp_sockets() if p == port]
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
