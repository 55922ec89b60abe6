"""Missing Chaos Mesh CRDs stop a run at preflight, with nothing created.

The DNSChaos CRD is deleted for the test and created again afterwards from the folder
cluster-up installed it from (the pinned Chaos Mesh module's CRDs). This is its own module so
that no stand-in controller is watching DNSChaos while the CRD is gone; Chaos Mesh's real
controller keeps running (its informer retries until the CRD is back).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.kit import ROOT, fresh_namespace, require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client  # noqa: E402
from promlab import PromLab  # noqa: E402

from chaosrunner.adapters.kube.api import Connection, Kube, connect  # noqa: E402
from chaosrunner.core.errors import ApiError  # noqa: E402
from tests.cluster.test_cluster_runs import HERE, PODS, finish, left_in, start_run  # noqa: E402

DNS = str(HERE / "cluster-dns.yaml")
#: The CRDs cluster-up installed: the pinned Chaos Mesh module's (scripts/cluster-env.sh).
CRDS = Path(
    os.environ.get("CHAOSRUNNER_CHAOS_MESH_CRDS") or ROOT / ".cache" / "bin" / "chaos-mesh-crds"
)


@pytest.fixture
def without_dns_crd() -> Iterator[None]:
    """The DNSChaos CRD removed for one test, then created again as installed, and Established."""
    kube = connect(Connection(str(KUBECONFIG)))
    name = "dnschaos.chaos-mesh.org"
    path = f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
    kube.raw("delete the DNSChaos CRD", "DELETE", path)
    try:
        _until(lambda: _absent(kube, path), "the DNSChaos CRD to go")
        yield
    finally:
        if _absent(kube, path):
            body = yaml.safe_load((CRDS / "chaos-mesh.org_dnschaos.yaml").read_text())
            kube.raw("create the DNSChaos CRD", "POST", path.rsplit("/", 1)[0], body=body)
        _until(lambda: _established(kube, path), "the DNSChaos CRD to be Established")
        kube.close()


def _absent(kube: Kube, path: str) -> bool:
    try:
        kube.raw("read a CRD", "GET", path)
    except ApiError as exc:
        return exc.status == 404
    return False


def _established(kube: Kube, path: str) -> bool:
    conds = kube.raw("read a CRD", "GET", path).get("status", {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conds)


def _until(ok: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_missing_crds_stop_at_preflight(
    prom_lab_fresh: PromLab, without_dns_crd: None, core: client.CoreV1Api, tmp_path: Path
) -> None:
    ns = fresh_namespace(core, "cr-crd", PODS)
    code, journal, out = finish(start_run(DNS, tmp_path, prom_lab_fresh, ns))
    assert code == 4, out
    failed = [c for c in journal["preflight"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["Chaos Mesh CRDs installed"]
    assert "CRDs missing for DNSChaos" in failed[0]["detail"]
    assert journal["injections"] == []
    assert left_in(core, ns) == []
