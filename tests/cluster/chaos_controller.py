"""A fake Chaos Mesh controller for cluster tests: a TEST STAND-IN, not Chaos Mesh.

Chaos Mesh's real controller-manager runs in the test cluster (scripts/cluster-chaos-mesh.sh),
but only in its own namespace ``chaos-real``, where a daemon-based fault is injected only on
the node of the stand-in chaos-daemon (tests/cluster/chaos_daemon.py). ``FakeChaosController``
plays Chaos Mesh in every OTHER namespace: fast, deterministic driver paths, and misbehaviour on
demand that the real one shows only with effort;
each test that uses it says why (``@pytest.mark.standin``). Against a real kube-apiserver, it
watches the namespaced chaos kinds and writes what Chaos Mesh v2.8 writes, as read from its
source:

- ``controllers/common/finalizers``: finalizer ``chaos-mesh/records`` added to a live object;
  on deletion it is removed once every record is ``Not Injected``, or at once when the
  annotation ``chaos-mesh.chaos-mesh.org/cleanFinalizer: forced`` is set.
- ``controllers/common/desiredphase``: ``status.experiment.desiredPhase`` is ``Stop`` when the
  object is deleted (or paused, for a non-one-shot kind), otherwise ``Run``; a one-shot chaos
  (pod-kill, container-kill) stays ``Run``.
- ``controllers/common/records``: records are selected once (``selectorKey`` is the key of
  ``GetSelectorSpecs``: ``"."``, plus ``".Target"`` for a NetworkChaos with ``spec.target``),
  each starting ``Not Injected``; a successful Apply sets ``Injected``, ``injectedCount += 1``
  and appends ``{type: Succeeded, operation: Apply, timestamp}``; Recover the reverse.
- ``controllers/common/condition``: ``Selected`` = records exist; ``AllInjected`` /
  ``AllRecovered`` = records exist and every one is ``Injected`` / ``Not Injected``;
  ``Paused`` = annotation ``experiment.chaos-mesh.org/pause: "true"``.
- ``pkg/selector/pod`` and ``pkg/selector/container``: a pod record's id is ``<ns>/<pod>``, a
  container record's ``<ns>/<pod>/<container>`` (the first container when ``containerNames``
  is empty). PodChaos pod-kill/pod-failure select pods, container-kill containers; StressChaos,
  IOChaos, TimeChaos and DNSChaos select containers; NetworkChaos and HTTPChaos pods.
- ``controllers/chaosimpl/podchaos/podkill``: Apply deletes the pod with
  ``spec.gracePeriod``; Recover does nothing.

Chaos kinds have no status subresource, so status is written with a plain replace of the whole
object (as Chaos Mesh's ``Client.Update`` does). Misbehaviour for negative tests, from the
constructor or the per-object annotation ``chaosrunner.test/misbehave``:
``never-inject`` (Apply fails: records stay ``Not Injected``), ``hold-finalizer`` (Recover
fails: records stay ``Injected``, so the finalizer is held until forced) and ``ignore-forced``
(as ``hold-finalizer``, and the forced annotation is ignored too, as the real controller does
while its records step keeps failing: only removing the finalizer releases the object; a
NetworkChaos also gets, per pod, the PodNetworkChaos the real controller writes, owned by the
Pod with an entry whose ``source`` is ``<ns>/<chaos name>``, when that CRD is installed).

Every action is recorded with wall and monotonic timestamps so tests can measure latencies.
"""

from __future__ import annotations

import enum
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from chaosrunner.adapters.chaosmesh.permissions import CHAOS_PLURALS

