"""Integration-test fixtures: a real Prometheus scraping a real exporter on loopback.

Fixtures:
  prom_lab        session-scoped PromLab (backend + exporter + decoy + Debian `prometheus`)
  prom_lab_fresh  function-scoped: the session lab after ``ensure_running`` (SIGCONT all,
                  restart whatever died, current pids) and with SLIs healthy again

Helpers live in fixtures/promlab.py, registered here as module ``promlab``:
  from promlab import PromLab, ensure_running, prom_query, prom_value, paused, ...
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

INTEGRATION_DIR = Path(__file__).resolve().parent
FIXTURES_DIR = INTEGRATION_DIR / "fixtures"


def _load_promlab():  # type: ignore[no-untyped-def]
    # Registered by name without putting fixtures/ on sys.path (its scripts have generic
    # names such as backend.py that must not shadow anything).
    if "promlab" in sys.modules:
        return sys.modules["promlab"]
    spec = importlib.util.spec_from_file_location("promlab", FIXTURES_DIR / "promlab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["promlab"] = module
    spec.loader.exec_module(module)
    return module


promlab = _load_promlab()
PromLab = promlab.PromLab
ensure_running = promlab.ensure_running


@pytest.fixture(scope="session")
def prom_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PromLab]:
    binary = promlab.find_prometheus()
    if binary is None:
        pytest.fail(
            "the `prometheus` binary is missing (not on PATH, not /usr/bin/prometheus, "
            f"${promlab.PROMETHEUS_BIN_ENV} unset or not executable): integration tests "
            "need a real Prometheus; run `scripts/install-system-deps.sh` as root "
            "(installs the Debian package `prometheus`)",
            pytrace=False,
        )
    workdir = tmp_path_factory.mktemp("prom_lab")
    try:
        lab = promlab.start_lab(workdir, binary, ready_timeout=30.0)
    except promlab.LabError as exc:
        pytest.fail(f"could not start the Prometheus lab in {workdir}:\n{exc}", pytrace=False)
    try:
        yield lab
    finally:
        promlab.stop_lab(lab)


@pytest.fixture
def prom_lab_fresh(prom_lab: PromLab) -> PromLab:
    """The session lab, with every process running and unpaused, pid fields current, and
    availability ~1 and ping p95 <= 100 ms over the last 5 s (a previous test may have
    paused or killed something)."""
    try:
        lab = ensure_running(prom_lab)
        promlab.wait_until_healthy(lab, timeout=30.0)
    except promlab.LabError as exc:
        pytest.fail(f"could not bring the Prometheus lab back to healthy:\n{exc}", pytrace=False)
    return lab
