"""The one place test markers come from: a test's top folder under tests/ decides its marker.
Also: every test keeps the runs it makes in a temporary results store, never the user's.

``pytest -m unit`` runs tests/unit, ``-m integration`` tests/integration, and so on; a test file
never marks itself with its kind. A test outside these folders is a collection error, so a new
folder cannot slip past every ``-m`` selection unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

#: Top folder under tests/ → the marker every test in it gets (registered in pyproject.toml).
FOLDER_MARKERS = {
    "unit": "unit",
    "integration": "integration",
    "e2e": "e2e",
    "cluster": "cluster",
    "fuzz": "fuzz",
}


def marker_for(path: Path) -> str | None:
    """The marker of a test file's folder; None outside tests/ or in an unmarked folder."""
    try:
        top = path.resolve().relative_to(TESTS).parts[0]
    except (ValueError, IndexError):
        return None
    return FOLDER_MARKERS.get(top)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.path)
        marker = marker_for(path)
        if marker is not None:
            item.add_marker(getattr(pytest.mark, marker))
        elif TESTS in path.resolve().parents:
            raise pytest.UsageError(
                f"{path}: a test outside {', '.join(f'tests/{f}' for f in FOLDER_MARKERS)} "
                "gets no marker; put it in one of them"
            )


@pytest.fixture(scope="session", autouse=True)
def _session_results_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs made by session- or module-scoped fixtures are kept in a temporary results store,
    never in the user's (``$CHAOSRUNNER_RESULTS`` is read at each run)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CHAOSRUNNER_RESULTS", str(tmp_path_factory.mktemp("results")))
        yield


@pytest.fixture(autouse=True)
def _results_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test's runs go to a results store of its own: no trend against another test's run."""
    monkeypatch.setenv("CHAOSRUNNER_RESULTS", str(tmp_path_factory.mktemp("results")))
