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

from chaosrunner.core.faults import _kube
from chaosrunner.core.faults._params import slipped
from chaosrunner.core.faults.base import Check
from chaosrunner.core.units import DURATION_RE, PERCENT_RE, parse_duration

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


#: Go's time.Duration is an int64 of nanoseconds: Chaos Mesh parses every duration into one.
GO_MAX_NANOS = 2**63 - 1
GO_MAX_SECONDS = GO_MAX_NANOS / 1e9
GO_MAX_TEXT = "2562047h47m16s"


def selection_problems(
    part: Mapping[str, Any], *, default_mode: str, needs_namespace: bool
) -> Problems:
    """What the API server or Chaos Mesh would refuse in a pod selection (a binding's ``pods``
    or a network fault's peer): namespaces, label selectors, and the mode's ``value``, which
    Chaos Mesh parses with Atoi (a count from 1, or a percentage from 1 to 100)."""
    problems: Problems = []
    if needs_namespace and not ("namespace" in part or "namespaces" in part):
        problems.append(((), "expected namespace or namespaces"))
    if "namespace" in part and not _kube.dns_label(part["namespace"]):
        problems.append(
            (("namespace",), f"{part['namespace']!r} is not valid; expected {_kube.DNS_LABEL}")
        )
    names = part.get("namespaces")
    for i, name in enumerate(names if isinstance(names, list) else []):
        if not _kube.dns_label(name):
            problems.append(
                (("namespaces", i), f"{name!r} is not valid; expected {_kube.DNS_LABEL}")
            )
    labels = part.get("labelSelector")
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        if not _kube.label_key(key):
            problems.append(
                (("labelSelector", key), f"{key!r} is not valid; expected {_kube.LABEL_KEY}")
            )
        elif isinstance(value, str) and not _kube.label_value(value):
            problems.append(
                (("labelSelector", key), f"{value!r} is not valid; expected {_kube.LABEL_VALUE}")
            )
    mode = part.get("mode", default_mode)
    if mode in _VALUED_MODES and "value" not in part:
        problems.append((("mode",), f"mode {mode} needs a 'value'"))
    elif mode in _VALUED_MODES:
        problems.extend(_value_problems(part["value"], str(mode)))
    return problems


def _value_problems(raw: object, mode: str) -> Problems:
    percent = mode != "fixed"
    pattern = r"[0-9]+%?" if percent else r"[0-9]+"
    text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
    number = int(text.removesuffix("%")) if re.fullmatch(pattern, text) else None
    if percent and (number is None or not 1 <= number <= 100):
        expected = "a whole percentage from 1 to 100, such as 50 or '50%'"
    elif not percent and (number is None or number < 1):
        expected = "a whole number of pods, at least 1"
    else:
        return []
    return [(("value",), f"{raw!r} is not valid for mode {mode}; expected {expected}")]


def check_network_scope(params: Mapping[str, Any]) -> Problems:
    """A peer selection Kubernetes accepts; external targets only work towards them."""
    problems: Problems = []
    peer = params.get("target")
    if isinstance(peer, Mapping):
        found = selection_problems(peer, default_mode="all", needs_namespace=False)
        problems.extend((("target", *at), message) for at, message in found)
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
        problems: Problems = _slipped_percents(params, keys)
        for key in keys:
            number = _percent_number(params.get(key))
            if number is not None and number > 100:
                problems.append(((key,), f"{params[key]!r} is out of range; expected at most 100%"))
        return problems

    return check


def whole_percent(*keys: str, low: int = 1) -> Check:
    """Chaos Mesh takes some percentages as integers (IOChaos ``percent``, StressChaos
    ``load``): ``low``% to 100%."""

    def check(params: Mapping[str, Any]) -> Problems:
        problems: Problems = _slipped_percents(params, keys)
        for key in keys:
            number = _percent_number(params.get(key))
            if number is not None and not (low <= number <= 100 and number.is_integer()):
                problems.append(
                    (
                        (key,),
                        f"{params[key]!r} is not valid; expected a whole percentage, "
                        f"{low}% to 100%",
                    )
                )
        return problems

    return check


def go_durations(*keys: str) -> Check:
    """Durations Chaos Mesh (and Toxiproxy) parse into Go's time.Duration must fit it."""

    def check(params: Mapping[str, Any]) -> Problems:
        problems: Problems = []
        for key in keys:
            value = params.get(key)
            body = value.removeprefix("-") if isinstance(value, str) else None
            seconds = _seconds(body) if body is not None else None
            if seconds is None and body is not None and re.search(DURATION_RE, body):
                # the schema's pattern let it through (a trailing newline) but it does not parse
                problems.append(((key,), f"{value!r} is not a duration; expected e.g. 500ms, 30s"))
            elif seconds is not None and seconds > GO_MAX_SECONDS:
                problems.append(
                    ((key,), f"{value!r} is out of range; expected at most {GO_MAX_TEXT}")
                )
        return problems

    return check


def container_names(params: Mapping[str, Any]) -> Problems:
    """Container names are DNS-1123 labels; another name can never match a container."""
    names = params.get("containerNames")
    return [
        (("containerNames", i), f"{name!r} is not valid; expected {_kube.DNS_LABEL}")
        for i, name in enumerate(names if isinstance(names, list) else [])
        if isinstance(name, str) and not _kube.dns_label(name)
    ]


def _seconds(text: str) -> float | None:
    try:
        return parse_duration(text)
    except ValueError:
        return None


def checks(*parts: Check) -> Check:
    """One check running each of ``parts``, problems in order."""

    def check(params: Mapping[str, Any]) -> Problems:
        return [problem for part in parts for problem in part(params)]

    return check


def _slipped_percents(params: Mapping[str, Any], keys: tuple[str, ...]) -> Problems:
    return [
        ((key,), f"{params[key]!r} is not a percentage; expected e.g. 25%")
        for key in keys
        if slipped(PERCENT_RE, params.get(key))
    ]


def _percent_number(value: object) -> float | None:
    """25.0 for "25%"; None when not a percentage (the schema reports the pattern)."""
    if isinstance(value, str) and re.fullmatch(PERCENT_RE, value):
        return float(value[:-1])
    return None
