"""The CRD-schema check the other tests rely on does fail when an object is wrong.

Without this a validator that accepts everything would make every render test pass. Each
case breaks one thing in a correctly rendered object and names the field the error must
mention.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from chaosrunner.adapters.chaosmesh import render
from tests.unit.chaosmesh import crd
from tests.unit.chaosmesh.builders import RUN_ID, planned


def _good(fault: dict[str, Any]) -> dict[str, Any]:
    pf, plan = planned(fault)
    return render(pf, plan.experiment.binding("redis"), run_id=RUN_ID, experiment="cm-render")


DELAY = {"type": "network-delay", "params": {"latency": "100ms"}}
REPLACE = {
    "type": "http-replace",
    "params": {"target": "Response", "port": 8080, "replace": {"body": "x"}},
}


def _parent(obj: dict[str, Any], path: str | tuple[str, ...]) -> tuple[dict[str, Any], str]:
    *parents, last = path.split(".") if isinstance(path, str) else path
    for key in parents:
        obj = obj[key]
    return obj, last


def _set(path: str | tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        node, last = _parent(obj, path)
        node[last] = value

    return apply


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        node, last = _parent(obj, path)
        del node[last]

    return apply


BREAKS = [
    pytest.param(DELAY, _set("spec.mode", "bogus"), "spec.mode", id="bad-mode"),
    pytest.param(DELAY, _set("spec.action", "jam"), "spec.action", id="bad-action"),
    pytest.param(DELAY, _drop("spec.action"), "'action' is a required property", id="no-action"),
    pytest.param(DELAY, _drop("spec.selector"), "'selector' is a required property", id="no-selector"),
    pytest.param(DELAY, _set("spec.delay.latency", "1m30s"), "spec.delay.latency", id="compound-latency"),
    pytest.param(DELAY, _set("spec.value", 2), "spec.value", id="value-not-a-string"),
    pytest.param(DELAY, _set("spec.direction", "sideways"), "spec.direction", id="bad-direction"),
    pytest.param(DELAY, _set("spec.externalTarget", ["1.1.1.1"]), "externalTarget", id="misspelt-field"),
    pytest.param(DELAY, _set("metadata.name", "Not_A_Name"), "metadata.name", id="bad-name"),
    pytest.param(DELAY, _set(("metadata", "labels", "chaosrunner.io/run-id"), "-x-"), "label value", id="bad-label"),
    pytest.param(REPLACE, _set("spec.replace.body", "not base64!"), "spec.replace.body", id="body-not-base64"),
    pytest.param(REPLACE, _set("spec.port", 2**31), "spec.port", id="port-not-int32"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "breaks", "mentions"), BREAKS)
def test_a_broken_object_is_reported_naming_the_field(
    fault: dict[str, Any], breaks: Callable[[dict[str, Any]], None], mentions: str
) -> None:
    obj = _good(fault)
    assert crd.errors(obj) == []
    broken = copy.deepcopy(obj)
    breaks(broken)
    found = crd.errors(broken)
    assert found, "the validator accepted a broken object"
    assert any(mentions in e for e in found), found


def test_unknown_fields_are_errors_only_in_strict_mode() -> None:
    """kube-apiserver prunes unknown fields unless asked to be strict; we always ask."""
    obj = _good(DELAY)
    obj["spec"]["externalTarget"] = ["1.1.1.1"]
    assert crd.errors(obj, strict=False) == []
    assert crd.errors(obj) != []


def test_webhook_rules_catch_what_the_schema_cannot() -> None:
    obj = _good(DELAY)
    obj["spec"].update(mode="fixed-percent", value="150")
    assert crd.errors(obj) == []  # a string is a string to the CRD
    assert crd.webhook_problems(obj) == ["spec.value: '150' invalid for mode fixed-percent"]


def test_an_unknown_kind_is_reported() -> None:
    assert crd.errors({"kind": "KernelChaos"})[0].startswith("kind: no CRD for 'KernelChaos'")
