"""How the driver treats what the API server answers: retries, errors, watches, status.

The API server is replaced by plain callables here (unit tests); the same paths run against
the real one in tests/cluster. What is pinned: which answers are retried (safe calls on 429 and
5xx and dropped connections; creates on 429 only), that the API server's own message reaches
the user, that a watch that ends or breaks is resumed from a fresh list, and how Chaos Mesh's
status is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from chaosrunner.adapters.chaosmesh import objects
from chaosrunner.adapters.chaosmesh.pods import Selection
from chaosrunner.adapters.chaosmesh.preflight import check_namespaces
from chaosrunner.adapters.kube import api as kube_api
from chaosrunner.adapters.kube.api import Kube, RetryPolicy, api_error
from chaosrunner.core.errors import ApiError, Conflict, DriverError, NotFound


def _exc(
    status: int, body: dict[str, Any] | None = None, retry_after: str | None = None
) -> ApiException:
    exc = ApiException(status=status, reason="Reason")
    exc.body = json.dumps(body) if body is not None else None
    exc.headers = {"Retry-After": retry_after} if retry_after else {}
    return exc


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def kube(slept: list[float]) -> Iterator[Kube]:
    k = Kube(client.ApiClient(client.Configuration()), "test", sleep=slept.append)
    yield k
    k.close()


class Answers:
    """A callable that raises or returns, in order."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_a_422_names_the_field_from_the_api_servers_message() -> None:
    body = {
        "reason": "Invalid",
        "message": 'NetworkChaos.chaos-mesh.org "x" is invalid: spec.action: Unsupported value',
        "details": {"causes": [{"field": "spec.mode", "message": "Required value"}]},
    }
    err = api_error("create NetworkChaos demo/x", _exc(422, body))
    assert err.status == 422 and err.reason == "Invalid"
    assert str(err).startswith("create NetworkChaos demo/x: HTTP 422 Invalid: ")
    assert "spec.action: Unsupported value" in str(err)
    assert "(spec.mode: Required value)" in str(err)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(404, NotFound), (409, Conflict), (403, ApiError), (422, ApiError)],
)
def test_callers_tell_404_and_409_by_type_not_by_status(
    kube: Kube, status: int, kind: type[ApiError]
) -> None:
    with pytest.raises(ApiError) as err:
        kube.call("read", Answers(_exc(status)))
    assert type(err.value) is kind and err.value.status == status
    assert str(err.value).startswith(f"read: HTTP {status} Reason")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_safe_calls_are_retried_with_backoff_on_busy_answers(
    kube: Kube, slept: list[float], status: int
) -> None:
    fn = Answers(_exc(status), _exc(status), "ok")
    assert kube.call("read", fn) == "ok"
    assert fn.calls == 3
    assert slept == [0.25, 0.5]


