"""The chaos-mesh driver keeps what it injected, typed, per fault: one handler per way.

A scripted Kube (the real class, its calls answered in memory) stands in for the API server,
so the driver's whole inject / confirm / remove path runs for both ways of injecting: a Chaos
Mesh object and the leak hook through the pod proxy. What is pinned: the driver confirms and
removes from its own record, not from the bag in the port's Handle; the journal's details keep
their shape; the handler table agrees with the renderers; the experiment's ``kubernetes`` block
arrives typed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from kubernetes import client

from chaosrunner.adapters.chaosmesh.driver import CHAOS_OBJECT, HANDLERS, ChaosMeshDriver
from chaosrunner.adapters.chaosmesh.handlers import Needs
from chaosrunner.adapters.chaosmesh.pods import Selection
from chaosrunner.adapters.chaosmesh.render import NOT_OBJECTS, RENDERERS
from chaosrunner.adapters.kube.api import Connection, Kube
from chaosrunner.core import validate
from chaosrunner.core.errors import DriverError, NotFound
from chaosrunner.core.model import KubernetesSettings
from chaosrunner.core.ports import RunInfo
from tests.unit.chaosmesh.builders import RUN_ID, experiment, experiment_text, planned

RUN = RunInfo(RUN_ID, "cm-render", 0.0)
HOOK = {"port": 8080, "path": "/debug/chaos/goroutine-leak"}


class ScriptedKube(Kube):
    """Chaos Mesh objects and leak hooks held in memory; Chaos Mesh injects at once."""

    def __init__(self) -> None:
        super().__init__(client.ApiClient(client.Configuration()), "scripted")
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.leaking: dict[str, str] = {}  # pod -> run id
        self.gone_pods: set[str] = set()

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == self.custom.create_namespaced_custom_object:
            _, _, ns, _, body = args
            made = {**body, "metadata": {**body["metadata"], "uid": "uid-1"}}
            made["status"] = {
                "conditions": [{"type": "AllInjected", "status": "True"}],
                "experiment": {"containerRecords": [{"id": f"{ns}/redis-0", "phase": "Injected"}]},
            }
            self.objects[(ns, body["metadata"]["name"])] = made
            return made
        if fn == self.core.list_namespaced_pod:
            pods = [{"metadata": {"name": p}, "status": {"phase": "Running"}} for p in ("a", "b")]
            return {"items": pods, "metadata": {}}
        raise AssertionError(f"unexpected call: {what}")

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        assert fn == self.custom.delete_namespaced_custom_object, what
        if self.objects.pop((args[2], args[4]), None) is None:
            raise NotFound(f"{what}: HTTP 404 NotFound", status=404)
        return {}

    def watch_one(
        self,
        what: str,
        list_fn: Callable[..., Any],
        args: tuple[Any, ...],
        name: str,
        until: Callable[[dict[str, Any] | None], bool],
        timeout: float,
    ) -> tuple[dict[str, Any] | None, bool]:
        obj = self.objects.get((args[2], name))
        return obj, until(obj)

    def raw(self, what: str, method: str, path: str, *, body: Any = None, safe: bool = True) -> Any:
        pod = path.split("/pods/")[1].split(":", maxsplit=1)[0]
        if pod in self.gone_pods:
            raise NotFound(f"{what}: HTTP 404 NotFound", status=404)
        if path.endswith("/start"):
            self.leaking[pod] = body["runId"]
        elif path.endswith("/release"):
            self.leaking.pop(pod, None)
        run = self.leaking.get(pod)
        return {"active": run is not None, "runId": run, "held": 5 if run else 0}


def _driver(exp: Any) -> tuple[ChaosMeshDriver, ScriptedKube]:
    kube = ScriptedKube()

    def connector(_: Connection) -> Kube:
        return kube

    return ChaosMeshDriver(exp, connector=connector), kube


def test_an_object_is_confirmed_and_removed_from_the_drivers_own_record() -> None:
    pf, plan = planned({"type": "pod-failure"})
    driver, kube = _driver(plan.experiment)
    handle = driver.inject(pf, RUN)
    assert handle.details == {
        "object": {"kind": "PodChaos", "namespace": "demo", "name": f"f-{RUN_ID}", "uid": "uid-1"}
    }
    bare = dataclasses.replace(handle, details={})  # nothing to read back from the port
    conf = driver.confirm(pf, bare, 1)
    assert conf.confirmed_at is not None and [t.id for t in conf.targets] == ["demo/redis-0"]
    removal = driver.remove(pf, bare, 1)
    assert removal.confirmed and kube.objects == {}
    with pytest.raises(DriverError, match="was not injected by this driver"):
        driver.confirm(pf, handle, 1)


def test_the_leak_is_confirmed_and_released_from_the_drivers_own_record() -> None:
    pf, plan = planned(
        {"type": "goroutine-leak", "params": {"rate": 5}}, extra_parts={"hook": HOOK}
    )
    driver, kube = _driver(plan.experiment)
    handle = driver.inject(pf, RUN)
    assert handle.details == {
        "pods": ["demo/a", "demo/b"],
        "port": 8080,
        "path": "/debug/chaos/goroutine-leak",
    }
    bare = dataclasses.replace(handle, details={})
    conf = driver.confirm(pf, bare, 1)
    assert conf.confirmed_at is not None and [t.id for t in conf.targets] == ["demo/a", "demo/b"]
    kube.gone_pods.add("b")  # a pod that vanished took its goroutines with it
    removal = driver.remove(pf, bare, 1)
    assert removal.confirmed, removal.detail
    assert list(kube.leaking) == ["b"]  # released on a; b answered 404 and counts as released


def test_every_kind_that_is_not_an_object_has_its_own_handler() -> None:
    assert set(HANDLERS) == set(NOT_OBJECTS)
    assert not set(HANDLERS) & set(RENDERERS)
    assert all(h is not CHAOS_OBJECT for h in HANDLERS.values())


def test_a_plans_needs_are_the_union_of_its_faults() -> None:
    a = Selection("a", "target", ("demo",), (), (), "all")
    b = Selection("b", "leak hook", ("other",), (), (), "one")
    need = Needs.of(
        [
            Needs(("demo",), ("PodChaos",), (a,), creates_in=("demo",)),
            Needs(("other",), (), (b,), pod_proxy=True),
            Needs(("demo",), ("NetworkChaos", "PodChaos"), (), creates_in=("demo",)),
        ]
    )
    assert need == Needs(
        ("demo", "other"), ("NetworkChaos", "PodChaos"), (a, b), True, creates_in=("demo",)
    )


def test_the_kubernetes_block_arrives_typed() -> None:
    assert experiment([{"name": "f", "type": "pod-failure"}]).env.kubernetes == (
        KubernetesSettings(allow_namespaces=("demo",))
    )
    doc = yaml.safe_load(experiment_text([{"name": "f", "type": "pod-failure"}]))
    doc["spec"]["environments"]["cluster"]["kubernetes"] = {
        "context": "staging",
        "allowNamespaces": ["demo", "shop"],
        "leaseNamespace": "chaos",
    }
    exp = validate.load(yaml.safe_dump(doc), "exp.yaml", env="cluster", environ={})
    assert exp.env.kubernetes == KubernetesSettings("staging", ("demo", "shop"), "chaos")
    driver, _ = _driver(exp)
    assert driver.connection.context == "staging"
