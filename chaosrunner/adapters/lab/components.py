"""How each lab component is started: its command line and generated config files.

The supervisor asks for a component's argv every time it (re)starts one, so a restart always
uses the current desired profile and the config on disk. Toxiproxy gets its ``redis`` proxy from
a ``-config`` file, so a restarted Toxiproxy comes back with the proxy (but, like a restarted
pod, without any toxics).
"""

from __future__ import annotations

import json

from chaosrunner.adapters.lab.binaries import find_binary
from chaosrunner.adapters.lab.layout import Layout, write_atomic
from chaosrunner.adapters.lab.model import HOST, PROFILES, PROXY_NAME, LabPorts
from chaosrunner.core.errors import LabError

BINARIES = {
    "redis": "redis-server",
    "toxiproxy": "toxiproxy-server",
    "demo": "demo-service",
    "loadgen": "loadgen",
    "prometheus": "prometheus",
}

LOADGEN_RATE = "20"
# A small key space: the resilient demo can only fall back to values it has cached, and
# 20 keys at 20 req/s are all cached within seconds of start.
LOADGEN_KEYS = "20"
RETENTION = "2h"


def check_binaries() -> None:
    """Raise LabError for the first missing binary, before anything is started."""
    for binary in BINARIES.values():
        find_binary(binary)


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        known = ", ".join(sorted(PROFILES))
        raise LabError(f"unknown lab profile {profile!r}; known profiles: {known}")


def toxiproxy_config(ports: LabPorts) -> str:
    proxy = {
        "name": PROXY_NAME,
        "listen": ports.proxy_address,
        "upstream": ports.redis_address,
        "enabled": True,
    }
    return json.dumps([proxy], indent=2) + "\n"


def prometheus_config(ports: LabPorts) -> str:
    return (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        "scrape_configs:\n"
        "  - job_name: demo\n"
        "    static_configs:\n"
        f"      - targets: ['{HOST}:{ports.demo}']\n"
        "  - job_name: loadgen\n"
        "    static_configs:\n"
        f"      - targets: ['{HOST}:{ports.loadgen}']\n"
    )


def write_configs(layout: Layout, ports: LabPorts) -> None:
    write_atomic(layout.dir / "toxiproxy.json", toxiproxy_config(ports))
    write_atomic(layout.dir / "prometheus.yml", prometheus_config(ports))


def argv(name: str, layout: Layout, ports: LabPorts, profile: str) -> list[str]:
    binary = str(find_binary(BINARIES[name]))
    if name == "redis":
        redis_dir = layout.data("redis")
        return [
            binary,
            *("--bind", HOST, "--port", str(ports.redis), "--protected-mode", "yes"),
            *("--save", "", "--appendonly", "no", "--dir", str(redis_dir)),
            *("--daemonize", "no", "--logfile", ""),
        ]
    if name == "toxiproxy":
        config = layout.dir / "toxiproxy.json"
        return [binary, "-host", HOST, "-port", str(ports.toxiproxy), "-config", str(config)]
    if name == "demo":
        check_profile(profile)
        return [
            binary,
            *("--listen", f"{HOST}:{ports.demo}", "--redis-addr", ports.proxy_address),
            *PROFILES[profile],
        ]
    if name == "loadgen":
        return [
            binary,
            *("--target", ports.demo_url, "--rate", LOADGEN_RATE, "--keys", LOADGEN_KEYS),
            *("--listen", f"{HOST}:{ports.loadgen}"),
        ]
    if name == "prometheus":
        return [
            binary,
            f"--config.file={layout.dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={layout.data('prometheus-data')}",
            f"--storage.tsdb.retention.time={RETENTION}",
            f"--web.listen-address={HOST}:{ports.prometheus}",
        ]
    raise LabError(f"unknown lab component {name!r}")
