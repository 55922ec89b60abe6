"""The experiment as chaosrunner understands it after validation.

Everything here is a frozen value: the validator builds it once from the YAML file, and every
later phase reads it. Raw YAML never travels past validation. Fault parameters stay a mapping
of plain values because each fault kind owns their meaning (see ``chaosrunner.core.faults``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from chaosrunner.core.errors import DriverError
from chaosrunner.core.notify import WebhookConfig
from chaosrunner.core.resilience import Severity
from chaosrunner.core.units import Objective

API_VERSION = "chaosrunner.io/v1alpha1"
KIND = "Experiment"


class Phase(StrEnum):
    VALIDATE = "validate"
    PREFLIGHT = "preflight"
    BASELINE = "baseline"
    INJECT = "inject"
    OBSERVE = "observe"
    ROLLBACK = "rollback"
    RECOVERY = "recovery"
    VERDICT = "verdict"


#: The phases in which SLIs are sampled and judged.
SAMPLED_PHASES = (Phase.BASELINE, Phase.OBSERVE, Phase.RECOVERY)


class DriverKind(StrEnum):
    LOCAL = "local"
    CHAOS_MESH = "chaos-mesh"


class SliKind(StrEnum):
    QUERY = "query"
    RATIO = "ratio"
    QUANTILE = "quantile"
    BURN_RATE = "burnRate"
    GROWTH = "growth"
    #: A named saturation preset (core/presets.py) compiled to PromQL at build time.
    PRESET = "preset"


class JudgeRule(StrEnum):
    EVERY_TICK = "every-tick"
    TICKS_RATIO = "ticks-ratio"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"
    FINAL = "final"
    SUSTAINED = "sustained"
    #: OpenSLO Timeslices: a share of fixed wall-clock slices must be good (core/timeslices.py).
    TIMESLICES = "timeslices"


class NoDataPolicy(StrEnum):
    """What an SLI tick with no data means. There is deliberately no 'pass'."""

    INCONCLUSIVE = "inconclusive"
    FAIL = "fail"


class GuardrailNoData(StrEnum):
    IGNORE = "ignore"
    ABORT = "abort"


class FaultOrder(StrEnum):
    PARALLEL = "parallel"
    SERIAL = "serial"


@dataclass(frozen=True)
class Judge:
    """How an SLI's ticks in one phase become held / violated."""

    rule: JudgeRule
    min_ratio: float = 1.0
    sustain_seconds: float = 0.0
    #: timeslices: the slice length (OpenSLO timeSliceWindow) and the share of good slices
    #: required (timeSliceTarget).
    slice_window: float = 0.0
    slice_target: float = 1.0

    def describe(self) -> str:
        match self.rule:
            case JudgeRule.TICKS_RATIO:
                return f"at least {self.min_ratio:.4g} of ticks"
            case JudgeRule.SUSTAINED:
                return f"no breach sustained for {self.sustain_seconds:g}s"
            case JudgeRule.TIMESLICES:
                return f"at least {self.slice_target:.4g} of {self.slice_window:g}s slices"
            case _:
                return self.rule.value

    def can_fail_within(self, span: float) -> bool:
        """Whether ticks spanning ``span`` seconds (first to last) could ever violate this rule.

        Only ``sustained`` needs time: a breach counts once it has lasted ``for`` seconds, so
        ticks that span less can never add up to one, and "held" would mean nothing.
        """
        return self.rule is not JudgeRule.SUSTAINED or span >= self.sustain_seconds - 1e-9


def tick_span(seconds: float, interval: float) -> float:
    """How long the ticks of a phase span: they fall at 0, i, 2i, ... up to ``seconds``."""
    if interval <= 0 or seconds < 0:
        return 0.0
    return math.floor(seconds / interval + 1e-9) * interval


@dataclass(frozen=True)
class SloSpec:
    """A declared SLO an SLI's error-budget burn is measured against: 0.999 over 30 days."""

    target: float
    window_seconds: float


@dataclass(frozen=True)
class Sli:
    name: str
    kind: SliKind
    query: str
    objective: Objective
    judge: Judge
    no_data: NoDataPolicy
    description: str = ""
    unit: str = ""
    severity: Severity = Severity.CRITICAL
    slo: SloSpec | None = None
    #: The saturation preset the query was compiled from ("" when written by hand).
    preset: str = ""


@dataclass(frozen=True)
class ExpectedAlert:
    """An alert that should fire during the run (``ALERTS{alertname="..."}`` in Prometheus).

    ``within``: seconds after the first fault started by which it must fire (None: any time
    before the run ends). ``required``: whether a miss changes the verdict.
    """

    name: str
    within: float | None = None
    required: bool = False


@dataclass(frozen=True)
class Guardrail:
    name: str
    query: str
    abort_if: Objective
    on_no_data: GuardrailNoData = GuardrailNoData.IGNORE
    description: str = ""


@dataclass(frozen=True)
class ProcessPart:
    """Local: the processes that make up a target; exactly one field is set."""

    pid_file: str | None = None
    #: A regular expression matched against each process's command line.
    match: str | None = None
    #: A component of the embedded lab, whose pid file the lab keeps across restarts.
    lab_service: str | None = None


