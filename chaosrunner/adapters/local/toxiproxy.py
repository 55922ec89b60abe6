"""Local network faults through Toxiproxy's HTTP API.

Each fault is one toxic per stream, named ``cr-<run id>-<fault>-<stream>`` so that it can be
traced to its run and found by ``cleanup`` even without a record. Confirmed by listing the
proxy's toxics, removed by deleting them (the watchdog does the same at expiry). ``network-down``
disables the proxy instead and enables it again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chaosrunner.adapters.local import undo
from chaosrunner.adapters.local.handlers import Prepared
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.adapters.local.records import UndoAction
from chaosrunner.core.errors import DriverError, InjectionError
from chaosrunner.core.faults._params import bandwidth_bytes_per_second
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault
from chaosrunner.core.units import parse_duration

DEFAULT_API = "http://127.0.0.1:18474"
TOXIC_PREFIX = "cr-"
Toxic = tuple[str, dict[str, Any]]
_STREAMS = {"to": ("upstream",), "from": ("downstream",), "both": ("upstream", "downstream")}


def _ms(text: str | None) -> int:
    return round(parse_duration(text) * 1000) if text else 0


def delay(params: Mapping[str, Any]) -> Toxic:
    if params.get("correlation"):
        raise DriverError("Toxiproxy cannot express delay correlation; drop it for the lab")
    return "latency", {"latency": _ms(params["latency"]), "jitter": _ms(params.get("jitter"))}


def partition(_: Mapping[str, Any]) -> Toxic:
    return "timeout", {"timeout": 0}


def bandwidth(params: Mapping[str, Any]) -> Toxic:
    kilobytes = max(1, round(bandwidth_bytes_per_second(params["rate"]) / 1000))
    return "bandwidth", {"rate": kilobytes}


def reset_peer(params: Mapping[str, Any]) -> Toxic:
    return "reset_peer", {"timeout": _ms(params.get("after"))}


def _proxy(binding: Binding) -> tuple[str, str]:
    part = binding.need("proxy", binding.proxy)
    api = (DEFAULT_API if part.api is None else part.api).rstrip("/")
    name = part.name
    status, body = call("GET", f"{api}/proxies/{name}")
    if status == 404:
        raise DriverError(f"Toxiproxy at {api} has no proxy {name!r}")
    if status != 200 or not isinstance(body, dict):
        raise DriverError(f"Toxiproxy at {api}: GET /proxies/{name} answered HTTP {status}")
    return api, name


class NetworkToxic:
    def __init__(self, build: Callable[[Mapping[str, Any]], Toxic]) -> None:
        self.build = build

    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        api, proxy = _proxy(binding)
        kind, attributes = self.build(fault.fault.params)
        streams = _STREAMS[str(fault.fault.params.get("direction", "to"))]
        names = [f"{TOXIC_PREFIX}{run_id}-{fault.fault.name}-{s}" for s in streams]
        return Prepared(
            targets=(f"proxy:{proxy}",),
            undo=tuple(
                undo.http_action("DELETE", f"{api}/proxies/{proxy}/toxics/{n}") for n in names
            ),
            details={
                "api": api,
                "proxy": proxy,
                "toxics": names,
                "type": kind,
                "attributes": attributes,
                "streams": list(streams),
            },
            description=(
                f"Toxiproxy {kind} toxic {attributes} on proxy {proxy} ({', '.join(streams)})"
            ),
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        d = prepared.details
        for name, stream in zip(d["toxics"], d["streams"], strict=True):
            body = {
                "name": name,
                "type": d["type"],
                "stream": stream,
                "toxicity": 1.0,
                "attributes": d["attributes"],
            }
            status, answer = call("POST", f"{d['api']}/proxies/{d['proxy']}/toxics", body)
            if status == 409:
                raise InjectionError(
                    f"toxic {name!r} already exists; never reused (run `chaosrunner cleanup`)"
                )
            if status != 200:
                raise InjectionError(f"Toxiproxy refused toxic {name!r}: HTTP {status} {answer}")
        return []

    def _present(self, prepared: Prepared) -> set[str]:
        d = prepared.details
        status, body = call("GET", f"{d['api']}/proxies/{d['proxy']}/toxics")
        if status != 200 or not isinstance(body, list):
            raise DriverError(f"Toxiproxy: listing toxics answered HTTP {status}")
        return {str(t.get("name")) for t in body if isinstance(t, dict)} & set(d["toxics"])

    def active_on(self, prepared: Prepared) -> list[str]:
        return (
            list(prepared.targets)
            if self._present(prepared) == set(prepared.details["toxics"])
            else []
        )

    def removed(self, prepared: Prepared) -> bool:
        return not self._present(prepared)


class NetworkDown:
    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        api, proxy = _proxy(binding)
        url = f"{api}/proxies/{proxy}"
        return Prepared(
            targets=(f"proxy:{proxy}",),
            undo=(undo.http_action("POST", url, body={"enabled": True}, ok_statuses=(200,)),),
            details={"url": url, "proxy": proxy},
            description=f"disable Toxiproxy proxy {proxy}; enable it again at rollback",
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        status, answer = call("POST", prepared.details["url"], {"enabled": False})
        if status != 200:
            raise InjectionError(
                f"Toxiproxy refused to disable {prepared.details['proxy']}: HTTP {status} {answer}"
            )
        return []

    def _enabled(self, prepared: Prepared) -> bool:
        status, body = call("GET", prepared.details["url"])
        if status != 200 or not isinstance(body, dict):
            raise DriverError(f"Toxiproxy: GET proxy answered HTTP {status}")
        return bool(body.get("enabled"))

    def active_on(self, prepared: Prepared) -> list[str]:
        return [] if self._enabled(prepared) else list(prepared.targets)

    def removed(self, prepared: Prepared) -> bool:
        return self._enabled(prepared)


def orphan_toxics(api: str) -> list[tuple[str, str]]:
    """(proxy, toxic) pairs named by chaosrunner, for ``cleanup`` when records are lost."""
    status, proxies = call("GET", f"{api}/proxies")
    if status != 200 or not isinstance(proxies, dict):
        return []
    return [
        (name, t["name"])
        for name, proxy in proxies.items()
        for t in proxy.get("toxics", [])
        if isinstance(t, dict) and str(t.get("name", "")).startswith(TOXIC_PREFIX)
    ]
