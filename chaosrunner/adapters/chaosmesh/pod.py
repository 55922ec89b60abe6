"""PodChaos: pod-kill, pod-failure, container-kill, and process-kill in a cluster.

pod-kill and container-kill are one-shot: Chaos Mesh keeps a one-shot object in the Run phase
and ignores ``spec.duration`` (its desired-phase step decides one-shot before duration), so we
write none; there is nothing to expire and rollback only deletes the record. pod-failure is
timed like every other fault.

process-kill's cluster form is a pod-kill with no grace period: the pod's processes die with
SIGKILL at once and its controller starts a new one, as the lab's supervisor does locally.
Chaos Mesh cannot send other signals, so any other ``signal`` is refused rather than
approximated.
"""

from __future__ import annotations

import math

from chaosrunner.adapters.chaosmesh.common import Context, chaos_object
from chaosrunner.adapters.chaosmesh.errors import RenderError
from chaosrunner.adapters.chaosmesh.payloads import ChaosObject
from chaosrunner.core.units import parse_duration

KIND = "PodChaos"


def pod_kill(ctx: Context) -> ChaosObject:
    grace = math.ceil(parse_duration(str(ctx.params.get("gracePeriod", "0s"))))
    return chaos_object(ctx, KIND, {"action": "pod-kill", "gracePeriod": grace}, timed=False)


def pod_failure(ctx: Context) -> ChaosObject:
    return chaos_object(ctx, KIND, {"action": "pod-failure"})


def container_kill(ctx: Context) -> ChaosObject:
    names = [str(n) for n in ctx.params["containerNames"]]
    fields = {"action": "container-kill", "containerNames": names}
    return chaos_object(ctx, KIND, fields, timed=False)


def process_kill(ctx: Context) -> ChaosObject:
    signal = ctx.params.get("signal", "SIGKILL")
    if signal != "SIGKILL":
        raise RenderError(
            f"fault {ctx.name!r}: in a cluster process-kill is a Chaos Mesh pod-kill, which "
            f"kills with SIGKILL only; {signal} cannot be sent. Drop 'signal', or use pod-kill "
            "with a gracePeriod for a graceful stop (SIGTERM first)"
        )
    return chaos_object(ctx, KIND, {"action": "pod-kill", "gracePeriod": 0}, timed=False)
