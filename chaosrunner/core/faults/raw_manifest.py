"""raw-manifest: any Chaos Mesh chaos object, written by hand, run as one of our faults.

The escape hatch for what our kinds do not cover (netem combinations, reorder, JVM-free
corners of a CRD): the manifest passes through as written. chaosrunner still owns its life:
it adds the run's labels and annotations, fills what the manifest leaves out from the target's
binding (namespace, selector, mode) and gives it the fault's expiry as ``spec.duration`` when
it has none; a written duration must not outlive that expiry.

Only the seven namespaced chaos kinds whose CRDs we ship are accepted. A Schedule or Workflow
creates chaos objects of its own, which carry neither our labels nor our expiry, so a crashed
run would leave them behind; express the sequence as faults with ``faultOrder: serial``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults import _cluster, _kube
from chaosrunner.core.faults.base import FaultKind, params_schema
from chaosrunner.core.model import DriverKind

API_VERSION = "chaos-mesh.org/v1alpha1"
KINDS = (
    "DNSChaos",
    "HTTPChaos",
    "IOChaos",
    "NetworkChaos",
    "PodChaos",
    "StressChaos",
    "TimeChaos",
)
_NOT_FAULTS = {
    "Schedule": "it creates chaos objects of its own, without our labels or expiry",
    "Workflow": "it creates chaos objects of its own, without our labels or expiry",
    "StatusCheck": "it checks health and injects nothing",
    "RemoteCluster": "it registers a cluster and injects nothing",
}
#: (kind, action) pairs Chaos Mesh runs once: they carry no spec.duration.
ONE_SHOT = (("PodChaos", "pod-kill"), ("PodChaos", "container-kill"))
#: Go's time.ParseDuration syntax, which is what Chaos Mesh applies to ``spec.duration``.
GO_DURATION_RE = r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$"
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_NAMES = {  # what the API server accepts: (pattern, longest, what to call it)
    "name": (rf"^{_LABEL}(\.{_LABEL})*$", 253, "a DNS-1123 subdomain"),
    "namespace": (rf"^{_LABEL}$", 63, "a DNS-1123 label"),
}

Problems = list[tuple[tuple[str | int, ...], str]]


def _check(params: Mapping[str, Any]) -> Problems:
    manifest = params.get("manifest")
    if not isinstance(manifest, Mapping):
        return []
    at = ("manifest",)
    problems: Problems = []
    if manifest.get("apiVersion") != API_VERSION:
        got = manifest.get("apiVersion")
        problems.append(((*at, "apiVersion"), f"expected {API_VERSION!r}, got {got!r}"))
    kind = manifest.get("kind")
    expected = f"expected one of: {', '.join(KINDS)}"
    if isinstance(kind, str) and kind in _NOT_FAULTS:
        why = _NOT_FAULTS[str(kind)]
        problems.append(((*at, "kind"), f"a {kind} cannot be a fault: {why}; {expected}"))
    elif kind not in KINDS:
        problems.append(((*at, "kind"), f"{kind!r} is not allowed; {expected}"))
    metadata = manifest.get("metadata")
    for key, (pattern, longest, phrase) in _NAMES.items():
        value = metadata.get(key) if isinstance(metadata, Mapping) else None
        if value is not None and not _fits(value, pattern, longest):
            problems.append(((*at, "metadata", key), f"{value!r} is not valid; expected {phrase}"))
    if isinstance(metadata, Mapping):
        problems.extend(_meta_maps(metadata))
    spec = manifest.get("spec")
    duration = spec.get("duration") if isinstance(spec, Mapping) else None
    if duration is not None and not _fits(duration, GO_DURATION_RE, 64):
        message = f"{duration!r} is not a Go duration; expected e.g. 30s, 1m30s"
        problems.append(((*at, "spec", "duration"), message))
    elif (written := written_duration(params)) is not None and written > _cluster.GO_MAX_SECONDS:
        message = f"{duration!r} is out of range; expected at most {_cluster.GO_MAX_TEXT}"
        problems.append(((*at, "spec", "duration"), message))
    return problems


def _meta_maps(metadata: Mapping[str, Any]) -> Problems:
    """Our labels and annotations are merged into the written ones: both must be string maps
    the API server takes."""
    problems: Problems = []
    at = ("manifest", "metadata")
    for key in ("labels", "annotations"):
        given = metadata.get(key)
        if given is not None and not isinstance(given, Mapping):
            problems.append(((*at, key), f"expected a mapping of strings, got {given!r}"))
            continue
        for name, value in (given or {}).items():
            if key == "labels" and not _kube.label_key(name):
                problems.append(
                    ((*at, key, name), f"{name!r} is not valid; expected {_kube.LABEL_KEY}")
                )
            elif not isinstance(value, str):
                problems.append(((*at, key, name), f"expected a string, got {value!r}"))
            elif key == "labels" and not _kube.label_value(value):
                problems.append(
                    ((*at, key, name), f"{value!r} is not valid; expected {_kube.LABEL_VALUE}")
                )
    return problems


def one_shot(params: Mapping[str, Any]) -> bool:
    manifest = params.get("manifest")
    if not isinstance(manifest, Mapping):
        return False
    spec = manifest.get("spec")
    action = spec.get("action") if isinstance(spec, Mapping) else None
    return (manifest.get("kind"), action) in ONE_SHOT


def written_duration(params: Mapping[str, Any]) -> float | None:
    """Seconds in the manifest's own ``spec.duration`` (Go syntax); None when absent or bad."""
    manifest = params.get("manifest")
    spec = manifest.get("spec") if isinstance(manifest, Mapping) else None
    text = spec.get("duration") if isinstance(spec, Mapping) else None
    if not isinstance(text, str) or not _fits(text, GO_DURATION_RE, 64):
        return None
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    parts = re.findall(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)", text)
    return sum(float(n) * units[u] for n, u in parts)


def _fits(value: object, pattern: str, longest: int) -> bool:
    return isinstance(value, str) and len(value) <= longest and bool(re.fullmatch(pattern, value))


KIND = FaultKind(
    name="raw-manifest",
    summary="Run a hand-written Chaos Mesh chaos object as a fault (labels and expiry added).",
    params=params_schema(
        {
            "manifest": {
                "type": "object",
                "description": "A Chaos Mesh object: apiVersion chaos-mesh.org/v1alpha1, "
                f"kind one of {', '.join(KINDS)}, and its spec.",
                "required": ["apiVersion", "kind", "spec"],
                "additionalProperties": False,
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": {"type": "object"},
                },
            }
        },
        ("manifest",),
    ),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_check,
)
