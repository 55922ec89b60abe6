"""What the three I/O fault kinds share: which files of which volume, which calls, how often.

Chaos Mesh's IOChaos mounts a FUSE layer over one volume of each selected pod and applies one
action to the file-system calls that match. ``percent`` is a whole percentage there (an
integer); we write it as ``25%`` and the renderer converts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaosrunner.core.faults import _cluster
from chaosrunner.core.faults._params import percent
from chaosrunner.core.faults.base import Check, params_schema

METHODS = (
    "lookup", "forget", "getattr", "setattr", "readlink", "mknod", "mkdir", "unlink", "rmdir",
    "symlink", "rename", "link", "open", "read", "write", "flush", "release", "fsync", "opendir",
    "readdir", "releasedir", "fsyncdir", "statfs", "setxattr", "getxattr", "listxattr",
    "removexattr", "access", "create", "getlk", "setlk", "bmap",
)  # fmt: skip

SELECT = {
    "volumePath": {
        "type": "string",
        "pattern": "^/",
        "description": "The mount path of the volume in the container, e.g. /var/lib/redis.",
        "x-expected": "an absolute path",
    },
    "path": {
        "type": "string",
        "description": "Files to hit, a glob such as /var/lib/redis/**/*; default every file.",
    },
    "percent": percent("The share of matching calls that are hit.", default="100%"),
    "methods": {
        "type": "array",
        "items": {"enum": list(METHODS)},
        "minItems": 1,
        "description": "File-system calls to hit; default all of them.",
    },
    "containerNames": _cluster.CONTAINER_NAMES,
}


def schema(extra: Mapping[str, Any], required: tuple[str, ...]) -> dict[str, Any]:
    return params_schema({**SELECT, **extra}, ("volumePath", *required))


CHECK: Check = _cluster.checks(_cluster.whole_percent("percent"), _cluster.container_names)
