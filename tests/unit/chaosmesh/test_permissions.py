"""manifests/rbac.yaml grants exactly ``permissions.ALL``: nothing missing, nothing more.

``permissions.ALL`` is the source of truth (preflight checks each entry with a
SelfSubjectAccessReview); the Role is written by hand, for people to read, so this test is what
keeps the two in step. tests/cluster/test_manifests.py proves the same Role against a real API
server, as the ServiceAccount itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from chaosrunner.adapters.chaosmesh.permissions import ALL, Permission

RBAC = Path(__file__).resolve().parents[3] / "manifests" / "rbac.yaml"
Grant = tuple[str, str, str, str]  # group, resource, subresource, verb


def _documents() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(RBAC.read_text()) if d]


def _role() -> dict[str, Any]:
    (role,) = [d for d in _documents() if d["kind"] == "Role"]
    return role


def _grants(rule: dict[str, Any]) -> set[Grant]:
    out: set[Grant] = set()
    for group in rule.get("apiGroups", []):
        for res in rule.get("resources", []):
            resource, _, subresource = res.partition("/")
            out |= {(group, resource, subresource, verb) for verb in rule.get("verbs", [])}
    return out


def _key(p: Permission) -> Grant:
    return (p.group, p.resource, p.subresource, p.verb)


def _text(g: Grant) -> str:
    group, resource, subresource, verb = g
    return Permission(group, resource, verb, subresource).text


def test_the_role_grants_every_permission_and_nothing_else() -> None:
    granted = set().union(*(_grants(r) for r in _role()["rules"]))
    wanted = {_key(p) for p in ALL}
    assert sorted(map(_text, wanted - granted)) == [], "missing from manifests/rbac.yaml"
    assert sorted(map(_text, granted - wanted)) == [], "granted beyond permissions.ALL"


def test_no_wildcards_resource_names_or_non_resource_urls() -> None:
    for rule in _role()["rules"]:
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, rule
        for value in (*rule["apiGroups"], *rule["resources"], *rule["verbs"]):
            assert "*" not in value, rule


def test_no_rule_grants_a_permission_twice() -> None:
    seen: set[Grant] = set()
    for rule in _role()["rules"]:
        grants = _grants(rule)
        assert not grants & seen, sorted(map(_text, grants & seen))
        seen |= grants


def test_everything_is_namespaced_and_bound_to_the_service_account() -> None:
    docs = _documents()
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Role", "RoleBinding"]
    assert {d["metadata"]["namespace"] for d in docs} == {"demo"}
    assert {d["metadata"]["name"] for d in docs} == {"chaosrunner"}
    binding = docs[2]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "chaosrunner",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "chaosrunner", "namespace": "demo"}
    ]


def _rule_comments() -> list[str]:
    """The comment block just above each rule of the Role, whitespace collapsed, in order."""
    text = RBAC.read_text()
    role_text = next(doc for doc in text.split("\n---\n") if "\nkind: Role\n" in doc)
    blocks: list[str] = []
    pending: list[str] = []
    for line in role_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#"))
        elif stripped.startswith("- apiGroups:"):
            blocks.append(re.sub(r"\s+", " ", " ".join(pending)).strip())
            pending = []
        else:
            pending = []
    return blocks


def test_each_rule_says_why_for_each_verb_it_grants() -> None:
    """The comment above a rule has "verb: why" for each permission it grants, ``why`` being
    permissions.py's own words."""
    why = {_key(p): p.why for p in ALL}
    rules = _role()["rules"]
    comments = _rule_comments()
    assert len(comments) == len(rules)
    for rule, comment in zip(rules, comments, strict=True):
        for grant in sorted(_grants(rule)):
            if grant in why:  # an extra grant is the first test's failure
                verb = grant[3]
                assert f"{verb}: {why[grant]}" in comment, (_text(grant), comment)
