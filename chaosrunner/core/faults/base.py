"""What a fault kind declares: its parameters, what each driver needs bound, whether it ends itself.

A kind is pure data plus optional semantic checks: one for every driver, and one per driver for
what only that driver's backend refuses. Drivers (local processes, Chaos Mesh) keep
their own per-kind handlers; the core only needs to know enough to validate a file and plan a run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chaosrunner.core.model import DriverKind

Check = Callable[[Mapping[str, Any]], list[tuple[tuple[str | int, ...], str]]]


def _no_check(_: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    return []


@dataclass(frozen=True)
class FaultKind:
    name: str
    summary: str
    params: Mapping[str, Any]
    requires: Mapping[DriverKind, str | tuple[str, ...]]  # the binding part(s) each driver needs
    one_shot: bool = False
    #: The fault class a contract's coverage counts this kind under (network-latency, pod-kill,
    #: ...); empty for a kind that covers no class.
    fault_class: str = ""
    check: Check = field(default=_no_check)
    #: Checks that hold only where a driver injects the kind: what Toxiproxy or stress-ng
    #: (local) or Chaos Mesh (chaos-mesh) would refuse, or silently ignore, at inject time.
    driver_checks: Mapping[DriverKind, Check] = field(default_factory=dict)

    def supports(self, driver: DriverKind) -> bool:
        return driver in self.requires


def params_schema(properties: Mapping[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": dict(properties),
        "required": list(required),
    }
