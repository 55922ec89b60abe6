"""HTTPChaos: http-abort, http-delay, http-replace and http-patch.

The matching fields are the same for each; our ``requestHeaders``/``responseHeaders`` become
Chaos Mesh's ``request_headers``/``response_headers``. Two conversions follow the API's types:
``replace.body`` is bytes (base64 in JSON), and ``patch.body`` is a JSON merge patch carried as
a string with ``type: JSON``. Patch headers and queries are lists of ``[name, value]`` pairs,
since both may repeat; we accept a mapping whose values may be lists and flatten it in order.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from chaosrunner.adapters.chaosmesh.common import Context, chaos_object, plain
from chaosrunner.adapters.chaosmesh.convert import single_unit
from chaosrunner.adapters.chaosmesh.payloads import ChaosObject, HttpPatch, HttpReplace, HttpSelect

KIND = "HTTPChaos"


def _select(params: Mapping[str, Any]) -> HttpSelect:
    select: HttpSelect = {"target": str(params["target"]), "port": int(params["port"])}
    if "path" in params:
        select["path"] = str(params["path"])
    if "method" in params:
        select["method"] = str(params["method"])
    if "code" in params:
        select["code"] = int(params["code"])
    if "requestHeaders" in params:
        select["request_headers"] = plain(params["requestHeaders"])
    if "responseHeaders" in params:
        select["response_headers"] = plain(params["responseHeaders"])
    return select


def _object(ctx: Context, action: Mapping[str, Any]) -> ChaosObject:
    return chaos_object(ctx, KIND, {**_select(ctx.params), **action})


def abort(ctx: Context) -> ChaosObject:
    return _object(ctx, {"abort": True})


def delay(ctx: Context) -> ChaosObject:
    return _object(ctx, {"delay": single_unit(ctx.params["delay"])})


def replace(ctx: Context) -> ChaosObject:
    given = ctx.params["replace"]
    spec: HttpReplace = {}
    if "body" in given:
        spec["body"] = base64.b64encode(str(given["body"]).encode()).decode("ascii")
    if "code" in given:
        spec["code"] = int(given["code"])
    if "headers" in given:
        spec["headers"] = plain(given["headers"])
    if "method" in given:
        spec["method"] = str(given["method"])
    if "path" in given:
        spec["path"] = str(given["path"])
    if "queries" in given:
        spec["queries"] = plain(given["queries"])
    return _object(ctx, {"replace": spec})


def patch(ctx: Context) -> ChaosObject:
    given = ctx.params["patch"]
    spec: HttpPatch = {}
    if "body" in given:
        body = json.dumps(plain(given["body"]), separators=(",", ":"), sort_keys=True)
        spec["body"] = {"type": "JSON", "value": body}
    if "headers" in given:
        spec["headers"] = _pairs(given["headers"])
    if "queries" in given:
        spec["queries"] = _pairs(given["queries"])
    return _object(ctx, {"patch": spec})


def _pairs(values: Mapping[str, Any]) -> list[list[str]]:
    """``{Set-Cookie: [a, b], X: y}`` → ``[[Set-Cookie, a], [Set-Cookie, b], [X, y]]``."""
    out: list[list[str]] = []
    for name, value in values.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            out.append([str(name), str(item)])
    return out
