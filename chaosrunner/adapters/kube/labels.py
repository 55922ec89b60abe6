"""The labels and annotation keys that mark what chaosrunner creates in a cluster.

They sit here, below both the Lease (``lease.py``) and the Chaos Mesh objects
(``chaosmesh/meta.py``), because both carry them: ``chaosrunner cleanup`` finds a crashed
run's objects and its Lease by the same two labels, and the Kubernetes adapter must not reach
up into the Chaos Mesh driver for them.
"""

from __future__ import annotations

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "chaosrunner"
RUN_ID = "chaosrunner.io/run-id"
EXPERIMENT = "chaosrunner.io/experiment"


def ours(run_id: str | None = None) -> str:
    """The label selector of everything chaosrunner made (of one run, when ``run_id`` is set)."""
    base = f"{MANAGED_BY}={MANAGER}"
    return f"{base},{RUN_ID}={run_id}" if run_id else base
