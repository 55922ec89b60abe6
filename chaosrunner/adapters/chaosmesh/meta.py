"""Names, labels and annotations every Chaos Mesh object we create carries.

The labels are how ``chaosrunner cleanup`` finds the orphans of a crashed run (by run id) and
how an operator tells our objects apart (``kubectl get networkchaos -l
app.kubernetes.io/managed-by=chaosrunner``); the run's own ones (managed-by, run id,
experiment) are defined in ``kube/labels.py``, because the run's Lease carries them too. The
name is deterministic, so a retried create of the same fault in the same run meets its own
object and gets a 409, which is an error, never "reuse the old object". Names must be DNS-1123
labels of at most 63 characters; when run id and fault name do not fit, or had to be changed
to fit, a hash of both keeps them unique.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from chaosrunner.adapters.chaosmesh.errors import RenderError
from chaosrunner.adapters.kube.labels import EXPERIMENT, MANAGED_BY, MANAGER, RUN_ID

__all__ = [
    "EXPERIMENT",
    "EXPIRES_AT",
    "FAULT",
    "MANAGED_BY",
    "MANAGER",
    "RUN_ID",
    "SOURCE",
    "annotations_for",
    "labels_for",
    "object_name",
]

FAULT = "chaosrunner.io/fault"
SOURCE = "chaosrunner.io/source"
EXPIRES_AT = "chaosrunner.io/expires-at"

_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MAX = 63
_HASH = 8


def labels_for(*, run_id: str, experiment: str, fault: str) -> dict[str, str]:
    values = {RUN_ID: run_id, EXPERIMENT: experiment, FAULT: fault}
    for key, value in values.items():
        if len(value) > _MAX or not _LABEL_VALUE.match(value):
            raise RenderError(
                f"{value!r} cannot be the label {key}; expected at most 63 characters of "
                "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
            )
    return {MANAGED_BY: MANAGER, **values}


def annotations_for(*, run_id: str, source: str, expires_at: float | None) -> dict[str, str]:
    out = {RUN_ID: run_id, SOURCE: source}
    if expires_at is not None:
        out[EXPIRES_AT] = datetime.fromtimestamp(expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out


def object_name(run_id: str, fault: str) -> str:
    """``<fault>-<run id>`` when that is a valid DNS label; otherwise a hashed, trimmed form."""
    wanted = f"{fault}-{run_id}"
    if len(wanted) <= _MAX and _DNS_LABEL.match(wanted):
        return wanted
    digest = hashlib.sha256(f"{run_id}\n{fault}".encode()).hexdigest()[:_HASH]
    cleaned = re.sub(r"[^a-z0-9-]+", "-", wanted.lower()).strip("-")
    stem = cleaned[: _MAX - _HASH - 1].rstrip("-")
    return f"{stem}-{digest}" if stem else digest
