"""The success path of daemon-based faults: Chaos Mesh's REAL controller, the stand-in daemon.

Whole chaosrunner runs through the CLI against the test cluster, with the faults in the
namespace the real chaos-controller-manager reconciles. The target pods sit on a node whose
chaos-daemon is the test stand-in (tests/cluster/daemon_host.py), so the controller's own
code path runs to the end: selection, the Pod*Chaos objects, gRPC calls through its real
client, records Injected, ``AllInjected``; then on deletion the recovery calls, ``AllRecovered``
and its finalizer released normally, no forced annotation. Each run must be PASSED with the
fault confirmed and its removal confirmed, nothing of the run left behind, and the daemon must
have been asked for exactly the fault of the experiment (tc netem delay, stress-ng arguments,
clock offset, I/O and HTTP rules) on the target containers' ids, then to undo it.

For a DNSChaos the controller also calls Chaos Mesh's DNS server (another gRPC API) on the
pods of the Service named by its ``CHAOS_DNS_SERVICE_NAME``: the stand-in plays that server
too, from the same netns address. A controller started without that setting (a cluster from
before cluster-up set it) skips that case.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.kit import require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client  # noqa: E402
from promlab import PromLab  # noqa: E402

from chaosrunner.adapters.chaosmesh.permissions import CHAOS_PLURALS  # noqa: E402
from chaosrunner.adapters.kube import labels  # noqa: E402
from tests.cluster.chaos_daemon import Call  # noqa: E402
from tests.cluster.daemon_host import (  # noqa: E402
    CONTROLLER_NAMESPACE,
    DNS_SERVICE,
    DaemonNode,
    TargetPod,
    daemon_node,
    pod_chaos,
)
from tests.integration.runs import Run, start  # noqa: E402

pytestmark = pytest.mark.chaos_mesh
NS = CONTROLLER_NAMESPACE  # the real controller reconciles this namespace only
CONTROLLER_PID = KUBECONFIG.parent / "chaos-controller-manager.pid"


def _skip(msg: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs {msg}", pytrace=False)
    pytest.skip(msg)


def _controller_env() -> dict[str, str]:
    """The real controller's environment; skips (fails in CI) when it is not running."""
    try:
        pid = int(CONTROLLER_PID.read_text().strip())
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except (OSError, ValueError) as exc:
        _skip(f"Chaos Mesh's controller running ({CONTROLLER_PID}: {exc})")
    return dict(kv.split("=", 1) for kv in raw.decode().split("\0") if "=" in kv)


def _dns_configured() -> bool:
    return _controller_env().get("CHAOS_DNS_SERVICE_NAME") == DNS_SERVICE


@pytest.fixture(scope="module")
def daemon(core: client.CoreV1Api) -> Iterator[DaemonNode]:
    with daemon_node(core, dns=_dns_configured()) as node:
        yield node


@pytest.fixture
def pods(daemon: DaemonNode) -> Iterator[list[TargetPod]]:
    """Two target pods of this test only: gone at its end, with what the controller made for
    them, so that no retry for them reaches the daemon during a later test."""
    app = f"dmn-{uuid.uuid4().hex[:6]}"
    with contextlib.ExitStack() as stack:
        yield daemon.pods(NS, {f"{app}-0": {"app": app}, f"{app}-1": {"app": app}}, stack=stack)
        daemon.fail()  # a test that made methods fail leaves none failing


def _experiment(tmp: Path, lab: PromLab, app: str, fault: str, params: dict[str, Any]) -> Path:
    doc = {
        "apiVersion": "chaosrunner.io/v1alpha1",
        "kind": "Experiment",
        "metadata": {
            "name": "real-daemon",
            "description": f"{fault} on pods whose chaos-daemon is the test stand-in",
            "owner": "chaosrunner-tests",
        },
        "spec": {
            "defaultEnv": "cluster",
            "environments": {
                "cluster": {
                    "driver": "chaos-mesh",
                    "prometheus": {"url": lab.prometheus_url, "timeout": "2s"},
                    "kubernetes": {"allowNamespaces": [NS]},
                }
            },
            "targets": {
                "pods": {
                    "bindings": {
                        "cluster": {
                            "pods": {"namespace": NS, "labelSelector": {"app": app}, "mode": "all"}
                        }
                    }
                }
            },
            "steadyState": {  # the Prometheus lab's: the fault touches nothing it measures
                "slis": [
                    {
                        "name": "availability",
                        "ratio": {
                            "good": 'sum(rate(fixture_requests_total{code="200"}[3s]))',
                            "total": "sum(rate(fixture_requests_total[3s]))",
                        },
                        "objective": ">= 90%",
                    }
                ]
            },
            "faults": [{"name": "fault", "type": fault, "target": "pods", "params": params}],
            "schedule": {
                "baseline": "2s",
                "blast": "4s",
                "recovery": "10s",
                "probeInterval": "1s",
                "expiryMargin": "20s",
            },
        },
    }
    path = tmp / "real-daemon.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _run(path: Path, tmp: Path) -> tuple[int, dict[str, Any], str]:
    r: Run = start(str(path), tmp, "--kubeconfig", str(KUBECONFIG))
    code = r.wait(120)
    return code, r.journal() if r.journal_path.exists() else {}, r.output()


