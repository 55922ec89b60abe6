"""manifests/ against a real kube-apiserver: accepted as written, and least privilege for real.

- Every document of manifests/*.yaml is created with server-side dry run (``dryRun=All``) and
  ``fieldValidation=Strict``, through the dynamic client so the API server sees the file's own
  fields (the typed client would drop or refuse unknown ones before sending). ``demo`` is
  replaced by a fresh namespace; the Namespace document is dry-run under a fresh name.
- The real proof of rbac.yaml: it is applied into a fresh namespace (``lp-…``), a token is
  issued for its ServiceAccount with the TokenRequest API (tests/cluster/identities.py), and,
  as that identity, every ``permissions.ALL`` entry is allowed per SelfSubjectAccessReview,
  the verbs and places around them are denied, and creating a NetworkChaos works in that
  namespace and is 403 Forbidden in another.
- Static checks that need no API server but belong with the manifests: the CronJob runs the
  Job's spec, the Job's safety settings, the pods' hardening, and every experiment's cluster
  binding selecting a workload in demo.yaml. (The Role-vs-permissions.ALL set comparison is
  tests/unit/chaosmesh/test_permissions.py, so it runs without a cluster.)

Needs the local control plane (``scripts/cluster-up.sh``); the module is skipped when its
kubeconfig is absent (failed in CI) and fails, saying so, when the API server does not answer.
Namespaces are created with unique names and kept (the manifests' objects run for real in
test_control_plane.py).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.kit import ROOT, require_cluster

KUBECONFIG = require_cluster()

from kubernetes import client, dynamic  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402

from chaosrunner.adapters.chaosmesh.permissions import (  # noqa: E402
    ALL,
    CHAOS_GROUP,
    CHAOS_VERSION,
    Permission,
)
from tests.cluster.identities import (  # noqa: E402
    MANIFEST_NAMESPACE,
    SERVICE_ACCOUNT,
    access_review,
    client_for,
    in_namespace,
    load_documents,
    service_account_kubeconfig,
)

MANIFESTS = ROOT / "manifests"
RUN = uuid.uuid4().hex[:8]
STRICT = [("fieldValidation", "Strict")]


def _all_documents() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for doc in load_documents(path):
            out.append((f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc))
    return out


DOCUMENTS = _all_documents()


def _doc(file: str, kind: str, name: str | None = None) -> dict[str, Any]:
    (found,) = [
        d
        for d in load_documents(MANIFESTS / file)
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    return found


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def admin(api_client: client.ApiClient) -> client.ApiClient:
    return api_client


def _create_namespace(admin: client.ApiClient, name: str) -> str:
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name))
    client.CoreV1Api(admin).create_namespace(body)
    return name


@pytest.fixture(scope="module")
def namespace(admin: client.ApiClient) -> str:
    """Where the namespaced documents are dry-run."""
    return _create_namespace(admin, f"mf-{RUN}")


@pytest.fixture(scope="module")
def dyn(admin: client.ApiClient) -> dynamic.DynamicClient:
    return dynamic.DynamicClient(admin)  # type: ignore[no-untyped-call]


@pytest.fixture(scope="module")
def lp_namespace(admin: client.ApiClient) -> str:
    """rbac.yaml's namespace, for real (service_account_kubeconfig creates it)."""
    return f"lp-{RUN}"


@pytest.fixture(scope="module")
def other_namespace(admin: client.ApiClient) -> str:
    """A namespace the ServiceAccount has nothing in."""
    return _create_namespace(admin, f"lp-other-{RUN}")


@pytest.fixture(scope="module")
def sa(
    admin: client.ApiClient, lp_namespace: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[client.ApiClient]:
    """An API client authenticated as the chaosrunner ServiceAccount, by a TokenRequest token."""
    path = service_account_kubeconfig(
        admin, lp_namespace, tmp_path_factory.mktemp("sa") / "kubeconfig"
    )
    api_client = client_for(path)
    yield api_client
    api_client.close()  # type: ignore[no-untyped-call]


# --------------------------------------------------------------------------- a. dry run


def _dry_run(dyn: dynamic.DynamicClient, obj: Mapping[str, Any]) -> dict[str, Any]:
    resource = dyn.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])
    created = resource.create(
        body=obj,
        namespace=obj["metadata"].get("namespace"),
        dry_run="All",
        query_params=list(STRICT),
    )
    out: dict[str, Any] = created.to_dict()
    return out


