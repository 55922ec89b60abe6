"""What every renderer shares: the context of one fault, the pod selection, the object shell.

A family renderer (network, pod, ...) only says what is particular to its kind: its ``action``
and the fields of that action. Selection (namespaces, labels, fields, mode, value), metadata
and ``spec.duration`` (the fault's own expiry, so a dead orchestrator leaves nothing active
for longer than that) are added here, the same way for every kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chaosrunner.adapters.chaosmesh import meta
from chaosrunner.adapters.chaosmesh.convert import go_duration
from chaosrunner.adapters.chaosmesh.errors import RenderError
from chaosrunner.adapters.chaosmesh.payloads import (
    API_VERSION,
    ChaosObject,
    ObjectMeta,
    Selection,
    Selector,
)
from chaosrunner.core.build import pods_part
from chaosrunner.core.model import Binding, PodsPart
from chaosrunner.core.plan import PlannedFault

#: The mode when a binding does not say: the smallest blast radius.
DEFAULT_MODE = "one"
_COUNTED = {"fixed": (1, None), "fixed-percent": (1, 100), "random-max-percent": (1, 100)}


@dataclass(frozen=True)
class Context:
    """One fault to render, with everything its object must carry."""

    fault: PlannedFault
    binding: Binding
    run_id: str
    experiment: str
    source: str = ""
    namespace_default: str | None = None
    expires_at: float | None = None

    @property
    def name(self) -> str:
        return self.fault.fault.name

    @property
    def params(self) -> Mapping[str, Any]:
        return self.fault.fault.params

    @property
    def pods(self) -> PodsPart:
        pods = self.binding.pods
        if pods is None:
            raise RenderError(
                f"fault {self.name!r}: target {self.binding.target!r} has no 'pods' binding "
                f"in environment {self.binding.env!r}; Chaos Mesh selects pods"
            )
        return pods

    @property
    def namespace(self) -> str:
        namespaces = list(self.pods.namespaces) or (
            [self.namespace_default] if self.namespace_default else []
        )
        if not namespaces:
            raise RenderError(f"fault {self.name!r}: the pods binding names no namespace")
        return namespaces[0]


Renderer = Callable[[Context], ChaosObject]


def selection(part: PodsPart | Mapping[str, Any], default_namespace: str, where: str) -> Selection:
    """Chaos Mesh's selector/mode/value from a pods binding (or a network peer, as written)."""
    pods = part if isinstance(part, PodsPart) else pods_part(part)
    selector: Selector = {"namespaces": list(pods.namespaces) or [default_namespace]}
    if pods.label_selector:
        selector["labelSelectors"] = dict(pods.label_selector)
    if pods.field_selector:
        selector["fieldSelectors"] = dict(pods.field_selector)
    mode = DEFAULT_MODE if pods.mode is None else pods.mode
    out: Selection = {"selector": selector, "mode": mode}
    if mode in _COUNTED:
        out["value"] = _value(pods.value, mode, where)
    return out


def _value(raw: object, mode: str, where: str) -> str:
    """Chaos Mesh's webhook parses ``value`` with Atoi: a bare integer in range, as a string."""
    text = str(raw).strip().removesuffix("%") if raw is not None else ""
    low, high = _COUNTED[mode]
    # ASCII digits only: str.isdigit() admits "٣" and "²", which Go's Atoi refuses.
    if (
        not re.fullmatch(r"[0-9]+", text)
        or int(text) < low
        or (high is not None and int(text) > high)
    ):
        bound = f"{low} to {high}" if high else f"at least {low}"
        raise RenderError(f"{where}: mode {mode} needs a whole value {bound}, got {raw!r}")
    return str(int(text))


def metadata(ctx: Context) -> ObjectMeta:
    return {
        "name": meta.object_name(ctx.run_id, ctx.name),
        "namespace": ctx.namespace,
        "labels": meta.labels_for(run_id=ctx.run_id, experiment=ctx.experiment, fault=ctx.name),
        "annotations": meta.annotations_for(
            run_id=ctx.run_id, source=ctx.source, expires_at=ctx.expires_at
        ),
    }


def chaos_object(
    ctx: Context, kind: str, fields: Mapping[str, Any], *, timed: bool = True
) -> ChaosObject:
    """The whole object: selection first, then the kind's fields, then the expiry."""
    spec: dict[str, Any] = {**selection(ctx.pods, ctx.namespace, f"fault {ctx.name!r}"), **fields}
    if timed:
        spec["duration"] = go_duration(ctx.fault.expiry)
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata(ctx), "spec": spec}


def optional(params: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """The given params that are set, copied as plain values (lists, dicts), in ``keys`` order."""
    return {key: plain(params[key]) for key in keys if key in params}


def plain(value: Any) -> Any:
    """A deep copy made of dicts and lists only: frozen mappings and tuples do not dump."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value
