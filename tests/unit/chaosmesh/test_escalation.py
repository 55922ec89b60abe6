"""A removal that always ends: escalation past a finalizer the forced annotation did not release.

The real Chaos Mesh controller keeps a deleted object on ``chaos-mesh/records`` while its
records keep failing, even with ``cleanFinalizer: forced``. ``objects.delete`` then removes
the finalizer itself (a JSON patch that tests the uid and the finalizers it read), waits until
the object is gone, and says which targets were still injected and what else may be left: the
per-pod objects Chaos Mesh writes, deleted only when ours (our labels, or owned by our
object), otherwise reported by name. The API server is a fake here (what it stores and what
the stand-in controller does to it); tests/cluster runs the same against a real one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from chaosrunner.adapters.chaosmesh import finalizer, objects
from chaosrunner.adapters.chaosmesh.cleanup import sweep
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError, NotFound, RemovalError
from chaosrunner.core.leftovers import Outcome

NS = "demo"
UID = "uid-ours"
RUN = "r1"
REF = objects.Ref("NetworkChaos", NS, "loss", UID)
FORCED = objects.CLEAN_FINALIZER


def chaos(finalizers: list[str] | None = None) -> dict[str, Any]:
    record = {
        "id": f"{NS}/redis-0",
        "phase": "Injected",
        "injectedCount": 1,
        "recoveredCount": 0,
        "events": [{"type": "Failed", "operation": "Recover", "message": "daemon gone"}],
    }
    done = {"id": "other/redis-1", "phase": "Not Injected", "injectedCount": 1, "recoveredCount": 1}
    return {
        "kind": "NetworkChaos",
        "metadata": {
            "namespace": NS,
            "name": "loss",
            "uid": UID,
            "labels": {"chaosrunner.io/run-id": RUN, "app.kubernetes.io/managed-by": "chaosrunner"},
            "finalizers": ["chaos-mesh/records"] if finalizers is None else finalizers,
        },
        "status": {"experiment": {"containerRecords": [record, done]}},
    }


def pod_level(
    ns: str, name: str, *sources: str, owner_uid: str = "pod-uid", **labels: str
) -> dict[str, Any]:
    return {
        "metadata": {
            "namespace": ns,
            "name": name,
            "uid": f"u-{ns}-{name}",
            "labels": labels,
            "ownerReferences": [{"kind": "Pod", "name": name, "uid": owner_uid}],
        },
        "spec": {"tcs": [{"type": "netem", "source": s} for s in sources]},
    }


class Cluster(Kube):
    """One chaos object and some PodNetworkChaos, and a controller that may honour the forced
    annotation (``honours_forced``). ``race`` changes the finalizers once, just before the
    first finalizer patch lands, as a controller writing at the same moment would."""

    def __init__(self, obj: dict[str, Any] | None, *, honours_forced: bool = False) -> None:
        super().__init__(client.ApiClient(client.Configuration()), "fake")
        self.obj = obj
        self.deleting = False
        self.honours_forced = honours_forced
        self.race: Callable[[dict[str, Any]], None] | None = None
        self.pod_level: dict[str, list[dict[str, Any]]] = {}
        self.patches: list[Any] = []
        self.deleted: list[str] = []
        self.reads = 0

    def _gone_if_free(self) -> None:
        if self.obj is not None and self.deleting and not self.obj["metadata"]["finalizers"]:
            self.obj = None

    def call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == self.custom.delete_namespaced_custom_object:
            ns, plural, name = args[2], args[3], args[4]
            if plural == "networkchaos":
                self.deleting = True
                return {}
            items = self.pod_level.get(ns, [])
            self.pod_level[ns] = [i for i in items if i["metadata"]["name"] != name]
            self.deleted.append(f"{plural} {ns}/{name}")
            return {}
        if fn == self.custom.patch_namespaced_custom_object:
            body = args[5]
            self.patches.append((copy.deepcopy(body), kwargs.get("_content_type")))
            if self.obj is None:
                raise NotFound(f"{what}: HTTP 404", status=404)
            if isinstance(body, dict):  # the forced annotation
                if self.honours_forced:
                    self.obj["metadata"]["finalizers"] = []
                    self._gone_if_free()
                return {}
            race, self.race = self.race, None  # once, unless it arms itself again
            if race is not None:
                race(self.obj)
            meta = self.obj["metadata"]
            for op in body:
                field = op["path"].rsplit("/", 1)[1]
                if op["op"] == "test" and meta.get(field) != op["value"]:
                    raise ApiError(f"{what}: HTTP 422 Invalid: test failed", status=422)
                if op["op"] == "replace":
                    meta[field] = op["value"]
            self._gone_if_free()
            return {}
        raise AssertionError(what)

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == self.custom.get_namespaced_custom_object:
            self.reads += 1
            if self.obj is None:
                raise NotFound(what, status=404)
            return copy.deepcopy(self.obj)
        if fn == self.custom.list_namespaced_custom_object:
            ns, plural = args[2], args[3]
            if plural == "podnetworkchaos":
                return {"items": copy.deepcopy(self.pod_level.get(ns, []))}
            return {"items": [copy.deepcopy(self.obj)] if self.obj and ns == NS else []}
        raise AssertionError(what)

    def watch_one(
        self, what: str, list_fn: Any, args: Any, name: str, until: Any, timeout: float
    ) -> tuple[dict[str, Any] | None, bool]:
        current = copy.deepcopy(self.obj)
        return current, bool(until(current))


def test_a_finalizer_the_forced_annotation_does_not_release_is_removed_by_patch() -> None:
    kube = Cluster(chaos())
    removed = objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    assert removed.gone and removed.forced and kube.obj is None
    (annotation, merge), (patch, content_type) = kube.patches
    assert annotation == {"metadata": {"annotations": {FORCED: "forced"}}} and merge is None
    assert content_type == "application/json-patch+json"
    assert patch == [
        {"op": "test", "path": "/metadata/uid", "value": UID},
        {"op": "test", "path": "/metadata/finalizers", "value": ["chaos-mesh/records"]},
        {"op": "replace", "path": "/metadata/finalizers", "value": []},
    ]
    esc = removed.escalation
    assert esc is not None
    assert esc.not_recovered == (
        f"{NS}/redis-0 (Injected, injected 1x, recovered 0x; last failure: daemon gone)",
    )
    assert "did not release it" in esc.steps[0] and "chaos-mesh/records removed" in esc.steps[1]
    assert "escalated" in removed.detail and f"{NS}/redis-0" in removed.detail


def test_when_the_forced_annotation_works_nothing_is_escalated() -> None:
    kube = Cluster(chaos(), honours_forced=True)
    removed = objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    assert removed.gone and removed.forced and removed.escalation is None
    assert len(kube.patches) == 1  # the annotation only


def test_someone_elses_finalizer_is_kept_and_the_object_said_to_be_still_there() -> None:
    kube = Cluster(chaos(["example.com/theirs", "chaos-mesh/records"]))
    removed = objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    assert kube.patches[-1][0][-1]["value"] == ["example.com/theirs"]
    assert kube.obj is not None and kube.obj["metadata"]["finalizers"] == ["example.com/theirs"]
    assert not removed.gone and removed.escalation is not None
    assert "still present" in removed.detail and "example.com/theirs" in removed.detail


def test_a_change_between_read_and_patch_is_read_again_never_clobbered() -> None:
    kube = Cluster(chaos())
    kube.race = lambda obj: obj["metadata"]["finalizers"].append("example.com/late")
    removed = objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    first, second = (p for p, _ in kube.patches[1:])
    assert first[1]["value"] == ["chaos-mesh/records"]  # failed its test: someone added one
    assert second[1]["value"] == ["chaos-mesh/records", "example.com/late"]
    assert second[2]["value"] == ["example.com/late"]  # theirs survives
    assert kube.reads == 1 and not removed.gone


def test_a_namesake_is_never_patched() -> None:
    """Ours went and another object of the same name came between read and patch: the patch's
    uid test fails, the read again sees it is not ours, and its finalizer stays."""
    kube = Cluster(chaos())
    kube.race = lambda obj: obj["metadata"].update(uid="uid-namesake")
    removed = objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    assert len(kube.patches) == 2 and kube.reads == 1
    assert kube.obj is not None and kube.obj["metadata"]["finalizers"] == ["chaos-mesh/records"]
    assert removed.gone  # our object is gone; the namesake is not ours to judge
    assert removed.escalation is not None
    assert removed.escalation.steps[1] == "no chaos-mesh/records finalizer left to remove"


def test_what_else_may_be_left_is_deleted_only_when_ours_and_reported_otherwise() -> None:
    kube = Cluster(chaos())
    source = f"{NS}/loss"
    kube.pod_level = {
        NS: [
            pod_level(NS, "redis-0", source, "team/other-chaos"),  # the pod's: shared
            pod_level(NS, "owned", owner_uid=UID),  # owned by our object
            pod_level(NS, "labelled", **{"chaosrunner.io/run-id": RUN}),  # our label
            pod_level(NS, "not-ours", "team/other-chaos"),  # names another chaos only
            pod_level(NS, "other-run", source, **{"chaosrunner.io/run-id": "r2"}),
        ],
        "other": [pod_level("other", "redis-1", source)],  # a target in another namespace
    }
    removed = objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    esc = removed.escalation
    assert esc is not None
    assert kube.deleted == ["podnetworkchaos demo/owned", "podnetworkchaos demo/labelled"]
    assert esc.removed == (
        "PodNetworkChaos demo/owned (owned by our object)",
        "PodNetworkChaos demo/labelled (labelled with run r1)",
    )
    assert esc.may_remain == (
        "PodNetworkChaos demo/redis-0: owned by Pod redis-0, holds entries of NetworkChaos "
        "demo/loss (shared with team/other-chaos); not chaosrunner's to delete",
        "PodNetworkChaos demo/other-run: owned by Pod other-run, holds entries of NetworkChaos "
        "demo/loss (no other chaos in it); not chaosrunner's to delete",
        "PodNetworkChaos other/redis-1: owned by Pod redis-1, holds entries of NetworkChaos "
        "demo/loss (no other chaos in it); not chaosrunner's to delete",
    )
    assert [i["metadata"]["name"] for i in kube.pod_level[NS]] == [
        "redis-0",
        "not-ours",
        "other-run",
    ]
    assert "may be left: PodNetworkChaos demo/redis-0" in removed.detail


def test_the_sweep_reports_an_escalated_object_and_what_may_remain_as_left_behind() -> None:
    kube = Cluster(chaos())
    kube.pod_level = {NS: [pod_level(NS, "redis-0", f"{NS}/loss")]}
    kube.json = _only_networkchaos(kube)  # type: ignore[method-assign]
    found = sweep(kube, RUN, NS, 1.0, leases=False)
    assert [(i.what, i.outcome) for i in found] == [
        ("NetworkChaos demo/loss (run r1)", Outcome.ESCALATED),
        ("PodNetworkChaos demo/redis-0: owned by Pod redis-0, holds entries of NetworkChaos "
         "demo/loss (no other chaos in it); not chaosrunner's to delete", Outcome.MAY_REMAIN),
    ]  # fmt: skip
    assert all(i.outcome.left_behind for i in found)
    assert "escalated" in found[0].detail and kube.obj is None


def _only_networkchaos(kube: Cluster) -> Callable[..., Any]:
    real = kube.json

    def json(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == kube.custom.list_namespaced_custom_object and args[3] not in (
            "networkchaos",
            "podnetworkchaos",
        ):
            return {"items": []}
        return real(what, fn, *args, **kwargs)

    return json


def test_an_object_that_changes_under_every_patch_is_a_removal_error() -> None:
    kube = Cluster(chaos())

    def always(obj: dict[str, Any]) -> None:
        obj["metadata"]["finalizers"].append(f"example.com/{len(kube.patches)}")
        kube.race = always

    kube.race = always
    with pytest.raises(RemovalError, match="changed under every one of 5 attempts"):
        objects.delete(kube, REF, timeout=60, finalizer_timeout=1)
    assert len(kube.patches) == 1 + finalizer.UNFINALIZE_ATTEMPTS


def test_what_could_not_be_looked_at_or_deleted_is_said_never_hidden() -> None:
    from chaosrunner.adapters.chaosmesh import residue

    kube = Cluster(chaos())
    kube.pod_level = {NS: [pod_level(NS, "owned", owner_uid=UID)]}
    real_json, real_call = kube.json, kube.call

    def json(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == kube.custom.list_namespaced_custom_object and args[2] == "other":
            raise ApiError(f"{what}: HTTP 403 Forbidden", status=403)
        return real_json(what, fn, *args, **kwargs)

    def call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn == kube.custom.delete_namespaced_custom_object and args[3] == "podnetworkchaos":
            raise ApiError(f"{what}: HTTP 403 Forbidden", status=403)
        return real_call(what, fn, *args, **kwargs)

    kube.json, kube.call = json, call  # type: ignore[method-assign]
    found = residue.find(kube, "NetworkChaos", NS, "loss", chaos())
    assert found.removed == ()
    assert found.may_remain == (
        "PodNetworkChaos demo/owned (owned by our object): could not delete it: delete "
        "PodNetworkChaos demo/owned: HTTP 403 Forbidden",
        "PodNetworkChaos objects in other: could not look (list podnetworkchaos in other: HTTP "
        "403 Forbidden)",
    )
    assert residue.find(kube, "PodChaos", NS, "kill", chaos()) == residue.Residue()
