"""What a local fault physically touches, as normalised keys the driver locks.

A target's name is only what one experiment calls it: two experiments (or two targets of one)
may name the same Toxiproxy proxy, process or hook differently. Locking by name lets their
faults stack, and each run's verdict is then about a fault it did not inject alone. So the
driver locks every key a fault touches:

- ``toxiproxy:<api url>/<proxy>`` for a proxy, plus ``listen:<port>`` of the proxy's listener;
- ``hook:<url>`` for a leak hook, plus ``listen:<port>`` when the hook is on loopback;
- ``process:pidfile:<real path>`` or ``process:match:<regex>`` for a process binding (a lab
  service is its pid file), plus ``pid:<pid>@<start time>`` and ``listen:<port>`` for every
  process it resolves to now;
- ``host:cpu:<n>`` for each CPU a cpu-stress burns, ``host:memory`` for memory-stress.

``listen:<port>`` is what makes the keys physical: a hook at ``http://127.0.0.1:18080/...`` and a
process binding on the demo (which listens on 18080) share it, so a goroutine leak and a kill of
the same demo cannot run at once, and the key survives the demo being restarted with a new pid.
URLs are normalised (scheme and host lower case, ``localhost`` read as 127.0.0.1, default ports
made explicit, no trailing slash) so spelling does not split one resource into two.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from dataclasses import dataclass

from chaosrunner.adapters.local import procs
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.adapters.local.process_faults import pid_file_of
from chaosrunner.adapters.local.toxiproxy import DEFAULT_API
from chaosrunner.core.errors import ChaosRunnerError
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import Binding, DriverKind

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Kinds that also load the host, beyond their target's processes.
_HOST_KINDS = frozenset({"cpu-stress", "memory-stress"})


@dataclass(frozen=True)
class Resource:
    """One physical thing a fault touches: its lock key and the target that reaches it."""

    key: str
    target: str


def normalise_url(url: str) -> tuple[str, str, int]:
    """(normalised url, host, port); the host of a loopback name is 127.0.0.1."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = (parts.scheme or "http").lower()
    host = (parts.hostname or "").lower()
    if host == "localhost" or _is_loopback(host):
        host = "127.0.0.1"
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = 0
    path = parts.path.rstrip("/")
    return f"{scheme}://{host}:{port}{path}", host, port


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listen(host: str, port: int) -> list[str]:
    return [f"listen:{port}"] if host == "127.0.0.1" and port else []


def _proxy_keys(binding: Binding) -> list[str]:
    part = binding.need("proxy", binding.proxy)
    api, api_host, _ = normalise_url(DEFAULT_API if part.api is None else part.api)
    name = part.name
    keys = [f"toxiproxy:{api}/{name}"]
    try:
        status, body = call("GET", f"{api}/proxies/{urllib.parse.quote(name, safe='')}")
    except (OSError, ChaosRunnerError):
        return keys  # preflight's own check of the proxy says what is wrong
    if status == 200 and isinstance(body, dict) and isinstance(body.get("listen"), str):
        port = str(body["listen"]).rpartition(":")[2]
        if port.isdigit():  # a Toxiproxy on this machine listens here for the proxy
            keys += _listen(api_host, int(port))
    return keys


def _hook_keys(binding: Binding) -> list[str]:
    url, host, port = normalise_url(str(binding.need("hook", binding.hook).url))
    return [f"hook:{url}", *_listen(host, port)]


def _process_keys(binding: Binding) -> tuple[list[str], list[procs.Proc]]:
    part = binding.need("process", binding.process)
    pid_file = pid_file_of(binding)
    if pid_file is not None:
        keys = [f"process:pidfile:{os.path.realpath(pid_file)}"]
    else:
        keys = [f"process:match:{part.match}"]
    found = procs.find(pid_file=pid_file, match=part.match)
    for proc in found:
        keys.append(f"pid:{proc.pid}@{proc.starttime}")
        keys.extend(f"listen:{port}" for port in sorted(procs.listening_ports(proc.pid)))
    return keys, found


def _host_keys(kind: str, found: list[procs.Proc]) -> list[str]:
    if kind == "memory-stress":
        return ["host:memory"]
    cpus: set[int] = set()
    for proc in found[:1]:  # stress-ng is pinned to the first target's CPUs
        try:
            cpus = set(os.sched_getaffinity(proc.pid))
        except OSError:
            cpus = set()
    return [f"host:cpu:{n}" for n in sorted(cpus)] or ["host:cpu"]


def _local_part(kind: str) -> str | None:
    """The binding part a kind acts on locally, as its registry entry says (``requires``)."""
    known = REGISTRY.get(kind)
    needs = known.requires.get(DriverKind.LOCAL) if known is not None else None
    return needs if isinstance(needs, str) else None


def resources(kind: str, binding: Binding) -> list[Resource]:
    """Every key a fault of ``kind`` on ``binding`` touches, without duplicates, in order."""
    keys: list[str] = []
    part = _local_part(kind)
    if part == "proxy" and binding.proxy is not None:
        keys = _proxy_keys(binding)
    elif part == "hook" and binding.hook is not None:
        keys = _hook_keys(binding)
    elif part == "process" and binding.process is not None:
        keys, found = _process_keys(binding)
        if kind in _HOST_KINDS:
            keys += _host_keys(kind, found)
    else:
        keys = [f"target:{name}:{binding.target}" for name in sorted(binding.part_names)]
    return [Resource(key, binding.target) for key in dict.fromkeys(keys)]