def _left(core: client.CoreV1Api, run_id: str) -> list[str]:
    custom = client.CustomObjectsApi(core.api_client)
    found = []
    for plural in sorted(set(CHAOS_PLURALS.values())):
        items = custom.list_namespaced_custom_object(
            "chaos-mesh.org", "v1alpha1", NS, plural, label_selector=labels.ours(run_id)
        )["items"]
        found += [f"{plural}/{i['metadata']['name']}" for i in items]
    return found


# ----------------------------------------------------------------------------- expectations
# Each gets the calls made for one pod (in order) and that pod, and checks both halves: the
# injection the experiment asked for, then the recovery that undoes it.

Check = Callable[[list[Call], TargetPod], None]


def _methods(calls: list[Call]) -> list[str]:
    return [c.method for c in calls]


def _network_delay(calls: list[Call], pod: TargetPod) -> None:
    # the PodNetworkChaos controller: ipsets, iptables, tc; on the first container that answers
    once = ["FlushIPSets", "SetIptablesChains", "SetTcs"]
    assert _methods(calls) == once + once, _methods(calls)
    assert {c.container_id for c in calls} == {pod.container_ids["app"]}
    assert {c.request["pod_uid"] for c in calls} == {pod.uid}
    assert all(c.request["enter_ns"] for c in calls)
    assert {c.source for c in calls} == {pod.id}  # the PodNetworkChaos, named after the pod
    (tc,) = calls[2].request["tcs"]
    assert tc["type"] == "NETEM"
    assert (tc["netem"]["time"], tc["netem"]["jitter"]) == ("120ms", "10ms")
    assert tc["netem"]["loss"] == 0 and tc["ipset"] == ""  # nothing else, every destination
    assert calls[5].request["tcs"] == []  # recovery: no rules left
    assert calls[3].request["ipsets"] == [] and calls[4].request["chains"] == []


def _cpu_stress(calls: list[Call], pod: TargetPod) -> None:
    assert _methods(calls) == ["ExecStressors", "CancelStressors"], _methods(calls)
    run, cancel = calls
    assert run.container_id == pod.container_ids["app"]  # StressChaos: the first container
    assert run.request["scope"] == "CONTAINER" and run.request["enter_ns"]
    args = run.request["cpu_stressors"].split()
    assert args[args.index("--cpu") + 1] == "2" and args[args.index("--cpu-load") + 1] == "50"
    assert run.request["memory_stressors"] == ""
    assert cancel.request["cpu_instance"] == run.reply["cpu_instance"]  # the one it started
    assert run.source == cancel.source


def _time_skew(calls: list[Call], pod: TargetPod) -> None:
    assert _methods(calls) == ["SetTimeOffset", "RecoverTimeOffset"], _methods(calls)
    skew, recover = calls
    assert skew.container_id == recover.container_id == pod.container_ids["app"]
    assert (skew.request["sec"], skew.request["nsec"]) == ("-600", "0")
    assert skew.request["clk_ids_mask"] == "1"  # CLOCK_REALTIME, Chaos Mesh's default
    assert skew.request["pod_container_name"] == f"{pod.uid}:app"
    assert recover.request["uid"] == skew.request["uid"]


def _io_latency(calls: list[Call], pod: TargetPod) -> None:
    assert _methods(calls) == ["ApplyIOChaos", "ApplyIOChaos"], _methods(calls)
    apply, undo = calls
    assert apply.container_id == undo.container_id == pod.container_ids["app"]
    assert apply.request["volume"] == "/data"
    (action,) = json.loads(apply.request["actions"])
    assert (action["type"], action["latency"], action["percent"]) == ("latency", "100ms", 100)
    assert not json.loads(undo.request["actions"])  # null: no action left
    assert undo.request["instance"] == apply.reply["instance"]  # the same injector instance
    assert apply.source == undo.source == pod.id  # the PodIOChaos, named after the pod


