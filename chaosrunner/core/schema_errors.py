"""The wording of schema errors: each JSON Schema error becomes one precise message.

The schema (``core/schema.py``) is the one editors use; jsonschema's own messages are written
for schema authors. This module turns each error into ``field.path: what is wrong; what was
expected``, at the key or value it concerns. It knows nothing of what the fields mean.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import jsonschema

from chaosrunner.core.schema import experiment_schema
from chaosrunner.core.source import Document, Path

_validator: jsonschema.protocols.Validator | None = None


def _schema_validator() -> jsonschema.protocols.Validator:
    global _validator  # noqa: PLW0603 - the compiled schema is immutable; build it once
    if _validator is None:
        schema = experiment_schema()
        _validator = jsonschema.Draft202012Validator(schema)
    return _validator


def schema_problems(doc: Document) -> None:
    """Add a problem to ``doc`` for every way its data breaks the schema."""
    for error in _schema_validator().iter_errors(doc.data):
        for path, message, on_key in _describe(error):
            doc.problem(path, message, key=on_key)


def problems_against(doc: Document, schema: Mapping[str, Any]) -> None:
    """Like :func:`schema_problems`, against another schema (an SLO contract's), same wording."""
    for error in jsonschema.Draft202012Validator(schema).iter_errors(doc.data):
        for path, message, on_key in _describe(error):
            doc.problem(path, message, key=on_key)


def _describe(error: jsonschema.ValidationError) -> list[tuple[Path, str, bool]]:
    path: Path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    value: Any = error.instance
    expected: Any = error.validator_value
    match error.validator:
        case "additionalProperties":
            allowed = sorted(schema.get("properties", {}))
            extra = [k for k in value if k not in allowed] if isinstance(value, Mapping) else []
            return [((*path, key), _unknown_key(key, allowed), True) for key in extra]
        case "required":
            missing = [k for k in expected if k not in value]
            return [(path, f"missing required key {k!r}", False) for k in missing]
        case "type":
            names = " or ".join(expected) if isinstance(expected, list) else str(expected)
            got = "null" if value is None else f"{_kind(value)} {value!r}"
            return [(path, f"expected {_article(names)}, got {got}", False)]
        case "enum":
            options = ", ".join(str(v) for v in expected)
            return [(path, f"{value!r} is not allowed; expected one of: {options}", False)]
        case "const":
            return [(path, f"expected {expected!r}, got {value!r}", False)]
        case "pattern":
            phrase = schema.get("x-expected", f"text matching {expected}")
            return [(path, f"{value!r} is not valid; expected {phrase}", False)]
        case "propertyNames":
            return [(path, f"{error.message}; names must be lower-case DNS labels", False)]
        case "minItems":
            return [(path, f"expected at least {expected} item(s), got {len(value)}", False)]
        case "oneOf":
            branch = _matching_branch(error)
            if branch:
                return [d for sub in branch for d in _describe(sub)]
            return [(path, f"{value!r} is not valid; expected {_one_of_phrase(schema)}", False)]
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            return [(path, f"{value!r} is out of range; {error.message}", False)]
        case _:
            return [(path, error.message, False)]


def _matching_branch(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors of the oneOf branch whose type fits the value (e.g. the object form)."""
    if not isinstance(error.instance, Mapping) or not isinstance(error.schema, Mapping):
        return []
    branches = error.schema.get("oneOf", [])
    wanted = {
        i for i, b in enumerate(branches) if isinstance(b, Mapping) and b.get("type") == "object"
    }
    return [
        e
        for e in error.context or []
        if e.relative_schema_path and e.relative_schema_path[0] in wanted
    ]


def _one_of_phrase(schema: Mapping[str, Any]) -> str:
    desc = str(schema.get("description", "")).rstrip(".")
    return desc[0].lower() + desc[1:] if desc else "one of the allowed forms"


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}; expected one of: {', '.join(allowed)}"


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _article(name: str) -> str:
    names = {
        "object": "a mapping",
        "array": "a list",
        "string": "a string",
        "integer": "an integer",
        "number": "a number",
        "boolean": "a boolean",
    }
    return names.get(name, name)
