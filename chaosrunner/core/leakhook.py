"""The goroutine-leak hook's protocol, written once: paths, the start request, the status.

A Go service links the hook (demo/leakhook) under a path (``DEFAULT_PATH`` unless its binding
says otherwise). ``GET <path>/`` answers its status (``active``, ``held``, ``runId``,
``startedAt``); ``POST <path>/start`` starts a leak (``rate``, ``max``, ``expiresInSeconds``,
``runId``), which the hook ends by itself at its expiry (the fault's dead-man switch);
``POST <path>/release`` ends it. :class:`LeakHook` speaks this over a :class:`Transport`: direct
HTTP locally (``adapters/local/goroutine_leak.py``), the API server's pod proxy in a cluster
(``adapters/chaosmesh/leak.py``). A transport raises its own adapter's errors when the hook
cannot be reached or answers an error status; the client knows no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from chaosrunner.core.errors import ChaosRunnerError

#: Where demo/leakhook mounts the hook unless a binding names another path.
DEFAULT_PATH = "/debug/chaos/goroutine-leak"
#: The pod port of the hook unless a cluster binding names another.
DEFAULT_PORT = 8080


class Action(StrEnum):
    """The hook's endpoints below its path; STATUS is the path itself (``<path>/``)."""

    STATUS = ""
    START = "start"
    RELEASE = "release"


def action_path(base: str, action: Action) -> str:
    """``base`` (a URL or a path) with the endpoint of ``action`` appended."""
    return f"{base.rstrip('/')}/{action.value}"


@dataclass(frozen=True)
class StartRequest:
    """What ``/start`` is sent: a leak of ``rate`` goroutines/s (at most ``max``) for a run."""

    rate: int
    run_id: str
    expires_in_seconds: int
    max: int | None = None

    @classmethod
    def of(cls, params: Mapping[str, Any], run_id: str, expiry: float) -> StartRequest:
        """The request for a goroutine-leak fault's params, expiring after ``expiry`` seconds."""
        return cls(params["rate"], run_id, math.ceil(expiry), params.get("max") or None)

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "rate": self.rate,
            "expiresInSeconds": self.expires_in_seconds,
            "runId": self.run_id,
        }
        if self.max:
            body["max"] = self.max
        return body


@dataclass(frozen=True)
class HookStatus:
    """What ``GET <path>/`` answers."""

    active: bool
    held: int
    run_id: str | None = None
    started_at: str | None = None

    @classmethod
    def parse(cls, body: object) -> HookStatus | None:
        """The status in a JSON answer, or None if it is not one."""
        if not isinstance(body, Mapping):
            return None
        run_id, started = body.get("runId"), body.get("startedAt")
        try:
            held = int(body.get("held") or 0)
        except (TypeError, ValueError):
            return None
        return cls(
            active=bool(body.get("active")),
            held=held,
            run_id=None if run_id is None else str(run_id),
            started_at=None if started is None else str(started),
        )

    @property
    def leaking(self) -> bool:
        """A leak is running and holds goroutines."""
        return self.active and self.held > 0

    def leaking_for(self, run_id: str) -> bool:
        return self.leaking and self.run_id == run_id

    @property
    def released(self) -> bool:
        return not self.active and self.held == 0


class Transport(Protocol):
    """One way to reach one hook."""

    #: How messages name the hook, e.g. ``leak hook at http://...`` or ``leak hook of ns/pod``.
    where: str

    def get(self, action: Action) -> object:
        """The JSON body of ``GET``; raise when the hook is unreachable or answers an error."""
        ...

    def post(self, action: Action, body: Mapping[str, object] | None) -> object:
        """``POST`` a JSON body; raise when the hook is unreachable or refuses."""
        ...

    def unreadable(self, message: str) -> ChaosRunnerError:
        """The error (of the transport's adapter) for an answer that is not a status."""
        ...


class LeakHook:
    """The client of one hook, over any transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    @property
    def where(self) -> str:
        return self.transport.where

    def status(self) -> HookStatus:
        body = self.transport.get(Action.STATUS)
        status = HookStatus.parse(body)
        if status is None:
            raise self.transport.unreadable(f"{self.where} answered {body!r}, not its status")
        return status

    def start(self, request: StartRequest) -> None:
        self.transport.post(Action.START, request.body())

    def release(self) -> None:
        self.transport.post(Action.RELEASE, None)
