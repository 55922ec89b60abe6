"""What the four HTTP fault kinds share: which requests or responses they hit, and the checks.

Chaos Mesh's HTTPChaos puts a transparent proxy in front of one port of each selected pod and
applies one rule to the traffic that matches. The matching fields are the same for every rule;
Chaos Mesh spells two of them ``request_headers`` and ``response_headers``, we keep our params
camelCase (``requestHeaders``, ``responseHeaders``) and the renderer converts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults.base import Check, params_schema

Problems = list[tuple[tuple[str | int, ...], str]]

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT")
STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_RESPONSE_ONLY = ("code", "responseHeaders")

SELECT = {
    "target": {
        "enum": ["Request", "Response"],
        "description": "Whether the rule acts on requests to the pod or on its responses.",
    },
    "port": {
        "type": "integer",
        "minimum": 1,
        "maximum": 65535,
        "description": "The pod's port whose traffic is proxied.",
    },
    "path": {"type": "string", "description": "URI path to match; * and ? are wildcards."},
    "method": {"enum": list(METHODS), "description": "HTTP method to match."},
    "code": {
        "type": "integer",
        "minimum": 100,
        "maximum": 599,
        "description": "Response only: status code to match.",
    },
    "requestHeaders": {**STRING_MAP, "description": "Request headers to match."},
    "responseHeaders": {**STRING_MAP, "description": "Response only: headers to match."},
}


def schema(
    extra: Mapping[str, Any] | None = None, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    return params_schema({**SELECT, **(extra or {})}, ("target", "port", *required))


def check(*request_only: str, response_only: tuple[str, ...] = ()) -> Check:
    """Matchers and actions that exist for one side only: Chaos Mesh ignores them silently."""

    def run(params: Mapping[str, Any]) -> Problems:
        problems: Problems = []
        side = params.get("target")
        for path in (*_RESPONSE_ONLY, *response_only):
            if side == "Request" and _has(params, path):
                problems.append(
                    (_key(path), "applies to responses only; expected target: Response")
                )
        for path in request_only:
            if side == "Response" and _has(params, path):
                problems.append((_key(path), "applies to requests only; expected target: Request"))
        return problems

    return run


def _key(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _has(params: Mapping[str, Any], path: str) -> bool:
    value: Any = params
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return True
