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

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import structlog

from chaosrunner.adapters.chaosmesh.common import selection
from chaosrunner.adapters.chaosmesh.convert import go_duration
from chaosrunner.adapters.chaosmesh.handlers import FaultContext, Needs
from chaosrunner.adapters.chaosmesh.pods import Selection, select_pods
from chaosrunner.adapters.kube.api import Kube, parse_time
from chaosrunner.core.errors import ApiError, ChaosRunnerError, InjectionError, NotFound
from chaosrunner.core.journal import TargetRecord
from chaosrunner.core.leakhook import (
    DEFAULT_PATH,
    DEFAULT_PORT,
    Action,
    LeakHook,
    StartRequest,
    action_path,
)
from chaosrunner.core.model import HookPart
from chaosrunner.core.ports import Confirmation, JsonValue, Removal

POLL = 0.5
log = structlog.get_logger("chaosrunner.chaosmesh.leak")


@dataclass(frozen=True)
class Hook:
    """Where the hook is on every pod: its port, path and scheme."""

    port: int
    path: str
    scheme: str = "http"

    @classmethod
    def of(cls, part: HookPart) -> Hook:
        path = "/" + (DEFAULT_PATH if part.path is None else part.path).strip("/")
        return cls(DEFAULT_PORT if part.port is None else part.port, path, part.scheme)

    def url(self, namespace: str, pod: str, action: Action = Action.STATUS) -> str:
        who = f"{self.scheme}:{pod}:{self.port}" if self.scheme == "https" else f"{pod}:{self.port}"
        return action_path(f"/api/v1/namespaces/{namespace}/pods/{who}/proxy{self.path}", action)


_WHAT = {
    Action.STATUS: "read the leak hook of",
    Action.START: "start the leak on",
    Action.RELEASE: "release the leak on",
}


class PodProxyTransport:
    """The hook on one pod, through the API server's ``pods/proxy`` subresource."""

    def __init__(self, kube: Kube, hook: Hook, namespace: str, pod: str) -> None:
        self.kube, self.hook, self.namespace, self.pod = kube, hook, namespace, pod
        self.where = f"leak hook of {namespace}/{pod}"

    def get(self, action: Action) -> object:
        return self._call("GET", action, None)

    def post(self, action: Action, body: Mapping[str, object] | None) -> object:
        return self._call("POST", action, body)

    def _call(self, method: str, action: Action, body: Mapping[str, object] | None) -> object:
        what = f"{_WHAT[action]} {self.namespace}/{self.pod}"
        url = self.hook.url(self.namespace, self.pod, action)
        if body is None:
            return self.kube.raw(what, method, url, safe=action is not Action.START)
        return self.kube.raw(what, method, url, body=dict(body), safe=action is not Action.START)

    def unreadable(self, message: str) -> ChaosRunnerError:
        return ApiError(message)


def _client(kube: Kube, hook: Hook, ns: str, pod: str) -> LeakHook:
    return LeakHook(PodProxyTransport(kube, hook, ns, pod))


def start(
    kube: Kube,
    hook: Hook,
    pods: Sequence[tuple[str, str]],
    request: StartRequest,
) -> None:
    """Start the leak on every pod, or on none: a failure releases the ones already started."""
    started: list[tuple[str, str]] = []
    try:
        for ns, pod in pods:
            client = _client(kube, hook, ns, pod)
            now = client.status()
            if now.active:
                raise InjectionError(
                    f"the leak hook of {ns}/{pod} already runs a leak for run {now.run_id!r}"
                )
            client.start(request)
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
                st = _client(kube, hook, ns, pod).status()
            except ApiError as exc:
                why = str(exc)
                continue
            if st.leaking_for(run_id):
                done[(ns, pod)] = TargetRecord(
                    f"{ns}/{pod}", parse_time(st.started_at) or time.time()
                )
            else:
                why = f"{ns}/{pod}: hook holds {st.held} goroutine(s), active={st.active}"
        if len(done) == len(pods) or time.monotonic() >= deadline:
            return tuple(done[p] for p in pods if p in done), why
        time.sleep(POLL)


def release(kube: Kube, hook: Hook, pods: Sequence[tuple[str, str]]) -> list[str]:
    """Release every pod; returns what could not be confirmed released (empty when all are)."""
    failed = []
    for ns, pod in pods:
        client = _client(kube, hook, ns, pod)
        try:
            client.release()
            st = client.status()
        except NotFound:
            continue  # the pod is gone, and its goroutines with it
        except ApiError as exc:
            failed.append(f"{ns}/{pod}: {exc}")
            continue
        if not st.released:
            failed.append(f"{ns}/{pod}: still holds {st.held} goroutine(s)")
    if failed:
        log.error("leak not released", pods=failed)
    return failed


@dataclass(frozen=True)
class LeakInjection:
    """A leak started through the pod proxy: the hook and the pods it runs on."""

    hook: Hook
    pods: tuple[tuple[str, str], ...]
    run_id: str

    def details(self) -> dict[str, JsonValue]:
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
        pods = ctx.binding.need("pods", ctx.binding.pods)
        spec = selection(pods, "default", f"fault {ctx.name!r}")
        return Selection.of(ctx.name, "leak hook", spec, "default")

    def needs(self, ctx: FaultContext) -> Needs:
        sel = self._selection(ctx)
        return Needs(namespaces=sel.namespaces, selections=(sel,), pod_proxy=True)

    def describe(self, ctx: FaultContext) -> str:
        sel = self._selection(ctx)
        hook = Hook.of(ctx.binding.need("hook", ctx.binding.hook))
        return (
            f"{ctx.name}: start a goroutine leak ({ctx.fault.fault.params['rate']}/s) "
            f"through the pod proxy {hook.port}{hook.path} on {sel.text} (mode {sel.mode}); "
            f"the hook ends it after {go_duration(ctx.fault.expiry)}"
        )

    def inject(self, kube: Kube, ctx: FaultContext, created_at: float) -> LeakInjection:
        sel = self._selection(ctx)
        hook = Hook.of(ctx.binding.need("hook", ctx.binding.hook))
        pods = select_pods(kube, sel)
        if not pods:
            raise InjectionError(f"fault {ctx.name!r}: no Running pod for {sel.text}")
        request = StartRequest.of(ctx.fault.fault.params, ctx.run.run_id, ctx.fault.expiry)
        start(kube, hook, pods, request)
        return LeakInjection(hook, tuple(pods), ctx.run.run_id)
