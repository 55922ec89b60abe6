"""TimeChaos: time-skew. Only the clocks the selected containers read move; the node's do not.

``timeOffset`` keeps its sign (``-10m`` goes back ten minutes); ``clockIds`` default to
Chaos Mesh's (CLOCK_REALTIME) when not given.
"""

from __future__ import annotations

from chaosrunner.adapters.chaosmesh.common import Context, chaos_object, optional
from chaosrunner.adapters.chaosmesh.convert import signed_duration
from chaosrunner.adapters.chaosmesh.payloads import ChaosObject

KIND = "TimeChaos"


def skew(ctx: Context) -> ChaosObject:
    fields = {
        "timeOffset": signed_duration(str(ctx.params["timeOffset"])),
        **optional(ctx.params, "clockIds", "containerNames"),
    }
    return chaos_object(ctx, KIND, fields)