GROUP = "chaos-mesh.org"
VERSION = "v1alpha1"
FINALIZER = "chaos-mesh/records"
CLEAN_FINALIZER = "chaos-mesh.chaos-mesh.org/cleanFinalizer"
FORCED = "forced"
PAUSE = "experiment.chaos-mesh.org/pause"
MISBEHAVE = "chaosrunner.test/misbehave"
INJECTED = "Injected"
#: The one namespace Chaos Mesh's real controller-manager reconciles (scripts/cluster-env.sh):
#: the stand-in never touches it, so the two never reconcile the same object.
REAL_NAMESPACE = os.environ.get("CHAOSRUNNER_CHAOS_MESH_NAMESPACE", "chaos-real")
NOT_INJECTED = "Not Injected"

#: kind -> plural, for the namespaced kinds the controller watches.
KINDS: dict[str, str] = dict(CHAOS_PLURALS)
_CONTAINER_KINDS = frozenset({"StressChaos", "IOChaos", "TimeChaos", "DNSChaos"})
_ONE_SHOT = frozenset({"pod-kill", "container-kill"})


class Misbehaviour(enum.StrEnum):
    NEVER_INJECT = "never-inject"
    HOLD_FINALIZER = "hold-finalizer"
    IGNORE_FORCED = "ignore-forced"


@dataclass(frozen=True)
class Action:
    """One thing the controller did (or saw), for tests to assert on."""

    at: datetime  # wall clock, UTC
    mono: float  # time.monotonic()
    verb: str  # observed, finalizer-added, select-failed, injected, apply-failed, ...
    kind: str
    namespace: str
    name: str
    detail: str = ""


@dataclass
class _Target:
    id: str
    pod: Mapping[str, Any] = field(repr=False)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def filter_by_mode(count: int, mode: str, value: str | None, rng: random.Random) -> list[int]:
    """Indexes chosen from ``count`` candidates, as ``generic.FilterObjectsByMode`` does."""
    if count == 0:
        return []
    if mode == "all":
        return list(range(count))
    if mode == "one":
        return [rng.randrange(count)]
    number = int(value or "0")
    if mode == "fixed":
        n = min(number, count)
    elif mode == "fixed-percent":
        n = math.floor(count * number / 100)
    elif mode == "random-max-percent":
        n = math.floor(count * rng.randint(0, number) / 100)
    else:
        raise ValueError(f"unknown selector mode {mode!r}")
    return sorted(rng.sample(range(count), n))


def conditions(records: Sequence[Mapping[str, Any]] | None, paused: bool) -> list[dict[str, str]]:
    """``status.conditions`` as Chaos Mesh's condition controller derives them."""
    some = records is not None
    phases = [r["phase"] for r in records or ()]
    return [
        {"type": "Selected", "status": str(some)},
        {"type": "AllInjected", "status": str(some and all(p == INJECTED for p in phases))},
        {"type": "AllRecovered", "status": str(some and all(p == NOT_INJECTED for p in phases))},
        {"type": "Paused", "status": str(paused)},
    ]


