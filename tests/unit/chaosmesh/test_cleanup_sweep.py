"""The cluster sweep reports what became of each object it found as a typed outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client

from chaosrunner.adapters.chaosmesh.cleanup import sweep
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError
from chaosrunner.core.leftovers import Leftover, Outcome, Place


def _item(name: str, run: str) -> dict[str, Any]:
    labels = {"chaosrunner.io/run-id": run}
    return {"metadata": {"namespace": "demo", "name": name, "uid": f"u-{name}", "labels": labels}}


class SweptKube(Kube):
    """Two PodChaos (one that cannot be deleted) and one Lease, in namespace demo."""

    def __init__(self) -> None:
        super().__init__(client.ApiClient(client.Configuration()), "swept")

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == self.custom.list_namespaced_custom_object:
            plural = args[3]
            return {"items": [_item("a", "r1"), _item("b", "r1")] if plural == "podchaos" else []}
        if fn == self.coordination.list_namespaced_lease:
            lease = {"metadata": {"namespace": "demo", "name": "chaosrunner"}}
            return {"items": [{**lease, "spec": {"holderIdentity": "r1"}}]}
        raise AssertionError(what)

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if "b" in args and fn == self.custom.delete_namespaced_custom_object:
            raise ApiError(f"{what}: HTTP 500 InternalError", status=500)
        return {}

    def watch_one(self, *args: Any, **kwargs: Any) -> tuple[dict[str, Any] | None, bool]:
        return None, True


def test_each_object_found_has_its_outcome() -> None:
    found = sweep(SweptKube(), "r1", "demo", 1.0)
    assert [(i.what, i.outcome) for i in found] == [
        ("PodChaos demo/a (run r1)", Outcome.DELETED),
        ("PodChaos demo/b (run r1)", Outcome.FAILED),
        ("Lease demo/chaosrunner (run r1)", Outcome.DELETED),
    ]
    assert {i.where for i in found} == {Place.CLUSTER}
    failed: Leftover = found[1]
    assert failed.outcome.left_behind and "HTTP 500" in failed.detail
