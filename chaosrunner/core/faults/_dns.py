"""What the two DNS fault kinds share: which names they hit, and Chaos Mesh's wildcard rule.

Chaos Mesh's DNSChaos points the selected pods at its own DNS server, which answers matching
names wrongly. Patterns take ``?`` anywhere and ``*`` only at the end; no patterns means every
name, which is allowed but rarely meant, so the description says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults.base import params_schema

Problems = list[tuple[tuple[str | int, ...], str]]

SCHEMA = params_schema(
    {
        "patterns": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "description": "Domain names to hit, e.g. redis.demo.svc.cluster.local or "
            "example.*; ? matches one character and * may only end a pattern. "
            "Default: every name.",
        },
        "containerNames": _cluster.CONTAINER_NAMES,
    }
)


def check(params: Mapping[str, Any]) -> Problems:
    patterns = params.get("patterns")
    if not isinstance(patterns, list):
        return _cluster.container_names(params)
    return _cluster.container_names(params) + [
        (("patterns", i), f"{p!r} is not valid; Chaos Mesh allows * only at the end, e.g. chaos-*")
        for i, p in enumerate(patterns)
        if isinstance(p, str) and "*" in p[:-1]
    ]