def test_retry_after_is_honoured(kube: Kube, slept: list[float]) -> None:
    assert kube.call("read", Answers(_exc(429, retry_after="3"), "ok")) == "ok"
    assert slept == [3.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_create_is_not_retried_after_a_5xx(kube: Kube, slept: list[float], status: int) -> None:
    fn = Answers(_exc(status), "never")
    with pytest.raises(ApiError) as err:
        kube.call("create", fn, safe=False)
    assert err.value.status == status and fn.calls == 1 and slept == []


def test_a_create_is_retried_after_a_429_the_server_did_nothing(
    kube: Kube, slept: list[float]
) -> None:
    fn = Answers(_exc(429), "created")
    assert kube.call("create", fn, safe=False) == "created"
    assert fn.calls == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(kube: Kube, status: int) -> None:
    fn = Answers(_exc(status), "never")
    with pytest.raises(ApiError):
        kube.call("read", fn)
    assert fn.calls == 1


def test_a_dropped_connection_is_retried_only_when_safe(kube: Kube) -> None:
    drop = urllib3.exceptions.ProtocolError("Connection aborted.")
    assert kube.call("read", Answers(drop, "ok")) == "ok"
    fn = Answers(urllib3.exceptions.ProtocolError("Connection aborted."), "never")
    with pytest.raises(ApiError, match="did not answer"):
        kube.call("create", fn, safe=False)
    assert fn.calls == 1


def test_retries_give_up_after_the_policy(kube: Kube, slept: list[float]) -> None:
    kube.retry = RetryPolicy(attempts=3, first_delay=1, max_delay=1.5)
    fn = Answers(*[_exc(503)] * 5)
    with pytest.raises(ApiError, match="HTTP 503"):
        kube.call("read", fn)
    assert fn.calls == 3 and slept == [1.0, 1.5]


def test_a_policy_of_no_retries_still_makes_the_call_once(kube: Kube, slept: list[float]) -> None:
    kube.retry = RetryPolicy(attempts=0)
    assert kube.call("read", Answers("ok")) == "ok"
    fn = Answers(_exc(503), "never")
    with pytest.raises(ApiError, match="HTTP 503"):
        kube.call("read", fn)
    assert fn.calls == 1 and slept == []


def _listing(obj: dict[str, Any] | None, version: str) -> Any:
    class Resp:
        data = json.dumps(
            {"items": [obj] if obj else [], "metadata": {"resourceVersion": version}}
        ).encode()

    return Resp()


def test_a_watch_that_breaks_or_expires_is_resumed_from_a_fresh_list(kube: Kube) -> None:
    pending = {"metadata": {"name": "x"}, "status": {}}
    done = {"metadata": {"name": "x"}, "status": {"done": True}}
    lists = Answers(_listing(pending, "1"), _listing(pending, "2"), _listing(pending, "3"))
    streams: list[str] = []

    def events(list_fn: Any, args: Any, sel: str, version: str, left: float) -> Iterator[Any]:
        streams.append(version)
        if version == "1":
            raise urllib3.exceptions.ProtocolError("connection reset")
        if version == "2":
            raise _exc(410)  # Gone: the version is too old; list again
        yield pending
        yield done

    kube.events = events
    obj, ok = kube.watch_one("watch x", lists, (), "x", lambda o: bool(o and o["status"]), 10)
    assert ok and obj == done
    assert streams == ["1", "2", "3"] and lists.calls == 3


def test_a_watch_error_that_is_not_transient_is_raised(kube: Kube) -> None:
    def events(*_: Any) -> Iterator[Any]:
        raise _exc(403, {"reason": "Forbidden", "message": "cannot watch"})
        yield

    kube.events = events
    with pytest.raises(ApiError, match="HTTP 403 Forbidden: cannot watch"):
        kube.watch_one("watch x", Answers(_listing(None, "1")), (), "x", lambda o: False, 10)


def test_a_watch_reports_the_object_gone(kube: Kube) -> None:
    obj, ok = kube.watch_one(
        "watch x", Answers(_listing(None, "1")), (), "x", lambda o: o is None, 1
    )
    assert ok and obj is None


RECORDS = [
    {"id": "demo/redis-0", "phase": "Injected",
     "events": [{"type": "Succeeded", "operation": "Apply", "timestamp": "2026-01-02T03:04:05Z"}]},
    {"id": "demo/redis-1", "phase": "Not Injected",
     "events": [{"type": "Failed", "operation": "Apply", "message": "no daemon on node"}]},
]  # fmt: skip


def _chaos(records: list[dict[str, Any]], all_injected: bool) -> dict[str, Any]:
    return {
        "status": {
            "conditions": [{"type": "AllInjected", "status": str(all_injected)}],
            "experiment": {"containerRecords": records},
        }
    }


def test_injected_needs_the_condition_every_record_and_at_least_one() -> None:
    assert objects.injected(_chaos(RECORDS[:1], True))
    assert not objects.injected(_chaos(RECORDS, False))
    assert not objects.injected(_chaos([], True))  # Chaos Mesh says all of nothing: not enough
    assert not objects.injected({"status": {}})
    assert not objects.injected(None)


def test_targets_take_the_apply_time_but_never_before_the_create() -> None:
    t = objects.targets(_chaos(RECORDS, False), fallback=9e9, not_before=0)
    assert t[0].id == "demo/redis-0" and t[0].injected_at == 1767323045.0
    assert t[1].injected_at is None
    later = objects.targets(_chaos(RECORDS, False), fallback=9e9, not_before=1767323045.5)
    assert later[0].injected_at == 1767323045.5


def test_explain_says_why_an_object_is_not_confirmed() -> None:
    text = objects.explain(_chaos(RECORDS, False))
    assert "AllInjected=False" in text and "1/2 target(s) injected" in text
    assert "last failure demo/redis-1: no daemon on node" in text
    assert "is the Chaos Mesh controller up?" in objects.explain({"metadata": {}})
    assert "disappeared" in objects.explain(None)


@pytest.mark.parametrize(
    ("mode", "value", "running", "hit"),
    [("one", "", 5, 1), ("all", "", 5, 5), ("fixed", "2", 5, 2), ("fixed", "9", 5, 5),
     ("fixed-percent", "50", 5, 3), ("fixed-percent", "67", 3, 3), ("fixed-percent", "1", 5, 1),
     ("random-max-percent", "100", 5, 5), ("random-max-percent", "30", 5, 2), ("one", "", 0, 0)],
)  # fmt: skip
def test_the_blast_radius_counts_what_a_mode_may_hit(
    mode: str, value: str, running: int, hit: int
) -> None:
    """Chaos Mesh rounds a percentage UP (pkg/selector/generic/mode.go: ``math.Ceil``, "at
    least one object should be selected"), so the limit must count the rounded-up number."""
    sel = Selection("f", "target", ("demo",), (), (), mode, value)
    assert sel.affected(running) == hit


def test_namespaces_need_an_explicit_allow_and_system_ones_the_command_line() -> None:
    assert check_namespaces(["demo"], ["demo"], []).ok
    assert check_namespaces(["demo"], [], ["demo"]).ok
    refused = check_namespaces(["other"], ["demo"], [])
    assert not refused.ok and "--allow-namespace other" in refused.detail
    in_file = check_namespaces(["kube-system"], ["kube-system"], [])
    assert not in_file.ok and "kube-system is a system namespace" in in_file.detail
    assert check_namespaces(["kube-system"], [], ["kube-system"]).ok


def test_connect_reports_a_missing_kubeconfig_clearly(tmp_path: Any) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(
        DriverError, match=f"cannot load Kubernetes credentials \\(kubeconfig {missing}"
    ):
        kube_api.connect(kube_api.Connection(str(missing)))


def _kubeconfig(path: Any) -> Any:
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "a",
        "clusters": [
            {"name": "a", "cluster": {"server": "https://127.0.0.1:1111"}},
            {"name": "b", "cluster": {"server": "https://127.0.0.1:2222"}},
        ],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [
            {"name": "a", "context": {"cluster": "a", "user": "u"}},
            {"name": "b", "context": {"cluster": "b", "user": "u"}},
        ],
    }
    path.write_text(json.dumps(doc))
    return path


def test_connect_uses_the_kubeconfig_and_the_context_asked_for(tmp_path: Any) -> None:
    path = _kubeconfig(tmp_path / "kubeconfig")
    current = kube_api.connect(kube_api.Connection(str(path)))
    chosen = kube_api.connect(kube_api.Connection(str(path), "b"))
    try:
        assert current.api_client.configuration.host == "https://127.0.0.1:1111"
        assert chosen.api_client.configuration.host == "https://127.0.0.1:2222"
        assert chosen.where == f"kubeconfig {path}, context b"
    finally:
        current.close()
        chosen.close()
    with pytest.raises(DriverError, match="context nope"):
        kube_api.connect(kube_api.Connection(str(path), "nope"))


def test_connect_falls_back_to_the_pods_service_account_in_a_cluster(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "absent"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")

    def in_cluster(client_configuration: client.Configuration) -> None:
        client_configuration.host = "https://127.0.0.1:443"

    monkeypatch.setattr(kube_api.config, "load_incluster_config", in_cluster)
    kube = kube_api.connect(kube_api.Connection())
    try:
        assert kube.where == "in-cluster service account"
        assert kube.api_client.configuration.host == "https://127.0.0.1:443"
    finally:
        kube.close()
