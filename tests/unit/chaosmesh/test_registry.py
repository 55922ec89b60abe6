"""The renderer registry, the refusals, and raw-manifest's fill-in and expiry rules."""

from __future__ import annotations

import copy
from types import MappingProxyType

import pytest

import chaosrunner.adapters.chaosmesh as chaosmesh
from chaosrunner.adapters.chaosmesh import (
    NOT_OBJECTS,
    RENDERERS,
    NotAChaosMeshObject,
    RenderError,
    render,
)
from chaosrunner.core.build import binding_of
from chaosrunner.core.errors import ExperimentError
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import DriverKind, Fault
from chaosrunner.core.plan import PlannedFault
from tests.unit.chaosmesh import crd
from tests.unit.chaosmesh.builders import PODS, RUN_ID, planned

BINDING = binding_of("redis", "cluster", MappingProxyType({"pods": MappingProxyType(PODS)}))


def _planned(kind: str, params: dict[str, object] | None = None) -> PlannedFault:
    """A planned fault built directly, for kinds validation would refuse in a cluster."""
    fault = Fault("f", kind, "redis", MappingProxyType(params or {}), 0.0, None)
    return PlannedFault(fault, REGISTRY[kind], 0.0, 30.0, 60.0)


def test_the_public_surface_is_sorted_and_small() -> None:
    # isort-style, as ruff's RUF022 keeps it: constants, then classes, then functions.
    assert chaosmesh.__all__ == sorted(
        chaosmesh.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
    )
    assert set(chaosmesh.__all__) == {
        "NOT_OBJECTS", "RENDERERS", "NotAChaosMeshObject", "RenderError", "render", "render_all",
        "to_yaml",
    }  # fmt: skip


def test_every_cluster_kind_renders_or_says_how_it_runs_instead() -> None:
    cluster = {name for name, kind in REGISTRY.items() if kind.supports(DriverKind.CHAOS_MESH)}
    assert set(RENDERERS) | set(NOT_OBJECTS) == cluster
    assert not set(RENDERERS) & set(NOT_OBJECTS)
    assert list(RENDERERS) == sorted(RENDERERS)


def test_goroutine_leak_is_not_an_object() -> None:
    with pytest.raises(NotAChaosMeshObject) as caught:
        render(_planned("goroutine-leak", {"rate": 5}), BINDING, run_id=RUN_ID, experiment="e")
    assert str(caught.value) == (
        "fault 'f': goroutine-leak is not a Chaos Mesh object; the chaos-mesh driver calls the "
        "leak hook the service links through the API server's pod proxy (binding part 'hook')"
    )


@pytest.mark.parametrize("kind", ["process-pause", "network-down", "network-reset-peer"])
def test_local_only_kinds_have_no_chaos_mesh_form(kind: str) -> None:
    with pytest.raises(
        RenderError, match=rf"{kind} has no Chaos Mesh form \(it runs with driver: local\)"
    ):
        render(_planned(kind), BINDING, run_id=RUN_ID, experiment="e")


@pytest.mark.parametrize("signal", ["SIGTERM", "SIGINT", "SIGQUIT"])
def test_process_kill_refuses_signals_chaos_mesh_cannot_send(signal: str) -> None:
    with pytest.raises(RenderError, match=f"kills with SIGKILL only; {signal} cannot be sent"):
        render(_planned("process-kill", {"signal": signal}), BINDING, run_id=RUN_ID, experiment="e")


def test_a_binding_without_pods_is_refused() -> None:
    hook_only = binding_of(
        "redis", "cluster", MappingProxyType({"hook": MappingProxyType({"port": 1})})
    )
    with pytest.raises(RenderError, match="has no 'pods' binding in environment 'cluster'"):
        render(_planned("pod-failure"), hook_only, run_id=RUN_ID, experiment="e")


