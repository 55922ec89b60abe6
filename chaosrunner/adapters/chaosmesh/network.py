"""NetworkChaos: delay, loss, duplicate, corrupt, partition and bandwidth.

Every network fault may be narrowed to the traffic with other pods (``target``, rendered as
Chaos Mesh's ``target`` selection, namespaces defaulting to the object's) or with addresses
outside the cluster (``externalTargets``). ``direction`` is always written out, even when it is
Chaos Mesh's default ``to``, so the object says what it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosrunner.adapters.chaosmesh.common import Context, Renderer, chaos_object, selection
from chaosrunner.adapters.chaosmesh.convert import percent_text, single_unit, tc_rate
from chaosrunner.adapters.chaosmesh.payloads import (
    BandwidthSpec,
    ChaosObject,
    DelaySpec,
    NetworkScope,
)

KIND = "NetworkChaos"
#: Queue and bucket sizes when the fault does not give them: a deep queue, so a capped link
#: delays packets (as Toxiproxy's bandwidth toxic does locally) rather than dropping them.
DEFAULT_LIMIT = 20971520
DEFAULT_BUFFER = 10000


def _scope(ctx: Context) -> NetworkScope:
    params = ctx.params
    scope: NetworkScope = {"direction": str(params.get("direction", "to"))}
    peer = params.get("target")
    if isinstance(peer, Mapping):
        where = f"fault {ctx.name!r} params.target"
        scope["target"] = selection({"mode": "all", **peer}, ctx.namespace, where)
    if "externalTargets" in params:
        scope["externalTargets"] = [str(t) for t in params["externalTargets"]]
    return scope


def _object(ctx: Context, action: str, detail: Mapping[str, Any]) -> ChaosObject:
    return chaos_object(ctx, KIND, {"action": action, **detail, **_scope(ctx)})


def delay(ctx: Context) -> ChaosObject:
    params = ctx.params
    spec: DelaySpec = {"latency": single_unit(params["latency"])}
    if "jitter" in params:
        spec["jitter"] = single_unit(params["jitter"])
    if "correlation" in params:
        spec["correlation"] = percent_text(params["correlation"])
    return _object(ctx, "delay", {"delay": spec})


def netem(action: str) -> Renderer:
    """loss, duplicate and corrupt share a shape: ``{<action>: "25", correlation: "10"}``."""

    def render(ctx: Context) -> ChaosObject:
        detail = {action: percent_text(ctx.params[action])}
        if "correlation" in ctx.params:
            detail["correlation"] = percent_text(ctx.params["correlation"])
        return _object(ctx, action, {action: detail})

    return render


def partition(ctx: Context) -> ChaosObject:
    return _object(ctx, "partition", {})


def bandwidth(ctx: Context) -> ChaosObject:
    params = ctx.params
    spec: BandwidthSpec = {
        "rate": tc_rate(params["rate"]),
        "limit": int(params.get("limit", DEFAULT_LIMIT)),
        "buffer": int(params.get("buffer", DEFAULT_BUFFER)),
    }
    return _object(ctx, "bandwidth", {"bandwidth": spec})