def _http_delay(calls: list[Call], pod: TargetPod) -> None:
    assert _methods(calls) == ["ApplyHttpChaos", "ApplyHttpChaos"], _methods(calls)
    apply, undo = calls
    assert apply.container_id == undo.container_id == pod.container_ids["app"]
    assert apply.request["proxy_ports"] == [8080]
    (rule,) = json.loads(apply.request["rules"])
    assert rule["target"] == "Request" and rule["selector"]["port"] == 8080
    assert rule["actions"]["delay"] == "1s"
    assert json.loads(undo.request["rules"]) == [] and undo.request["proxy_ports"] == []
    assert apply.source == undo.source == pod.id  # the PodHttpChaos, named after the pod


def _container_kill(calls: list[Call], pod: TargetPod) -> None:
    # one-shot: a kill, nothing to undo; only the named container
    assert _methods(calls) == ["ContainerKill"], _methods(calls)
    assert calls[0].container_id == pod.container_ids["sidecar"]
    assert calls[0].request["action"] == {"action": "KILL"}


def _dns_error(calls: list[Call], pod: TargetPod) -> None:
    # the daemon points the container's resolver at the DNS server, then back
    assert _methods(calls) == ["SetDNSServer", "SetDNSServer"], _methods(calls)
    point, back = calls
    assert point.container_id == back.container_id == pod.container_ids["app"]
    assert point.request["enable"] and not back.request["enable"]
    assert point.request["dns_server"].startswith("10.96.")  # the Service's ClusterIP
    assert point.source == back.source


CASES = [
    pytest.param("network-delay", {"latency": "120ms", "jitter": "10ms"}, _network_delay,
                 id="NetworkChaos-delay"),
    pytest.param("cpu-stress", {"workers": 2, "load": "50%"}, _cpu_stress, id="StressChaos-cpu"),
    pytest.param("time-skew", {"timeOffset": "-10m"}, _time_skew, id="TimeChaos"),
    pytest.param("io-latency", {"volumePath": "/data", "delay": "100ms"}, _io_latency,
                 id="IOChaos-latency"),
    pytest.param("http-delay", {"target": "Request", "port": 8080, "delay": "1s"}, _http_delay,
                 id="HTTPChaos-delay"),
    pytest.param("container-kill", {"containerNames": ["sidecar"]}, _container_kill,
                 id="PodChaos-container-kill"),
    pytest.param("dns-error", {"patterns": ["example.com", "chaos-*"]}, _dns_error,
                 id="DNSChaos-error"),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "params", "check"), CASES)
