"""The goroutine-leak hook's protocol, written once (core/leakhook.py), over two transports.

The client is tested with a fake transport (the wire format: paths, the start body, parsing
the status); each real transport is tested for what it adds: the URL it calls (direct HTTP: the
hook's URL; the pod proxy: the API server's ``pods/proxy`` path), which errors it raises, and
that the local driver, the lab cleanup and the cluster handler all go through the one client.
End-to-end runs of both are in tests/integration/test_local_faults.py and
tests/cluster/test_leak_proxy.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from chaosrunner.adapters.chaosmesh import leak as cluster_leak
from chaosrunner.adapters.local import driver as local_driver
from chaosrunner.adapters.local import goroutine_leak as local_leak
from chaosrunner.core.errors import ApiError, ChaosRunnerError, DriverError, InjectionError
from chaosrunner.core.leakhook import (
    DEFAULT_PATH,
    Action,
    HookStatus,
    LeakHook,
    StartRequest,
    action_path,
)
from chaosrunner.core.leftovers import Leftover, Outcome, Place
from chaosrunner.core.model import HookPart


class FakeTransport:
    """A hook in memory that records every call."""

    where = "leak hook in memory"

    def __init__(self, status: object) -> None:
        self.answer = status
        self.calls: list[tuple[str, Action, Mapping[str, object] | None]] = []

    def get(self, action: Action) -> object:
        self.calls.append(("GET", action, None))
        return self.answer

    def post(self, action: Action, body: Mapping[str, object] | None) -> object:
        self.calls.append(("POST", action, body))
        return {}

    def unreadable(self, message: str) -> ChaosRunnerError:
        return DriverError(message)


def test_paths_of_the_three_endpoints() -> None:
    assert action_path("http://h:1/debug/chaos/goroutine-leak/", Action.STATUS) == (
        "http://h:1/debug/chaos/goroutine-leak/"
    )
    assert action_path("/p", Action.START) == "/p/start"
    assert action_path("/p", Action.RELEASE) == "/p/release"
    assert DEFAULT_PATH == "/debug/chaos/goroutine-leak"


def test_start_sends_rate_expiry_rounded_up_and_run_and_max_only_when_set() -> None:
    transport = FakeTransport({})
    hook = LeakHook(transport)
    hook.start(StartRequest.of({"rate": 50}, "run-1", 90.2))
    hook.start(StartRequest.of({"rate": 5, "max": 1000}, "run-2", 30.0))
    assert transport.calls == [
        ("POST", Action.START, {"rate": 50, "expiresInSeconds": 91, "runId": "run-1"}),
        ("POST", Action.START, {"rate": 5, "expiresInSeconds": 30, "runId": "run-2", "max": 1000}),
    ]
    hook.release()
    assert transport.calls[-1] == ("POST", Action.RELEASE, None)


@pytest.mark.parametrize(
    ("body", "expected", "leaking_for_r1", "released"),
    [
        pytest.param(
            {"active": True, "held": 12, "runId": "r1", "startedAt": "2026-01-01T00:00:00Z"},
            HookStatus(True, 12, "r1", "2026-01-01T00:00:00Z"),
            True,
            False,
            id="leaking",
        ),
        pytest.param(
            {"active": True, "held": 3, "runId": "r2"},
            HookStatus(True, 3, "r2"),
            False,
            False,
            id="another-run",
        ),
        pytest.param(
            {"active": True, "held": 0, "runId": "r1"},
            HookStatus(True, 0, "r1"),
            False,
            False,
            id="started-holding-nothing-yet",
        ),
        pytest.param({"active": False, "held": 0}, HookStatus(False, 0), False, True, id="idle"),
        pytest.param({}, HookStatus(False, 0), False, True, id="empty"),
        pytest.param(
            {"active": False, "held": 4}, HookStatus(False, 4), False, False, id="draining"
        ),
    ],
)
def test_status_is_parsed_once(
    body: dict[str, Any], expected: HookStatus, leaking_for_r1: bool, released: bool
) -> None:
    transport = FakeTransport(body)
    status = LeakHook(transport).status()
    assert status == expected
    assert status.leaking_for("r1") is leaking_for_r1
    assert status.released is released
    assert transport.calls == [("GET", Action.STATUS, None)]


@pytest.mark.parametrize("body", [None, "ok", [1], {"held": "many"}])
def test_an_answer_that_is_not_a_status_is_the_transports_error(body: object) -> None:
    with pytest.raises(DriverError, match=r"leak hook in memory answered .*, not its status"):
        LeakHook(FakeTransport(body)).status()


# -- direct HTTP ---------------------------------------------------------------------------


def test_http_transport_calls_the_hooks_url_and_words_its_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str, object]] = []
    answers = iter([(200, {"active": False, "held": 0}), (500, "boom"), (503, "down")])

    def fake_call(method: str, url: str, body: object = None, timeout: float = 5.0) -> Any:
        calls.append((method, url, body))
        return next(answers)

    monkeypatch.setattr(local_leak, "call", fake_call)
    hook = local_leak.hook_at("http://127.0.0.1:18080/debug/chaos/goroutine-leak/")
    assert hook.status() == HookStatus(False, 0)
    with pytest.raises(InjectionError, match=r"^leak hook refused to start: HTTP 500 boom$"):
        hook.start(StartRequest(1, "r", 1))
    with pytest.raises(DriverError, match=r"^leak hook at http://127.0.0.1:18080/\S+: HTTP 503"):
        hook.status()
    base = "http://127.0.0.1:18080/debug/chaos/goroutine-leak"
    assert calls == [
        ("GET", f"{base}/", None),
        ("POST", f"{base}/start", {"rate": 1, "expiresInSeconds": 1, "runId": "r"}),
        ("GET", f"{base}/", None),
    ]


def test_lab_cleanup_releases_only_the_runs_leak_through_the_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    posted: list[str] = []
    status = {"active": True, "held": 9, "runId": "r1"}

    def fake_call(method: str, url: str, body: object = None, timeout: float = 5.0) -> Any:
        if method == "POST":
            posted.append(url)
            return 200, {}
        return 200, status

    monkeypatch.setattr(local_leak, "call", fake_call)
    monkeypatch.setattr(local_driver, "orphan_toxics", lambda api: [])
    hook = "http://127.0.0.1:18080/debug/chaos/goroutine-leak"
    assert local_driver.cleanup_lab("r2", "http://127.0.0.1:9", hook) == []
    assert local_driver.cleanup_lab("r1", "http://127.0.0.1:9", hook) == [
        Leftover(Place.LAB, "leak of run r1", Outcome.RELEASED)
    ]
    assert posted == [f"{hook}/release"]


# -- the API server's pod proxy ------------------------------------------------------------


class ProxyKube:
    """Answers ``Kube.raw`` calls to the pod proxy from memory."""

    def __init__(self, status: object) -> None:
        self.status = status
        self.calls: list[tuple[str, str, str, object, bool]] = []

    def raw(self, what: str, method: str, path: str, *, body: Any = None, safe: bool = True) -> Any:
        self.calls.append((what, method, path, body, safe))
        return self.status if method == "GET" else {}


def _proxy_hook(kube: ProxyKube, hook: cluster_leak.Hook) -> LeakHook:
    return LeakHook(cluster_leak.PodProxyTransport(kube, hook, "demo", "api-0"))  # type: ignore[arg-type]


def test_pod_proxy_transport_calls_the_proxy_path_and_retries_all_but_start() -> None:
    kube = ProxyKube({"active": False, "held": 0})
    hook = _proxy_hook(kube, cluster_leak.Hook.of(HookPart(port=8080)))
    hook.status()
    hook.start(StartRequest(5, "r", 60))
    hook.release()
    base = "/api/v1/namespaces/demo/pods/api-0:8080/proxy/debug/chaos/goroutine-leak"
    assert kube.calls == [
        ("read the leak hook of demo/api-0", "GET", f"{base}/", None, True),
        (
            "start the leak on demo/api-0",
            "POST",
            f"{base}/start",
            {"rate": 5, "expiresInSeconds": 60, "runId": "r"},
            False,
        ),
        ("release the leak on demo/api-0", "POST", f"{base}/release", None, True),
    ]


def test_pod_proxy_names_https_in_the_pod_and_takes_the_bindings_path() -> None:
    kube = ProxyKube({})
    hook = cluster_leak.Hook.of(HookPart(port=9443, path="leak/", scheme="https"))
    _proxy_hook(kube, hook).release()
    assert kube.calls[0][2] == "/api/v1/namespaces/demo/pods/https:api-0:9443/proxy/leak/release"


def test_a_pod_proxy_answer_that_is_not_a_status_is_an_api_error() -> None:
    with pytest.raises(
        ApiError, match=r"^leak hook of demo/api-0 answered 'hello', not its status$"
    ):
        _proxy_hook(ProxyKube("hello"), cluster_leak.Hook(8080, DEFAULT_PATH)).status()
