"""``to_yaml`` writes what ``kubectl create -f -`` reads back: safe, ordered, one document each."""

from __future__ import annotations

import yaml

from chaosrunner.adapters.chaosmesh import render_all, to_yaml
from tests.unit.chaosmesh.builders import RUN_ID, plan

FAULTS = [
    {"name": "lossy", "type": "network-loss", "params": {"loss": "25%", "correlation": "25%"}},
    {"name": "kill", "type": "pod-kill"},
    {
        "name": "yes",
        "type": "http-abort",
        "params": {"target": "Request", "port": 8080, "path": "on"},
    },
]


def test_objects_round_trip_through_the_yaml_in_order() -> None:
    objects = render_all(
        plan(FAULTS, pods={"namespace": "demo", "mode": "fixed", "value": 1}), run_id=RUN_ID
    )
    text = to_yaml(objects)
    assert text.count("---\n") == 3
    assert "!!" not in text
    assert list(yaml.safe_load_all(text)) == objects
    first = text.split("---\n")[1].splitlines()
    assert [line.split(":")[0] for line in first if not line.startswith(" ")] == [
        "apiVersion", "kind", "metadata", "spec"
    ]  # fmt: skip


def test_strings_that_look_like_numbers_or_booleans_stay_strings() -> None:
    objects = render_all(
        plan(FAULTS, pods={"namespace": "demo", "mode": "fixed", "value": 1}), run_id=RUN_ID
    )
    text = to_yaml(objects)
    assert "loss: '25'" in text
    assert "value: '1'" in text
    assert "path: 'on'" in text  # YAML 1.1 (and so kubectl's parser) would read on as true
    loaded = list(yaml.safe_load_all(text))
    assert loaded[0]["spec"]["loss"]["loss"] == "25"
    assert loaded[2]["spec"]["path"] == "on"


def test_nothing_to_create_is_an_empty_stream() -> None:
    assert to_yaml([]) == ""
