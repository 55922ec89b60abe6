"""The new kinds' rules are caught at validate time, with a position and what was expected.

Each case is one mistake a user would make; the message must name the field and say what is
expected, as every other validation message does.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from chaosrunner.core import validate
from tests.unit.chaosmesh.builders import experiment_text

RAW = {
    "apiVersion": "chaos-mesh.org/v1alpha1",
    "kind": "NetworkChaos",
    "spec": {"action": "partition"},
}
HTTP = {"port": 8080}


def fault(kind: str, params: dict[str, Any] | None = None, name: str = "") -> Any:
    body = {"name": "f", "type": kind, **({"params": params} if params is not None else {})}
    return pytest.param(body, id=name or kind)


MISTAKES = [
    (fault("network-delay", {"latency": "1s", "direction": "from", "externalTargets": ["1.1.1.1"]}, "external-from"),
     "params.externalTargets: Chaos Mesh applies externalTargets only to outgoing traffic; expected direction: to"),
    (fault("network-partition", {"target": {"namespace": "db", "mode": "fixed"}}, "peer-fixed-no-value"),
     "params.target.mode: mode fixed needs a 'value'"),
    (fault("network-loss", {"loss": "150%"}, "loss-over-100"),
     "params.loss: '150%' is out of range; expected at most 100%"),
    (fault("network-delay", {"latency": "1s", "correlation": "101%"}, "correlation-over-100"),
     "params.correlation: '101%' is out of range; expected at most 100%"),
    (fault("network-loss", {"loss": "5"}, "loss-without-sign"),
     "params.loss: '5' is not valid; expected a percentage such as 25%"),
    (fault("container-kill", {}, "container-kill-no-names"),
     "params: missing required key 'containerNames'"),
    (fault("http-abort", {**HTTP, "target": "Request", "code": 500}, "code-on-request"),
     "params.code: applies to responses only; expected target: Response"),
    (fault("http-replace", {**HTTP, "target": "Response", "replace": {"method": "GET"}}, "replace-method-on-response"),
     "params.replace.method: applies to requests only; expected target: Request"),
    (fault("http-replace", {**HTTP, "target": "Request", "replace": {"code": 503}}, "replace-code-on-request"),
     "params.replace.code: applies to responses only; expected target: Response"),
    (fault("http-patch", {**HTTP, "target": "Response", "patch": {"queries": {"a": "b"}}}, "patch-queries-on-response"),
     "params.patch.queries: applies to requests only; expected target: Request"),
    (fault("http-delay", {"target": "Request", "delay": "1s"}, "http-no-port"),
     "params: missing required key 'port'"),
    (fault("io-latency", {"volumePath": "/data", "delay": "1s", "percent": "12.5%"}, "io-fractional-percent"),
     "params.percent: '12.5%' is not valid; expected a whole percentage, 1% to 100%"),
    (fault("io-fault", {"volumePath": "data", "errno": 5}, "io-relative-volume"),
     "params.volumePath: 'data' is not valid; expected an absolute path"),
    (fault("io-attr", {"volumePath": "/data", "attr": {"perm": "0999"}}, "io-bad-octal"),
     "params.attr.perm: '0999' is not valid; expected an octal mode such as '0644'"),
    (fault("time-skew", {"timeOffset": "ten minutes"}, "time-offset-words"),
     "params.timeOffset: 'ten minutes' is not valid; expected a duration, optionally negative"),
    (fault("dns-error", {"patterns": ["chaos-*.org"]}, "dns-inner-wildcard"),
     "params.patterns[0]: 'chaos-*.org' is not valid; Chaos Mesh allows * only at the end"),
    (fault("raw-manifest", {"manifest": {**RAW, "apiVersion": "v1"}}, "raw-api-version"),
     "params.manifest.apiVersion: expected 'chaos-mesh.org/v1alpha1', got 'v1'"),
    (fault("raw-manifest", {"manifest": {**RAW, "kind": "Schedule"}}, "raw-schedule"),
     "params.manifest.kind: a Schedule cannot be a fault: it creates chaos objects of its own"),
    (fault("raw-manifest", {"manifest": {**RAW, "kind": "KernelChaos"}}, "raw-unknown-kind"),
     "params.manifest.kind: 'KernelChaos' is not allowed; expected one of: DNSChaos"),
    (fault("raw-manifest", {"manifest": {**RAW, "spec": {"duration": "soon"}}}, "raw-bad-duration"),
     "params.manifest.spec.duration: 'soon' is not a Go duration"),
    (fault("raw-manifest", {"manifest": {**RAW, "metadata": {"name": "Bad_Name"}}}, "raw-bad-name"),
     "params.manifest.metadata.name: 'Bad_Name' is not valid; expected a DNS-1123 subdomain"),
    (fault("raw-manifest", {"manifest": {**RAW, "status": {}}}, "raw-status"),
     "params.manifest.status: unknown key 'status'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "message"),
    [pytest.param(p.values[0], m, id=p.id) for p, m in MISTAKES],
)
def test_mistake_is_reported_at_validate_time(body: dict[str, Any], message: str) -> None:
    problems = validate.check(experiment_text([body]), "exp.yaml", environ={})
    texts = [p.message if not p.path else f"{p.path}: {p.message}" for p in problems]
    assert any(f"spec.faults[0].{message}" in t for t in texts), texts


def test_cluster_only_kinds_are_refused_in_the_lab() -> None:
    text = experiment_text([{"name": "f", "type": "pod-kill"}]).replace(
        "driver: chaos-mesh", "driver: local"
    )
    problems = [p.message for p in validate.check(text, "exp.yaml", environ={})]
    assert any(
        "fault type 'pod-kill' cannot run in environment 'cluster' (driver local)" in m
        for m in problems
    )


@pytest.mark.parametrize(
    "body",
    [
        {
            "type": "network-partition",
            "params": {"target": {"namespace": "db", "mode": "fixed", "value": 1}},
        },
        {
            "type": "network-delay",
            "params": {"latency": "1s", "direction": "to", "externalTargets": ["a.b"]},
        },
        {
            "type": "http-replace",
            "params": {**HTTP, "target": "Response", "code": 200, "replace": {"code": 503}},
        },
        {"type": "io-latency", "params": {"volumePath": "/data", "delay": "1s", "percent": "100%"}},
        {"type": "dns-random", "params": {"patterns": ["github.*", "chaos-mes?.org"]}},
    ],
    ids=["peer-fixed", "external-to", "replace-code-response", "io-100", "dns-trailing-wildcard"],
)
def test_the_same_fields_used_right_are_accepted(body: dict[str, Any]) -> None:
    assert validate.check(experiment_text([{"name": "f", **body}]), "exp.yaml", environ={}) == []


@pytest.mark.parametrize(("drop", "says"), [("pods", "'pods'"), ("hook", "'hook'")])
def test_a_cluster_goroutine_leak_needs_both_the_pods_and_the_hook(drop: str, says: str) -> None:
    text = experiment_text(
        [{"name": "l", "type": "goroutine-leak", "params": {"rate": 5}}],
        extra_parts={"hook": {"port": 8080, "path": "/debug/chaos/goroutine-leak"}},
    )
    doc = yaml.safe_load(text)
    del doc["spec"]["targets"]["redis"]["bindings"]["cluster"][drop]
    problems = validate.check(yaml.safe_dump(doc), "exp.yaml", env="cluster", environ={})
    assert [p.path for p in problems] == ["spec.faults[0].target"]
    assert f"needs target 'redis' bound with {says} in environment 'cluster'" in problems[0].message
