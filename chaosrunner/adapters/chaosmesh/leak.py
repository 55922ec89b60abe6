"""goroutine-leak in a cluster: the service's own leak hook, called through the pod proxy.

Chaos Mesh has no goroutine-leak chaos, so the driver calls the hook the service links
(demo/leakhook) on each selected pod, through the API server's ``pods/proxy`` subresource: no
port-forward, no Service, and RBAC decides who may. The hook keeps its own expiry
(``expiresInSeconds``), which is this fault's dead-man switch. Each pod is started, confirmed
and released on its own; a pod that vanished has released its goroutines with it.

The hook has no watch, so confirmation reads its status every half second until the timeout.
:class:`PodProxyLeak` is the driver's handler for this way of injecting; what it started is a
:class:`LeakInjection` (the hook and the pods), which confirms and releases itself.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from chaosrunner.adapters.chaosmesh.common import selection
from chaosrunner.adapters.chaosmesh.convert import go_duration
from chaosrunner.adapters.chaosmesh.handlers import FaultContext, Needs
from chaosrunner.adapters.chaosmesh.pods import Selection, select_pods
from chaosrunner.adapters.kube.api import Kube, parse_time
from chaosrunner.core.errors import ApiError, InjectionError, NotFound
from chaosrunner.core.journal import TargetRecord
from chaosrunner.core.ports import Confirmation, Removal

POLL = 0.5
log = structlog.get_logger("chaosrunner.chaosmesh.leak")


@dataclass(frozen=True)
class Hook:
    port: int
    path: str
    scheme: str = "http"

    @classmethod
    def of(cls, part: Mapping[str, Any]) -> Hook:
        path = "/" + str(part.get("path", "/debug/chaos/goroutine-leak")).strip("/")
        return cls(int(part.get("port", 8080)), path, str(part.get("scheme", "http")))

    def url(self, namespace: str, pod: str, action: str = "") -> str:
        who = f"{self.scheme}:{pod}:{self.port}" if self.scheme == "https" else f"{pod}:{self.port}"
        return f"/api/v1/namespaces/{namespace}/pods/{who}/proxy{self.path}/{action}"


def _status(kube: Kube, hook: Hook, ns: str, pod: str) -> dict[str, Any]:
    body = kube.raw(f"read the leak hook of {ns}/{pod}", "GET", hook.url(ns, pod))
    if not isinstance(body, dict):
        raise ApiError(f"leak hook of {ns}/{pod} answered {body!r}, not its status")
    return body


def start(
    kube: Kube,
    hook: Hook,
    pods: Sequence[tuple[str, str]],
    *,
    run_id: str,
    params: Mapping[str, Any],
    expiry: float,
) -> None:
    """Start the leak on every pod, or on none: a failure releases the ones already started."""
    body: dict[str, Any] = {
        "rate": params["rate"],
        "expiresInSeconds": math.ceil(expiry),
        "runId": run_id,
    }
    if params.get("max"):
        body["max"] = params["max"]
    started: list[tuple[str, str]] = []
    try:
        for ns, pod in pods:
            now = _status(kube, hook, ns, pod)
            if now.get("active"):
                raise InjectionError(
                    f"the leak hook of {ns}/{pod} already runs a leak for run {now.get('runId')!r}"
                )
            kube.raw(
                f"start the leak on {ns}/{pod}",
                "POST",
                hook.url(ns, pod, "start"),
                body=body,
                safe=False,
            )
            started.append((ns, pod))
    except ApiError as exc:
        release(kube, hook, started)
        raise InjectionError(str(exc)) from exc
    except InjectionError:
        release(kube, hook, started)
        raise


def confirm(
    kube: Kube, hook: Hook, pods: Sequence[tuple[str, str]], run_id: str, timeout: float
) -> tuple[tuple[TargetRecord, ...], str]:
    """Per pod: the hook holds goroutines for this run. Returns the targets and what is missing."""
    deadline = time.monotonic() + timeout
    done: dict[tuple[str, str], TargetRecord] = {}
    why = ""
    while True:
        for ns, pod in pods:
            if (ns, pod) in done:
                continue
            try:
                st = _status(kube, hook, ns, pod)
            except ApiError as exc:
                why = str(exc)
                continue
            if st.get("active") and st.get("runId") == run_id and int(st.get("held", 0)) > 0:
                done[(ns, pod)] = TargetRecord(
                    f"{ns}/{pod}", parse_time(st.get("startedAt")) or time.time()
                )
            else:
                held, active = st.get("held", 0), st.get("active")
                why = f"{ns}/{pod}: hook holds {held} goroutine(s), active={active}"
        if len(done) == len(pods) or time.monotonic() >= deadline:
            return tuple(done[p] for p in pods if p in done), why
        time.sleep(POLL)


def release(kube: Kube, hook: Hook, pods: Sequence[tuple[str, str]]) -> list[str]:
    """Release every pod; returns what could not be confirmed released (empty when all are)."""
    failed = []
    for ns, pod in pods:
        try:
            kube.raw(f"release the leak on {ns}/{pod}", "POST", hook.url(ns, pod, "release"))
            st = _status(kube, hook, ns, pod)
        except NotFound:
            continue  # the pod is gone, and its goroutines with it
        except ApiError as exc:
            failed.append(f"{ns}/{pod}: {exc}")
            continue
        if st.get("active") or int(st.get("held", 0)) > 0:
            failed.append(f"{ns}/{pod}: still holds {st.get('held')} goroutine(s)")
    if failed:
        log.error("leak not released", pods=failed)
    return failed


@dataclass(frozen=True)
class LeakInjection:
    """A leak started through the pod proxy: the hook and the pods it runs on."""

    hook: Hook
    pods: tuple[tuple[str, str], ...]
    run_id: str

    def details(self) -> dict[str, object]:
        return {
            "pods": [f"{ns}/{pod}" for ns, pod in self.pods],
            "port": self.hook.port,
            "path": self.hook.path,
        }

    def confirm(self, kube: Kube, timeout: float) -> Confirmation:
        found, why = confirm(kube, self.hook, self.pods, self.run_id, timeout)
        if len(found) == len(self.pods):
            return Confirmation(time.time(), found)
        return Confirmation(None, found, f"{len(found)}/{len(self.pods)} pod(s) leaking; {why}")

    def remove(self, kube: Kube, timeout: float) -> Removal:
        failed = release(kube, self.hook, self.pods)
        return Removal(time.time(), not failed, "; ".join(failed))


class PodProxyLeak:
    """goroutine-leak: the service's leak hook on each selected pod, through the pod proxy."""

    def _selection(self, ctx: FaultContext) -> Selection:
        spec = selection(ctx.binding.part("pods"), "default", f"fault {ctx.name!r}")
        return Selection.of(ctx.name, "leak hook", spec, "default")

    def needs(self, ctx: FaultContext) -> Needs:
        sel = self._selection(ctx)
        return Needs(namespaces=sel.namespaces, selections=(sel,), pod_proxy=True)

    def describe(self, ctx: FaultContext) -> str:
        sel = self._selection(ctx)
        hook = Hook.of(ctx.binding.part("hook"))
        return (
            f"{ctx.name}: start a goroutine leak ({ctx.fault.fault.params['rate']}/s) "
            f"through the pod proxy {hook.port}{hook.path} on {sel.text} (mode {sel.mode}); "
            f"the hook ends it after {go_duration(ctx.fault.expiry)}"
        )

    def inject(self, kube: Kube, ctx: FaultContext, created_at: float) -> LeakInjection:
        sel = self._selection(ctx)
        hook = Hook.of(ctx.binding.part("hook"))
        pods = select_pods(kube, sel)
        if not pods:
            raise InjectionError(f"fault {ctx.name!r}: no Running pod for {sel.text}")
        expiry = ctx.fault.expiry
        start(kube, hook, pods, run_id=ctx.run.run_id, params=ctx.fault.fault.params, expiry=expiry)
        return LeakInjection(hook, tuple(pods), ctx.run.run_id)
