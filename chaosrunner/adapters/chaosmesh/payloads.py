"""The raw Chaos Mesh payloads the renderers produce, typed as the API sees them.

Field names are Chaos Mesh's (camelCase, and ``request_headers`` where Chaos Mesh spells it so);
values are already converted to its formats: strings for percentages and modes' values, Go
durations, integers where the CRD says integer. These are what is sent, not our model: nothing
reads them back, so they are TypedDicts rather than dataclasses.
"""

from __future__ import annotations

from typing import Any, Required, TypedDict

API_VERSION = "chaos-mesh.org/v1alpha1"


class ObjectMeta(TypedDict, total=False):
    name: Required[str]
    namespace: Required[str]
    labels: dict[str, str]
    annotations: dict[str, str]


class Selector(TypedDict, total=False):
    namespaces: list[str]
    labelSelectors: dict[str, str]
    fieldSelectors: dict[str, str]


class Selection(TypedDict, total=False):
    """Chaos Mesh's inline PodSelector: which pods, and how many of them."""

    selector: Required[Selector]
    mode: Required[str]
    value: str


class ChaosObject(TypedDict):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: dict[str, Any]


# -- NetworkChaos -------------------------------------------------------------------------


class DelaySpec(TypedDict, total=False):
    latency: Required[str]
    jitter: str
    correlation: str


class BandwidthSpec(TypedDict):
    rate: str
    limit: int
    buffer: int


class NetworkScope(TypedDict, total=False):
    direction: str
    target: Selection
    externalTargets: list[str]


# -- StressChaos --------------------------------------------------------------------------


class CpuStressor(TypedDict):
    workers: int
    load: int


class MemoryStressor(TypedDict):
    workers: int
    size: str


class Stressors(TypedDict, total=False):
    cpu: CpuStressor
    memory: MemoryStressor


# -- HTTPChaos ----------------------------------------------------------------------------


class HttpSelect(TypedDict, total=False):
    target: Required[str]
    port: Required[int]
    path: str
    method: str
    code: int
    request_headers: dict[str, str]
    response_headers: dict[str, str]


class HttpReplace(TypedDict, total=False):
    body: str  # base64, as the CRD's format: byte says
    code: int
    headers: dict[str, str]
    method: str
    path: str
    queries: dict[str, str]


class HttpPatchBody(TypedDict):
    type: str
    value: str


class HttpPatch(TypedDict, total=False):
    body: HttpPatchBody
    headers: list[list[str]]
    queries: list[list[str]]


# -- IOChaos ------------------------------------------------------------------------------


class IoSelect(TypedDict, total=False):
    action: Required[str]
    volumePath: Required[str]
    path: str
    percent: int
    methods: list[str]
    containerNames: list[str]


class IoAttr(TypedDict, total=False):
    perm: int
    size: int
    uid: int
    gid: int
    nlink: int
    blocks: int
    ino: int
    rdev: int


# -- what Chaos Mesh writes back (read by the driver to confirm injection and removal) --------


class RecordEvent(TypedDict, total=False):
    type: str  # Succeeded | Failed
    operation: str  # Apply | Recover
    timestamp: str
    message: str


class Record(TypedDict, total=False):
    """One selected target: ``<ns>/<pod>`` or ``<ns>/<pod>/<container>``."""

    id: str
    selectorKey: str
    phase: str  # Injected | Not Injected
    injectedCount: int
    recoveredCount: int
    events: list[RecordEvent]


class ExperimentStatus(TypedDict, total=False):
    desiredPhase: str
    containerRecords: list[Record]


class Condition(TypedDict, total=False):
    type: str  # Selected | AllInjected | AllRecovered | Paused
    status: str  # "True" | "False"
    reason: str


class ChaosStatus(TypedDict, total=False):
    conditions: list[Condition]
    experiment: ExperimentStatus
