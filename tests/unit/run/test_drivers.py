"""Drivers come from one table, and every registered fault kind runs somewhere or is refused.

For each driver a kind supports there is a way to run it (a local handler; a Chaos Mesh renderer,
or a cluster handler for what is not a Chaos Mesh object). For a driver it does not support,
validation refuses it for that environment, naming the driver it needs, before anything runs.
"""

from __future__ import annotations

import pytest

from chaosrunner import lab
from chaosrunner.adapters.chaosmesh.driver import HANDLERS as CLUSTER_HANDLERS
from chaosrunner.adapters.chaosmesh.driver import ChaosMeshDriver
from chaosrunner.adapters.chaosmesh.render import NOT_OBJECTS, RENDERERS
from chaosrunner.adapters.local.driver import HANDLERS as LOCAL_HANDLERS
from chaosrunner.adapters.local.driver import LocalDriver
from chaosrunner.core import validate
from chaosrunner.core.faults import REGISTRY
from chaosrunner.core.model import DriverKind
from chaosrunner.runner.session import DRIVERS, make_driver
from tests.support import BASE, experiment

ENVS = {DriverKind.LOCAL: "lab", DriverKind.CHAOS_MESH: "cluster"}

TWO_ENVS = """\
apiVersion: chaosrunner.io/v1alpha1
kind: Experiment
metadata: {name: kinds, description: every kind in every environment, owner: sre}
spec:
  defaultEnv: lab
  environments:
    lab: {driver: local, prometheus: {url: "http://127.0.0.1:9"}}
    cluster: {driver: chaos-mesh, prometheus: {url: "http://127.0.0.1:9"}}
  targets:
    backend:
      bindings:
        lab: {process: {pidFile: /tmp/none.pid}}
        cluster: {pods: {namespace: demo, labelSelector: {app: backend}}}
  steadyState:
    slis:
      - {name: latency, query: latency_seconds, objective: "<= 200ms"}
  faults:
    - {name: f, type: KIND, target: backend}
  schedule: {baseline: 3s, blast: 5s, recovery: 4s, probeInterval: 1s}
"""


def _ways_to_run(kind: str, driver: DriverKind) -> list[str]:
    if driver is DriverKind.LOCAL:
        return ["local handler"] if kind in LOCAL_HANDLERS else []
    found = ["Chaos Mesh renderer"] if kind in RENDERERS else []
    if kind in NOT_OBJECTS and kind in CLUSTER_HANDLERS:
        found.append(f"cluster handler ({NOT_OBJECTS[kind]})")
    return found


@pytest.mark.parametrize("driver", list(DriverKind))
@pytest.mark.parametrize("kind", sorted(REGISTRY))
def test_every_kind_runs_or_is_refused_for_every_driver(kind: str, driver: DriverKind) -> None:
    ways = _ways_to_run(kind, driver)
    if REGISTRY[kind].supports(driver):
        assert len(ways) == 1, f"{kind} with driver {driver.value}: ways to run it: {ways}"
        return
    assert ways == [], f"{kind} has a way to run with driver {driver.value} it does not declare"
    env = ENVS[driver]
    problems = validate.check(TWO_ENVS.replace("KIND", kind), "exp.yaml", env=env, environ={})
    needs = ", ".join(d.value for d in REGISTRY[kind].requires)
    assert (
        "spec.faults[0].type",
        f"fault type {kind!r} cannot run in environment {env!r} (driver {driver.value}); "
        f"it needs driver: {needs}",
    ) in [(p.path, p.message) for p in problems]


def test_no_driver_has_a_handler_for_a_kind_that_is_not_registered() -> None:
    known = set(REGISTRY)
    assert set(LOCAL_HANDLERS) <= known
    assert set(RENDERERS) | set(CLUSTER_HANDLERS) | set(NOT_OBJECTS) <= known


def test_every_driver_kind_has_a_factory_in_the_table() -> None:
    assert set(DRIVERS) == set(DriverKind)


def test_the_table_builds_the_environments_driver() -> None:
    local = make_driver(experiment(BASE))
    assert isinstance(local, LocalDriver)
    assert local.lab_pid_file is lab.service_pid_file  # labService bindings find the lab's files
    cluster = experiment(TWO_ENVS.replace("KIND", "pod-kill"), env="cluster")
    assert isinstance(make_driver(cluster), ChaosMeshDriver)
