"""``validate`` and ``render`` agree: what validate accepts renders, or validate says why not.

For every fault kind, a value that validated before and then failed to render, rendered an
object Chaos Mesh refuses or misreads, or (for the local driver) was refused or silently
rounded at inject time. Each must now be a validation problem with its position
(``FILE:LINE:COLUMN: field.path: what; expected``). The renderer keeps its own refusals for
objects built without validation, and its conversions no longer produce garbage.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
import yaml

from chaosrunner.adapters.chaosmesh import RenderError, convert, render
from chaosrunner.adapters.chaosmesh.common import selection
from chaosrunner.core import validate
from chaosrunner.core.build import binding_of
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import Binding, Fault
from chaosrunner.core.plan import PlannedFault, make_plan
from tests.unit.chaosmesh import crd
from tests.unit.chaosmesh.builders import RUN_ID

POSITIONED = re.compile(r"^exp\.yaml:[0-9]+:[0-9]+: spec\.[^ ]+: .+")
PODS = {"namespace": "demo", "labelSelector": {"app": "redis"}, "mode": "all"}
LOCAL = {
    "process": {"pidFile": "/tmp/none.pid"},
    "proxy": {"name": "redis", "api": "http://127.0.0.1:18474"},
    "hook": {"url": "http://127.0.0.1:18080/debug/chaos/goroutine-leak"},
}


def text(
    fault: Mapping[str, Any],
    *,
    pods: Mapping[str, Any] | None = None,
    local: Mapping[str, Any] | None = None,
    schedule: Mapping[str, Any] | None = None,
) -> str:
    """An experiment with a local and a chaos-mesh environment and one fault named ``f``."""
    doc = {
        "apiVersion": "chaosrunner.io/v1alpha1",
        "kind": "Experiment",
        "metadata": {"name": "agree"},
        "spec": {
            "defaultEnv": "cluster",
            "environments": {
                "lab": {"driver": "local", "prometheus": {"url": "http://127.0.0.1:9"}},
                "cluster": {"driver": "chaos-mesh", "prometheus": {"url": "http://127.0.0.1:9"}},
            },
            "targets": {
                "redis": {
                    "bindings": {
                        "lab": dict(local or LOCAL),
                        "cluster": {"pods": dict(pods or PODS), "hook": {"port": 8080}},
                    }
                }
            },
            "steadyState": {"slis": [{"name": "up", "query": "up", "objective": ">= 1"}]},
            "faults": [{"name": "f", "target": "redis", **fault}],
            "schedule": {
                "baseline": "10s",
                "blast": "60s",
                "recovery": "10s",
                "probeInterval": "1s",
                **dict(schedule or {}),
            },
        },
    }
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def problems(source: str, env: str | None = None) -> list[str]:
    return [str(p) for p in validate.check(source, "exp.yaml", env=env, environ={})]


def _renders(source: str, env: str = "cluster") -> list[dict[str, Any]]:
    plan = make_plan(validate.load(source, "exp.yaml", env=env, environ={}))
    return [
        render(pf, plan.experiment.binding("redis"), run_id=RUN_ID, experiment="agree")
        for pf in plan.faults
        if pf.kind.name != "goroutine-leak"
    ]


def kind(name: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {"type": name, **({"params": dict(params)} if params is not None else {})}


HUGE = "3000000h"  # beyond Go's time.Duration (2562047h47m16.854775807s)

#: (fault, binding/schedule overrides, env checked, the problem's field, a phrase of its message)
CASES = [
    pytest.param(kind("container-kill", {"containerNames": ["Main App"]}), {}, "cluster",
                 "spec.faults[0].params.containerNames[0]", "DNS-1123 label", id="container-kill"),
    pytest.param(kind("cpu-stress", {"load": "1000%"}), {}, None,
                 "spec.faults[0].params.load", "whole percentage, 0% to 100%", id="cpu-stress"),
    pytest.param(kind("dns-error", {"containerNames": ["UPPER"]}), {}, "cluster",
                 "spec.faults[0].params.containerNames[0]", "DNS-1123 label", id="dns-error"),
    pytest.param(kind("dns-random", {"patterns": ["a.b"], "containerNames": ["a_b"]}), {}, "cluster",
                 "spec.faults[0].params.containerNames[0]", "DNS-1123 label", id="dns-random"),
    pytest.param(kind("goroutine-leak", {"rate": 5, "max": 10**9}), {}, None,
                 "spec.faults[0].params.max", "out of range", id="goroutine-leak-max"),
    pytest.param(kind("goroutine-leak", {"rate": 5}), {"schedule": {"blast": "2h"}}, None,
                 "spec.faults[0].name", "the leak hook refuses more than 1h", id="goroutine-leak-expiry"),
    pytest.param(kind("http-abort", {"target": "Request", "port": 80}), {"schedule": {"blast": HUGE}},
                 "cluster", "spec.faults[0].name", "expected at most 2562047h47m16s", id="http-abort"),
    pytest.param(kind("http-delay", {"target": "Request", "port": 80, "delay": HUGE}), {}, "cluster",
                 "spec.faults[0].params.delay", "expected at most 2562047h47m16s", id="http-delay"),
    pytest.param(kind("http-patch", {"target": "Request", "port": 80, "patch": {"headers": {"a": "b"}}}),
                 {"pods": {"namespace": "Demo_NS"}}, "cluster",
                 "spec.targets.redis.bindings.cluster.pods.namespace", "DNS-1123 label", id="http-patch"),
    pytest.param(kind("http-replace", {"target": "Response", "port": 80, "replace": {"code": 503}}),
                 {"pods": {"namespace": "demo", "labelSelector": {"a/b/c": "x"}}}, "cluster",
                 "spec.targets.redis.bindings.cluster.pods.labelSelector.a/b/c", "label key", id="http-replace"),
    pytest.param(kind("io-attr", {"volumePath": "/data", "attr": {"uid": 2**40}}), {}, "cluster",
                 "spec.faults[0].params.attr.uid", "out of range", id="io-attr"),
    pytest.param(kind("io-fault", {"volumePath": "/data", "errno": 5}),
                 {"pods": {"namespace": "demo", "mode": "fixed", "value": "²"}}, "cluster",
                 "spec.targets.redis.bindings.cluster.pods.value", "a whole number of pods", id="io-fault"),
    pytest.param(kind("io-latency", {"volumePath": "/data", "delay": "9999999h"}), {}, "cluster",
                 "spec.faults[0].params.delay", "expected at most 2562047h47m16s", id="io-latency"),
    pytest.param(kind("memory-stress", {"size": "0.5%"}), {}, None,
                 "spec.faults[0].params.size", "whole share of memory", id="memory-stress-share"),
    pytest.param(kind("memory-stress", {"size": "0B"}), {}, None,
                 "spec.faults[0].params.size", "from 4KiB to 256TiB", id="memory-stress-zero"),
    pytest.param(kind("memory-stress", {"size": "0.5GB"}), {}, "lab",
                 "spec.faults[0].params.size", "stress-ng reads a whole number", id="memory-stress-local"),
    pytest.param(kind("network-bandwidth", {"rate": "0bps"}), {}, None,
                 "spec.faults[0].params.rate", "whole number of bits per second", id="network-bandwidth"),
    pytest.param(kind("network-bandwidth", {"rate": "1mbps", "limit": 2**40}), {}, "cluster",
                 "spec.faults[0].params.limit", "out of range", id="network-bandwidth-limit"),
    pytest.param(kind("network-bandwidth", {"rate": "1mbps", "buffer": 100}), {}, "lab",
                 "spec.faults[0].params.buffer", "applies in a cluster only", id="network-bandwidth-local"),
    pytest.param(kind("network-bandwidth", {"rate": "1kbps"}), {}, "lab",
                 "spec.faults[0].params.rate", "expected at least 8kbps", id="network-bandwidth-local-rate"),
    pytest.param(kind("network-corrupt", {"corrupt": "5%", "target": {"namespace": "db", "mode": "fixed-percent", "value": 0}}),
                 {}, "cluster", "spec.faults[0].params.target.value", "from 1 to 100", id="network-corrupt"),
    pytest.param(kind("network-delay", {"latency": HUGE}), {}, None,
                 "spec.faults[0].params.latency", "expected at most 2562047h47m16s", id="network-delay"),
    pytest.param(kind("network-delay", {"latency": "1s", "correlation": "25%"}), {}, "lab",
                 "spec.faults[0].params.correlation", "applies in a cluster only", id="network-delay-local-correlation"),
    pytest.param(kind("network-delay", {"latency": "1.5ms"}), {}, "lab",
                 "spec.faults[0].params.latency", "whole milliseconds", id="network-delay-local-ms"),
    pytest.param(kind("network-delay", {"latency": "٣٠ms"}), {}, None,
                 "spec.faults[0].params.latency", "expected a duration", id="network-delay-arabic-digits"),
    pytest.param(kind("network-duplicate", {"duplicate": "５0%"}), {}, None,
                 "spec.faults[0].params.duplicate", "expected a percentage", id="network-duplicate-fullwidth"),
    pytest.param(kind("network-loss", {"loss": "5%", "target": {"namespace": "Bad NS"}}), {}, "cluster",
                 "spec.faults[0].params.target.namespace", "DNS-1123 label", id="network-loss"),
    pytest.param(kind("network-partition", {"target": {"labelSelector": {"app": "x" * 64}}}), {}, "cluster",
                 "spec.faults[0].params.target.labelSelector.app", "label value", id="network-partition"),
    pytest.param(kind("network-partition", {"externalTargets": ["1.1.1.1"]}), {}, "lab",
                 "spec.faults[0].params.externalTargets", "applies in a cluster only", id="network-partition-local"),
    pytest.param(kind("network-down"), {"local": {"proxy": {"name": "redis", "api": "127.0.0.1:18474"}}}, "lab",
                 "spec.targets.redis.bindings.lab.proxy.api", "is not a URL", id="network-down"),
    pytest.param(kind("network-reset-peer", {"after": "0.5ms"}), {}, "lab",
                 "spec.faults[0].params.after", "whole milliseconds", id="network-reset-peer"),
    pytest.param(kind("pod-failure"), {"schedule": {"blast": HUGE}}, "cluster",
                 "spec.faults[0].name", "expected at most 2562047h47m16s", id="pod-failure"),
    pytest.param(kind("pod-kill", {"gracePeriod": "30s"}),
                 {"pods": {"namespace": "demo", "mode": "random-max-percent", "value": "50.5%"}}, "cluster",
                 "spec.targets.redis.bindings.cluster.pods.value", "whole percentage from 1 to 100", id="pod-kill"),
    pytest.param(kind("process-kill", {"signal": "SIGTERM"}), {}, "cluster",
                 "spec.faults[0].params.signal", "SIGKILL only", id="process-kill"),
    pytest.param(kind("process-pause"), {"schedule": {"blast": HUGE}}, "lab",
                 "spec.faults[0].name", "expected at most 2562047h47m16s", id="process-pause"),
    pytest.param(kind("raw-manifest", {"manifest": {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
                                                    "metadata": {"labels": "team"}, "spec": {"action": "pod-failure"}}}),
                 {}, "cluster", "spec.faults[0].params.manifest.metadata.labels", "expected a mapping", id="raw-manifest-labels"),
    pytest.param(kind("raw-manifest", {"manifest": {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "PodChaos",
                                                    "spec": {"action": "pod-failure", "duration": "10m"}}}),
                 {}, "cluster", "spec.faults[0].params.manifest.spec.duration", "outlives the fault's expiry", id="raw-manifest-duration"),
    pytest.param(kind("time-skew", {"timeOffset": "-" + HUGE}), {}, "cluster",
                 "spec.faults[0].params.timeOffset", "expected at most 2562047h47m16s", id="time-skew"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "overrides", "env", "field", "phrase"), CASES)
def test_what_would_not_render_or_inject_is_a_located_problem(
    fault: dict[str, Any], overrides: dict[str, Any], env: str | None, field: str, phrase: str
) -> None:
    found = problems(text(fault, **overrides), env)
    located = [p for p in found if f": {field}: " in p]
    assert located, found
    assert all(POSITIONED.match(p) for p in found), found
    assert any(phrase in p for p in located), located


def test_every_kind_has_a_case() -> None:
    covered = {p.values[0]["type"] for p in CASES}  # type: ignore[index]
    assert covered == set(REGISTRY)


@pytest.mark.parametrize(
    ("fault", "env"),
    [
        pytest.param(kind("process-kill", {"signal": "SIGTERM"}), "lab", id="sigterm-locally"),
        pytest.param(kind("network-delay", {"latency": "1.5ms"}), "cluster", id="sub-ms-in-a-cluster"),
        pytest.param(kind("network-delay", {"latency": "1s", "correlation": "25%"}), "cluster",
                     id="correlation-in-a-cluster"),
        pytest.param(kind("memory-stress", {"size": "0.5GB"}), "cluster", id="fraction-in-a-cluster"),
    ],
)  # fmt: skip
def test_driver_rules_apply_only_to_their_driver(fault: dict[str, Any], env: str) -> None:
    assert problems(text(fault), env) == []


def test_a_secret_in_a_failing_field_is_not_echoed() -> None:
    source = text(kind("network-delay", {"latency": "${apiToken}"})).replace(
        "spec:\n", "spec:\n  variables:\n    apiToken: {default: s3cr3t-value}\n", 1
    )
    found = problems(source)
    assert any("spec.faults[0].params.latency" in p for p in found), found
    assert not any("s3cr3t" in p for p in found), found
    assert any("'***' is not valid" in p for p in found), found


# -- the renderer: its refusals stand, its conversions are exact --------------------------------


def _direct(name: str, params: Mapping[str, Any], pods: Mapping[str, Any] = PODS) -> PlannedFault:
    fault = Fault("f", name, "redis", MappingProxyType(dict(params)), 0.0, None)
    return PlannedFault(fault, REGISTRY[name], 0.0, 30.0, 60.0)


def _binding(pods: Mapping[str, Any] = PODS) -> Binding:
    return binding_of("redis", "cluster", MappingProxyType({"pods": MappingProxyType(dict(pods))}))


@pytest.mark.parametrize("value", ["²", "٣", "1.5", "0", "101"])
def test_a_mode_value_go_cannot_atoi_is_a_render_error_never_a_crash(value: str) -> None:
    with pytest.raises(RenderError, match="needs a whole value"):
        selection({"namespace": "demo", "mode": "fixed-percent", "value": value}, "demo", "f")


@pytest.mark.parametrize(
    ("written", "rendered"),
    [
        ("0.0000001%", "0.0000001"),
        ("0.00000025%", "0.00000025"),
        ("10.0%", "10"),
        ("100.0%", "100"),
        ("10.50%", "10.5"),
        ("25%", "25"),
    ],
)
def test_netem_percentages_are_plain_decimals_never_exponents(written: str, rendered: str) -> None:
    assert convert.percent_text(written) == rendered
    source = text(kind("network-loss", {"loss": written}))
    (obj,) = _renders(source)
    assert obj["spec"]["loss"]["loss"] == rendered


@pytest.mark.parametrize(
    ("written", "rendered"),
    [("256MB", "256MB"), ("1GiB", "1073741824B"), ("512KiB", "524288B"), ("0.5GB", "500000000B"),
     ("50%", "50%")],
)  # fmt: skip
def test_memory_sizes_mean_the_same_bytes_in_chaos_mesh(written: str, rendered: str) -> None:
    (obj,) = _renders(text(kind("memory-stress", {"size": written})))
    assert obj["spec"]["stressors"]["memory"]["size"] == rendered
    assert crd.errors(obj) == []


@pytest.mark.parametrize(
    ("written", "rendered"), [("-1.5ms", "-1500us"), ("0.25ms", "250us"), ("-10m", "-10m")]
)
def test_time_offsets_keep_sub_millisecond_precision(written: str, rendered: str) -> None:
    (obj,) = _renders(text(kind("time-skew", {"timeOffset": written})))
    assert obj["spec"]["timeOffset"] == rendered


def test_durations_beyond_go_are_render_errors_not_garbage() -> None:
    with pytest.raises(RenderError, match="longest duration"):
        convert.single_unit(HUGE)
    with pytest.raises(RenderError, match="longest duration"):
        convert.go_duration(3000000 * 3600.0)
    pf = _direct("network-delay", {"latency": HUGE})
    with pytest.raises(RenderError, match="longest duration"):
        render(pf, _binding(), run_id=RUN_ID, experiment="agree")


def test_a_raw_manifest_with_odd_labels_is_refused_by_validate_not_a_crash() -> None:
    manifest = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "PodChaos",
        "metadata": {"labels": {"team": "sre", "Bad Key": "x"}},
        "spec": {"action": "pod-failure"},
    }
    found = problems(text(kind("raw-manifest", {"manifest": copy.deepcopy(manifest)})))
    assert any(
        "params.manifest.metadata.labels" in p
        and "'Bad Key' is not valid; expected a label key" in p
        for p in found
    ), found