def _contains(got: Any, want: Any) -> bool:
    """Everything in ``want`` is in ``got`` (which may have defaults added)."""
    if isinstance(want, Mapping):
        return isinstance(got, Mapping) and all(
            k in got and _contains(got[k], v) for k, v in want.items()
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_contains(g, w) for g, w in zip(got, want, strict=True))
        )
    return bool(got == want)


@pytest.mark.parametrize("doc", [d for _, d in DOCUMENTS], ids=[i for i, _ in DOCUMENTS])
def test_every_document_is_accepted_with_strict_field_validation(
    dyn: dynamic.DynamicClient, namespace: str, doc: dict[str, Any]
) -> None:
    target = f"mf-ns-{RUN}" if doc["kind"] == "Namespace" else namespace
    obj = in_namespace(doc, target)
    created = _dry_run(dyn, obj)
    assert (created["kind"], created["metadata"]["name"]) == (obj["kind"], obj["metadata"]["name"])
    for key in set(obj) - {"apiVersion", "kind"}:
        assert _contains(created[key], obj[key]), f"{key} changed: {created[key]}"


def test_the_manifests_hold_every_kind_they_should() -> None:
    kinds = sorted({f"{i.split(':')[0]}:{d['kind']}" for i, d in DOCUMENTS})
    assert kinds == [
        "cronjob.yaml:CronJob",
        "demo.yaml:Deployment",
        "demo.yaml:Namespace",
        "demo.yaml:Service",
        "job.yaml:Job",
        "rbac.yaml:Role",
        "rbac.yaml:RoleBinding",
        "rbac.yaml:ServiceAccount",
    ]


def test_every_namespaced_document_is_in_demo() -> None:
    for ident, doc in DOCUMENTS:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == MANIFEST_NAMESPACE, ident


def test_an_unknown_field_is_rejected_so_the_dry_run_proves_something(
    dyn: dynamic.DynamicClient, namespace: str
) -> None:
    """The harness itself: a misspelt field (readOnlyRootFileSystem) is a 400 naming it."""
    job = in_namespace(_doc("job.yaml", "Job"), namespace)
    container = job["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(ApiException) as caught:
        _dry_run(dyn, job)
    assert caught.value.status == 400
    assert "readOnlyRootFileSystem" in json.loads(caught.value.body or "{}")["message"]


# --------------------------------------------------------------------------- c. the identity


def test_the_token_authenticates_as_the_service_account(
    sa: client.ApiClient, lp_namespace: str
) -> None:
    review = client.AuthenticationV1Api(sa).create_self_subject_review(client.V1SelfSubjectReview())
    assert review.status is not None and review.status.user_info is not None
    user = review.status.user_info
    assert user.username == f"system:serviceaccount:{lp_namespace}:{SERVICE_ACCOUNT}"
    assert "system:serviceaccounts" in (user.groups or [])
    assert "system:masters" not in (user.groups or [])


@pytest.mark.parametrize("perm", ALL, ids=[p.text for p in ALL])
def test_every_permission_is_allowed_in_its_namespace(
    sa: client.ApiClient, lp_namespace: str, perm: Permission
) -> None:
    allowed, reason = access_review(
        sa, lp_namespace, perm.verb, perm.resource, perm.group, perm.subresource
    )
    assert allowed, f"{perm.text} ({perm.why}) denied: {reason}"
    assert f'of Role "{SERVICE_ACCOUNT}"' in reason  # granted by this Role, not something else


VERBS = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
#: Permissions chaosrunner must not have: (group, resource, subresource, verb).
OUTSIDE = [
    ("", "secrets", "", "get"),
    ("", "secrets", "", "list"),
    ("", "configmaps", "", "get"),
    ("", "pods", "exec", "create"),
    ("", "pods", "log", "get"),
    ("", "pods", "portforward", "create"),
    ("", "pods", "eviction", "create"),
    ("", "serviceaccounts", "token", "create"),
    ("", "services", "proxy", "get"),
    ("apps", "deployments", "", "patch"),
    ("rbac.authorization.k8s.io", "roles", "", "create"),
    ("rbac.authorization.k8s.io", "roles", "", "escalate"),
    ("rbac.authorization.k8s.io", "rolebindings", "", "create"),
    ("rbac.authorization.k8s.io", "roles", "", "bind"),
    (CHAOS_GROUP, "schedules", "", "create"),
    (CHAOS_GROUP, "workflows", "", "create"),
    (CHAOS_GROUP, "networkchaos", "status", "update"),
]


def test_nothing_beyond_the_permissions_is_allowed(
    sa: client.ApiClient, lp_namespace: str, other_namespace: str
) -> None:
    """Other verbs on the same resources, the same permissions elsewhere (another namespace,
    cluster-wide), and the usual escalation paths: all denied."""
    granted = {(p.group, p.resource, p.subresource, p.verb) for p in ALL}
    checks: list[tuple[str, tuple[str, str, str, str]]] = []
    for group, resource, sub in sorted({(p.group, p.resource, p.subresource) for p in ALL}):
        for verb in VERBS:
            if (group, resource, sub, verb) not in granted:
                checks.append((lp_namespace, (group, resource, sub, verb)))
    for g in sorted(granted):
        checks += [(other_namespace, g), ("", g)]
    checks += [(lp_namespace, g) for g in OUTSIDE]
    allowed = []
    for ns, (group, resource, sub, verb) in checks:
        ok, reason = access_review(sa, ns, verb, resource, group, sub)
        if ok:
            where = f"in {ns}" if ns else "cluster-wide"
            allowed.append(f"{Permission(group, resource, verb, sub).text} {where}: {reason}")
    assert len(checks) > 80
    assert allowed == []


def _obj(value: object) -> dict[str, Any]:
    assert isinstance(value, dict), value
    return value


def _network_chaos(name: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{CHAOS_GROUP}/{CHAOS_VERSION}",
        "kind": "NetworkChaos",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "action": "delay",
            "mode": "all",
            "selector": {"namespaces": [namespace], "labelSelectors": {"app": "redis"}},
            "delay": {"latency": "10ms"},
            "duration": "30s",
        },
    }