@pytest.mark.parametrize(
    ("pods", "message"),
    [
        (
            {"namespace": "demo", "mode": "fixed", "value": 0},
            "mode fixed needs a whole value at least 1",
        ),
        ({"namespace": "demo", "mode": "fixed-percent", "value": "150%"}, "a whole value 1 to 100"),
        ({"namespace": "demo", "mode": "random-max-percent", "value": "ten"}, "got 'ten'"),
    ],
)
def test_a_mode_value_chaos_mesh_would_reject_is_refused(
    pods: dict[str, object], message: str
) -> None:
    binding = binding_of("redis", "cluster", MappingProxyType({"pods": MappingProxyType(pods)}))
    with pytest.raises(RenderError, match=message):
        render(_planned("pod-failure"), binding, run_id=RUN_ID, experiment="e")


def test_rendering_is_deterministic() -> None:
    pf = _planned("network-delay", {"latency": "1s", "target": {"namespace": "db"}})
    first = render(pf, BINDING, run_id=RUN_ID, experiment="e")
    assert render(pf, BINDING, run_id=RUN_ID, experiment="e") == first
    first["spec"]["target"]["selector"]["namespaces"].append("mutated")
    assert render(pf, BINDING, run_id=RUN_ID, experiment="e") != first


# -- raw-manifest ----------------------------------------------------------------------------

SPARSE = {"apiVersion": "chaos-mesh.org/v1alpha1", "kind": "StressChaos",
          "spec": {"stressors": {"cpu": {"workers": 1, "load": 50}}}}  # fmt: skip


def _raw(manifest: dict[str, object], **kw: object) -> dict[str, object]:
    pf, plan = planned({"type": "raw-manifest", "params": {"manifest": manifest}}, **kw)
    return render(pf, plan.experiment.binding("redis"), run_id=RUN_ID, experiment="e")


def test_raw_fills_what_the_manifest_leaves_out_from_the_binding() -> None:
    obj = _raw(copy.deepcopy(SPARSE))
    assert obj["metadata"]["name"] == f"f-{RUN_ID}"  # type: ignore[index]
    assert obj["metadata"]["namespace"] == "demo"  # type: ignore[index]
    spec = obj["spec"]
    assert spec["selector"] == {"namespaces": ["demo"], "labelSelectors": {"app": "redis"}}  # type: ignore[index]
    assert spec["mode"] == "all"  # type: ignore[index]
    assert spec["duration"] == "1m30s"  # type: ignore[index]
    assert crd.errors(obj) == []


def test_raw_keeps_what_the_manifest_says_and_our_labels_win() -> None:
    manifest = copy.deepcopy(SPARSE)
    manifest["metadata"] = {"name": "mine", "namespace": "other",
                            "labels": {"team": "sre", "chaosrunner.io/run-id": "forged"}}  # fmt: skip
    manifest["spec"].update(selector={"namespaces": ["other"]}, mode="one", duration="20s")  # type: ignore[attr-defined]
    obj = _raw(manifest)
    assert obj["metadata"]["name"] == "mine"  # type: ignore[index]
    assert obj["metadata"]["namespace"] == "other"  # type: ignore[index]
    assert obj["metadata"]["labels"]["team"] == "sre"  # type: ignore[index]
    assert obj["metadata"]["labels"]["chaosrunner.io/run-id"] == RUN_ID  # type: ignore[index]
    assert obj["spec"] == manifest["spec"]


def test_raw_one_shot_gets_no_duration() -> None:
    kill = {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": "PodChaos",
        "spec": {"action": "pod-kill"},
    }
    assert "duration" not in _raw(kill)["spec"]  # type: ignore[operator]


def test_raw_duration_must_not_outlive_the_fault() -> None:
    long = copy.deepcopy(SPARSE)
    long["spec"]["duration"] = "10m"  # type: ignore[index]
    # validate refuses it, with the position of the written duration ...
    with pytest.raises(ExperimentError) as caught:
        _raw(long)
    assert [p.path for p in caught.value.problems] == [
        "spec.faults[0].params.manifest.spec.duration"
    ]
    assert "'10m' outlives the fault's expiry of 90s" in caught.value.problems[0].message
    # ... and the renderer still refuses it when handed one directly.
    with pytest.raises(RenderError, match=r"spec\.duration 10m outlives the fault's expiry of 1m"):
        render(_planned("raw-manifest", {"manifest": long}), BINDING, run_id=RUN_ID, experiment="e")
