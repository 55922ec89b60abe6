"""The JSON Schema of the GameDay format, for editors (yaml-language-server) and CI linters.

``chaosrunner schema --kind GameDay`` prints it; ``schemas/gameday-v1alpha1.json`` is the
committed copy. The validator itself is :mod:`chaosrunner.core.gameday`, which says the same
things with the file, line and column; a test keeps the two in agreement on examples.
"""

from __future__ import annotations

import copy
from typing import Any

from chaosrunner.core.gameday import API_VERSION, KIND, Role, StopPolicy
from chaosrunner.core.notify import NOTIFY_SCHEMA
from chaosrunner.core.units import DURATION_RE, MAX_LENGTH

SCHEMA_ID = "https://chaosrunner.io/schemas/gameday-v1alpha1.json"
NAME_RE = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"


def _duration(description: str) -> dict[str, Any]:
    return {
        "type": "string",
        "description": description,
        "pattern": DURATION_RE,
        "maxLength": MAX_LENGTH,
    }


def _vars(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"},
        "additionalProperties": {"type": ["string", "number", "boolean"]},
    }


def gameday_schema() -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "chaosrunner GameDay",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": API_VERSION},
            "kind": {"const": KIND},
            "metadata": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "pattern": NAME_RE},
                    "description": {"type": "string"},
                },
            },
            "spec": {
                "type": "object",
                "required": ["experiments"],
                "additionalProperties": False,
                "properties": {
                    "environment": {
                        "type": "string",
                        "minLength": 1,
                        "description": "the environment every experiment runs in",
                    },
                    "participants": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "role"],
                            "additionalProperties": False,
                            "properties": {
                                "name": {"type": "string", "minLength": 1},
                                "role": {"enum": [r.value for r in Role]},
                            },
                        },
                    },
                    "coolDown": _duration("the pause between two experiments (default 30s)"),
                    "steadyTimeout": _duration(
                        "how long to wait for the next experiment's SLIs to hold again "
                        "(default 2m); then it starts anyway and its baseline decides"
                    ),
                    "stopOn": {
                        "enum": [p.value for p in StopPolicy],
                        "description": "first-failure (default): stop at the first FAILED, "
                        "ABORTED or ERROR; continue: run every experiment",
                    },
                    "vars": _vars("--var values given to every experiment"),
                    "notify": copy.deepcopy(NOTIFY_SCHEMA),
                    "experiments": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["file"],
                            "additionalProperties": False,
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "minLength": 1,
                                    "description": "relative to the game day file",
                                },
                                "vars": _vars("--var values for this experiment"),
                            },
                        },
                    },
                },
            },
        },
    }
