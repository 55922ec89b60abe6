"""Test identities: chaosrunner's least-privilege ServiceAccount, as a kubeconfig file.

``service_account_kubeconfig`` applies ``manifests/rbac.yaml`` into a namespace (the file says
``demo``; every namespace in it is replaced), issues a token for the ServiceAccount with the
TokenRequest API and writes a kubeconfig for it, so a test can run anything, the whole CLI
included, as exactly the identity the manifests give chaosrunner in a cluster.

Since Kubernetes 1.24 no legacy Secret-based token is made for a ServiceAccount (the test
control plane runs the token controller, but nothing asks it for one): TokenRequest is the way
to get one, as in a real cluster. It issues
bound tokens for the API server's ``--service-account-issuer`` audience and refuses an
``expirationSeconds`` under 10 minutes (422). The RBAC authorizer and the token authenticator
read informer caches, so a freshly created Role, RoleBinding or ServiceAccount may take a
moment to count; the function waits until the new identity is authenticated and allowed the
Role's first rule before it returns.
"""

from __future__ import annotations

import base64
import copy
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

ROOT = Path(__file__).resolve().parents[2]
RBAC = ROOT / "manifests" / "rbac.yaml"
#: The namespace the manifests are written for.
MANIFEST_NAMESPACE = "demo"
SERVICE_ACCOUNT = "chaosrunner"
CONTEXT = "chaosrunner-sa"
TOKEN_SECONDS = 3600
READY_TIMEOUT = 20.0


def load_documents(path: Path) -> list[dict[str, Any]]:
    """The YAML documents of ``path`` (empty ones skipped), rejecting duplicate keys."""
    docs = [d for d in yaml.load_all(path.read_text(), Loader=_StrictLoader) if d is not None]
    for doc in docs:
        if not isinstance(doc, dict):
            raise ValueError(f"{path}: a document is not a mapping: {doc!r}")
    return docs


def in_namespace(doc: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """A copy of ``doc`` with ``demo`` replaced by ``namespace`` wherever it names the namespace:
    ``metadata.namespace``, a Namespace's name, and ServiceAccount subjects of a binding."""
    out = copy.deepcopy(dict(doc))
    meta = out.setdefault("metadata", {})
    if out.get("kind") == "Namespace" and meta.get("name") == MANIFEST_NAMESPACE:
        meta["name"] = namespace
    if meta.get("namespace") == MANIFEST_NAMESPACE:
        meta["namespace"] = namespace
    for subject in out.get("subjects") or []:
        if subject.get("namespace") == MANIFEST_NAMESPACE:
            subject["namespace"] = namespace
    return out


def apply_rbac(admin: client.ApiClient, namespace: str) -> list[dict[str, Any]]:
    """Create ``manifests/rbac.yaml``'s objects in ``namespace``; returns what was sent.

    The namespace is created if needed. A 409 is tolerated: an existing ServiceAccount is kept
    (its tokens stay valid), an existing Role or RoleBinding is replaced, so the identity always
    has exactly the file's rules.
    """
    core = client.CoreV1Api(admin)
    rbac = client.RbacAuthorizationV1Api(admin)
    _created(core.create_namespace, {"metadata": {"name": namespace}})
    docs = [in_namespace(d, namespace) for d in load_documents(RBAC)]
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "ServiceAccount":
            account = client.V1ServiceAccount.model_validate(doc)
            _created(core.create_namespaced_service_account, namespace, account)
        elif kind == "Role":
            role = client.V1Role.model_validate(doc)
            if not _created(rbac.create_namespaced_role, namespace, role):
                rbac.replace_namespaced_role(name, namespace, role)
        elif kind == "RoleBinding":
            binding = client.V1RoleBinding.model_validate(doc)
            if not _created(rbac.create_namespaced_role_binding, namespace, binding):
                rbac.replace_namespaced_role_binding(name, namespace, binding)
        else:
            raise ValueError(f"{RBAC}: unexpected kind {kind} (only namespaced RBAC belongs here)")
    return docs


def issue_token(
    admin: client.ApiClient, namespace: str, seconds: int = TOKEN_SECONDS
) -> tuple[str, int]:
    """A bound token for the chaosrunner ServiceAccount, via TokenRequest, and the lifetime
    the API server granted (it may shorten, never lengthen, what was asked)."""
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=seconds)
    )
    got = client.CoreV1Api(admin).create_namespaced_service_account_token(
        SERVICE_ACCOUNT, namespace, request
    )
    if got.status is None or not got.status.token:
        raise RuntimeError(f"TokenRequest for {namespace}/{SERVICE_ACCOUNT} returned no token")
    granted = got.spec.expiration_seconds if got.spec is not None else None
    return got.status.token, int(granted or seconds)


