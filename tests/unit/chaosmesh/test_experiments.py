"""The shipped experiments render for ``--env cluster`` and their objects validate.

What cannot be a Chaos Mesh object must say so clearly instead: goroutine-leak goes through
the pod proxy, so ``render`` refuses it by name and ``render_all`` leaves it out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chaosrunner.adapters.chaosmesh import (
    NOT_OBJECTS,
    NotAChaosMeshObject,
    render,
    render_all,
    to_yaml,
)
from chaosrunner.core import validate
from chaosrunner.core.plan import Plan, make_plan
from tests.unit.chaosmesh import crd

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
RUN_ID = "20250102-030405-a1b2c3"


def _plan(path: Path) -> Plan:
    return make_plan(validate.load(path.read_text(), str(path), env="cluster", environ={}))


@pytest.mark.parametrize("path", EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_shipped_experiment_renders_for_the_cluster(path: Path) -> None:
    plan = _plan(path)
    objects = render_all(plan, run_id=RUN_ID)
    rendered = [pf for pf in plan.faults if pf.kind.name not in NOT_OBJECTS]
    assert len(objects) == len(rendered)
    for obj, pf in zip(objects, rendered, strict=True):
        assert crd.errors(obj) == []
        assert crd.webhook_problems(obj) == []
        assert (
            obj["metadata"]["labels"]["chaosrunner.io/experiment"] == plan.experiment.metadata.name
        )
        assert obj["metadata"]["labels"]["chaosrunner.io/fault"] == pf.fault.name
        assert obj["metadata"]["annotations"]["chaosrunner.io/source"] == str(path)
        assert obj["metadata"]["namespace"] == "demo"
    assert list(yaml.safe_load_all(to_yaml(objects))) == objects
    for pf in plan.faults:
        if pf.kind.name in NOT_OBJECTS:
            with pytest.raises(NotAChaosMeshObject, match=r"not a Chaos Mesh object; .*pod proxy"):
                render(pf, plan.experiment.binding(pf.fault.target), run_id=RUN_ID, experiment="x")


def test_the_shipped_set_covers_a_refusal_and_the_usual_kinds() -> None:
    kinds = {pf.kind.name for path in EXPERIMENTS for pf in _plan(path).faults}
    assert {
        "goroutine-leak",
        "network-delay",
        "network-partition",
        "process-kill",
        "cpu-stress",
    } <= kinds


def test_redis_timeout_renders_what_the_readme_promises() -> None:
    (obj,) = render_all(_plan(ROOT / "experiments" / "redis-timeout.yaml"), run_id=RUN_ID)
    assert obj["kind"] == "NetworkChaos"
    assert obj["spec"]["action"] == "delay"
    assert obj["spec"]["delay"] == {"latency": "500ms", "jitter": "10ms"}
    assert obj["spec"]["selector"] == {"namespaces": ["demo"], "labelSelectors": {"app": "redis"}}
    assert obj["spec"]["mode"] == "all"
    assert obj["spec"]["duration"] == "1m"  # 30 s blast + 30 s expiry margin
    assert obj["metadata"]["name"] == f"redis-latency-{RUN_ID}"


def test_demo_kill_is_a_one_shot_pod_kill() -> None:
    (obj,) = render_all(_plan(ROOT / "experiments" / "demo-kill.yaml"), run_id=RUN_ID)
    assert obj["kind"] == "PodChaos"
    assert obj["spec"]["action"] == "pod-kill"
    assert obj["spec"]["mode"] == "one"
    assert "duration" not in obj["spec"]
