"""IOChaos: io-latency, io-fault and io-attr on one volume of the target's pods.

``percent`` is an integer in the CRD (we write ``25%``); ``delay`` is a Go duration; io-attr's
``perm`` may be written as an octal string (``"0644"``) and is sent as the number Chaos Mesh
stores. The action names are Chaos Mesh's: ``latency``, ``fault``, ``attrOverride``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosrunner.adapters.chaosmesh.common import Context, chaos_object, plain
from chaosrunner.adapters.chaosmesh.convert import percent_int, single_unit
from chaosrunner.adapters.chaosmesh.payloads import ChaosObject, IoAttr, IoSelect

KIND = "IOChaos"


def _select(ctx: Context, action: str) -> IoSelect:
    params = ctx.params
    select: IoSelect = {"action": action, "volumePath": str(params["volumePath"])}
    if "path" in params:
        select["path"] = str(params["path"])
    where = f"fault {ctx.name!r} params.percent"
    select["percent"] = percent_int(str(params.get("percent", "100%")), where)
    if "methods" in params:
        select["methods"] = [str(m) for m in params["methods"]]
    if "containerNames" in params:
        select["containerNames"] = [str(n) for n in params["containerNames"]]
    return select


def _object(ctx: Context, action: str, detail: Mapping[str, Any]) -> ChaosObject:
    return chaos_object(ctx, KIND, {**_select(ctx, action), **detail})


def latency(ctx: Context) -> ChaosObject:
    return _object(ctx, "latency", {"delay": single_unit(ctx.params["delay"])})


def fault(ctx: Context) -> ChaosObject:
    return _object(ctx, "fault", {"errno": int(ctx.params["errno"])})


def attr(ctx: Context) -> ChaosObject:
    given = plain(ctx.params["attr"])
    if isinstance(given.get("perm"), str):
        given["perm"] = int(given["perm"], 8)
    spec: IoAttr = given
    return _object(ctx, "attrOverride", {"attr": spec})
