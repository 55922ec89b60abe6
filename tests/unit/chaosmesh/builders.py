"""Experiments for the Chaos Mesh tests, built as files a user would write and validated.

Going through ``validate.load`` (not hand-built dataclasses) means every rendered object in
these tests comes from params the validator accepted: the schema, the kinds' checks and the
cluster binding rules all ran first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from chaosrunner.core import validate
from chaosrunner.core.model import Experiment
from chaosrunner.core.plan import Plan, PlannedFault, make_plan

RUN_ID = "20250102-030405-a1b2c3"
PODS: dict[str, Any] = {"namespace": "demo", "labelSelector": {"app": "redis"}, "mode": "all"}


def experiment_text(
    faults: Sequence[Mapping[str, Any]],
    *,
    pods: Mapping[str, Any] | None = None,
    schedule: Mapping[str, Any] | None = None,
    order: str = "parallel",
    extra_parts: Mapping[str, Any] | None = None,
) -> str:
    doc = {
        "apiVersion": "chaosrunner.io/v1alpha1",
        "kind": "Experiment",
        "metadata": {"name": "cm-render", "description": "renders every kind"},
        "spec": {
            "defaultEnv": "cluster",
            "environments": {
                "cluster": {
                    "driver": "chaos-mesh",
                    "prometheus": {"url": "http://127.0.0.1:9"},
                    "kubernetes": {"allowNamespaces": ["demo"]},
                }
            },
            "targets": {
                "redis": {
                    "bindings": {"cluster": {"pods": dict(pods or PODS), **dict(extra_parts or {})}}
                }
            },
            "steadyState": {"slis": [{"name": "up", "query": "up", "objective": ">= 1"}]},
            "faults": [{"target": "redis", **f} for f in faults],
            "faultOrder": order,
            "schedule": {
                "baseline": "10s",
                "blast": "60s",
                "recovery": "10s",
                "probeInterval": "1s",
                "expiryMargin": "30s",
                **dict(schedule or {}),
            },
        },
    }
    return yaml.safe_dump(doc, sort_keys=False)


def experiment(faults: Sequence[Mapping[str, Any]], **kw: Any) -> Experiment:
    return validate.load(experiment_text(faults, **kw), "exp.yaml", env="cluster", environ={})


def plan(faults: Sequence[Mapping[str, Any]], **kw: Any) -> Plan:
    return make_plan(experiment(faults, **kw))


def planned(fault: Mapping[str, Any], **kw: Any) -> tuple[PlannedFault, Plan]:
    """One fault named ``f`` (unless it says otherwise), planned in an experiment of its own."""
    p = plan([{"name": "f", **fault}], **kw)
    return p.faults[0], p
