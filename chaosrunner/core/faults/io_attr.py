"""io-attr: make files on a volume of the target report other attributes (mode, size, owner).

Services check permissions and sizes before they trust a file (a config, a socket, a data
file); overriding what stat() returns tests those paths without touching the files. Cluster
only (Chaos Mesh IOChaos ``attrOverride``). ``perm`` may be an octal string such as "0644";
Chaos Mesh wants the number, and the renderer converts.
"""

from chaosrunner.core.faults import _io
from chaosrunner.core.faults.base import FaultKind
from chaosrunner.core.model import DriverKind

_COUNT = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}  # IOChaos: int64
_COUNT32 = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}  # IOChaos: int32

_ATTR = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "The attributes each hit file reports.",
    "properties": {
        "perm": {
            "type": ["integer", "string"],
            "minimum": 0,
            "maximum": 4095,
            "pattern": "^0[0-7]{3,4}$",
            "description": "Permission bits: a number, or an octal string such as '0644'.",
            "x-expected": "an octal mode such as '0644'",
        },
        "size": {**_COUNT, "description": "Size in bytes."},
        "uid": {**_COUNT32, "description": "Owner user id."},
        "gid": {**_COUNT32, "description": "Owner group id."},
        "nlink": {**_COUNT32, "description": "Number of hard links."},
        "blocks": {**_COUNT, "description": "Number of blocks."},
        "ino": {**_COUNT, "description": "Inode number."},
        "rdev": {**_COUNT32, "description": "Device id (special files)."},
    },
}

KIND = FaultKind(
    name="io-attr",
    summary="Override the attributes files on a volume of the target report (IOChaos).",
    fault_class="io",
    params=_io.schema({"attr": _ATTR}, ("attr",)),
    requires={DriverKind.CHAOS_MESH: "pods"},
    check=_io.CHECK,
)
