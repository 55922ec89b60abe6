"""Preflight for a cluster run: every check that must pass before anything is created.

Each check is one ``CheckRecord`` with a detail an operator can act on; the runner stops at
the first failed preflight and nothing is injected. In order:

1. the API server answers (and who we are talking to);
2. Chaos Mesh is installed: discovery serves ``chaos-mesh.org/v1alpha1`` with every kind the
   plan uses (discovery is readable by any authenticated user, so this needs no extra rights);
3. every namespace the plan touches is allowed: ``kube-system``, ``kube-public`` and
   ``kube-node-lease`` only when named by ``--allow-namespace`` on the command line, every
   other namespace only when the experiment's ``allowNamespaces`` or ``--allow-namespace``
   names it. A file alone cannot aim a run at the control plane;
4. the caller may do what the run needs there: one SelfSubjectAccessReview per permission;
5. every selector matches at least one Running pod;
6. the blast radius is within ``spec.blastRadius``: the pods a fault may hit, by its mode;
7. the API server admits every object the run will create: a server-side dry run
   (``dryRun=All``, ``fieldValidation=Strict``) runs the CRD schema AND Chaos Mesh's admission
   webhooks, and stores nothing. What only the webhook refuses (a container-kill without
   ``containerNames``, a bad ``value`` for a percentage mode) is then a preflight ERROR naming
   the field, not a run that fails at inject with something half done.

Pods are counted once per (namespace, selector), with the listing in ``pods.py``. What the
plan needs (namespaces, kinds, selections, the pod proxy) comes from each fault's handler.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chaosrunner.adapters.chaosmesh.handlers import Needs
from chaosrunner.adapters.chaosmesh.permissions import (
    CHAOS_GROUP,
    CHAOS_PLURALS,
    CHAOS_VERSION,
    FOR_CHAOS,
    FOR_ESCALATION,
    FOR_EVERY_RUN,
    FOR_POD_PROXY,
    POD_LEVEL_PLURALS,
    Permission,
)
from chaosrunner.adapters.chaosmesh.pods import Selection, count_pods
from chaosrunner.adapters.kube.api import Kube
from chaosrunner.core.errors import ApiError, NotFound
from chaosrunner.core.journal import CheckRecord
from chaosrunner.core.model import BlastRadius

SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})


def check_api(kube: Kube) -> CheckRecord:
    try:
        version = kube.raw("read the API server version", "GET", "/version")
    except ApiError as exc:
        return CheckRecord("Kubernetes API answers", False, f"{kube.where}: {exc}")
    return CheckRecord(
        "Kubernetes API answers", True, f"{version.get('gitVersion')} via {kube.where}"
    )


def check_chaos_mesh(kube: Kube, kinds: Iterable[str]) -> CheckRecord:
    name = "Chaos Mesh CRDs installed"
    wanted = sorted(set(kinds))
    if not wanted:
        return CheckRecord(name, True, "the plan creates no Chaos Mesh object")
    try:
        served = kube.raw("discover chaos-mesh.org", "GET", f"/apis/{CHAOS_GROUP}/{CHAOS_VERSION}")
    except NotFound:
        return CheckRecord(
            name,
            False,
            f"the API server does not serve {CHAOS_GROUP}/{CHAOS_VERSION}: install Chaos "
            "Mesh (its CRDs) in this cluster first",
        )
    except ApiError as exc:
        return CheckRecord(name, False, str(exc))
    have = {r.get("kind") for r in served.get("resources", []) if "/" not in r.get("name", "/")}
    missing = [k for k in wanted if k not in have]
    if missing:
        return CheckRecord(
            name, False, f"CRDs missing for {', '.join(missing)}: install or upgrade Chaos Mesh"
        )
    return CheckRecord(name, True, ", ".join(wanted))


def check_namespaces(
    namespaces: Iterable[str], from_file: Iterable[str], from_cli: Iterable[str]
) -> CheckRecord:
    cli = set(from_cli)
    allowed = set(from_file) | cli
    refused = []
    for ns in sorted(set(namespaces)):
        if ns in SYSTEM_NAMESPACES and ns not in cli:
            refused.append(f"{ns} is a system namespace: only --allow-namespace {ns} permits it")
        elif ns not in allowed:
            refused.append(
                f"{ns} is not allowed: add it to kubernetes.allowNamespaces or pass "
                f"--allow-namespace {ns}"
            )
    names = ", ".join(sorted(set(namespaces))) or "none"
    return CheckRecord("namespaces allowed", not refused, "; ".join(refused) or names)


def permissions_for(need: Needs) -> list[Permission]:
    plurals = {CHAOS_PLURALS[k] for k in need.kinds if k in CHAOS_PLURALS}
    pod_level = {POD_LEVEL_PLURALS[k] for k in need.kinds if k in POD_LEVEL_PLURALS}
    wanted = list(FOR_EVERY_RUN) + [p for p in FOR_CHAOS if p.resource in plurals]
    wanted += [p for p in FOR_ESCALATION if p.resource in pod_level]
    return wanted + (list(FOR_POD_PROXY) if need.pod_proxy else [])


def check_permissions(kube: Kube, need: Needs) -> CheckRecord:
    denied: list[str] = []
    wanted = permissions_for(need)
    for ns in need.namespaces:
        for p in wanted:
            review = {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {
                    "resourceAttributes": {
                        "namespace": ns,
                        "group": p.group,
                        "resource": p.resource,
                        "subresource": p.subresource,
                        "verb": p.verb,
                    }
                },
            }
            answer = kube.json(
                f"review access to {p.text} in {ns}",
                kube.authorization.create_self_subject_access_review,
                review,
            )
            if not answer.get("status", {}).get("allowed"):
                denied.append(f"{p.text} in {ns} ({p.why})")
    detail = (
        "denied: " + "; ".join(denied)
        if denied
        else f"{len(wanted)} permission(s) in {len(need.namespaces)} namespace(s)"
    )
    return CheckRecord("permissions granted", not denied, detail)


def check_selections(
    kube: Kube, selections: Sequence[Selection], radius: BlastRadius
) -> list[CheckRecord]:
    cache: dict[tuple[str, str, str], tuple[int, int]] = {}
    empty: list[str] = []
    found: list[str] = []
    over: list[str] = []
    for s in selections:
        labels, fields = s.label_selector, s.field_selector
        total = running = 0
        for ns in s.namespaces:
            key = (ns, labels, fields)
            if key not in cache:
                cache[key] = count_pods(kube, ns, labels, fields)
            total += cache[key][0]
            running += cache[key][1]
        where = f"fault {s.fault} ({s.role}): {s.text}"
        if running == 0:
            empty.append(f"{where} matches no Running pod ({total} pod(s) match)")
            continue
        found.append(f"{s.fault}: {running} Running")
        hit = s.affected(running)
        if radius.max_targets is not None and hit > radius.max_targets:
            over.append(
                f"{where} may hit {hit} pods (mode {s.mode}); the limit is {radius.max_targets}"
            )
        if radius.max_percent is not None and hit > radius.max_percent * running + 1e-9:
            over.append(
                f"{where} may hit {hit} of {running} pods ({100 * hit / running:.0f}%); "
                f"the limit is {radius.max_percent * 100:g}%"
            )
    limits = [
        f"at most {radius.max_targets} pods" if radius.max_targets is not None else "",
        f"at most {radius.max_percent * 100:g}%" if radius.max_percent is not None else "",
    ]
    limit_text = " and ".join(x for x in limits if x) or "no limit declared"
    return [
        CheckRecord("selectors match Running pods", not empty, "; ".join(empty or found)),
        CheckRecord("blast radius within limit", not over, "; ".join(over) or limit_text),
    ]


def check_admission(kube: Kube, objects: Sequence[Mapping[str, Any]]) -> CheckRecord:
    """Every object through a server-side dry run of its create: schema and webhooks."""
    name = "Chaos Mesh admits the objects (server-side dry run)"
    if not objects:
        return CheckRecord(name, True, "the plan creates no Chaos Mesh object")
    refused = []
    for obj in objects:
        meta = obj["metadata"]
        what = f"{obj['kind']} {meta['namespace']}/{meta['name']}"
        try:
            kube.json(
                f"dry-run create {what}",
                kube.custom.create_namespaced_custom_object,
                CHAOS_GROUP,
                CHAOS_VERSION,
                str(meta["namespace"]),
                CHAOS_PLURALS[str(obj["kind"])],
                dict(obj),
                dry_run="All",
                field_validation="Strict",
            )
        except ApiError as exc:
            refused.append(str(exc))
    if refused:
        return CheckRecord(name, False, "; ".join(refused))
    return CheckRecord(name, True, f"{len(objects)} object(s) admitted")
