"""Cluster-test fixtures: admin clients of the test cluster, and the real Prometheus lab; and
the count of tests by the Chaos Mesh controller they run against.

Each test module calls ``kit.require_cluster()`` at import, so without a cluster it is skipped
(failed in CI) before any of these fixtures is asked for. Importing the integration conftest
registers its ``promlab`` helper module and brings its session fixtures ``prom_lab`` /
``prom_lab_fresh`` into this folder's scope, for whole runs through the CLI.

Chaos Mesh's real chaos-controller-manager reconciles only the namespace
``$CHAOSRUNNER_CHAOS_MESH_NAMESPACE`` (scripts/cluster-chaos-mesh.sh); the stand-in
(chaos_controller.py) only the others. A test marked ``chaos_mesh`` runs against the real one; a
test that still needs the stand-in is marked ``standin(why)``, and the terminal summary counts
both, with the reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from tests.cluster.kit import KUBECONFIG
from tests.integration.conftest import prom_lab, prom_lab_fresh

__all__ = ["api_client", "core", "custom", "prom_lab", "prom_lab_fresh"]


@pytest.fixture(scope="session")
def api_client() -> Iterator[client.ApiClient]:
    """An admin client of the test cluster; fails, saying what to do, if it does not answer."""
    api: client.ApiClient = config.new_client_from_config(config_file=str(KUBECONFIG))  # type: ignore[no-untyped-call]
    try:
        client.VersionApi(api).get_code(_request_timeout=5)
    except Exception as exc:
        pytest.fail(
            f"{KUBECONFIG} exists but the API server does not answer ({exc}); "
            "run scripts/cluster-up.sh, or scripts/cluster-down.sh to remove it"
        )
    yield api
    api.close()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="session")
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def custom(api_client: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api_client)


HERE = Path(__file__).resolve().parent

#: The markers that say which Chaos Mesh controller a cluster test runs against.
REAL, STANDIN = "chaos_mesh", "standin"


def controller_of(item: pytest.Item) -> tuple[str, str]:
    """("real" | "stand-in" | "none", why) for one test item, from its markers."""
    real, standin = item.get_closest_marker(REAL), item.get_closest_marker(STANDIN)
    if real and standin:
        raise pytest.UsageError(f"{item.nodeid}: marked both {REAL} and {STANDIN}")
    if standin is not None:
        why = str(standin.args[0]).strip() if standin.args else ""
        if not why:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{STANDIN} needs the reason why")
        return "stand-in", why
    return ("real", "") if real else ("none", "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each cluster test carries which controller it uses (for the summary); a module that
    imports the stand-in must mark every test, so the counts cannot silently drift."""
    for item in items:
        if HERE not in Path(item.path).resolve().parents:
            continue
        kind, why = controller_of(item)
        module = getattr(item, "module", None)
        fixtures = getattr(item, "fixturenames", ())
        standin = module is not None and hasattr(module, "FakeChaosController")
        if kind == "none" and standin and "controller" in fixtures:
            raise pytest.UsageError(
                f"{item.nodeid}: uses the stand-in controller: mark it @pytest.mark.{STANDIN}(why)"
            )
        item.user_properties.append(("controller", f"{kind}\t{why}"))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """How many cluster tests ran against the real controller, how many against the stand-in
    (grouped by why), and how many need no controller."""
    counts: Counter[str] = Counter()
    why: Counter[str] = Counter()
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call" and not (
                getattr(report, "when", None) == "setup" and report.outcome != "passed"
            ):
                continue
            tag = dict(getattr(report, "user_properties", ())).get("controller")
            if tag is None:
                continue
            kind, reason = tag.split("\t", 1)
            counts[kind] += 1
            if reason:
                why[reason] += 1
    if not counts:
        return
    terminalreporter.section("chaos controller")
    terminalreporter.write_line(
        f"real chaos-controller-manager: {counts['real']}, stand-in: {counts['stand-in']}, "
        f"no controller: {counts['none']}"
    )
    for reason, n in sorted(why.items()):
        terminalreporter.write_line(f"  stand-in x{n}: {reason}")
