"""raw-manifest: a hand-written chaos object, passed through with our ownership added.

What the author wrote stays as written. We add our labels and annotations (ours win on a
clash, since cleanup depends on them), and fill only what is missing: ``metadata.name`` (ours,
deterministic), ``metadata.namespace`` and the spec's ``selector``/``mode``/``value`` from the
target's pods binding, and ``spec.duration`` (the fault's expiry) unless the object is one-shot.
A written ``spec.duration`` longer than the fault's expiry is refused: it would outlive the
run's dead-man guarantee.
"""

from __future__ import annotations

from typing import Any

from chaosrunner.adapters.chaosmesh.common import Context, metadata, plain, selection
from chaosrunner.adapters.chaosmesh.convert import go_duration, parse_go_duration
from chaosrunner.adapters.chaosmesh.errors import RenderError
from chaosrunner.adapters.chaosmesh.payloads import API_VERSION, ChaosObject
from chaosrunner.core.faults.raw_manifest import KINDS, ONE_SHOT


def manifest(ctx: Context) -> ChaosObject:
    obj: dict[str, Any] = plain(ctx.params["manifest"])
    kind = obj.get("kind")
    if obj.get("apiVersion") != API_VERSION or kind not in KINDS:
        raise RenderError(
            f"fault {ctx.name!r}: a raw manifest must be a {API_VERSION} object of kind "
            f"{', '.join(KINDS)}; got {obj.get('apiVersion')}/{kind}"
        )
    ours = metadata(ctx)
    written = obj.setdefault("metadata", {})
    written.setdefault("name", ours["name"])
    written.setdefault("namespace", ours["namespace"])
    written["labels"] = {**written.get("labels", {}), **ours.get("labels", {})}
    written["annotations"] = {**written.get("annotations", {}), **ours.get("annotations", {})}
    spec = obj["spec"]
    given = selection(ctx.pods, ctx.namespace, f"fault {ctx.name!r}")
    spec.setdefault("selector", given["selector"])
    if "mode" not in spec:
        spec.update({k: v for k, v in given.items() if k != "selector"})
    if (kind, spec.get("action")) not in ONE_SHOT:
        _expire(ctx, spec)
    return {"apiVersion": API_VERSION, "kind": str(kind), "metadata": written, "spec": spec}


def _expire(ctx: Context, spec: dict[str, Any]) -> None:
    expiry = ctx.fault.expiry
    if "duration" not in spec:
        spec["duration"] = go_duration(expiry)
        return
    written = parse_go_duration(str(spec["duration"]))
    if written > expiry + 1e-9:
        raise RenderError(
            f"fault {ctx.name!r}: the manifest's spec.duration {spec['duration']} outlives the "
            f"fault's expiry of {go_duration(expiry)} (its duration plus the expiry margin); "
            "shorten it or drop it to use the fault's"
        )
