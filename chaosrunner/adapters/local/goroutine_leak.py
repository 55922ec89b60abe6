"""Local goroutine-leak faults, through the leak hook a Go service links (demo/leakhook).

The hook keeps its own expiry (``expiresInSeconds``), so the leak ends even if chaosrunner and
its watchdog both die. Confirmed when the hook holds goroutines; removed when it holds none.
The protocol is ``core/leakhook.py``; this module is its direct-HTTP transport.
"""

from __future__ import annotations

from collections.abc import Mapping

from chaosrunner.adapters.local import undo
from chaosrunner.adapters.local.handlers import Prepared
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.adapters.local.records import UndoAction
from chaosrunner.core.errors import ChaosRunnerError, DriverError, InjectionError
from chaosrunner.core.leakhook import Action, LeakHook, StartRequest, action_path
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault


class HookAnswered(DriverError):
    """The hook answered ``GET`` with a status other than 200, or with no status in it."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HookRefused(InjectionError):
    """The hook answered ``POST`` with a status other than 200."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class HttpTransport:
    """The hook at ``url``, called directly (Standard library HTTP, through ``httpjson``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.where = f"leak hook at {self.url}"

    def get(self, action: Action) -> object:
        status, body = call("GET", action_path(self.url, action))
        if status != 200:
            raise HookAnswered(f"{self.where}: HTTP {status} {body}", status)
        return body

    def post(self, action: Action, body: Mapping[str, object] | None) -> object:
        status, answer = call("POST", action_path(self.url, action), body)
        if status != 200:
            raise HookRefused(
                f"leak hook refused to {action.value}: HTTP {status} {answer}", status
            )
        return answer

    def unreadable(self, message: str) -> ChaosRunnerError:
        return HookAnswered(message, 200)


def hook_at(url: str) -> LeakHook:
    return LeakHook(HttpTransport(url))


class GoroutineLeak:
    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        url = str(binding.need("hook", binding.hook).url).rstrip("/")
        hook = hook_at(url)
        now = hook.status()
        if now.active:
            raise DriverError(f"leak hook at {url} already runs a leak (run {now.run_id!r})")
        params = fault.fault.params
        return Prepared(
            targets=(f"hook:{url}",),
            undo=(undo.http_action("POST", action_path(url, Action.RELEASE), ok_statuses=(200,)),),
            details={"url": url, "runId": run_id, "rate": params["rate"], "max": params.get("max")},
            description=f"leak {params['rate']} goroutines/s through {url}; release at rollback",
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[UndoAction]:
        d = prepared.details
        request = StartRequest.of(d, str(d["runId"]), fault.expiry)
        hook_at(d["url"]).start(request)
        return []

    def active_on(self, prepared: Prepared) -> list[str]:
        now = hook_at(prepared.details["url"]).status()
        return list(prepared.targets) if now.leaking else []

    def removed(self, prepared: Prepared) -> bool:
        return hook_at(prepared.details["url"]).status().released
