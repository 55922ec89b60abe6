"""What a run id may be.

The run id names the run's output directory (``chaosrunner-runs/NAME/RUN_ID``), the local fault
records, the lab's toxics, and is the value of the ``chaosrunner.io/run-id`` label on every
Kubernetes object a run creates. So it must be a Kubernetes label value, and that rule also
keeps it from being a path: no ``/``, no ``..``, no NUL, nothing absolute. This module is tiny
and imports nothing heavy, so the CLI can check ``--run-id`` while parsing arguments.
"""

from __future__ import annotations

import re

MAX_LENGTH = 63
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
EXPECTED = (
    f"1 to {MAX_LENGTH} letters, digits, '-', '_' and '.', starting and ending with a letter "
    "or digit (a Kubernetes label value)"
)


def run_id_problem(run_id: str) -> str:
    """'' when ``run_id`` is a valid run id, else what is wrong and what was expected."""
    if not run_id:
        return f"the run id is empty; expected {EXPECTED}"
    if len(run_id) > MAX_LENGTH:
        return f"the run id is {len(run_id)} characters long; expected {EXPECTED}"
    if not _LABEL_VALUE.fullmatch(run_id):
        return f"{run_id!r} is not a valid run id; expected {EXPECTED}"
    return ""