def kubeconfig_for_token(admin: client.ApiClient, token: str, namespace: str) -> dict[str, Any]:
    """A kubeconfig with the admin connection's server and CA, and ``token`` as its user."""
    conf: client.Configuration = admin.configuration
    cluster: dict[str, Any] = {"server": str(conf.host)}
    if not conf.verify_ssl:
        cluster["insecure-skip-tls-verify"] = True
    elif conf.ssl_ca_cert:
        ca = Path(str(conf.ssl_ca_cert)).read_bytes()
        cluster["certificate-authority-data"] = base64.b64encode(ca).decode("ascii")
    if getattr(conf, "tls_server_name", None):
        cluster["tls-server-name"] = str(conf.tls_server_name)
    user = f"system:serviceaccount:{namespace}:{SERVICE_ACCOUNT}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT,
                "context": {"cluster": CONTEXT, "user": user, "namespace": namespace},
            }
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }


def service_account_kubeconfig(
    admin_api_client: client.ApiClient,
    namespace: str,
    out_path: Path,
    *,
    token_seconds: int = TOKEN_SECONDS,
) -> Path:
    """Apply ``manifests/rbac.yaml`` into ``namespace``, issue a token for its ServiceAccount
    and write a kubeconfig for it to ``out_path`` (mode 0600; context ``chaosrunner-sa``, also
    the current one, with ``namespace`` as its default). Returns ``out_path``.

    Waits (up to ``READY_TIMEOUT`` seconds) until the API server authenticates the token and
    allows the Role's first rule, so the caller can use the file at once.
    """
    docs = apply_rbac(admin_api_client, namespace)
    token, _ = issue_token(admin_api_client, namespace, token_seconds)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(kubeconfig_for_token(admin_api_client, token, namespace), fh)
    role = next(d for d in docs if d["kind"] == "Role")
    _wait_until_ready(out_path, namespace, role["rules"][0])
    return out_path


def client_for(kubeconfig: Path) -> client.ApiClient:
    """An API client for a kubeconfig written by ``service_account_kubeconfig``."""
    api_client: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig), context=CONTEXT
    )
    return api_client


def access_review(
    api_client: client.ApiClient,
    namespace: str,
    verb: str,
    resource: str,
    group: str = "",
    subresource: str = "",
) -> tuple[bool, str]:
    """(allowed, reason) from a SelfSubjectAccessReview, as the client's own identity."""
    attrs = client.V1ResourceAttributes(
        namespace=namespace or None,
        verb=verb,
        group=group,
        resource=resource,
        subresource=subresource or None,
    )
    review = client.AuthorizationV1Api(api_client).create_self_subject_access_review(
        client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=attrs)
        )
    )
    if review.status is None:
        raise RuntimeError(f"SelfSubjectAccessReview for {verb} {resource}: no status")
    return bool(review.status.allowed), review.status.reason or ""


def _wait_until_ready(kubeconfig: Path, namespace: str, rule: Mapping[str, Any]) -> None:
    resource, _, subresource = str(rule["resources"][0]).partition("/")
    group, verb = str(rule["apiGroups"][0]), str(rule["verbs"][0])
    api_client = client_for(kubeconfig)
    deadline = time.monotonic() + READY_TIMEOUT
    last = ""
    try:
        while True:
            try:
                allowed, reason = access_review(
                    api_client, namespace, verb, resource, group, subresource
                )
                if allowed:
                    return
                last = f"{verb} {rule['resources'][0]} not allowed yet ({reason or 'no reason'})"
            except ApiException as exc:
                if exc.status != 401:
                    raise
                last = "token not authenticated yet (401)"
            if time.monotonic() > deadline:
                raise TimeoutError(f"{kubeconfig}: after {READY_TIMEOUT:.0f} s, {last}")
            time.sleep(0.2)
    finally:
        api_client.close()  # type: ignore[no-untyped-call]


def _created(create: Callable[..., object], *args: object) -> bool:
    """Call ``create(*args)``; True if it created, False on 409 AlreadyExists."""
    try:
        create(*args)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return False
    return True


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with a duplicate key (the last one would win)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
