"""http-replace: replace parts of matching HTTP messages (status code, body, headers, path).

A 503 or a garbled body from a dependency that is otherwise healthy is how partial outages
look from the caller's side; this tests error handling without breaking the dependency.
Cluster only (Chaos Mesh HTTPChaos ``replace``). ``replace.body`` is text here; the renderer
base64-encodes it, as Chaos Mesh's API expects bytes.
"""

from chaosrunner.core.faults import _http
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

_REPLACE = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "What to put in place of the matching message's parts.",
    "properties": {
        "code": {"type": "integer", "minimum": 100, "maximum": 599, "description": "Response."},
        "body": {"type": "string", "description": "The new body, as text."},
        "headers": {**_http.STRING_MAP, "description": "Headers to overwrite."},
        "method": {"enum": list(_http.METHODS), "description": "Request only."},
        "path": {"type": "string", "description": "Request only: the new URI path."},
        "queries": {**_http.STRING_MAP, "description": "Request only: query values to set."},
    },
}

KIND = FaultKind(
    name="http-replace",
    summary="Replace the code, body, headers or path of matching HTTP messages (HTTPChaos).",
    fault_class="http-error",
    params=_http.schema({"replace": _REPLACE}, ("replace",)),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_http.check(
        "replace.method",
        "replace.path",
        "replace.queries",
        response_only=("replace.code",),
    ),
)