class FakeChaosController:
    """Watches chaos kinds and writes Chaos Mesh's finalizer, records and conditions.

    ``namespace`` limits the watch to one namespace (None: all). ``misbehave`` applies to every
    object; the annotation ``chaosrunner.test/misbehave`` overrides it per object. ``seed``
    makes ``mode: one`` / ``fixed`` choices deterministic.
    """

    def __init__(
        self,
        kubeconfig: str | Path,
        *,
        namespace: str | None = None,
        misbehave: Misbehaviour | str | None = None,
        kinds: Sequence[str] = tuple(KINDS),
        seed: int = 0,
        watch_timeout: int = 1,
    ) -> None:
        self._kubeconfig = str(kubeconfig)
        self._namespace = namespace
        self._misbehave = Misbehaviour(misbehave) if misbehave else None
        self._kinds = tuple(kinds)
        self._rng = random.Random(seed)
        self._watch_timeout = watch_timeout
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._actions: list[Action] = []
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._api_client: client.ApiClient | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeChaosController:
        if self._threads:
            raise RuntimeError("already started")
        self._api_client = config.new_client_from_config(config_file=self._kubeconfig)
        self._custom = client.CustomObjectsApi(self._api_client)
        self._core = client.CoreV1Api(self._api_client)
        ready = threading.Barrier(len(self._kinds) + 1)
        for kind in self._kinds:
            t = threading.Thread(
                target=self._run, args=(kind, ready), name=f"fake-chaos-{kind}", daemon=True
            )
            t.start()
            self._threads.append(t)
        ready.wait(timeout=10)  # every watch has listed once: objects created now are seen
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        self._threads = []
        if self._api_client is not None:
            self._api_client.close()
            self._api_client = None
        if alive:
            raise RuntimeError(f"controller threads still running after {timeout}s: {alive}")

    def __enter__(self) -> FakeChaosController:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests read ---------------------------------------------------------------------

    @property
    def actions(self) -> list[Action]:
        with self._lock:
            return list(self._actions)

    @property
    def errors(self) -> list[BaseException]:
        """Unexpected exceptions from the watch threads (a test should assert this is empty)."""
        with self._lock:
            return list(self._errors)

    def actions_for(self, name: str, verb: str | None = None) -> list[Action]:
        return [a for a in self.actions if a.name == name and (verb is None or a.verb == verb)]

    def wait_for_action(self, name: str, verb: str, timeout: float = 10.0) -> Action:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.actions_for(name, verb)
            if found:
                return found[0]
            time.sleep(0.02)
        raise TimeoutError(f"no {verb!r} action for {name!r} in {timeout}s: {self.actions}")

    def latency(self, name: str, verb: str = "injected") -> float:
        """Seconds from the controller first seeing ``name`` to its first ``verb`` action."""
        seen = self.actions_for(name, "observed")[0]
        return self.actions_for(name, verb)[0].mono - seen.mono

    # -- watch loop --------------------------------------------------------------------------

    def _record(self, verb: str, obj: Mapping[str, Any], detail: str = "") -> None:
        meta = obj["metadata"]
        action = Action(datetime.now(UTC), time.monotonic(), verb, obj["kind"],
                        meta["namespace"], meta["name"], detail)  # fmt: skip
        with self._lock:
            self._actions.append(action)

    def _list_func(self, kind: str) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        plural = KINDS[kind]
        if self._namespace is None:
            return self._custom.list_cluster_custom_object, (GROUP, VERSION, plural)
        return self._custom.list_namespaced_custom_object, (
            GROUP, VERSION, self._namespace, plural,
        )  # fmt: skip

    def _run(self, kind: str, ready: threading.Barrier) -> None:
        func, args = self._list_func(kind)
        seen: set[str] = set()
        resource_version: str | None = None
        try:
            listed = func(*args, _request_timeout=10)
            resource_version = listed["metadata"]["resourceVersion"]
            for item in listed["items"]:
                item.setdefault("kind", kind)
                self._handle("ADDED", item, seen)
        except Exception as exc:  # surfaced through .errors
            with self._lock:
                self._errors.append(exc)
        finally:
            ready.wait(timeout=10)
        while not self._stop.is_set():
            w = watch.Watch()
            try:
                for event in w.stream(func, *args, resource_version=resource_version,
                                      timeout_seconds=self._watch_timeout,
                                      _request_timeout=self._watch_timeout + 4):  # fmt: skip
                    obj = event["object"]
                    resource_version = obj["metadata"]["resourceVersion"]
                    self._handle(event["type"], obj, seen)
                    if self._stop.is_set():
                        break
            except ApiException as exc:
                if exc.status == 410:  # expired: relist from now on
                    resource_version = None
                    continue
                with self._lock:
                    self._errors.append(exc)
                self._stop.wait(0.2)
            except Exception as exc:  # surfaced through .errors
                if self._stop.is_set():
                    break
                with self._lock:
                    self._errors.append(exc)
                self._stop.wait(0.2)
            finally:
                w.stop()

    def _handle(self, event: str, obj: dict[str, Any], seen: set[str]) -> None:
        if obj["metadata"].get("namespace") == REAL_NAMESPACE:
            return  # Chaos Mesh's real controller reconciles that namespace
        uid = obj["metadata"]["uid"]
        if event == "DELETED":
            self._record("gone", obj)
            seen.discard(uid)
            return
        if event not in ("ADDED", "MODIFIED"):
            return
        if uid not in seen:
            seen.add(uid)
            self._record("observed", obj)
        try:
            self._reconcile(obj)
        except Exception as exc:  # surfaced through .errors
            with self._lock:
                self._errors.append(exc)

    # -- reconcile ---------------------------------------------------------------------------

    def _misbehaviour(self, obj: Mapping[str, Any]) -> Misbehaviour | None:
        value = (obj["metadata"].get("annotations") or {}).get(MISBEHAVE)
        return Misbehaviour(value) if value else self._misbehave

    def _reconcile(self, obj: dict[str, Any]) -> None:
        for _ in range(5):
            try:
                self._reconcile_once(obj)
                return
            except ApiException as exc:
                if exc.status == 404:
                    return
                if exc.status != 409:
                    raise
            meta = obj["metadata"]
            try:
                obj = self._custom.get_namespaced_custom_object(
                    GROUP, VERSION, meta["namespace"], KINDS[obj["kind"]], meta["name"]
                )
            except ApiException as exc:
                if exc.status == 404:
                    return
                raise

    def _reconcile_once(self, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        annotations = meta.get("annotations") or {}
        deleted = bool(meta.get("deletionTimestamp"))
        finalizers = list(meta.get("finalizers") or [])

        ignores = self._misbehaviour(obj) is Misbehaviour.IGNORE_FORCED
        if deleted and annotations.get(CLEAN_FINALIZER) == FORCED and not ignores:
            if finalizers:
                self._replace(obj, finalizers=[])
                self._record("finalizer-removed", obj, "forced")
            return

        status = obj.get("status") or {}
        experiment = dict(status.get("experiment") or {})
        records = experiment.get("containerRecords")
        records = None if records is None else [dict(r) for r in records]
        actions: list[tuple[str, str]] = []

        if not deleted and FINALIZER not in finalizers:
            finalizers.append(FINALIZER)
            actions.append(("finalizer-added", ""))

        if records is None and not deleted:
            records, why = self._select(obj)
            actions.append(("selected", f"{len(records)} targets") if records is not None
                           else ("select-failed", why))  # fmt: skip

        paused = annotations.get(PAUSE) == "true"
        one_shot = obj.get("spec", {}).get("action") in _ONE_SHOT
        desired = "Stop" if deleted or (paused and not one_shot) else "Run"
        misbehave = self._misbehaviour(obj)
        for record in records or ():
            if desired == "Run" and record["phase"] != INJECTED:
                actions.append(self._apply(obj, record, misbehave))
            elif desired == "Stop" and record["phase"] != NOT_INJECTED:
                actions.append(self._recover(record, misbehave))
        actions = [a for a in actions if a[0]]

        experiment["desiredPhase"] = desired
        if records is not None:
            experiment["containerRecords"] = records
        new_status = {**status, "experiment": experiment,
                      "conditions": conditions(records, paused)}  # fmt: skip
        released = (
            deleted and records is not None and all(r["phase"] == NOT_INJECTED for r in records)
        )
        if deleted and records is None:
            released = True  # nothing was ever selected: nothing to recover
        if released and finalizers:
            finalizers = []
            actions.append(("finalizer-removed", ""))
        elif deleted and finalizers and not self.actions_for(meta["name"], "finalizer-held"):
            actions.append(("finalizer-held", "records not recovered"))

        if new_status != status or finalizers != list(meta.get("finalizers") or []):
            if released:
                # status first (what a watcher sees last), then the finalizer release
                self._replace(obj, status=new_status)
                obj = self._custom.get_namespaced_custom_object(
                    GROUP, VERSION, meta["namespace"], KINDS[obj["kind"]], meta["name"]
                )
                self._replace(obj, finalizers=[])
            else:
                self._replace(obj, status=new_status, finalizers=finalizers)
        for verb, detail in actions:
            self._record(verb, obj, detail)

    def _replace(
        self,
        obj: dict[str, Any],
        *,
        status: dict[str, Any] | None = None,
        finalizers: list[str] | None = None,
    ) -> None:
        body = {**obj, "metadata": dict(obj["metadata"])}
        if status is not None:
            body["status"] = status
        if finalizers is not None:
            body["metadata"]["finalizers"] = finalizers
        meta = body["metadata"]
        self._custom.replace_namespaced_custom_object(
            GROUP, VERSION, meta["namespace"], KINDS[obj["kind"]], meta["name"], body
        )

    def _apply(
        self, obj: Mapping[str, Any], record: dict[str, Any], misbehave: Misbehaviour | None
    ) -> tuple[str, str]:
        events = list(record.get("events") or [])
        if misbehave is Misbehaviour.NEVER_INJECT:
            if events and events[-1]["type"] == "Failed":
                return ("", "")  # Chaos Mesh retries forever; one failure is enough here
            events.append({"type": "Failed", "operation": "Apply", "timestamp": _now(),
                           "message": "fake controller: never-inject"})  # fmt: skip
            record["events"] = events
            return ("apply-failed", record["id"])
        spec = obj.get("spec", {})
        if obj["kind"] == "PodChaos" and spec.get("action") == "pod-kill":
            namespace, name = record["id"].split("/")[:2]
            try:
                self._core.delete_namespaced_pod(
                    name, namespace, grace_period_seconds=int(spec.get("gracePeriod", 0))
                )
            except ApiException as exc:
                events.append({"type": "Failed", "operation": "Apply", "timestamp": _now(),
                               "message": f"delete pod: {exc.reason}"})  # fmt: skip
                record["events"] = events
                return ("apply-failed", record["id"])
            self._record("pod-killed", obj, record["id"])
        if misbehave is Misbehaviour.IGNORE_FORCED and obj["kind"] == "NetworkChaos":
            self._pod_network_chaos(obj, record["id"])
        record["phase"] = INJECTED
        record["injectedCount"] = int(record.get("injectedCount", 0)) + 1
        events.append({"type": "Succeeded", "operation": "Apply", "timestamp": _now()})
        record["events"] = events
        return ("injected", record["id"])

    def _recover(self, record: dict[str, Any], misbehave: Misbehaviour | None) -> tuple[str, str]:
        events = list(record.get("events") or [])
        if misbehave in (Misbehaviour.HOLD_FINALIZER, Misbehaviour.IGNORE_FORCED):
            if events and events[-1]["type"] == "Failed":
                return ("", "")
            events.append({"type": "Failed", "operation": "Recover", "timestamp": _now(),
                           "message": "fake controller: hold-finalizer"})  # fmt: skip
            record["events"] = events
            return ("recover-failed", record["id"])
        record["phase"] = NOT_INJECTED
        record["recoveredCount"] = int(record.get("recoveredCount", 0)) + 1
        events.append({"type": "Succeeded", "operation": "Recover", "timestamp": _now()})
        record["events"] = events
        return ("recovered", record["id"])

    def _pod_network_chaos(self, obj: Mapping[str, Any], target: str) -> None:
        """The real controller's per-pod object: named after the pod, owned by the Pod."""
        namespace, name = target.split("/")[:2]
        pod = self._core.read_namespaced_pod(name, namespace)
        owner = {"apiVersion": "v1", "kind": "Pod", "name": name, "uid": pod.metadata.uid}
        source = f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"
        body = {"apiVersion": f"{GROUP}/{VERSION}", "kind": "PodNetworkChaos",
                "metadata": {"name": name, "namespace": namespace, "ownerReferences": [owner]},
                "spec": {"tcs": [{"type": "netem", "device": "eth0", "source": source}]}}  # fmt: skip
        try:
            self._custom.create_namespaced_custom_object(
                GROUP, VERSION, namespace, "podnetworkchaos", body
            )
        except ApiException as exc:
            if exc.status == 404:  # its CRD is not installed: nothing to write it to
                return
            if exc.status != 409:  # 409: written on an earlier Apply
                raise
        self._record("pod-network-chaos", obj, target)

    # -- selection ---------------------------------------------------------------------------

    def _selectors(self, obj: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
        spec = obj.get("spec", {})
        selectors: dict[str, Mapping[str, Any]] = {".": spec}
        if obj["kind"] == "NetworkChaos" and spec.get("target"):
            selectors[".Target"] = spec["target"]
        return selectors

    def _select(self, obj: Mapping[str, Any]) -> tuple[list[dict[str, Any]] | None, str]:
        """New records, all ``Not Injected``; None and why when a selector selects nothing."""
        containers = obj["kind"] in _CONTAINER_KINDS or (
            obj["kind"] == "PodChaos" and obj.get("spec", {}).get("action") == "container-kill"
        )
        records: list[dict[str, Any]] = []
        for key, sel in self._selectors(obj).items():
            pods = self._pods(sel.get("selector") or {}, obj["metadata"]["namespace"])
            if not pods:
                return None, f"selector {key}: no pod is selected"
            chosen = [pods[i] for i in filter_by_mode(len(pods), sel.get("mode", "all"),
                                                      sel.get("value"), self._rng)]  # fmt: skip
            for pod in chosen:
                pm = pod["metadata"]
                base = f"{pm['namespace']}/{pm['name']}"
                ids = [base]
                if containers:
                    names = sel.get("containerNames") or []
                    all_names = [c["name"] for c in pod["spec"]["containers"]]
                    ids = [f"{base}/{n}" for n in (names or all_names[:1]) if n in all_names]
                records += [{"id": i, "selectorKey": key, "phase": NOT_INJECTED,
                             "injectedCount": 0, "recoveredCount": 0} for i in ids]  # fmt: skip
        return records, ""

    def _pods(self, selector: Mapping[str, Any], own_namespace: str) -> list[dict[str, Any]]:
        """Pods matching a PodSelectorSpec, sorted by namespace/name for determinism."""
        pods: list[dict[str, Any]] = []
        if selector.get("pods"):
            for ns, names in selector["pods"].items():
                for name in names:
                    try:
                        pod = self._core.read_namespaced_pod(name, ns)
                    except ApiException as exc:
                        if exc.status == 404:
                            continue
                        raise
                    pods.append(self._api_client.sanitize_for_serialization(pod))  # type: ignore[union-attr]
        else:
            labels = ",".join(f"{k}={v}" for k, v in (selector.get("labelSelectors") or {}).items())
            fields = ",".join(f"{k}={v}" for k, v in (selector.get("fieldSelectors") or {}).items())
            for ns in selector.get("namespaces") or [own_namespace]:
                listed = self._core.list_namespaced_pod(
                    ns, label_selector=labels or None, field_selector=fields or None
                )
                pods += self._api_client.sanitize_for_serialization(listed)["items"]  # type: ignore[union-attr]
        annotations = selector.get("annotationSelectors") or {}
        nodes = selector.get("nodes") or []
        phases = selector.get("podPhaseSelectors") or []
        return sorted(
            (
                p
                for p in pods
                if all(
                    (p["metadata"].get("annotations") or {}).get(k) == v
                    for k, v in annotations.items()
                )
                and (not nodes or p["spec"].get("nodeName") in nodes)
                and (not phases or (p.get("status") or {}).get("phase") in phases)
            ),
            key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]),
        )