def test_a_network_chaos_is_created_and_deleted_in_its_namespace(
    sa: client.ApiClient, admin: client.ApiClient, lp_namespace: str
) -> None:
    mine = client.CustomObjectsApi(sa)
    name = f"mf-delay-{RUN}"
    args = (CHAOS_GROUP, CHAOS_VERSION, lp_namespace, "networkchaos")
    created = _obj(mine.create_namespaced_custom_object(*args, _network_chaos(name, lp_namespace)))
    assert created["metadata"]["name"] == name
    assert _obj(mine.get_namespaced_custom_object(*args, name))["spec"]["action"] == "delay"
    listed = _obj(mine.list_namespaced_custom_object(*args))["items"]
    assert [o["metadata"]["name"] for o in listed] == [name]
    mine.delete_namespaced_custom_object(*args, name)
    with pytest.raises(ApiException) as caught:  # no controller in this namespace: no finalizer
        client.CustomObjectsApi(admin).get_namespaced_custom_object(*args, name)
    assert caught.value.status == 404


def test_a_network_chaos_in_another_namespace_is_forbidden(
    sa: client.ApiClient, admin: client.ApiClient, lp_namespace: str, other_namespace: str
) -> None:
    name = f"mf-delay-{RUN}"
    args = (CHAOS_GROUP, CHAOS_VERSION, other_namespace, "networkchaos")
    with pytest.raises(ApiException) as caught:
        client.CustomObjectsApi(sa).create_namespaced_custom_object(
            *args, _network_chaos(name, other_namespace)
        )
    assert caught.value.status == 403
    status = json.loads(caught.value.body or "{}")
    assert status["reason"] == "Forbidden"
    assert f"system:serviceaccount:{lp_namespace}:{SERVICE_ACCOUNT}" in status["message"]
    with pytest.raises(ApiException) as gone:  # and nothing was created
        client.CustomObjectsApi(admin).get_namespaced_custom_object(*args, name)
    assert gone.value.status == 404


def test_real_requests_match_the_reviews(sa: client.ApiClient, lp_namespace: str) -> None:
    """Not only the reviews: listing pods and leases works, reading a Secret does not."""
    core = client.CoreV1Api(sa)
    assert core.list_namespaced_pod(lp_namespace).items == []
    client.CoordinationV1Api(sa).list_namespaced_lease(lp_namespace)
    with pytest.raises(ApiException) as caught:
        core.list_namespaced_secret(lp_namespace)
    assert caught.value.status == 403
    with pytest.raises(ApiException) as caught:
        core.list_namespace()
    assert caught.value.status == 403


# --------------------------------------------------------------------------- static checks


