"""Building the model: a document that passed the schema and the checks becomes an Experiment.

This is the one place the file's shapes (camelCase keys, optional fields, defaults) turn into
typed values; no later phase reads YAML. Binding parts are built here too, with
:func:`binding_of` and :func:`pods_part`, which the Chaos Mesh renderer also uses for a network
fault's peer (a pod selection written in the fault's params).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from chaosrunner.core.evidence import masked
from chaosrunner.core.model import (
    Binding,
    BlastRadius,
    DriverKind,
    Environment,
    ExpectedAlert,
    Experiment,
    Fault,
    FaultOrder,
    Guardrail,
    GuardrailNoData,
    HookPart,
    Judge,
    JudgeRule,
    KubernetesSettings,
    Metadata,
    NoDataPolicy,
    PodsPart,
    PprofPart,
    ProcessPart,
    PrometheusConfig,
    ProxyPart,
    Schedule,
    Sli,
    SliKind,
    SloSpec,
    Target,
)
from chaosrunner.core.notify import webhook_of
from chaosrunner.core.presets import compile_preset
from chaosrunner.core.promql import SLI_FORMS, compile_sli, default_unit
from chaosrunner.core.resilience import Severity
from chaosrunner.core.source import Document
from chaosrunner.core.units import parse_duration, parse_objective, parse_percent

DEFAULT_EXPIRY_MARGIN = 30.0


def seconds(value: Any, default: float) -> float:
    """A duration's seconds, or ``default`` when it is absent or not a valid duration."""
    try:
        return parse_duration(value) if isinstance(value, str) else default
    except ValueError:
        return default


def build(doc: Document, env_name: str) -> Experiment:
    """The experiment of a clean document, resolved for ``env_name``."""
    data = doc.data
    meta = data["metadata"]
    spec = data["spec"]
    sched = spec["schedule"]
    radius = spec.get("blastRadius", {})
    return Experiment(
        source=doc.file,
        metadata=Metadata(
            name=meta["name"],
            description=meta.get("description", ""),
            owner=meta.get("owner", ""),
            tags=tuple(meta.get("tags", ())),
        ),
        env=_environment(env_name, spec["environments"][env_name]),
        targets=MappingProxyType({n: _target(n, t) for n, t in spec["targets"].items()}),
        slis=tuple(build_sli(s) for s in spec["steadyState"].get("slis", ())),
        guardrails=tuple(_guardrail(g) for g in spec.get("guardrails", [])),
        faults=tuple(_fault(f) for f in spec["faults"]),
        fault_order=FaultOrder(spec.get("faultOrder", FaultOrder.PARALLEL)),
        schedule=Schedule(
            baseline=parse_duration(sched["baseline"]),
            blast=parse_duration(sched["blast"]),
            recovery=parse_duration(sched["recovery"]),
            probe_interval=parse_duration(sched["probeInterval"]),
            expiry_margin=seconds(sched.get("expiryMargin"), DEFAULT_EXPIRY_MARGIN),
        ),
        blast_radius=BlastRadius(
            max_targets=radius.get("maxTargets"),
            max_percent=parse_percent(radius["maxPercent"]) if "maxPercent" in radius else None,
        ),
        secrets=frozenset(doc.secrets),
        alerts=tuple(_alert(a) for a in spec.get("alerts", [])),
        variables=masked(doc.variables, frozenset(doc.secrets)),
        notify=webhook_of(spec.get("notify")),
    )


def _environment(name: str, raw: Mapping[str, Any]) -> Environment:
    prom = raw["prometheus"]
    kube = raw.get("kubernetes") or {}
    return Environment(
        name=name,
        driver=DriverKind(raw["driver"]),
        prometheus=PrometheusConfig(
            url=prom["url"].rstrip("/"),
            bearer_token=prom.get("bearerToken") or None,
            timeout=seconds(prom.get("timeout"), 5.0),
            max_sample_age=seconds(prom.get("maxSampleAge"), 0.0) or None,
        ),
        kubernetes=KubernetesSettings(
            context=kube.get("context") or None,
            allow_namespaces=tuple(str(n) for n in kube.get("allowNamespaces", ())),
            lease_namespace=kube.get("leaseNamespace") or None,
        ),
    )


def _target(name: str, raw: Mapping[str, Any]) -> Target:
    bindings = {env: binding_of(name, env, parts) for env, parts in raw["bindings"].items()}
    return Target(name, raw.get("description", ""), MappingProxyType(bindings))


def binding_of(target: str, env: str, raw: Mapping[str, Any]) -> Binding:
    """A binding from its YAML shape (``spec.targets.<target>.bindings.<env>``)."""
    process, proxy, hook, pods, pprof = (
        raw.get(k) for k in ("process", "proxy", "hook", "pods", "pprof")
    )
    return Binding(
        target,
        env,
        process=None if process is None else process_part(process),
        proxy=None if proxy is None else proxy_part(proxy),
        hook=None if hook is None else hook_part(hook),
        pods=None if pods is None else pods_part(pods),
        pprof=None if pprof is None else pprof_part(pprof),
    )


