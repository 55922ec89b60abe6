"""End-to-end fixtures: the real embedded lab, once per session, in a private state dir.

The lab listens on free ports picked at random, never the defaults, so a user's own lab (left
up by `make demo`) and these tests never meet. The experiments find the lab's addresses by
themselves: a run layers the running lab's ``LAB_*`` variables over the files' defaults (see
``chaosrunner.lab.variables``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosrunner import lab
from chaosrunner.core.errors import LabError
from tests.e2e.lab_ports import free_ports


@pytest.fixture(scope="session")
def lab_ports() -> lab.LabPorts:
    return free_ports()


@pytest.fixture(scope="session")
def lab_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("chaosrunner-state")
    previous = os.environ.get("CHAOSRUNNER_STATE_DIR")
    os.environ["CHAOSRUNNER_STATE_DIR"] = str(root)
    try:
        yield root
    finally:
        try:
            lab.down(timeout=30)
        finally:
            if previous is None:
                os.environ.pop("CHAOSRUNNER_STATE_DIR", None)
            else:
                os.environ["CHAOSRUNNER_STATE_DIR"] = previous


@pytest.fixture
def lab_up(
    lab_state: Path, lab_ports: lab.LabPorts, request: pytest.FixtureRequest
) -> lab.LabStatus:
    """The session lab with the demo in the profile the test names (default: 'default')."""
    profile = getattr(request, "param", "default")
    try:
        status = lab.up(profile=profile, timeout=120, ports=lab_ports)
    except LabError as exc:
        pytest.fail(f"the lab did not come up: {exc}", pytrace=False)
    assert status.healthy, status
    wait_quiet(status.ports)
    return status


QUIET = {
    "no recent goroutine spike": (
        'max_over_time(sum(go_goroutines{job="demo"})[20s:1s])',
        lambda v: v < 100,
    ),
    "full availability over the rate window": (
        'min_over_time((sum(rate(demo_http_requests_total{route="/items/{id}",code!~"5.."}[10s]))'
        ' / sum(rate(demo_http_requests_total{route="/items/{id}"}[10s])))[12s:1s])',
        lambda v: v >= 0.999,
    ),
}


def wait_quiet(ports: lab.LabPorts, timeout: float = 120) -> None:
    """Wait until the previous test's faults no longer show in Prometheus' recent windows.

    A game day's baseline must be steady; without this, the tail of one test (a released leak,
    the 503s of a redis-timeout run) is still inside the next test's rate windows.
    """
    from chaosrunner.lab.health import prom_value

    deadline = time.time() + timeout
    pending = list(QUIET)
    while pending and time.time() < deadline:
        pending = [
            name
            for name, (expr, ok) in QUIET.items()
            if (v := prom_value(ports, expr)) is None or not ok(v)
        ]
        time.sleep(1)
    if pending:
        pytest.fail(
            f"the lab did not quieten within {timeout:g}s: {', '.join(pending)}", pytrace=False
        )
