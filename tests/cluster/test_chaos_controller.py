"""The fake Chaos Mesh controller behaves like Chaos Mesh v2.8 against a real API server.

Objects rendered by chaosrunner are created for real in a fresh namespace with kwok pods; the
controller (``tests/cluster/chaos_controller.py``, a test stand-in) must write the records,
conditions and finalizer that chaosrunner's confirmation and cleanup read. Waits use watches,
never fixed sleeps. Each module run uses a new uniquely named namespace and does not wait for
its deletion.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from tests.cluster.kit import fresh_namespace, require_cluster

KUBECONFIG = require_cluster()
pytestmark = pytest.mark.standin("tests of the stand-in itself")

from kubernetes import client, watch  # noqa: E402

from chaosrunner.adapters.chaosmesh import render  # noqa: E402
from tests.cluster.chaos_controller import (  # noqa: E402
    CLEAN_FINALIZER,
    FINALIZER,
    GROUP,
    INJECTED,
    KINDS,
    MISBEHAVE,
    NOT_INJECTED,
    VERSION,
    FakeChaosController,
    Misbehaviour,
    filter_by_mode,
)
from tests.unit.chaosmesh.builders import RUN_ID, planned  # noqa: E402

TIMEOUT = 15


@pytest.fixture(scope="module")
def namespace(core: client.CoreV1Api) -> str:
    pods = {"demo-0": "demo", "demo-1": "demo", "victim-0": "victim", "victim-1": "victim"}
    # never deleted-and-waited: a fresh name per module run is enough
    return fresh_namespace(core, "cr-ctl", {name: {"app": app} for name, app in pods.items()})


@pytest.fixture
def controller(namespace: str) -> Iterator[FakeChaosController]:
    ctl = FakeChaosController(KUBECONFIG, namespace=namespace).start()
    yield ctl
    started = time.monotonic()
    ctl.stop()
    assert time.monotonic() - started < 2.5
    assert ctl.errors == []


def _chaos(
    namespace: str, fault: Mapping[str, Any], app: str = "demo", mode: str = "all", **meta: Any
) -> dict[str, Any]:
    pods = {"namespace": namespace, "labelSelector": {"app": app}, "mode": mode}
    pf, plan = planned(fault, pods=pods)
    obj = render(pf, plan.experiment.binding("redis"), run_id=RUN_ID, experiment="cm-render")
    obj["metadata"]["name"] = f"f-{uuid.uuid4().hex[:8]}"
    for key, value in meta.items():
        obj["metadata"].setdefault(key, {}).update(value)
    return obj


DELAY = {"type": "network-delay", "params": {"latency": "10ms"}}


def _create(custom: client.CustomObjectsApi, obj: Mapping[str, Any]) -> dict[str, Any]:
    meta = obj["metadata"]
    created: dict[str, Any] = custom.create_namespaced_custom_object(
        GROUP, VERSION, meta["namespace"], KINDS[obj["kind"]], obj
    )
    return created


def _wait(
    custom: client.CustomObjectsApi,
    obj: Mapping[str, Any],
    until: Callable[[str, dict[str, Any]], bool],
) -> dict[str, Any]:
    """Watch one object until ``until(event_type, object)``; returns that object.

    Lists first and watches from the list's version: an object that is already gone (or
    already there) is seen at once, and no change between list and watch is missed.
    """
    meta = obj["metadata"]
    args = (GROUP, VERSION, meta["namespace"], KINDS[obj["kind"]])
    selector = f"metadata.name={meta['name']}"
    listing = custom.list_namespaced_custom_object(*args, field_selector=selector)
    for item in listing["items"] or [None]:
        if until("DELETED", {}) if item is None else until("ADDED", item):
            return dict(item or {})
    w = watch.Watch()
    for event in w.stream(
        custom.list_namespaced_custom_object, *args, field_selector=selector,
        resource_version=listing["metadata"]["resourceVersion"], timeout_seconds=TIMEOUT,
    ):  # fmt: skip
        if until(event["type"], event["object"]):
            w.stop()
            return dict(event["object"])
    raise AssertionError(f"{meta['name']}: condition not reached in {TIMEOUT}s")


def _conditions(obj: Mapping[str, Any]) -> dict[str, str]:
    return {c["type"]: c["status"] for c in (obj.get("status") or {}).get("conditions", [])}


def _records(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(((obj.get("status") or {}).get("experiment") or {}).get("containerRecords", []))


def _injected(_: str, obj: dict[str, Any]) -> bool:
    return _conditions(obj).get("AllInjected") == "True"


def _gone(event: str, _: dict[str, Any]) -> bool:
    return event == "DELETED"


def _delete(custom: client.CustomObjectsApi, obj: Mapping[str, Any]) -> None:
    meta = obj["metadata"]
    custom.delete_namespaced_custom_object(
        GROUP, VERSION, meta["namespace"], KINDS[obj["kind"]], meta["name"]
    )


# -- tests ---------------------------------------------------------------------------------


def test_network_chaos_is_injected_into_every_selected_pod(
    custom: client.CustomObjectsApi, controller: FakeChaosController, namespace: str
) -> None:
    obj = _create(custom, _chaos(namespace, DELAY))
    got = _wait(custom, obj, _injected)

    assert got["metadata"]["finalizers"] == [FINALIZER]
    assert got["status"]["experiment"]["desiredPhase"] == "Run"
    assert _conditions(got) == {
        "Selected": "True", "AllInjected": "True", "AllRecovered": "False", "Paused": "False",
    }  # fmt: skip
    records = _records(got)
    assert sorted(r["id"] for r in records) == [f"{namespace}/demo-0", f"{namespace}/demo-1"]
    for r in records:
        assert (r["phase"], r["injectedCount"], r["recoveredCount"], r["selectorKey"]) == (
            INJECTED, 1, 0, ".",
        )  # fmt: skip
        assert [(e["type"], e["operation"]) for e in r["events"]] == [("Succeeded", "Apply")]
        assert all(e["timestamp"].endswith("Z") for e in r["events"])
    controller.wait_for_action(got["metadata"]["name"], "injected")  # logged after the write
    assert 0 <= controller.latency(got["metadata"]["name"]) < 5


def test_delete_recovers_every_record_then_releases_the_finalizer(
    custom: client.CustomObjectsApi, controller: FakeChaosController, namespace: str
) -> None:
    obj = _create(custom, _chaos(namespace, DELAY))
    _wait(custom, obj, _injected)
    seen: list[dict[str, Any]] = []

    def record_until_gone(event: str, o: dict[str, Any]) -> bool:
        seen.append(o)
        return event == "DELETED"

    _delete(custom, obj)
    _wait(custom, obj, record_until_gone)

    last = seen[-1]  # DELETED carries the last stored state (the finalizer release deletes it)
    assert last["metadata"]["deletionTimestamp"]
    assert last["status"]["experiment"]["desiredPhase"] == "Stop"
    assert _conditions(last)["AllRecovered"] == "True"
    assert _conditions(last)["AllInjected"] == "False"
    for r in _records(last):
        assert (r["phase"], r["injectedCount"], r["recoveredCount"]) == (NOT_INJECTED, 1, 1)
        assert [e["operation"] for e in r["events"]] == ["Apply", "Recover"]
    controller.wait_for_action(obj["metadata"]["name"], "gone")  # its own watch may lag ours
    verbs = [a.verb for a in controller.actions_for(obj["metadata"]["name"])]
    assert verbs.index("recovered") < verbs.index("finalizer-removed") < verbs.index("gone")


def test_never_inject_selects_but_never_reports_injected(
    custom: client.CustomObjectsApi, namespace: str
) -> None:
    with FakeChaosController(KUBECONFIG, namespace=namespace, misbehave="never-inject") as ctl:
        obj = _create(custom, _chaos(namespace, DELAY))
        name = obj["metadata"]["name"]
        ctl.wait_for_action(name, "apply-failed")
        got = _wait(custom, obj, lambda _, o: _conditions(o).get("Selected") == "True")

        assert _conditions(got)["AllInjected"] == "False"
        assert {r["phase"] for r in _records(got)} == {NOT_INJECTED}
        assert {r["injectedCount"] for r in _records(got)} == {0}
        assert not ctl.actions_for(name, "injected")

        _delete(custom, obj)  # nothing injected: nothing holds the finalizer
        _wait(custom, obj, _gone)
    assert ctl.errors == []


def test_hold_finalizer_keeps_the_object_until_forced(
    custom: client.CustomObjectsApi, controller: FakeChaosController, namespace: str
) -> None:
    obj = _create(
        custom,
        _chaos(namespace, DELAY, annotations={MISBEHAVE: Misbehaviour.HOLD_FINALIZER.value}),
    )
    name = obj["metadata"]["name"]
    _wait(custom, obj, _injected)
    _delete(custom, obj)
    controller.wait_for_action(name, "finalizer-held")

    held = custom.get_namespaced_custom_object(GROUP, VERSION, namespace, KINDS[obj["kind"]], name)
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == [FINALIZER]
    assert {r["phase"] for r in _records(held)} == {INJECTED}
    assert _records(held)[0]["events"][-1]["type"] == "Failed"

    custom.patch_namespaced_custom_object(
        GROUP, VERSION, namespace, KINDS[obj["kind"]], name,
        {"metadata": {"annotations": {CLEAN_FINALIZER: "forced"}}},
    )  # fmt: skip
    _wait(custom, obj, _gone)
    assert controller.wait_for_action(name, "finalizer-removed").detail == "forced"


def test_pod_kill_deletes_one_selected_pod(
    custom: client.CustomObjectsApi,
    core: client.CoreV1Api,
    controller: FakeChaosController,
    namespace: str,
) -> None:
    obj = _create(custom, _chaos(namespace, {"type": "pod-kill"}, app="victim", mode="one"))
    got = _wait(custom, obj, _injected)

    [record] = _records(got)
    assert record["phase"] == INJECTED
    assert got["status"]["experiment"]["desiredPhase"] == "Run"  # one-shot stays Run
    killed = record["id"].split("/")[1]
    assert controller.wait_for_action(obj["metadata"]["name"], "pod-killed").detail == record["id"]
    left = {
        p.metadata.name
        for p in core.list_namespaced_pod(namespace, label_selector="app=victim").items
    }
    assert left == {"victim-0", "victim-1"} - {killed}

    _delete(custom, obj)
    _wait(custom, obj, _gone)


@pytest.mark.parametrize(
    ("count", "mode", "value", "expect"),
    [
        pytest.param(3, "all", None, 3, id="all"),
        pytest.param(3, "one", None, 1, id="one"),
        pytest.param(3, "fixed", "2", 2, id="fixed"),
        pytest.param(3, "fixed", "9", 3, id="fixed-more-than-there-are"),
        pytest.param(4, "fixed-percent", "50", 2, id="fixed-percent"),
        pytest.param(0, "all", None, 0, id="none"),
    ],
)
def test_filter_by_mode(count: int, mode: str, value: str | None, expect: int) -> None:
    import random

    picked = filter_by_mode(count, mode, value, random.Random(0))
    assert len(picked) == expect
    assert len(set(picked)) == expect
    assert all(0 <= i < count for i in picked)
