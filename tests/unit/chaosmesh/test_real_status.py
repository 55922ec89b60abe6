"""The status reading against what Chaos Mesh's REAL controller wrote, not what we think it writes.

``real_status.json`` was read from the test cluster's chaos-controller-manager (the pinned
module of hack/chaos-mesh, 2026-11-29): a PodChaos pod-failure it injected, and a NetworkChaos
it never could (no chaos-daemon), each 20 s after create. What the real one does and a stand-in
might not: a status written by whole-object Updates (``generation`` 5 and 20), conditions in
its own order, records ``Not Injected/Wait`` with a Failed event per retry (capped at
``MAX_EVENTS``, 100). The reading must not depend on any of that.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from chaosrunner.adapters.chaosmesh import objects

REAL = json.loads((Path(__file__).with_name("real_status.json")).read_text())
INJECTED: dict[str, Any] = REAL["podFailureInjected"]
NEVER: dict[str, Any] = REAL["networkChaosNeverInjected"]


def test_the_snapshots_are_what_the_real_controller_writes() -> None:
    assert INJECTED["metadata"]["generation"] > 1 and NEVER["metadata"]["generation"] > 1
    assert INJECTED["metadata"]["finalizers"] == ["chaos-mesh/records"]
    (rec,) = NEVER["status"]["experiment"]["containerRecords"]
    assert rec["phase"] == "Not Injected/Wait"


@pytest.mark.parametrize("seed", range(5))
def test_an_injected_object_reads_injected_whatever_the_condition_order(seed: int) -> None:
    obj = copy.deepcopy(INJECTED)
    random.Random(seed).shuffle(obj["status"]["conditions"])
    assert objects.injected(obj)
    found = objects.targets(obj, fallback=0.0)
    assert [t.id for t in found] == ["chaos-real/snap-0"]
    assert all(t.injected_at for t in found)


def test_a_never_injected_object_reads_not_injected_and_says_why() -> None:
    assert not objects.injected(NEVER)
    assert [t.injected_at for t in objects.targets(NEVER, fallback=0.0)] == [None]
    why = objects.explain(NEVER)
    assert "AllInjected=False" in why and "0/1 target(s) injected" in why
    assert "cannot find daemonIP on node kwok-node-0" in why


def test_events_capped_at_100_still_give_the_last_failure() -> None:
    obj = copy.deepcopy(NEVER)
    (rec,) = obj["status"]["experiment"]["containerRecords"]
    failed = rec["events"][-1]
    rec["events"] = [{**failed, "message": f"retry {i}"} for i in range(100)]
    assert "last failure chaos-real/snap-0: retry 99" in objects.explain(obj)
    assert not objects.injected(obj)


def test_a_wait_record_counts_as_not_recovered_for_an_escalation() -> None:
    (line,) = objects.not_recovered(objects.records(NEVER))
    assert line.startswith("chaos-real/snap-0 (Not Injected/Wait, injected 0x")
    assert "cannot find daemonIP" in line
