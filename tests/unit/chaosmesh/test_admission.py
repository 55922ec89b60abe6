"""Preflight puts every object the run will create through a server-side dry run.

Chaos Mesh's admission webhooks refuse what its CRD schema lets through (a container-kill
without ``containerNames``, a ``value`` that is not a number): found at inject, that is a run
that failed half way; found at preflight it is an ERROR naming the field, with nothing created.
A Kube whose create is answered in memory records how it was asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes import client

from chaosrunner.adapters.chaosmesh.preflight import check_admission
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError

REFUSAL = (
    "dry-run create PodChaos demo/kill: HTTP 403 Forbidden: admission webhook "
    '"vpodchaos.kb.io" denied the request: Spec.containerNames: Invalid value: null: the name '
    "of container is required on container-kill action"
)


class DryRunKube(Kube):
    def __init__(self, refuse: set[str]) -> None:
        super().__init__(client.ApiClient(client.Configuration()), "scripted")
        self.refuse = refuse
        self.asked: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        assert fn == self.custom.create_namespaced_custom_object, what
        self.asked.append((args, kwargs))
        if args[4]["metadata"]["name"] in self.refuse:
            raise ApiError(REFUSAL, status=403, reason="Forbidden")
        return args[4]


def _obj(kind: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "chaos-mesh.org/v1alpha1",
        "kind": kind,
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"action": "container-kill", "mode": "one"},
    }


def test_every_object_goes_through_a_dry_run_create_and_nothing_is_stored() -> None:
    kube = DryRunKube(refuse=set())
    check = check_admission(kube, [_obj("PodChaos", "kill"), _obj("NetworkChaos", "loss")])
    assert check.ok and check.detail == "2 object(s) admitted"
    assert [(a[2], a[3]) for a, _ in kube.asked] == [("demo", "podchaos"), ("demo", "networkchaos")]
    assert all(kw == {"dry_run": "All", "field_validation": "Strict"} for _, kw in kube.asked)


def test_a_refusal_fails_preflight_with_the_webhooks_own_words() -> None:
    kube = DryRunKube(refuse={"kill"})
    check = check_admission(kube, [_obj("NetworkChaos", "loss"), _obj("PodChaos", "kill")])
    assert not check.ok
    assert check.name == "Chaos Mesh admits the objects (server-side dry run)"
    assert check.detail == REFUSAL  # the field and why, as the webhook said it
    assert len(kube.asked) == 2  # every object is tried: all refusals are said at once


def test_a_plan_with_no_object_needs_no_dry_run() -> None:
    kube = DryRunKube(refuse=set())
    check = check_admission(kube, [])
    assert check.ok and kube.asked == []
