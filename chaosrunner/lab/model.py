"""The lab's vocabulary: its components, profiles, ports and status, as frozen values.

Kept free of I/O so the CLI and the fault drivers can share these types without pulling in
process handling. Ports are configurable so tests (and a second lab) never collide with a
user's lab on the default ports.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from chaosrunner.core.errors import LabError

HOST = "127.0.0.1"

COMPONENTS: tuple[str, ...] = ("redis", "toxiproxy", "demo", "loadgen", "prometheus")
"""Every component, in start order (stopped in reverse)."""

PROXY_NAME = "redis"

PROFILES: dict[str, tuple[str, ...]] = {
    "default": ("--redis-timeout", "100ms", "--fallback", "none"),
    "resilient": ("--redis-timeout", "100ms", "--fallback", "cache"),
    "no-timeout": ("--redis-timeout", "0", "--fallback", "none"),
}
"""The demo's configurations: extra demo-service flags per profile."""

RESTART_DELAY = 5.0
"""Seconds before the supervisor restarts a part that died (``lab up --restart-delay``).

Kubernetes does not bring a killed part back at once. A killed pod (Chaos Mesh's pod-kill,
which is what ``process-kill`` renders to) is replaced by its ReplicaSet: the new pod is
scheduled, its container started, and it receives traffic only once its readiness probe passes
(``manifests/demo.yaml`` probes every 5 s), so a single replica serves nothing for roughly 5 s
or more. A crashed container is restarted by the kubelet with a back-off of 10 s, 20 s, 40 s ...
capped at 5 minutes. 5 s is the short end of that range: long enough that a client sees the
outage a single replica really has, short enough for CI. Later restarts of a part that keeps
dying double the delay, up to ``RESTART_DELAY_MAX``.
"""

RESTART_DELAY_MAX = 60.0
"""The cap of the doubling delay of a part that keeps dying (Kubernetes caps at 300 s)."""


@dataclass(frozen=True)
class LabPorts:
    """Where each part listens; every address is on loopback."""

    redis: int = 16379
    proxy: int = 16380
    toxiproxy: int = 18474
    demo: int = 18080
    loadgen: int = 18081
    prometheus: int = 19090

    @property
    def redis_address(self) -> str:
        return f"{HOST}:{self.redis}"

    @property
    def proxy_address(self) -> str:
        return f"{HOST}:{self.proxy}"

    @property
    def toxiproxy_url(self) -> str:
        return f"http://{HOST}:{self.toxiproxy}"

    @property
    def demo_url(self) -> str:
        return f"http://{HOST}:{self.demo}"

    @property
    def loadgen_url(self) -> str:
        return f"http://{HOST}:{self.loadgen}"

    @property
    def prometheus_url(self) -> str:
        return f"http://{HOST}:{self.prometheus}"

    @classmethod
    def from_base(cls, base: int) -> LabPorts:
        """Ports base..base+5: redis, proxy, toxiproxy, demo, loadgen, prometheus."""
        if not 1024 <= base <= 65535 - 5:
            raise LabError(f"port base {base} out of range; expected 1024..65530")
        names = [f.name for f in fields(cls)]
        return cls(**{name: base + i for i, name in enumerate(names)})

    def variables(self) -> dict[str, str]:
        """The addresses, under the variable names the shipped experiments declare."""
        return {
            "LAB_DEMO_URL": self.demo_url,
            "LAB_LOADGEN_URL": self.loadgen_url,
            "LAB_PROMETHEUS_URL": self.prometheus_url,
            "LAB_PROXY_ADDRESS": self.proxy_address,
            "LAB_REDIS_ADDRESS": self.redis_address,
            "LAB_TOXIPROXY_URL": self.toxiproxy_url,
        }

    def owners(self) -> list[tuple[int, str]]:
        """Each port with the component that listens on it."""
        return [
            (self.redis, "redis"),
            (self.proxy, "toxiproxy (proxy redis)"),
            (self.toxiproxy, "toxiproxy (API)"),
            (self.demo, "demo"),
            (self.loadgen, "loadgen"),
            (self.prometheus, "prometheus"),
        ]

    def address_of(self, component: str) -> str:
        return {
            "redis": self.redis_address,
            "toxiproxy": self.toxiproxy_url,
            "demo": self.demo_url,
            "loadgen": self.loadgen_url,
            "prometheus": self.prometheus_url,
        }[component]

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Any) -> LabPorts:
        if not isinstance(data, dict):
            return cls()
        names = {f.name for f in fields(cls)}
        return cls(**{k: int(v) for k, v in data.items() if k in names})


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    address: str
    healthy: bool
    detail: str
    restarts: int = 0
    started_at: float | None = None


@dataclass(frozen=True)
class LabStatus:
    running: bool
    profile: str | None
    supervisor_pid: int | None
    state_dir: Path
    ports: LabPorts
    components: tuple[ComponentStatus, ...] = ()
    restart_delay: float = RESTART_DELAY

    @property
    def healthy(self) -> bool:
        return self.running and bool(self.components) and all(c.healthy for c in self.components)

    def component(self, name: str) -> ComponentStatus:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)
