"""The local driver locks what a fault physically touches, not the name a file gives it."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from chaosrunner import lab
from chaosrunner.adapters.local import driver as local
from chaosrunner.adapters.local import resources
from chaosrunner.adapters.local.process_faults import with_lab_pid_file
from chaosrunner.core.build import binding_of
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import DriverKind
from chaosrunner.core.plan import make_plan
from chaosrunner.core.ports import RunInfo
from tests.support import BASE, experiment

# Nothing listens on port 9: the proxy lookups fail fast and only the lock keys are under test.
API = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("http://127.0.0.1:18474", "http://127.0.0.1:18474", id="as-is"),
        pytest.param("http://localhost:18474/", "http://127.0.0.1:18474", id="localhost"),
        pytest.param("HTTP://LOCALHOST:18474", "http://127.0.0.1:18474", id="case"),
        pytest.param("http://127.0.0.2:18474", "http://127.0.0.1:18474", id="loopback-net"),
        pytest.param("http://[::1]:18474", "http://127.0.0.1:18474", id="ipv6-loopback"),
        pytest.param("http://127.0.0.1", "http://127.0.0.1:80", id="default-port"),
        pytest.param("http://h.example:8080/a/b/", "http://h.example:8080/a/b", id="path"),
    ],
)
def test_urls_are_normalised_so_spelling_does_not_split_a_resource(url: str, expected: str) -> None:
    assert resources.normalise_url(url)[0] == expected


def test_a_proxy_is_keyed_by_its_api_and_name() -> None:
    found = resources.resources(
        "network-delay", binding_of("link", "lab", {"proxy": {"name": "redis", "api": API + "/"}})
    )
    assert [r.key for r in found] == ["toxiproxy:http://127.0.0.1:9/redis"]
    assert {r.target for r in found} == {"link"}


def test_a_loopback_hook_is_keyed_by_its_url_and_listening_port() -> None:
    binding = binding_of("demo", "lab", {"hook": {"url": "http://localhost:18080/debug/leak/"}})
    keys = [r.key for r in resources.resources("goroutine-leak", binding)]
    assert keys == ["hook:http://127.0.0.1:18080/debug/leak", "listen:18080"]


def two_targets(api_a: str, api_b: str, target_b: str = "cache") -> str:
    targets = {"redis": api_a, target_b: api_b}
    bound = "".join(
        f"""
            {name}:
              bindings: {{lab: {{proxy: {{name: redis, api: "{api}"}}}}}}"""
        for name, api in targets.items()
    )
    return textwrap.dedent(f"""\
        apiVersion: chaosrunner.io/v1alpha1
        kind: Experiment
        metadata: {{name: locks}}
        spec:
          environments:
            lab: {{driver: local, prometheus: {{url: "http://127.0.0.1:9"}}}}
          targets:{bound}
          steadyState:
            slis: [{{name: x, query: "vector(1)", objective: ">= 1"}}]
          faults:
            - {{name: slow, type: network-delay, target: redis, params: {{latency: 10ms}}}}
            - {{name: cut, type: network-partition, target: {target_b}}}
          schedule: {{baseline: 1s, blast: 10s, recovery: 1s, probeInterval: 1s}}
        """)


def lock_checks(text: str, root: Path, run_id: str) -> tuple[local.LocalDriver, list[str]]:
    exp = experiment(text)
    drv = local.LocalDriver(exp, root)
    checks = drv.preflight(make_plan(exp), RunInfo(run_id, "locks", time.time()))
    failed = [f"{c.name}: {c.detail}" for c in checks if not c.ok and "holds" in c.name]
    return drv, failed


def test_two_targets_of_one_run_on_one_proxy_are_refused(tmp_path: Path) -> None:
    drv, failed = lock_checks(two_targets(API, "http://localhost:9/"), tmp_path, "r1")
    drv.close()
    assert failed == [
        "no other run holds the resources of target redis: targets 'cache' and 'redis' are both "
        "bound to toxiproxy:http://127.0.0.1:9/redis; their faults would stack. Use one target "
        "for both faults, or two resources"
    ]


def test_one_target_may_carry_several_faults(tmp_path: Path) -> None:
    drv, failed = lock_checks(two_targets(API, API, "redis"), tmp_path, "r1")
    drv.close()
    assert failed == []


def one_target(name: str, api: str) -> str:
    return textwrap.dedent(f"""\
        apiVersion: chaosrunner.io/v1alpha1
        kind: Experiment
        metadata: {{name: locks-{name}}}
        spec:
          environments:
            lab: {{driver: local, prometheus: {{url: "http://127.0.0.1:9"}}}}
          targets:
            {name}:
              bindings: {{lab: {{proxy: {{name: redis, api: "{api}"}}}}}}
          steadyState:
            slis: [{{name: x, query: "vector(1)", objective: ">= 1"}}]
          faults:
            - {{name: slow, type: network-delay, target: {name}, params: {{latency: 10ms}}}}
          schedule: {{baseline: 1s, blast: 10s, recovery: 1s, probeInterval: 1s}}
        """)


def test_two_runs_naming_one_proxy_differently_exclude_each_other(tmp_path: Path) -> None:
    first, failed = lock_checks(one_target("redis", API), tmp_path, "run-1")
    assert failed == []
    try:
        second, failed = lock_checks(one_target("cache", "http://LOCALHOST:9/"), tmp_path, "run-2")
        second.close()
        assert failed == [
            "no other run holds the resources of target cache: toxiproxy:http://127.0.0.1:9/redis "
            "is held by run run-1 (experiment 'locks', target 'redis')"
        ]
    finally:
        first.close()
    third, failed = lock_checks(one_target("cache", API), tmp_path, "run-3")
    third.close()
    assert failed == []


def test_two_runs_on_different_proxies_do_not_block_each_other(tmp_path: Path) -> None:
    first, failed = lock_checks(one_target("redis", API), tmp_path, "run-1")
    try:
        other = one_target("redis", "http://127.0.0.1:10")
        second, failed_second = lock_checks(other, tmp_path, "run-2")
        second.close()
    finally:
        first.close()
    assert failed == failed_second == []


def test_a_lab_service_and_its_pid_file_are_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSRUNNER_STATE_DIR", str(tmp_path))
    pid_file = tmp_path / "lab" / "pids" / "demo.pid"
    by_service = with_lab_pid_file(
        binding_of("demo", "lab", {"process": {"labService": "demo"}}), lab.service_pid_file
    )
    by_file = binding_of("app", "lab", {"process": {"pidFile": str(pid_file)}})
    keys = [r.key for r in resources.resources("process-kill", by_service)]
    assert keys == [r.key for r in resources.resources("process-pause", by_file)]
    assert keys == [f"process:pidfile:{pid_file.resolve()}"]  # no live process: no pid, no port
    stress = [r.key for r in resources.resources("memory-stress", by_file)]
    assert stress == [*keys, "host:memory"]


def test_a_lab_service_is_found_through_the_lookup_the_driver_was_given(tmp_path: Path) -> None:
    text = BASE.replace("{process: {pidFile: /tmp/none.pid}}", "{process: {labService: demo}}")
    exp = experiment(text)
    asked: list[str] = []

    def lookup(name: str) -> Path:
        asked.append(name)
        return tmp_path / f"{name}.pid"

    drv = local.LocalDriver(exp, tmp_path, lab_pid_file=lookup)
    checks = drv.preflight(make_plan(exp), RunInfo("r1", "locks", time.time()))
    drv.close()
    assert asked and set(asked) == {"demo"}
    held = [c.detail for c in checks if c.name.startswith("no other run holds")]
    assert held == [f"process:pidfile:{(tmp_path / 'demo.pid').resolve()}"]


def test_a_lab_service_without_the_lab_is_refused_in_preflight(tmp_path: Path) -> None:
    text = BASE.replace("{process: {pidFile: /tmp/none.pid}}", "{process: {labService: demo}}")
    exp = experiment(text)
    drv = local.LocalDriver(exp, tmp_path)
    checks = drv.preflight(make_plan(exp), RunInfo("r1", "locks", time.time()))
    drv.close()
    failed = [c.detail for c in checks if not c.ok]
    assert failed and all(
        "process.labService 'demo' names a component of the embedded lab, and this driver was "
        "started without the lab" in d
        for d in failed
    )


LOCAL_KINDS = sorted(k for k, kind in REGISTRY.items() if kind.supports(DriverKind.LOCAL))


@pytest.mark.parametrize("kind", LOCAL_KINDS)
def test_every_local_kind_locks_the_part_its_registry_entry_acts_on(
    kind: str, tmp_path: Path
) -> None:
    """The part comes from the kind's ``requires``: a new kind needs no line here."""
    parts = {
        "process": {"pidFile": str(tmp_path / "none.pid")},
        "proxy": {"name": "redis", "api": API},
        "hook": {"url": "http://127.0.0.1:9/leak"},
    }
    binding = binding_of("t", "lab", parts)
    part = REGISTRY[kind].requires[DriverKind.LOCAL]
    prefix = {"process": "process:pidfile:", "proxy": "toxiproxy:", "hook": "hook:"}[str(part)]
    keys = [r.key for r in resources.resources(kind, binding)]
    assert keys and keys[0].startswith(prefix), keys
