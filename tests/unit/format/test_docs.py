"""The README's example and the shipped experiments stay valid; the committed schema stays current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chaosrunner.core import validate
from chaosrunner.core.schema import experiment_schema

ROOT = Path(__file__).resolve().parents[3]


def test_readme_example_is_a_valid_experiment() -> None:
    readme = (ROOT / "README.md").read_text()
    block = next(
        b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "kind: Experiment" in b
    )
    problems = validate.check(
        block, "README.md", cli_vars={"PROMETHEUS_URL": "http://127.0.0.1:1"}, environ={}
    )
    assert problems == []


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.name
)
def test_shipped_experiments_are_valid_in_every_environment(path: Path) -> None:
    assert validate.check(path.read_text(), str(path), environ={}) == []


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.name
)
def test_shipped_experiments_say_which_verdict_they_give(path: Path) -> None:
    exp = validate.load(path.read_text(), str(path), environ={})
    assert re.search(r"\b(PASSED|FAILED|ABORTED|INCONCLUSIVE)\b", exp.metadata.description)


def test_committed_schema_matches_the_code() -> None:
    committed = json.loads((ROOT / "schemas" / "experiment-v1alpha1.json").read_text())
    assert committed == experiment_schema(), (
        "run: chaosrunner schema > schemas/experiment-v1alpha1.json"
    )


def test_the_schema_says_what_a_blind_guardrail_does() -> None:
    on_no_data = experiment_schema()["properties"]["spec"]["properties"]["guardrails"]["items"][
        "properties"
    ]["onNoData"]
    text = on_no_data["description"]
    for words in ("no data", "probe errors", "stale", "ignore (default)", "abort", "console"):
        assert words in text, words
