"""How each lab component is started: its command line and generated config files.

The supervisor asks for a component's argv every time it (re)starts one, so a restart always
uses the current desired profile and the config on disk. Toxiproxy gets its ``redis`` proxy from
a ``-config`` file, so a restarted Toxiproxy comes back with the proxy (but, like a restarted
pod, without any toxics).
"""

from __future__ import annotations

import json

from chaosrunner.core.errors import LabError
from chaosrunner.lab.binaries import find_binary
from chaosrunner.lab.layout import Layout, write_atomic
from chaosrunner.lab.model import HOST, PROFILES, PROXY_NAME, LabPorts

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


#: The demo's availability SLO the lab's alerts burn against (the shipped experiments' objective).
DEMO_SLO = 0.995
_GOOD = 'sum(rate(demo_http_requests_total{{route="/items/{{id}}",code!~"5.."}}[{w}]))'
_ALL = 'sum(rate(demo_http_requests_total{{route="/items/{{id}}"}}[{w}]))'

#: Multiwindow, multi-burn-rate alerts in the style of the SRE workbook (chapter 5, "Alerting on
#: SLOs"), with their windows scaled down so a 30 s lab blast can fire them. The workbook pages
#: at a burn rate of 14.4 over 1h and 5m (2 % of a 30-day budget in an hour) and tickets at 6
#: over 6h and 30m; the lab keeps the burn rates and the long/short ratio and shrinks the
#: windows to 1m/10s (fast) and 2m/20s (slow): with 20 requests per second a 1m window still
#: holds 1200 requests. Names: ``DemoAvailabilityFastBurn`` and ``DemoAvailabilitySlowBurn``.
BURN_ALERTS = (
    ("DemoAvailabilityFastBurn", 14.4, "1m", "10s", "page"),
    ("DemoAvailabilitySlowBurn", 6.0, "2m", "20s", "ticket"),
)


def _error_ratio(window: str) -> str:
    return f"(1 - {_GOOD.format(w=window)} / {_ALL.format(w=window)})"


def alert_rules() -> str:
    """The lab Prometheus' rule file: the demo's availability burn-rate alerts."""
    lines = ["groups:", "  - name: demo-slo", "    rules:"]
    budget = 1.0 - DEMO_SLO
    for name, rate, long_w, short_w, severity in BURN_ALERTS:
        limit = f"({rate:g} * {budget:.3f})"
        expr = f"{_error_ratio(long_w)} > {limit} and {_error_ratio(short_w)} > {limit}"
        lines += [
            f"      - alert: {name}",
            f"        expr: {json.dumps(expr)}",
            "        labels:",
            f"          severity: {severity}",
            "        annotations:",
            "          summary: "
            + json.dumps(f"demo availability burns its budget at >= {rate:g}x"),
        ]
    return "\n".join(lines) + "\n"


def prometheus_config(ports: LabPorts, rules: str = "alerts.yml") -> str:
    return (
        "global:\n"
        "  scrape_interval: 1s\n"
        "  evaluation_interval: 1s\n"
        f"rule_files: ['{rules}']\n"
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
    rules = layout.dir / "alerts.yml"
    write_atomic(rules, alert_rules())
    write_atomic(layout.dir / "prometheus.yml", prometheus_config(ports, str(rules)))


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
