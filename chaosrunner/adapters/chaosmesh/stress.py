"""StressChaos: cpu-stress and memory-stress, as stress-ng inside the target's containers.

Chaos Mesh runs the stressors in the selected pods' cgroups, so the load counts against the
target's own limits, which is the point: a CPU-throttled or memory-starved Go service. ``load``
is a whole percentage per worker there; ``size`` keeps our decimal units (B, KB, MB, GB) and
shares of memory (50%) as written, and sends binary units (KiB, MiB, GiB) as exact bytes.
"""

from __future__ import annotations

from chaosrunner.adapters.chaosmesh.common import Context, chaos_object
from chaosrunner.adapters.chaosmesh.convert import memory_size, percent_int
from chaosrunner.adapters.chaosmesh.payloads import (
    ChaosObject,
    CpuStressor,
    MemoryStressor,
    Stressors,
)

KIND = "StressChaos"


def cpu(ctx: Context) -> ChaosObject:
    load = percent_int(str(ctx.params.get("load", "100%")), f"fault {ctx.name!r} params.load")
    stressor: CpuStressor = {"workers": int(ctx.params.get("workers", 1)), "load": load}
    stressors: Stressors = {"cpu": stressor}
    return chaos_object(ctx, KIND, {"stressors": stressors})


def memory(ctx: Context) -> ChaosObject:
    stressor: MemoryStressor = {
        "workers": int(ctx.params.get("workers", 1)),
        "size": memory_size(str(ctx.params["size"])),
    }
    stressors: Stressors = {"memory": stressor}
    return chaos_object(ctx, KIND, {"stressors": stressors})
