"""Health probes for each lab component, each bounded by a short timeout.

Every probe answers ``(healthy, detail)`` and never raises: a status report must show a broken
component, not fail on it. HTTP goes through an opener with no proxy handler, so a proxy set in
the environment can never divert loopback traffic.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request

from chaosrunner.lab.model import HOST, PROXY_NAME, LabPorts

Probe = tuple[bool, str]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
DEMO_UP = 'up{job="demo"}'
DEMO_LOAD = 'sum(rate(demo_http_requests_total{route="/items/{id}"}[10s]))'


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body; status 0 with the reason as body when the server cannot be reached."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(getattr(exc, "reason", exc)).encode()


def _http(url: str, timeout: float) -> Probe:
    status, body = http_get(url, timeout)
    if status == 0:
        return False, f"GET {url}: {body.decode(errors='replace')}"
    return status == 200, f"HTTP {status}"


def redis_ping(port: int, timeout: float = 2.0) -> Probe:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return False, f"PING {HOST}:{port}: {exc}"
    if reply.startswith(b"+PONG"):
        return True, "PING ok"
    return False, f"PING answered {reply[:40]!r}"


def toxiproxy(ports: LabPorts, timeout: float = 2.0) -> Probe:
    ok, detail = _http(f"{ports.toxiproxy_url}/version", timeout)
    if not ok:
        return ok, detail
    status, body = http_get(f"{ports.toxiproxy_url}/proxies/{PROXY_NAME}", timeout)
    if status != 200:
        return False, f"HTTP 200, but proxy {PROXY_NAME!r} missing (HTTP {status})"
    try:
        enabled = bool(json.loads(body).get("enabled"))
    except (ValueError, AttributeError):
        enabled = False
    state = "enabled" if enabled else "disabled"
    return True, f"HTTP 200, proxy {PROXY_NAME} {ports.proxy_address} {state}"


def prom_value(ports: LabPorts, expr: str, timeout: float = 2.0) -> float | None:
    url = f"{ports.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = http_get(url, timeout)
    if status != 200:
        return None
    try:
        result = json.loads(body)["data"]["result"]
        return float(result[0]["value"][1]) if result else None
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def prometheus(ports: LabPorts, timeout: float = 2.0, *, scraped: bool = True) -> Probe:
    """Ready; with ``scraped``, also sees the demo serving load (so every lab SLI has data).

    A lab whose Prometheus has scraped the demo once is not yet useful: rate() over the
    experiments' 10 s windows needs two samples of request counters that only exist once the
    load generator's requests have been served.
    """
    ok, detail = _http(f"{ports.prometheus_url}/-/ready", timeout)
    if not ok:
        return ok, detail
    up = prom_value(ports, DEMO_UP, timeout)
    load = prom_value(ports, DEMO_LOAD, timeout)
    shown = "no data" if up is None else f"{up:g}"
    rate = "no data" if load is None else f"{load:.3g}/s"
    serving = up == 1.0 and load is not None and load > 0
    return serving or not scraped, f"{detail}, {DEMO_UP} = {shown}, demo serving {rate}"


def probe(name: str, ports: LabPorts, timeout: float = 2.0, *, scraped: bool = True) -> Probe:
    if name == "redis":
        return redis_ping(ports.redis, timeout)
    if name == "toxiproxy":
        return toxiproxy(ports, timeout)
    if name == "demo":
        return _http(f"{ports.demo_url}/healthz", timeout)
    if name == "loadgen":
        return _http(f"{ports.loadgen_url}/metrics", timeout)
    if name == "prometheus":
        return prometheus(ports, timeout, scraped=scraped)
    return False, f"unknown component {name!r}"
