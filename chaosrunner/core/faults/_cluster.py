"""Parameter pieces only the chaos-mesh driver reads: the other side of a network fault,
addresses outside Kubernetes, container names, and the checks that go with them.

Names follow Chaos Mesh's (``externalTargets``, ``target``, ``containerNames``) so a user who
knows Chaos Mesh recognises them; values use our formats (``25%``, ``500ms``), and the renderer
converts. The checks catch what Chaos Mesh's admission webhook would reject, but at validate
time, with a file position, instead of at inject time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults.base import Check
from chaosrunner.core.units import PERCENT_RE

Problems = list[tuple[tuple[str | int, ...], str]]

MODES = ("one", "all", "fixed", "fixed-percent", "random-max-percent")
_VALUED_MODES = ("fixed", "fixed-percent", "random-max-percent")
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

EXTERNAL_TARGETS = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "minItems": 1,
    "description": "Cluster only: addresses outside Kubernetes the fault applies to "
    "(IPs, CIDRs or host names, optionally with :port); only with direction: to.",
}

PEER = {
    "type": "object",
    "additionalProperties": False,
    "description": "Cluster only: the pods on the other side; only their traffic is hit.",
    "properties": {
        "namespace": {"type": "string", "description": "The namespace of the other side."},
        "namespaces": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "labelSelector": {**_STRING_MAP, "description": "Labels the other side carries."},
        "fieldSelector": {**_STRING_MAP, "description": "Fields the other side matches."},
        "mode": {"enum": list(MODES), "default": "all"},
        "value": {
            "type": ["string", "integer"],
            "description": "Count or percent for fixed modes.",
        },
    },
}

CONTAINER_NAMES = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "minItems": 1,
    "description": "Cluster only: the containers of each pod to hit (default: Chaos Mesh's).",
}

#: Properties every cluster network fault accepts, beside its own.
NETWORK_SCOPE = {"externalTargets": EXTERNAL_TARGETS, "target": PEER}


def check_network_scope(params: Mapping[str, Any]) -> Problems:
    """A peer in a fixed mode needs a value; external targets only work towards them."""
    problems: Problems = []
    peer = params.get("target")
    if isinstance(peer, Mapping):
        mode = peer.get("mode", "all")
        if mode in _VALUED_MODES and "value" not in peer:
            problems.append((("target", "mode"), f"mode {mode} needs a 'value'"))
    if "externalTargets" in params and params.get("direction", "to") != "to":
        problems.append(
            (
                ("externalTargets",),
                "Chaos Mesh applies externalTargets only to outgoing traffic; "
                "expected direction: to (or drop externalTargets)",
            )
        )
    return problems


def percent_at_most_100(*keys: str) -> Check:
    """Percentages above 100% pass the pattern but mean nothing to netem or Chaos Mesh."""

    def check(params: Mapping[str, Any]) -> Problems:
        problems: Problems = []
        for key in keys:
            number = _percent_number(params.get(key))
            if number is not None and number > 100:
                problems.append(((key,), f"{params[key]!r} is out of range; expected at most 100%"))
        return problems

    return check


def whole_percent(*keys: str) -> Check:
    """Chaos Mesh takes some percentages as integers (IOChaos ``percent``): 1% to 100%."""

    def check(params: Mapping[str, Any]) -> Problems:
        problems: Problems = []
        for key in keys:
            number = _percent_number(params.get(key))
            if number is not None and not (0 < number <= 100 and number.is_integer()):
                problems.append(
                    (
                        (key,),
                        f"{params[key]!r} is not valid; expected a whole percentage, 1% to 100%",
                    )
                )
        return problems

    return check


def checks(*parts: Check) -> Check:
    """One check running each of ``parts``, problems in order."""

    def check(params: Mapping[str, Any]) -> Problems:
        return [problem for part in parts for problem in part(params)]

    return check


def _percent_number(value: object) -> float | None:
    """25.0 for "25%"; None when not a percentage (the schema reports the pattern)."""
    if isinstance(value, str) and re.fullmatch(PERCENT_RE, value):
        return float(value[:-1])
    return None
