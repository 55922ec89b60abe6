"""SLO contracts build their SLIs with the experiment's own public builder (core/build.py), not
through a private name: one place decides what an SLI mapping means."""

from __future__ import annotations

import ast
import inspect

from chaosrunner.core import build, slo_contract
from chaosrunner.core.model import SliKind


def test_contracts_use_the_public_sli_builder() -> None:
    tree = ast.parse(inspect.getsource(slo_contract))
    from_build = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "chaosrunner.core.build"
        for alias in node.names
    ]
    assert from_build == ["build_sli"]


def test_build_sli_builds_one_sli_from_its_mapping() -> None:
    sli = build.build_sli({"name": "p95", "query": "latency_seconds", "objective": "<= 200ms"})
    assert (sli.name, sli.kind, sli.objective.threshold) == ("p95", SliKind.QUERY, 0.2)
