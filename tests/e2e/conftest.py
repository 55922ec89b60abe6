"""End-to-end fixtures: the real embedded lab, once per session, in a private state dir.

The lab uses its default ports (the experiments' defaults); `make e2e` therefore needs them
free. Every test under tests/e2e gets the ``e2e`` marker.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosrunner.adapters import lab
from chaosrunner.core.errors import LabError

E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


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
def lab_up(lab_state: Path, request: pytest.FixtureRequest) -> lab.LabStatus:
    """The session lab with the demo in the profile the test names (default: 'default')."""
    profile = getattr(request, "param", "default")
    try:
        status = lab.up(profile=profile, timeout=120)
    except LabError as exc:
        pytest.fail(f"the lab did not come up: {exc}", pytrace=False)
    assert status.healthy, status
    return status
