"""http-patch: add to matching HTTP messages: merge a JSON body patch, append headers/queries.

Where http-replace swaps a part out, a patch keeps the message and adds to it: an extra
``Set-Cookie``, an unexpected JSON field, a duplicated query parameter. It tests tolerant
readers. Cluster only (Chaos Mesh HTTPChaos ``patch``). Header and query values may be lists,
since both may repeat; ``body`` is a JSON merge patch (RFC 7396) written as a mapping.
"""

from chaosrunner.core.faults import _http
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

_MULTI_MAP = {
    "type": "object",
    "additionalProperties": {
        "type": ["string", "array"],
        "items": {"type": "string"},
        "minItems": 1,
    },
}

_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "What to add to the matching message.",
    "properties": {
        "body": {"type": "object", "description": "A JSON merge patch applied to the body."},
        "headers": {**_MULTI_MAP, "description": "Headers to append (a value or a list)."},
        "queries": {**_MULTI_MAP, "description": "Request only: query parameters to append."},
    },
}

KIND = FaultKind(
    name="http-patch",
    summary="Patch matching HTTP messages: JSON body merge, extra headers or queries (HTTPChaos).",
    fault_class="http-error",
    params=_http.schema({"patch": _PATCH}, ("patch",)),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_http.check("patch.queries"),
)
