"""Validate rendered objects the way the API server does, from the shipped Chaos Mesh CRDs.

``validate(obj)`` takes the CRD of ``obj['kind']`` from ../shared/chaos-mesh/crds, its
``v1alpha1`` ``openAPIV3Schema``, turns it into a JSON Schema (draft 7) and returns every
error. The conversion follows what kube-apiserver does with a structural schema:

- ``x-kubernetes-*`` keys are dropped; ``x-kubernetes-int-or-string`` becomes integer|string;
  ``nullable: true`` admits null.
- Strict (the default): an object schema with ``properties`` is closed, as kube-apiserver's
  ``fieldValidation=Strict`` rejects unknown fields (the default would silently prune them, so
  a misspelt field would be lost, not reported), unless ``x-kubernetes-preserve-unknown-fields``.
- ``format`` ``int32``, ``int64`` and ``byte`` (base64) are checked.

``metadata`` is ``type: object`` in every CRD; the API server checks ObjectMeta itself, so
``metadata_problems`` does the part we rely on: name, namespace, label keys and values.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[3]
CRDS = ROOT.parent / "shared" / "chaos-mesh" / "crds"
EXAMPLES = ROOT.parent / "shared" / "chaos-mesh" / "examples"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


@functools.cache
def _crds() -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        out[crd["spec"]["names"]["kind"]] = crd
    return out


def kinds() -> list[str]:
    return sorted(_crds())


@functools.cache
def schema(kind: str, *, strict: bool = True) -> dict[str, Any]:
    crd = _crds()[kind]
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        **_convert(version["schema"]["openAPIV3Schema"], strict),
    }


def _convert(node: Mapping[str, Any], strict: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: _convert(sub, strict) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, Mapping):
            out[key] = _convert(value, strict)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_convert(sub, strict) for sub in value]
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [*out.get("anyOf", []), {"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = (
            [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        )
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    if strict and "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    return out


_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@_FORMATS.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@_FORMATS.checks("byte", raises=binascii.Error)
def _byte(value: object) -> bool:
    if isinstance(value, str):
        base64.b64decode(value, validate=True)
    return True


def errors(obj: Mapping[str, Any], *, strict: bool = True) -> list[str]:
    """Every problem the API server would report, as ``path: message``; [] when accepted."""
    kind = obj.get("kind")
    if kind not in _crds():
        return [f"kind: no CRD for {kind!r} (have {', '.join(kinds())})"]
    validator = jsonschema.Draft7Validator(
        schema(str(kind), strict=strict), format_checker=_FORMATS
    )
    found = [
        f"{'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    ]
    return found + metadata_problems(obj.get("metadata", {}))


def metadata_problems(meta: Mapping[str, Any]) -> list[str]:
    problems = []
    name = meta.get("name", "")
    if not (isinstance(name, str) and len(name) <= 253 and _DNS_SUBDOMAIN.match(name)):
        problems.append(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    namespace = meta.get("namespace")
    if namespace is not None and not (len(namespace) <= 63 and _DNS_LABEL.match(namespace)):
        problems.append(f"metadata.namespace: {namespace!r} is not a DNS-1123 label")
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, label = key.rpartition("/")
        if (
            len(label) > 63
            or not _LABEL_NAME.match(label)
            or (prefix and not _DNS_SUBDOMAIN.match(prefix))
        ):
            problems.append(f"metadata.labels: {key!r} is not a valid label key")
        if not isinstance(value, str) or len(value) > 63 or not _LABEL_VALUE.match(value):
            problems.append(f"metadata.labels.{key}: {value!r} is not a valid label value")
    for key, value in (meta.get("annotations") or {}).items():
        if not isinstance(value, str):
            problems.append(f"metadata.annotations.{key}: {value!r} is not a string")
    return problems


def webhook_problems(obj: Mapping[str, Any]) -> list[str]:
    """The Chaos Mesh admission-webhook rules a bare API server does not run, that we rely on.

    From Chaos Mesh's api/v1alpha1 (v2.x): ``value`` parses with Atoi for fixed modes (a count
    ≥ 1, or a percent in (0, 100]); container-kill needs containerNames; HTTPChaos ``port`` > 0;
    ``spec.duration`` parses as a Go duration.
    """
    spec = obj.get("spec", {})
    problems = []
    for where, part in (("spec", spec), ("spec.target", spec.get("target"))):
        if not isinstance(part, Mapping) or part.get("mode") not in (
            "fixed",
            "fixed-percent",
            "random-max-percent",
        ):
            continue
        value = str(part.get("value", ""))
        high = None if part["mode"] == "fixed" else 100
        if not value.isdigit() or int(value) < 1 or (high and int(value) > high):
            problems.append(f"{where}.value: {value!r} invalid for mode {part['mode']}")
    if (
        obj.get("kind") == "PodChaos"
        and spec.get("action") == "container-kill"
        and not spec.get("containerNames")
    ):
        problems.append("spec.containerNames: empty on container-kill")
    if obj.get("kind") == "HTTPChaos" and int(spec.get("port", 0)) <= 0:
        problems.append("spec.port: must be > 0")
    duration = spec.get("duration")
    if duration is not None and not re.fullmatch(
        r"([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+", str(duration)
    ):
        problems.append(f"spec.duration: {duration!r} is not a Go duration")
    return problems
