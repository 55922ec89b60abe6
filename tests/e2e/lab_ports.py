"""Free loopback ports for a test lab, so a user's lab on the default ports is never touched."""

from __future__ import annotations

import random
import socket

from chaosrunner import lab


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports() -> lab.LabPorts:
    """Six free ports at base+0..5, below the kernel's ephemeral range, never the defaults."""
    defaults = {port for port, _ in lab.LabPorts().owners()}
    for _ in range(100):
        base = random.randrange(20000, 30000, 10)
        ports = lab.LabPorts.from_base(base)
        wanted = [port for port, _ in ports.owners()]
        if not defaults & set(wanted) and all(_port_free(p) for p in wanted):
            return ports
    raise RuntimeError("no six free ports found")