def test_a_daemon_based_fault_is_injected_confirmed_and_recovered(
    fault: str, params: dict[str, Any], check: Check,
    prom_lab_fresh: PromLab, daemon: DaemonNode, pods: list[TargetPod],
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    if fault.startswith("dns-") and not _dns_configured():
        _skip("a controller started with CHAOS_DNS_SERVICE_NAME (restart the cluster)")
    app = pods[0].name.rsplit("-", 1)[0]
    before = len(daemon.calls())
    code, journal, out = _run(_experiment(tmp_path, prom_lab_fresh, app, fault, params), tmp_path)

    assert code == 0, out
    assert journal["outcome"]["verdict"] == "PASSED", out
    (inj,) = journal["injections"]
    assert inj["driver"] == "chaos-mesh"
    assert inj["confirmedAt"] and inj["removalConfirmed"], inj
    targets = {t["id"].split("/")[1] for t in inj["targets"]}
    assert targets == {p.name for p in pods}
    assert _left(core, journal["runId"]) == []

    for pod in pods:  # what the controller made per pod (Pod*Chaos) holds no rule any more
        left = {k: v for k, v in pod_chaos(core, NS, pod.name).items() if _rules(v)}
        assert left == {}, left

    calls = daemon.calls()[before:]
    assert not [c for c in calls if c.failed]
    dns, calls = _dns_server_calls(calls)
    if fault.startswith("dns-"):  # the DNS server got the rule for each target, then not
        sets = [c for c in dns if c.method == "SetDNSChaos"]
        assert {(q["namespace"], q["name"]) for c in sets for q in c.request["pods"]} == {
            (NS, p.name) for p in pods
        }
        assert {(c.request["action"], tuple(c.request["patterns"])) for c in sets} == {
            ("error", tuple(params["patterns"]))
        }
        names = {c.request["name"] for c in sets}
        assert (
            len(names) == 1
            and {c.request["name"] for c in dns if c.method == "CancelDNSChaos"} == names
        )  # cancelled by the same name
        assert _methods(dns).index("CancelDNSChaos") > _methods(dns).index("SetDNSChaos")
    else:
        assert dns == []
    mine = {p.name: _calls_for(calls, p) for p in pods}
    assert sum(len(c) for c in mine.values()) == len(calls)  # nothing but the targets touched
    for pod in pods:
        check(mine[pod.name], pod)


def _dns_server_calls(calls: list[Call]) -> tuple[list[Call], list[Call]]:
    """(the calls to the DNS server's API, the calls to the daemon's)."""
    dns = [c for c in calls if c.method in ("SetDNSChaos", "CancelDNSChaos")]
    return dns, [c for c in calls if c not in dns]


def _rules(spec: dict[str, Any]) -> list[Any]:
    keys = ("tcs", "ipsets", "iptables", "actions", "rules")  # Pod{Network,IO,Http}Chaos
    return [spec[k] for k in keys if spec.get(k)]


def _calls_for(calls: list[Call], pod: TargetPod) -> list[Call]:
    """The calls on ``pod``'s containers; CancelStressors names no container, only the
    stress-ng instance that an ExecStressors on one of them started."""
    started = {
        c.reply["cpu_instance"]
        for c in calls
        if c.method == "ExecStressors" and c.container_id in pod.container_ids.values()
    }
    return [
        c for c in calls
        if c.container_id in pod.container_ids.values()
        or (c.method == "CancelStressors" and c.request["cpu_instance"] in started)
    ]  # fmt: skip


# ----------------------------------------------------------------------------- failure paths
# The daemon is reached but refuses: what a broken node (no tc, a dead runtime) looks like to
# the controller. The run can never pass, and the fault must still be gone at the end.

DELAY = {"latency": "120ms", "jitter": "10ms"}


def test_a_daemon_that_refuses_the_injection_makes_the_run_inconclusive_and_removed(
    prom_lab_fresh: PromLab, daemon: DaemonNode, pods: list[TargetPod],
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    app = pods[0].name.rsplit("-", 1)[0]
    daemon.fail("SetTcs")
    before = len(daemon.calls())
    code, journal, out = _run(
        _experiment(tmp_path, prom_lab_fresh, app, "network-delay", DELAY), tmp_path
    )

    assert code == 3, out
    assert journal["outcome"]["verdict"] == "INCONCLUSIVE"
    (inj,) = journal["injections"]
    assert inj["confirmedAt"] is None
    assert "AllInjected" in inj["error"], inj["error"]
    assert _left(core, journal["runId"]) == []  # removed all the same
    calls = daemon.calls()[before:]
    tcs = [c for c in calls if c.method == "SetTcs"]
    assert tcs and all(c.failed for c in tcs)  # asked, refused, never applied
    # refused on its first container, the controller tries the pod's next one, in turn
    assert {c.container_id for c in tcs} == {i for p in pods for i in p.container_ids.values()}


def test_a_recovery_that_fails_is_escalated_and_the_run_never_passes(
    prom_lab_fresh: PromLab, daemon: DaemonNode, pods: list[TargetPod],
    core: client.CoreV1Api, tmp_path: Path,
) -> None:  # fmt: skip
    """Injected and confirmed, then the daemon refuses to undo it: Chaos Mesh holds the object
    on its finalizer (its records stay Injected, even with cleanFinalizer: forced), chaosrunner
    escalates, and the journal names the targets that may still carry the fault."""
    app = pods[0].name.rsplit("-", 1)[0]
    before = len(daemon.calls())
    r = start(str(_experiment(tmp_path, prom_lab_fresh, app, "network-delay", DELAY)), tmp_path,
              "--kubeconfig", str(KUBECONFIG))  # fmt: skip
    r.wait_for_journal(lambda j: any(i.get("confirmedAt") for i in j["injections"]), timeout=60)
    for pod in pods:  # injected for real: the rules are in each pod's PodNetworkChaos
        assert _rules(pod_chaos(core, NS, pod.name)["podnetworkchaos"]), pod.name
    daemon.fail("SetTcs")
    code = r.wait(180)
    journal, out = r.journal(), r.output()

    assert code == 3, out
    assert journal["outcome"]["verdict"] == "INCONCLUSIVE"  # it would have PASSED otherwise
    (inj,) = journal["injections"]
    assert inj["confirmedAt"] and inj["removalConfirmed"]
    esc = inj["escalation"]
    assert esc, inj
    assert any("chaos-mesh/records removed by chaosrunner" in step for step in esc["steps"]), esc
    assert {p.id for p in pods} <= {t.split(" ")[0] for t in esc["notRecovered"]}, esc
    assert any("may not have recovered" in reason for reason in journal["outcome"]["reasons"])
    assert _left(core, journal["runId"]) == []

    calls = [c for c in daemon.calls()[before:] if c.method == "SetTcs"]
    applied = [c for c in calls if not c.failed]
    assert {c.container_id for c in applied} == {p.container_ids["app"] for p in pods}
    assert all(c.request["tcs"] for c in applied)  # the delay went in ...
    refused = [c for c in calls if c.failed]
    assert refused and all(c.request["tcs"] == [] for c in refused)  # ... its undo never did
