"""chaosrunner's own SLO contract form (``kind: SLOContract``), read into a :class:`Contract`.

The smallest form the gate needs: the SLIs at ``spec.steadyState.slis``, exactly as in an
experiment (same schema, same checks, same wording of errors, same model), the dependencies
the blue team declares, and the coverage it requires. OpenSLO and Sloth files are read by the
readers in ``core/contracts`` (issue #12); ``runner/gate.load_contract`` picks the reader by the
file's ``apiVersion``. Pure: the caller reads the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chaosrunner.core.build import build_sli
from chaosrunner.core.checks import Checks
from chaosrunner.core.errors import ExperimentError, Problem
from chaosrunner.core.gate import (
    ALL_DEPENDENCIES,
    FAULT_CLASS_NAMES,
    Contract,
    CoverageRequirement,
)
from chaosrunner.core.model import API_VERSION
from chaosrunner.core.schema import experiment_schema
from chaosrunner.core.schema_errors import problems_against
from chaosrunner.core.source import load_document

KIND = "SLOContract"


def _contract_schema() -> dict[str, Any]:
    steady = experiment_schema()["properties"]["spec"]["properties"]["steadyState"]
    names = {"type": "array", "items": {"type": "string", "minLength": 1}}
    requirement = {
        "type": "object",
        "additionalProperties": False,
        "required": ["class"],
        "properties": {
            "class": {"enum": list(FAULT_CLASS_NAMES)},
            "targets": {"oneOf": [{"const": ALL_DEPENDENCIES}, {**names, "minItems": 1}]},
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": KIND},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string", "minLength": 1}},
            },
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "required": ["steadyState"],
                "properties": {
                    "steadyState": steady,
                    "dependencies": names,
                    "coverage": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"required": {"type": "array", "items": requirement}},
                    },
                },
            },
        },
    }


def is_contract(data: object) -> bool:
    return isinstance(data, Mapping) and data.get("kind") == KIND


def parse_contract(text: str, file: str) -> Contract:
    """The contract in ``text``; every problem at its line and field, raised together."""
    doc = load_document(text, file)
    if doc.data is None:
        raise ExperimentError(doc.problems)
    problems_against(doc, _contract_schema())
    if not doc.problems:
        Checks(doc)  # the SLIs' own checks, as in an experiment
        _check(doc.data["spec"], doc.problem)
    if doc.problems:
        raise ExperimentError(sorted(set(doc.problems)))
    spec = doc.data["spec"]
    dependencies = tuple(str(d) for d in spec.get("dependencies", ()))
    return Contract(
        name=str(doc.data["metadata"]["name"]),
        source=file,
        slis=tuple(build_sli(raw) for raw in spec["steadyState"]["slis"]),
        coverage=tuple(
            _requirement(raw, dependencies) for raw in spec.get("coverage", {}).get("required", ())
        ),
        dependencies=dependencies,
    )


def _check(spec: Mapping[str, Any], problem: Any) -> None:
    declared = spec.get("dependencies", [])
    for i, raw in enumerate(spec.get("coverage", {}).get("required", ())):
        if raw.get("targets") == ALL_DEPENDENCIES and not declared:
            problem(
                ("spec", "coverage", "required", i, "targets"),
                "'all-dependencies' but the contract declares none; expected "
                "spec.dependencies (the logical target names) or a list of targets",
            )


def _requirement(raw: Mapping[str, Any], dependencies: Sequence[str]) -> CoverageRequirement:
    targets = raw.get("targets", ())
    chosen = dependencies if targets == ALL_DEPENDENCIES else targets
    return CoverageRequirement(str(raw["class"]), tuple(str(t) for t in chosen))


def problems_of(text: str, file: str) -> list[Problem]:
    try:
        parse_contract(text, file)
    except ExperimentError as exc:
        return exc.problems
    return []
