"""Whole runs through the real CLI against the test cluster and a real Prometheus.

The SLIs come from the integration suite's Prometheus lab (tests/integration/fixtures); the
faults are Chaos Mesh objects in a fresh namespace of the test cluster, where the test
controller plays Chaos Mesh. Each test checks the exit code, the journal, and that nothing
with the run's label (no chaos object, no Lease) is left in the cluster afterwards.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.kit import fresh_namespace, require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client  # noqa: E402
from promlab import PromLab  # noqa: E402

from chaosrunner.adapters.chaosmesh.permissions import CHAOS_PLURALS  # noqa: E402
from chaosrunner.adapters.kube import labels  # noqa: E402
from tests.cluster.chaos_controller import FakeChaosController  # noqa: E402
from tests.cluster.identities import service_account_kubeconfig  # noqa: E402
from tests.integration.runs import Run, start  # noqa: E402

HERE = Path(__file__).resolve().parent / "experiments"
LOSS = str(HERE / "cluster-loss.yaml")
PODS = {"redis-0": {"app": "redis"}, "redis-1": {"app": "redis"}}


@pytest.fixture(scope="module")
def controller() -> Iterator[FakeChaosController]:
    with FakeChaosController(KUBECONFIG) as ctl:
        yield ctl
    assert ctl.errors == []


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    return fresh_namespace(core, "cr-run", PODS)


def start_run(exp: str, tmp: Path, lab: PromLab, ns: str, *args: str) -> Run:
    return start(
        exp, tmp, "--var", f"prom_url={lab.prometheus_url}", "--var", f"ns={ns}",
        "--kubeconfig", str(KUBECONFIG), *args,
    )  # fmt: skip


def finish(r: Run, timeout: float = 120) -> tuple[int, dict[str, Any], str]:
    code = r.wait(timeout)
    return code, r.journal() if r.journal_path.exists() else {}, r.output()


def left_in(core: client.CoreV1Api, ns: str) -> list[str]:
    """Everything chaosrunner-labelled in ``ns``: chaos objects and Leases."""
    custom = client.CustomObjectsApi(core.api_client)
    found = []
    for plural in sorted(set(CHAOS_PLURALS.values())):
        try:
            items = custom.list_namespaced_custom_object(
                "chaos-mesh.org", "v1alpha1", ns, plural, label_selector=labels.ours(None)
            )["items"]
        except client.ApiException as exc:
            if exc.status != 404:  # 404: that CRD is not installed (test_missing_crds)
                raise
            items = []
        found += [f"{plural}/{i['metadata']['name']}" for i in items]
    leases = client.CoordinationV1Api(core.api_client).list_namespaced_lease(ns).items
    return found + [f"lease/{lease.metadata.name}" for lease in leases]


@pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): a NetworkChaos run that PASSES"
)
def test_a_clean_cluster_run_passes_and_leaves_nothing(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    code, journal, out = finish(start_run(LOSS, tmp_path, prom_lab_fresh, ns))
    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED"
    inj = journal["injections"][0]
    assert inj["driver"] == "chaos-mesh"
    assert sorted(t["id"] for t in inj["targets"]) == [f"{ns}/redis-0", f"{ns}/redis-1"]
    assert inj["confirmedAt"] and inj["removalConfirmed"]
    checks = {c["name"]: c["ok"] for c in journal["preflight"]}
    assert checks["Chaos Mesh CRDs installed"] and checks["no other run holds the namespaces"]
    assert left_in(core, ns) == []


@pytest.mark.standin("misbehaviour on demand: never-inject, released by the forced annotation")
def test_injection_never_confirmed_is_inconclusive_and_removed(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    r = start_run(LOSS, tmp_path, prom_lab_fresh, ns, "--var", "misbehave=never-inject")
    code, journal, out = finish(r)
    assert code == 3, out
    assert journal["outcome"]["verdict"] == "INCONCLUSIVE"
    inj = journal["injections"][0]
    assert inj["confirmedAt"] is None
    assert "AllInjected=False" in inj["error"]
    assert inj["removalConfirmed"]
    assert left_in(core, ns) == []


@pytest.mark.standin("misbehaviour on demand: a finalizer that only the forced annotation releases")
def test_a_stuck_finalizer_is_forced_and_the_journal_says_so(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    r = start_run(LOSS, tmp_path, prom_lab_fresh, ns, "--var", "misbehave=hold-finalizer")
    code, journal, out = finish(r)
    assert code == 0, out
    inj = journal["injections"][0]
    assert inj["removalConfirmed"]
    assert "cleanFinalizer=forced" in inj["details"]["removal"]
    assert left_in(core, ns) == []


@pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): SIGKILL after a confirmed NetworkChaos"
)
def test_sigkill_mid_run_then_cleanup_leaves_nothing(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    r = start_run(LOSS, tmp_path, prom_lab_fresh, ns, "--var", "blast=60s")
    journal = r.wait_for_journal(lambda j: j["injections"] and j["injections"][0]["confirmedAt"])
    run_id = journal["runId"]
    r.proc.send_signal(signal.SIGKILL)
    r.wait(10)
    left = left_in(core, ns)
    assert any(x.startswith("networkchaos/") for x in left) and "lease/chaosrunner" in left
    done = subprocess.run(
        [sys.executable, "-m", "chaosrunner", "cleanup", "--run-id", run_id,
         "--namespace", ns, "--kubeconfig", str(KUBECONFIG)],
        check=False, capture_output=True, text=True, timeout=120, env={"CHAOSRUNNER_STATE_DIR": str(r.state), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"cluster: deleted NetworkChaos {ns}/" in done.stdout
    assert f"cluster: deleted Lease {ns}/chaosrunner (run {run_id})" in done.stdout
    assert left_in(core, ns) == []


@pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): a confirmed NetworkChaos run holding the Lease"
)
def test_a_second_concurrent_run_on_the_namespace_is_refused(
    prom_lab_fresh: PromLab, controller: FakeChaosController, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    first = start_run(LOSS, tmp_path / "a", prom_lab_fresh, ns, "--var", "blast=30s")
    journal = first.wait_for_journal(lambda j: j["injections"])
    code, second, out = finish(start_run(LOSS, tmp_path / "b", prom_lab_fresh, ns))
    assert code == 4, out
    lock = next(c for c in second["preflight"] if c["name"] == "no other run holds the namespaces")
    assert not lock["ok"] and f"held by run {journal['runId']}" in lock["detail"]
    assert second["injections"] == []
    first.proc.send_signal(signal.SIGINT)
    code, _, out = finish(first)
    assert code == 2, out
    assert left_in(core, ns) == []


@pytest.mark.parametrize(
    ("args", "check", "says"),
    [
        (["--var", "app=nothing"], "selectors match Running pods", "matches no Running pod"),
        (["--var", "ns=kube-system"], "namespaces allowed", "kube-system is a system namespace"),
    ],
    ids=["empty-selector", "kube-system"],
)
def test_preflight_refusals_create_nothing(
    args: list[str], check: str, says: str, prom_lab_fresh: PromLab, ns: str,
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    code, journal, out = finish(start_run(LOSS, tmp_path, prom_lab_fresh, ns, *args))
    assert code == 4, out
    failed = [c for c in journal["preflight"] if not c["ok"]]
    assert [c["name"] for c in failed] == [check]
    assert says in failed[0]["detail"]
    assert journal["injections"] == []
    assert left_in(core, ns) == []


@pytest.mark.standin(
    "kept on the stand-in (the real controller with a stand-in chaos-daemon: test_real_daemon.py): a NetworkChaos run that PASSES as a least-privilege ServiceAccount"
)
def test_the_least_privilege_role_runs_in_its_namespace_and_is_refused_in_another(
    prom_lab_fresh: PromLab, controller: FakeChaosController, core: client.CoreV1Api,
    tmp_path: Path,
) -> None:  # fmt: skip
    own = fresh_namespace(core, "cr-lp", PODS)
    other = fresh_namespace(core, "cr-lpx", PODS)
    sa = service_account_kubeconfig(core.api_client, own, tmp_path / "sa-kubeconfig")

    def run_as_sa(ns: str, out: Path) -> tuple[int, dict[str, Any], str]:
        r = start(
            LOSS, out, "--var", f"prom_url={prom_lab_fresh.prometheus_url}", "--var", f"ns={ns}",
            "--kubeconfig", str(sa),
        )  # fmt: skip
        return finish(r)

    code, journal, out = run_as_sa(own, tmp_path / "own")
    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED"
    assert left_in(core, own) == []

    code, journal, out = run_as_sa(other, tmp_path / "other")
    assert code == 4, out
    failed = [c for c in journal["preflight"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["permissions granted"]
    assert f"create networkchaos.chaos-mesh.org in {other}" in failed[0]["detail"]
    assert journal["injections"] == []
    assert left_in(core, other) == []