def _pod_spec(doc: Mapping[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        spec: dict[str, Any] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        return spec
    pod: dict[str, Any] = doc["spec"]["template"]["spec"]
    return pod


def test_the_cron_job_runs_exactly_the_job() -> None:
    job, cron = _doc("job.yaml", "Job"), _doc("cronjob.yaml", "CronJob")
    assert cron["spec"]["jobTemplate"]["spec"] == job["spec"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_job_runs_once_bounded_as_the_service_account() -> None:
    job = _doc("job.yaml", "Job")
    spec, pod = job["spec"], _pod_spec(job)
    assert spec["backoffLimit"] == 0
    assert 0 < spec["activeDeadlineSeconds"] <= 3600
    assert pod["restartPolicy"] == "Never"
    assert pod["serviceAccountName"] == SERVICE_ACCOUNT
    assert pod["automountServiceAccountToken"] is True
    (container,) = pod["containers"]
    assert container["image"] == "ghcr.io/chaosrunner/chaosrunner:0.1.0"
    argv = container["command"] + container["args"]
    assert argv == ["chaosrunner", "run", "/experiments/redis-timeout.yaml", "--env", "cluster",
                    "--log-format", "json"]  # fmt: skip
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert volumes[mounts["/experiments"]["name"]]["configMap"]["name"] == (
        "chaosrunner-experiments"
    )
    assert mounts["/experiments"]["readOnly"] is True
    assert (ROOT / "experiments" / Path(argv[2]).name).exists()  # --from-file=experiments/
    assert "emptyDir" in volumes[mounts[container["workingDir"]]["name"]]  # the reports


@pytest.mark.parametrize(
    "doc",
    [d for _, d in DOCUMENTS if d["kind"] in {"Deployment", "Job", "CronJob"}],
    ids=[i for i, d in DOCUMENTS if d["kind"] in {"Deployment", "Job", "CronJob"}],
)
def test_every_pod_is_hardened_and_bounded(doc: dict[str, Any]) -> None:
    pod = _pod_spec(doc)
    assert pod["securityContext"]["runAsNonRoot"] is True
    for c in pod["containers"]:
        sc = c["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, c["name"]
        assert sc["allowPrivilegeEscalation"] is False, c["name"]
        assert sc["capabilities"] == {"drop": ["ALL"]}, c["name"]
        assert {"cpu", "memory"} <= set(c["resources"]["requests"]), c["name"]
        assert {"cpu", "memory"} <= set(c["resources"]["limits"]), c["name"]


def _workloads() -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"]: d
        for d in load_documents(MANIFESTS / "demo.yaml")
        if d["kind"] == "Deployment"
    }


def _leak_hook_path() -> str:
    server = (ROOT / "demo" / "cmd" / "demo-service" / "server.go").read_text()
    match = re.search(r'const LeakHookPath = "([^"]+)"', server)
    assert match, "LeakHookPath not found in demo/cmd/demo-service/server.go"
    return match.group(1)


def _cluster_bindings() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((ROOT / "experiments").glob("*.yaml")):
        exp = yaml.safe_load(path.read_text())
        env = exp["spec"]["environments"]["cluster"]
        assert MANIFEST_NAMESPACE in env["kubernetes"]["allowNamespaces"], path.name
        for target, spec in exp["spec"]["targets"].items():
            out.append((f"{path.stem}:{target}", spec["bindings"]["cluster"]))
    return out


@pytest.mark.parametrize(
    "binding", [b for _, b in _cluster_bindings()], ids=[i for i, _ in _cluster_bindings()]
)
def test_every_experiments_cluster_binding_selects_a_demo_workload(
    binding: dict[str, Any],
) -> None:
    pods = binding["pods"]
    assert pods["namespace"] == MANIFEST_NAMESPACE
    assert set(pods) <= {"namespace", "labelSelector", "mode", "value"}, pods
    selector = pods["labelSelector"]
    matched = [
        w
        for w in _workloads().values()
        if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()
    ]
    assert len(matched) == 1, f"{selector} selects {[w['metadata']['name'] for w in matched]}"
    (workload,) = matched
    assert selector.items() <= workload["spec"]["selector"]["matchLabels"].items()
    if "hook" in binding:
        ports = {p["containerPort"] for c in _pod_spec(workload)["containers"] for p in c["ports"]}
        assert binding["hook"]["port"] in ports
        assert binding["hook"]["path"] == _leak_hook_path()


def test_every_service_selects_a_workload_port() -> None:
    workloads = _workloads()
    for doc in load_documents(MANIFESTS / "demo.yaml"):
        if doc["kind"] != "Service":
            continue
        (workload,) = [
            w
            for w in workloads.values()
            if doc["spec"]["selector"].items()
            <= w["spec"]["template"]["metadata"]["labels"].items()
        ]
        names = {p["name"] for c in _pod_spec(workload)["containers"] for p in c["ports"]}
        for port in doc["spec"]["ports"]:
            assert port["targetPort"] in names, (doc["metadata"]["name"], port)