def pprof_part(raw: Mapping[str, Any]) -> PprofPart:
    port = raw.get("port")
    url = _text(raw, "url")
    return PprofPart(
        url=None if url is None else url.rstrip("/"),
        port=None if port is None else int(port),
        path=str(raw.get("path", "/debug/pprof")).rstrip("/"),
        scheme=str(raw.get("scheme", "http")),
    )


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None else str(value)


def process_part(raw: Mapping[str, Any]) -> ProcessPart:
    return ProcessPart(
        pid_file=_text(raw, "pidFile"),
        match=_text(raw, "match"),
        lab_service=_text(raw, "labService"),
    )


def proxy_part(raw: Mapping[str, Any]) -> ProxyPart:
    return ProxyPart(name=str(raw["name"]), api=_text(raw, "api"))


def hook_part(raw: Mapping[str, Any]) -> HookPart:
    port = raw.get("port")
    return HookPart(
        url=_text(raw, "url"),
        port=None if port is None else int(port),
        path=_text(raw, "path"),
        scheme=str(raw.get("scheme", "http")),
        token_secret=_text(raw, "tokenSecret"),
    )


def pods_part(raw: Mapping[str, Any]) -> PodsPart:
    """A pod selection: a binding's ``pods``, or a network fault's peer."""
    if "namespaces" in raw:
        namespaces = tuple(str(n) for n in raw["namespaces"])
    else:
        namespaces = (str(raw["namespace"]),) if "namespace" in raw else ()
    value = raw.get("value")
    return PodsPart(
        namespaces=namespaces,
        label_selector=_pairs(raw.get("labelSelector")),
        field_selector=_pairs(raw.get("fieldSelector")),
        mode=_text(raw, "mode"),
        value=value if value is None or isinstance(value, int | float | str) else str(value),
    )


def _pairs(raw: Any) -> tuple[tuple[str, str], ...]:
    """A selector's key/value pairs, as written (order kept)."""
    return tuple((str(k), str(v)) for k, v in raw.items()) if isinstance(raw, Mapping) else ()


def build_sli(raw: Mapping[str, Any]) -> Sli:
    """One SLI from its validated mapping; shared with SLO contracts (core/slo_contract.py)."""
    kind = next(SliKind(f) for f in SLI_FORMS if f in raw)
    judge_raw = raw.get("judge", JudgeRule.EVERY_TICK.value)
    if isinstance(judge_raw, str):
        judge = Judge(JudgeRule(judge_raw))
    else:
        rule = JudgeRule(judge_raw["rule"])
        is_slices = rule is JudgeRule.TIMESLICES
        judge = Judge(
            rule,
            min_ratio=parse_percent(judge_raw["min"]) if "min" in judge_raw else 1.0,
            sustain_seconds=seconds(judge_raw.get("for"), 0.0),
            slice_window=seconds(judge_raw.get("window"), 0.0) if is_slices else 0.0,
            slice_target=parse_percent(judge_raw["target"]) if is_slices else 1.0,
        )
    preset = compile_preset(raw["preset"]) if "preset" in raw else None
    objective = raw.get("objective") or f"<= {preset.limit if preset else ''}"
    slo = raw.get("slo")
    return Sli(
        name=raw["name"],
        kind=kind,
        query=compile_sli(kind, raw),
        objective=parse_objective(objective),
        judge=judge,
        no_data=NoDataPolicy(raw.get("noData", NoDataPolicy.INCONCLUSIVE)),
        description=raw.get("description", ""),
        unit=raw.get("unit") or (preset.unit if preset else default_unit(kind)),
        severity=Severity(raw.get("severity", Severity.CRITICAL)),
        slo=None
        if slo is None
        else SloSpec(parse_percent(slo["target"]), parse_duration(slo["window"])),
        preset=raw["preset"]["name"] if preset else "",
    )


def _guardrail(raw: Mapping[str, Any]) -> Guardrail:
    preset = compile_preset(raw["preset"]) if "preset" in raw else None
    return Guardrail(
        name=raw["name"],
        query=preset.query if preset else raw["query"],
        abort_if=parse_objective(raw.get("abortIf") or f"> {preset.limit if preset else ''}"),
        on_no_data=GuardrailNoData(raw.get("onNoData", GuardrailNoData.IGNORE)),
        description=raw.get("description", ""),
    )


def _alert(raw: Mapping[str, Any]) -> ExpectedAlert:
    return ExpectedAlert(
        name=str(raw["name"]),
        within=seconds(raw["within"], 0.0) if "within" in raw else None,
        required=bool(raw.get("required", False)),
    )


def _fault(raw: Mapping[str, Any]) -> Fault:
    return Fault(
        name=raw["name"],
        type=raw["type"],
        target=raw["target"],
        params=MappingProxyType(dict(raw.get("params", {}))),
        start_after=seconds(raw.get("after"), 0.0),
        duration=seconds(raw["duration"], 0.0) if "duration" in raw else None,
    )
