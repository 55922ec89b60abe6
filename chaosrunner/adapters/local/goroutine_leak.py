"""Local goroutine-leak faults, through the leak hook a Go service links (demo/leakhook).

The hook keeps its own expiry (``expiresInSeconds``), so the leak ends even if chaosrunner and
its watchdog both die. Confirmed when the hook holds goroutines; removed when it holds none.
"""

from __future__ import annotations

import math
from typing import Any

from chaosrunner.adapters.local import undo
from chaosrunner.adapters.local.handlers import Prepared
from chaosrunner.adapters.local.httpjson import call
from chaosrunner.core.errors import DriverError, InjectionError
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import PlannedFault


def _status(url: str) -> dict[str, Any]:
    status, body = call("GET", f"{url}/")
    if status != 200 or not isinstance(body, dict):
        raise DriverError(f"leak hook at {url}: HTTP {status} {body}")
    return body


class GoroutineLeak:
    def prepare(
        self, fault: PlannedFault, binding: Binding, run_id: str, expires_at: float
    ) -> Prepared:
        url = str(binding.part("hook")["url"]).rstrip("/")
        now = _status(url)
        if now.get("active"):
            raise DriverError(f"leak hook at {url} already runs a leak (run {now.get('runId')!r})")
        params = fault.fault.params
        return Prepared(
            targets=(f"hook:{url}",),
            undo=(undo.http_action("POST", f"{url}/release", ok_statuses=(200,)),),
            details={"url": url, "runId": run_id, "rate": params["rate"], "max": params.get("max")},
            description=f"leak {params['rate']} goroutines/s through {url}; release at rollback",
        )

    def apply(self, fault: PlannedFault, prepared: Prepared) -> list[dict[str, Any]]:
        d = prepared.details
        body = {"rate": d["rate"], "expiresInSeconds": math.ceil(fault.expiry), "runId": d["runId"]}
        if d.get("max"):
            body["max"] = d["max"]
        status, answer = call("POST", f"{d['url']}/start", body)
        if status != 200:
            raise InjectionError(f"leak hook refused to start: HTTP {status} {answer}")
        return []

    def active_on(self, prepared: Prepared) -> list[str]:
        now = _status(prepared.details["url"])
        return list(prepared.targets) if now.get("active") and int(now.get("held", 0)) > 0 else []

    def removed(self, prepared: Prepared) -> bool:
        now = _status(prepared.details["url"])
        return not now.get("active") and int(now.get("held", 0)) == 0
