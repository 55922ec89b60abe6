"""Every fault kind renders to an object its CRD accepts, with the fields that matter right.

Each case is a fault as a user writes it (validated first), the Chaos Mesh kind it must
become, and a subset of the spec it must contain. Every rendered object is then checked
against the CRD's openAPIV3Schema (strict: unknown fields are errors) and against the
admission-webhook rules we rely on, and for the parts every object shares: labels,
annotations, name, namespace, selector and the expiry as ``spec.duration``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from chaosrunner.adapters.chaosmesh import NOT_OBJECTS, render
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import DriverKind
from tests.unit.chaosmesh import crd
from tests.unit.chaosmesh.builders import RUN_ID, plan, planned

PEER = {"namespace": "db", "labelSelector": {"app": "pg"}, "mode": "fixed", "value": 2}
RAW = {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "NetworkChaos"}


def case(
    kind: str, params: Mapping[str, Any] | None, chaos: str, expect: Mapping[str, Any], name: str
) -> Any:
    """One matrix row: the fault as written, the Chaos Mesh kind, a subset of its spec."""
    fault = {"type": kind, **({"params": dict(params)} if params is not None else {})}
    return pytest.param(fault, chaos, expect, id=name)


CASES = [
    # -- NetworkChaos ------------------------------------------------------------------
    case("network-delay", {"latency": "500ms"}, "NetworkChaos",
         {"action": "delay", "delay": {"latency": "500ms"}, "direction": "to"}, "delay-minimal"),
    case("network-delay", {"latency": "1m30s", "jitter": "10ms", "correlation": "25%"}, "NetworkChaos",
         {"delay": {"latency": "90s", "jitter": "10ms", "correlation": "25"}}, "delay-compound-latency"),
    case("network-delay", {"latency": "100ms", "direction": "both", "target": PEER}, "NetworkChaos",
         {"direction": "both", "target": {"selector": {"namespaces": ["db"], "labelSelectors": {"app": "pg"}},
                                          "mode": "fixed", "value": "2"}}, "delay-peer"),
    case("network-delay", {"latency": "0.5ms", "externalTargets": ["8.8.8.8", "example.com:443", "10.0.0.0/8"]},
         "NetworkChaos", {"delay": {"latency": "500us"}, "externalTargets": ["8.8.8.8", "example.com:443", "10.0.0.0/8"]},
         "delay-external"),
    case("network-loss", {"loss": "25%", "correlation": "10%"}, "NetworkChaos",
         {"action": "loss", "loss": {"loss": "25", "correlation": "10"}}, "loss"),
    case("network-loss", {"loss": "0.5%", "target": {"labelSelector": {"app": "pg"}}}, "NetworkChaos",
         {"loss": {"loss": "0.5"}, "target": {"selector": {"namespaces": ["demo"], "labelSelectors": {"app": "pg"}},
                                               "mode": "all"}}, "loss-peer-defaults"),
    case("network-duplicate", {"duplicate": "40%"}, "NetworkChaos",
         {"action": "duplicate", "duplicate": {"duplicate": "40"}}, "duplicate"),
    case("network-corrupt", {"corrupt": "5%", "correlation": "25%", "direction": "from", "target": PEER},
         "NetworkChaos", {"action": "corrupt", "corrupt": {"corrupt": "5", "correlation": "25"}}, "corrupt"),
    case("network-partition", None, "NetworkChaos", {"action": "partition", "direction": "to"}, "partition"),
    case("network-partition", {"direction": "both", "target": {"namespaces": ["db", "cache"], "mode": "one"}},
         "NetworkChaos", {"target": {"selector": {"namespaces": ["db", "cache"]}, "mode": "one"}}, "partition-peer"),
    case("network-partition", {"externalTargets": ["1.1.1.1"]}, "NetworkChaos",
         {"externalTargets": ["1.1.1.1"]}, "partition-external"),
    case("network-bandwidth", {"rate": "1mbps"}, "NetworkChaos",
         {"action": "bandwidth", "bandwidth": {"rate": "1mbit", "limit": 20971520, "buffer": 10000}}, "bandwidth"),
    case("network-bandwidth", {"rate": "1.5mbps", "limit": 100, "buffer": 10000}, "NetworkChaos",
         {"bandwidth": {"rate": "1500kbit", "limit": 100, "buffer": 10000}}, "bandwidth-explicit"),
    # -- PodChaos ----------------------------------------------------------------------
    case("pod-kill", None, "PodChaos", {"action": "pod-kill", "gracePeriod": 0}, "pod-kill"),
    case("pod-kill", {"gracePeriod": "30s"}, "PodChaos", {"gracePeriod": 30}, "pod-kill-grace"),
    case("pod-failure", None, "PodChaos", {"action": "pod-failure"}, "pod-failure"),
    case("container-kill", {"containerNames": ["redis", "exporter"]}, "PodChaos",
         {"action": "container-kill", "containerNames": ["redis", "exporter"]}, "container-kill"),
    case("process-kill", None, "PodChaos", {"action": "pod-kill", "gracePeriod": 0}, "process-kill"),
    # -- StressChaos -------------------------------------------------------------------
    case("cpu-stress", {"workers": 2, "load": "80%"}, "StressChaos",
         {"stressors": {"cpu": {"workers": 2, "load": 80}}}, "cpu"),
    case("cpu-stress", None, "StressChaos", {"stressors": {"cpu": {"workers": 1, "load": 100}}}, "cpu-defaults"),
    case("memory-stress", {"size": "256MB", "workers": 2}, "StressChaos",
         {"stressors": {"memory": {"workers": 2, "size": "256MB"}}}, "memory"),
    case("memory-stress", {"size": "50%"}, "StressChaos",
         {"stressors": {"memory": {"workers": 1, "size": "50%"}}}, "memory-share"),
    # -- HTTPChaos ---------------------------------------------------------------------
    case("http-abort", {"target": "Request", "port": 8080, "path": "/items/*", "method": "GET"}, "HTTPChaos",
         {"target": "Request", "port": 8080, "path": "/items/*", "method": "GET", "abort": True}, "http-abort"),
    case("http-delay", {"target": "Request", "port": 8080, "delay": "2s", "requestHeaders": {"X-Canary": "1"}},
         "HTTPChaos", {"delay": "2s", "request_headers": {"X-Canary": "1"}}, "http-delay"),
    case("http-replace", {"target": "Response", "port": 8080, "code": 200,
                          "responseHeaders": {"Content-Type": "application/json"},
                          "replace": {"code": 503, "body": '{"error":"down"}', "headers": {"Retry-After": "1"}}},
         "HTTPChaos", {"code": 200, "response_headers": {"Content-Type": "application/json"},
                       "replace": {"code": 503, "body": "eyJlcnJvciI6ImRvd24ifQ==", "headers": {"Retry-After": "1"}}},
         "http-replace-response"),
    case("http-replace", {"target": "Request", "port": 80, "replace": {"method": "POST", "path": "/v2", "queries": {"a": "b"}}},
         "HTTPChaos", {"replace": {"method": "POST", "path": "/v2", "queries": {"a": "b"}}}, "http-replace-request"),
    case("http-patch", {"target": "Response", "port": 8080,
                        "patch": {"body": {"b": [1], "a": None}, "headers": {"Set-Cookie": ["a=1", "b=2"], "X": "y"}}},
         "HTTPChaos", {"patch": {"body": {"type": "JSON", "value": '{"a":null,"b":[1]}'},
                                 "headers": [["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"], ["X", "y"]]}},
         "http-patch-response"),
    case("http-patch", {"target": "Request", "port": 8080, "patch": {"queries": {"debug": "1"}}}, "HTTPChaos",
         {"patch": {"queries": [["debug", "1"]]}}, "http-patch-queries"),
    # -- IOChaos -----------------------------------------------------------------------
    case("io-latency", {"volumePath": "/var/lib/redis", "path": "/var/lib/redis/**/*", "delay": "100ms",
                        "percent": "50%", "methods": ["read", "write"], "containerNames": ["redis"]},
         "IOChaos", {"action": "latency", "volumePath": "/var/lib/redis", "delay": "100ms", "percent": 50,
                     "methods": ["read", "write"], "containerNames": ["redis"]}, "io-latency"),
    case("io-fault", {"volumePath": "/data", "errno": 28}, "IOChaos",
         {"action": "fault", "errno": 28, "percent": 100}, "io-fault"),
    case("io-attr", {"volumePath": "/data", "attr": {"perm": "0444", "size": 0, "uid": 65534}}, "IOChaos",
         {"action": "attrOverride", "attr": {"perm": 292, "size": 0, "uid": 65534}}, "io-attr-octal"),
    case("io-attr", {"volumePath": "/data", "attr": {"perm": 72}}, "IOChaos", {"attr": {"perm": 72}}, "io-attr-int"),
    # -- TimeChaos / DNSChaos ----------------------------------------------------------
    case("time-skew", {"timeOffset": "-10m"}, "TimeChaos", {"timeOffset": "-10m"}, "time-back"),
    case("time-skew", {"timeOffset": "1h30m", "clockIds": ["CLOCK_REALTIME", "CLOCK_MONOTONIC"],
                       "containerNames": ["app"]}, "TimeChaos",
         {"timeOffset": "1h30m", "clockIds": ["CLOCK_REALTIME", "CLOCK_MONOTONIC"]}, "time-forward"),
    case("dns-error", {"patterns": ["redis.demo.svc.cluster.local", "chaos-mes?.org", "github.*"]}, "DNSChaos",
         {"action": "error", "patterns": ["redis.demo.svc.cluster.local", "chaos-mes?.org", "github.*"]}, "dns-error"),
    case("dns-random", None, "DNSChaos", {"action": "random"}, "dns-random-every-name"),
    # -- raw ---------------------------------------------------------------------------
    case("raw-manifest", {"manifest": {**RAW, "spec": {"action": "netem", "delay": {"latency": "10ms"},
                                                      "loss": {"loss": "5"}}}},
         "NetworkChaos", {"action": "netem", "delay": {"latency": "10ms"}, "loss": {"loss": "5"}}, "raw-netem"),
]  # fmt: skip

ONE_SHOT = {"pod-kill", "container-kill", "process-kill"}


def _render(fault: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
    pf, plan = planned(fault, **kw)
    return render(
        pf,
        plan.experiment.binding("redis"),
        run_id=RUN_ID,
        experiment="cm-render",
        source="experiments/x.yaml",
        expires_at=1_735_787_045.0,
    )


def _contains(got: Any, want: Any) -> bool:
    if isinstance(want, Mapping):
        return isinstance(got, Mapping) and all(
            k in got and _contains(got[k], v) for k, v in want.items()
        )
    return bool(got == want)


@pytest.mark.parametrize(("fault", "chaos", "expect"), CASES)
def test_kind_renders_to_an_object_its_crd_accepts(
    fault: dict[str, Any], chaos: str, expect: dict[str, Any]
) -> None:
    obj = _render(fault)
    assert obj["apiVersion"] == "chaos-mesh.org/v1alpha1"
    assert obj["kind"] == chaos
    assert crd.errors(obj) == []
    assert crd.webhook_problems(obj) == []
    assert _contains(obj["spec"], expect), obj["spec"]


@pytest.mark.parametrize(("fault", "chaos", "expect"), CASES)
def test_every_object_carries_ownership_selection_and_expiry(
    fault: dict[str, Any], chaos: str, expect: dict[str, Any]
) -> None:
    obj = _render(fault)
    meta = obj["metadata"]
    assert meta["name"] == f"f-{RUN_ID}"
    assert meta["namespace"] == "demo"
    assert meta["labels"] == {
        "app.kubernetes.io/managed-by": "chaosrunner",
        "chaosrunner.io/run-id": RUN_ID,
        "chaosrunner.io/experiment": "cm-render",
        "chaosrunner.io/fault": "f",
    }
    assert meta["annotations"] == {
        "chaosrunner.io/run-id": RUN_ID,
        "chaosrunner.io/source": "experiments/x.yaml",
        "chaosrunner.io/expires-at": "2025-01-02T03:04:05Z",
    }
    spec = obj["spec"]
    assert spec["selector"] == {"namespaces": ["demo"], "labelSelectors": {"app": "redis"}}
    assert spec["mode"] == "all"
    assert "value" not in spec
    if fault["type"] in ONE_SHOT:
        assert "duration" not in spec  # one-shot: Chaos Mesh ignores it; nothing to expire
    else:
        assert spec["duration"] == "1m30s"  # the 60 s blast window + the 30 s expiry margin


def test_every_cluster_kind_has_a_case() -> None:
    covered = {p.values[0]["type"] for p in CASES}
    cluster = {k for k, kind in REGISTRY.items() if kind.supports(DriverKind.CHAOS_MESH)}
    assert cluster - set(NOT_OBJECTS) == covered


SELECTIONS = [
    pytest.param({"namespace": "demo", "labelSelector": {"app": "redis"}}, {"mode": "one"}, id="mode-defaults-to-one"),
    pytest.param({"namespace": "demo", "mode": "fixed", "value": 2}, {"mode": "fixed", "value": "2"}, id="fixed-int"),
    pytest.param({"namespace": "demo", "mode": "fixed-percent", "value": "50%"},
                 {"mode": "fixed-percent", "value": "50"}, id="fixed-percent-with-sign"),
    pytest.param({"namespace": "demo", "mode": "random-max-percent", "value": "30"},
                 {"mode": "random-max-percent", "value": "30"}, id="random-max-percent"),
    pytest.param({"namespace": "demo", "mode": "all", "value": 3}, {"mode": "all"}, id="value-dropped-for-all"),
    pytest.param({"namespaces": ["demo", "demo-2"], "fieldSelector": {"spec.nodeName": "kwok-node-0"}},
                 {"selector": {"namespaces": ["demo", "demo-2"], "fieldSelectors": {"spec.nodeName": "kwok-node-0"}}},
                 id="namespaces-and-fields"),
]  # fmt: skip


@pytest.mark.parametrize(("pods", "expect"), SELECTIONS)
def test_the_pods_binding_becomes_selector_mode_and_value(
    pods: dict[str, Any], expect: dict[str, Any]
) -> None:
    obj = _render({"type": "network-partition"}, pods=pods)
    assert _contains(obj["spec"], expect), obj["spec"]
    assert ("value" in obj["spec"]) == ("value" in expect)
    assert obj["metadata"]["namespace"] == (pods.get("namespace") or pods["namespaces"][0])
    assert crd.errors(obj) == []
    assert crd.webhook_problems(obj) == []


def test_a_serial_faults_expiry_is_its_own_duration_plus_the_margin() -> None:
    faults = [
        {"name": "first", "type": "network-loss", "params": {"loss": "10%"}, "duration": "20s"},
        {"name": "second", "type": "pod-failure", "duration": "15s", "after": "5s"},
    ]
    p = plan(faults, order="serial")
    objs = [
        render(pf, p.experiment.binding("redis"), run_id=RUN_ID, experiment="cm-render")
        for pf in p.faults
    ]
    assert [o["spec"]["duration"] for o in objs] == ["50s", "45s"]
    assert "chaosrunner.io/expires-at" not in objs[0]["metadata"]["annotations"]
