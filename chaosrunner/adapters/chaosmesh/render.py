"""Fault → Chaos Mesh object: the registry of renderers and the two entry points.

Each fault type maps explicitly to one renderer in ``RENDERERS``; what is not there has no
Chaos Mesh form. goroutine-leak runs in a cluster but is not a Chaos Mesh object: the driver
calls the leak hook through the API server's pod proxy, so ``render`` refuses it with
NotAChaosMeshObject and ``render_all`` leaves it out. Rendering is pure: no API calls, no
clock (the caller passes ``expires_at``), the same input always gives the same object.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from chaosrunner.adapters.chaosmesh import dns, http, io, network, pod, raw, stress, timeskew
from chaosrunner.adapters.chaosmesh.common import Context, Renderer
from chaosrunner.adapters.chaosmesh.errors import NotAChaosMeshObject, RenderError
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import Binding
from chaosrunner.core.plan import Plan, PlannedFault

RENDERERS: Mapping[str, Renderer] = MappingProxyType(
    {
        "container-kill": pod.container_kill,
        "cpu-stress": stress.cpu,
        "dns-error": dns.action("error"),
        "dns-random": dns.action("random"),
        "http-abort": http.abort,
        "http-delay": http.delay,
        "http-patch": http.patch,
        "http-replace": http.replace,
        "io-attr": io.attr,
        "io-fault": io.fault,
        "io-latency": io.latency,
        "memory-stress": stress.memory,
        "network-bandwidth": network.bandwidth,
        "network-corrupt": network.netem("corrupt"),
        "network-delay": network.delay,
        "network-duplicate": network.netem("duplicate"),
        "network-loss": network.netem("loss"),
        "network-partition": network.partition,
        "pod-failure": pod.pod_failure,
        "pod-kill": pod.pod_kill,
        "process-kill": pod.process_kill,
        "raw-manifest": raw.manifest,
        "time-skew": timeskew.skew,
    }
)

#: Kinds that run in a cluster without a Chaos Mesh object, and how they run instead.
NOT_OBJECTS: Mapping[str, str] = MappingProxyType(
    {
        "goroutine-leak": "the chaos-mesh driver calls the leak hook the service links "
        "through the API server's pod proxy (binding part 'hook')",
    }
)


def render(
    fault: PlannedFault,
    binding: Binding,
    *,
    run_id: str,
    experiment: str,
    source: str = "",
    namespace_default: str | None = None,
    expires_at: float | None = None,
) -> dict[str, Any]:
    """The Chaos Mesh object for one planned fault; raises RenderError saying what to change."""
    kind = fault.kind.name
    if kind in NOT_OBJECTS:
        raise NotAChaosMeshObject(
            f"fault {fault.fault.name!r}: {kind} is not a Chaos Mesh object; {NOT_OBJECTS[kind]}"
        )
    renderer = RENDERERS.get(kind)
    if renderer is None:
        drivers = ", ".join(d.value for d in REGISTRY[kind].requires) if kind in REGISTRY else "-"
        raise RenderError(
            f"fault {fault.fault.name!r}: {kind} has no Chaos Mesh form (it runs with driver: "
            f"{drivers})"
        )
    context = Context(fault, binding, run_id, experiment, source, namespace_default, expires_at)
    return dict(renderer(context))


def render_all(
    plan: Plan,
    *,
    run_id: str,
    namespace_default: str | None = None,
    expires_at: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Every Chaos Mesh object of a plan, in fault order; pod-proxy faults render nothing."""
    exp = plan.experiment
    return [
        render(
            planned,
            exp.binding(planned.fault.target),
            run_id=run_id,
            experiment=exp.metadata.name,
            source=exp.source,
            namespace_default=namespace_default,
            expires_at=(expires_at or {}).get(planned.fault.name),
        )
        for planned in plan.faults
        if planned.kind.name not in NOT_OBJECTS
    ]