@dataclass(frozen=True)
class ProxyPart:
    """Local: the Toxiproxy proxy in front of a target."""

    name: str
    #: Toxiproxy's HTTP API; None for the driver's default.
    api: str | None = None


@dataclass(frozen=True)
class HookPart:
    """The goroutine-leak hook a Go service links: a URL locally, a pod port in a cluster."""

    url: str | None = None
    port: int | None = None
    path: str | None = None
    scheme: str = "http"
    token_secret: str | None = None


@dataclass(frozen=True)
class PprofPart:
    """Where a Go target's goroutine profiles are read: a URL locally (``.../debug/pprof``),
    a pod port and path through the API server's pod proxy in a cluster."""

    url: str | None = None
    port: int | None = None
    path: str = "/debug/pprof"
    scheme: str = "http"


@dataclass(frozen=True)
class PodsPart:
    """Chaos Mesh: the pods that make up a target (or a network fault's peer).

    ``namespaces`` is ``namespaces`` when given, else ``(namespace,)``, else empty. ``mode``
    is None when not written (each reader has its default); ``value`` stays as written (a
    count or a percentage, text or integer) because Chaos Mesh and preflight read it so.
    """

    namespaces: tuple[str, ...] = ()
    label_selector: tuple[tuple[str, str], ...] = ()
    field_selector: tuple[tuple[str, str], ...] = ()
    mode: str | None = None
    value: str | int | float | None = None


_P = TypeVar("_P")


@dataclass(frozen=True)
class Binding:
    """A logical target bound in one environment: its parts, each typed and optional.

    Local parts: ``process``, ``proxy``, ``hook``. Chaos Mesh parts: ``pods``, ``hook``.
    Validation checks which parts a fault kind needs, so a handler reads them with
    :meth:`need`, which fails loudly only if that check was bypassed.
    """

    target: str
    env: str
    process: ProcessPart | None = None
    proxy: ProxyPart | None = None
    hook: HookPart | None = None
    pods: PodsPart | None = None
    pprof: PprofPart | None = None

    @property
    def part_names(self) -> tuple[str, ...]:
        """The names of the parts this binding has, as written in the file (``pprof`` aside: it is
        read, never acted on, so it claims no resource)."""
        parts = (
            ("process", self.process),
            ("proxy", self.proxy),
            ("hook", self.hook),
            ("pods", self.pods),
        )
        return tuple(name for name, part in parts if part is not None)

    def need(self, name: str, part: _P | None) -> _P:
        """``part`` (this binding's part called ``name``), or DriverError if it has none."""
        if part is None:
            raise DriverError(
                f"target {self.target!r} has no {name!r} binding in environment {self.env!r}"
            )
        return part


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    bindings: Mapping[str, Binding]


@dataclass(frozen=True)
class Fault:
    name: str
    type: str
    target: str
    params: Mapping[str, Any]
    start_after: float
    duration: float | None


@dataclass(frozen=True)
class Schedule:
    baseline: float
    blast: float
    recovery: float
    probe_interval: float
    expiry_margin: float


@dataclass(frozen=True)
class BlastRadius:
    max_targets: int | None = None
    max_percent: float | None = None


@dataclass(frozen=True)
class PrometheusConfig:
    url: str
    bearer_token: str | None = None
    timeout: float = 5.0
    #: The freshness bound, when set; otherwise derived from the scrape intervals (see
    #: ``core/freshness.py``).
    max_sample_age: float | None = None


@dataclass(frozen=True)
class KubernetesSettings:
    """An environment's ``kubernetes`` block: what the chaos-mesh driver reads of the file."""

    #: The kubeconfig context; None for the current one (``--context`` overrides it).
    context: str | None = None
    #: Namespaces a run may touch besides those named by ``--allow-namespace``.
    allow_namespaces: tuple[str, ...] = ()
    #: Where the run's Lease is kept; None for every namespace the plan touches.
    lease_namespace: str | None = None


@dataclass(frozen=True)
class Environment:
    name: str
    driver: DriverKind
    prometheus: PrometheusConfig
    kubernetes: KubernetesSettings = field(default_factory=KubernetesSettings)


@dataclass(frozen=True)
class Metadata:
    name: str
    description: str = ""
    owner: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Experiment:
    """A validated experiment, resolved for one environment."""

    source: str
    metadata: Metadata
    env: Environment
    targets: Mapping[str, Target]
    slis: tuple[Sli, ...]
    guardrails: tuple[Guardrail, ...]
    faults: tuple[Fault, ...]
    fault_order: FaultOrder
    schedule: Schedule
    blast_radius: BlastRadius
    secrets: frozenset[str] = frozenset()
    alerts: tuple[ExpectedAlert, ...] = ()
    #: The variables as resolved for this run, secret values masked (for the journal).
    variables: tuple[tuple[str, str], ...] = ()
    #: ``spec.notify.webhook``: where the run's notices go when --webhook is not given.
    notify: WebhookConfig | None = None

    def binding(self, target: str) -> Binding:
        return self.targets[target].bindings[self.env.name]
