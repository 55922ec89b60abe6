"""Binding parts are typed values built once in validation, for each shape the schema allows.

A handler reads ``binding.proxy.name`` (never ``parts["proxy"]["name"]``); these tests pin what
each YAML shape becomes, defaults included, and that a binding has only the parts it was given.
"""

from __future__ import annotations

import pytest

from chaosrunner.core.build import binding_of, pods_part
from chaosrunner.core.errors import DriverError
from chaosrunner.core.model import Binding, HookPart, PodsPart, ProcessPart, ProxyPart
from tests.support import BASE, experiment

LOCAL_TARGETS = """\
  targets:
    backend:
      bindings:
        lab:
          process: {match: 'redis-server .*:6379'}
          proxy: {name: redis, api: "http://127.0.0.1:8474"}
          hook: {url: "http://127.0.0.1:18080/debug/chaos/goroutine-leak"}
    db:
      bindings:
        lab: {process: {labService: redis}, proxy: {name: db}}
    app:
      bindings:
        lab: {process: {pidFile: /tmp/app.pid}}
"""

CLUSTER = """\
  defaultEnv: cluster
  environments:
    cluster:
      driver: chaos-mesh
      prometheus: {url: "http://127.0.0.1:9"}
  targets:
    backend:
      bindings:
        cluster:
          pods:
            namespaces: [demo, other]
            labelSelector: {app: redis, tier: db}
            fieldSelector: {spec.nodeName: node-1}
            mode: fixed
            value: 2
          hook: {port: 9090, path: /leak, scheme: https, tokenSecret: HOOK_TOKEN}
    one:
      bindings:
        cluster: {pods: {namespace: demo}, hook: {port: 8080}}
"""


def _local() -> dict[str, Binding]:
    start = BASE.index("  targets:\n")
    end = BASE.index("  steadyState:")
    exp = experiment(BASE[:start] + LOCAL_TARGETS + BASE[end:])
    return {name: exp.targets[name].bindings["lab"] for name in exp.targets}


def _cluster() -> dict[str, Binding]:
    start = BASE.index("  defaultEnv: lab\n")
    end = BASE.index("  steadyState:")
    text = BASE[:start] + CLUSTER + BASE[end:]
    text = text.replace("type: process-pause", "type: pod-kill")
    exp = experiment(text)
    return {name: exp.targets[name].bindings["cluster"] for name in exp.targets}


def test_local_parts_are_typed_with_every_field_as_written() -> None:
    backend = _local()["backend"]
    assert backend.process == ProcessPart(match="redis-server .*:6379")
    assert backend.proxy == ProxyPart(name="redis", api="http://127.0.0.1:8474")
    assert backend.hook == HookPart(url="http://127.0.0.1:18080/debug/chaos/goroutine-leak")
    assert backend.pods is None
    assert backend.part_names == ("process", "proxy", "hook")


def test_a_process_part_holds_the_one_way_it_was_given_and_a_proxy_may_omit_its_api() -> None:
    bindings = _local()
    assert bindings["db"].process == ProcessPart(lab_service="redis")
    assert bindings["db"].proxy == ProxyPart(name="db", api=None)
    assert bindings["app"].process == ProcessPart(pid_file="/tmp/app.pid")
    assert bindings["app"].part_names == ("process",)


def test_cluster_parts_are_typed_with_selectors_as_pairs_and_the_value_as_written() -> None:
    backend = _cluster()["backend"]
    assert backend.pods == PodsPart(
        namespaces=("demo", "other"),
        label_selector=(("app", "redis"), ("tier", "db")),
        field_selector=(("spec.nodeName", "node-1"),),
        mode="fixed",
        value=2,
    )
    assert backend.hook == HookPart(
        port=9090, path="/leak", scheme="https", token_secret="HOOK_TOKEN"
    )


def test_a_single_namespace_becomes_the_only_namespace_and_unset_fields_stay_unset() -> None:
    one = _cluster()["one"]
    assert one.pods == PodsPart(namespaces=("demo",))
    assert one.pods.mode is None and one.pods.value is None
    assert one.hook == HookPart(port=8080, scheme="http")


def test_a_network_peer_is_read_as_the_same_typed_selection() -> None:
    peer = pods_part({"namespace": "demo", "labelSelector": {"app": "api"}, "mode": "all"})
    assert peer == PodsPart(namespaces=("demo",), label_selector=(("app", "api"),), mode="all")


def test_a_missing_part_is_a_driver_error_naming_the_target_and_the_part() -> None:
    binding = binding_of("redis", "cluster", {"hook": {"port": 1}})
    assert binding.need("hook", binding.hook) == HookPart(port=1)
    with pytest.raises(DriverError, match="target 'redis' has no 'pods' binding in environment"):
        binding.need("pods", binding.pods)


def test_the_model_holds_no_raw_mapping_in_a_binding() -> None:
    for binding in [*_local().values(), *_cluster().values()]:
        for name in binding.part_names:
            part = getattr(binding, name)
            assert not isinstance(part, dict), (name, part)
            assert type(part).__module__ == "chaosrunner.core.model"
