"""Cluster-test fixtures: admin clients of the test cluster, and the real Prometheus lab.

Each test module calls ``kit.require_cluster()`` at import, so without a cluster it is skipped
(failed in CI) before any of these fixtures is asked for. Importing the integration conftest
registers its ``promlab`` helper module and brings its session fixtures ``prom_lab`` /
``prom_lab_fresh`` into this folder's scope, for whole runs through the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator

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
