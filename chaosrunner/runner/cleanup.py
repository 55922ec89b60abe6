"""``chaosrunner cleanup``: end what crashed runs left, on this machine, in the lab, in a cluster.

The local fault records always; the lab's toxics and leak hook when a lab is running (they are
found by their names and the hook's run id, so a lost record does not hide them); the cluster's
Chaos Mesh objects and Leases only when asked (a namespace, or every namespace). The result is
typed: whoever shows it decides the wording, and anything left behind is an outcome, not a word.
The Kubernetes client is imported only when a cluster is swept: it is slow to import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chaosrunner import lab
from chaosrunner.adapters.local.driver import cleanup, cleanup_lab
from chaosrunner.core.leakhook import DEFAULT_PATH
from chaosrunner.core.leftovers import Leftover

if TYPE_CHECKING:
    from chaosrunner.adapters.kube.api import Connection, Kube


@dataclass(frozen=True)
class ClusterScope:
    """Where in a cluster to look: ``namespace`` None is every namespace."""

    namespace: str | None
    kubeconfig: str | None = None
    context: str | None = None


@dataclass(frozen=True)
class Cleanup:
    items: tuple[Leftover, ...]

    @property
    def left_behind(self) -> tuple[Leftover, ...]:
        return tuple(i for i in self.items if i.outcome.left_behind)


def clean_up(
    run_id: str | None,
    cluster: ClusterScope | None = None,
    *,
    kube_connect: Callable[[Connection], Kube] | None = None,
) -> Cleanup:
    """Sweep one run's leftovers (``run_id``) or every run's (None)."""
    items = list(cleanup(run_id))
    status = lab.status()
    if status.running:
        ports = status.ports
        items += cleanup_lab(run_id, ports.toxiproxy_url, f"{ports.demo_url}{DEFAULT_PATH}")
    if cluster is not None:
        items += _sweep_cluster(run_id, cluster, kube_connect)
    return Cleanup(tuple(items))


def _sweep_cluster(
    run_id: str | None, cluster: ClusterScope, kube_connect: Callable[[Connection], Kube] | None
) -> list[Leftover]:
    from chaosrunner.adapters.chaosmesh.cleanup import sweep
    from chaosrunner.adapters.chaosmesh.driver import FINALIZER_TIMEOUT
    from chaosrunner.adapters.kube.api import Connection, connect

    kube = (kube_connect or connect)(Connection(cluster.kubeconfig, cluster.context))
    try:
        return sweep(kube, run_id, cluster.namespace, FINALIZER_TIMEOUT)
    finally:
        kube.close()
